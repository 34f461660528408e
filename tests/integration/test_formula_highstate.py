"""The docker_host formula from a real salt-master to four real salt-minions.

The master serves a clone of the repository (the formula and the extension
modules) and pillar-example/ with its top.sls; each minion gets one of the
example profiles by its id or its grains, plus a sandbox root of its own
(``docker_host:root``) so that nothing on this machine changes:

- dev-1: the dev profile;
- prod-1: the prod profile, with its data-root on a real btrfs;
- build-1: the build-host profile (chosen by the grain roles), its images
  loaded into a private dockerd, pulled from the real distribution registry
  on loopback;
- dev-2: the dev profile with a broken pillar.

No SUSE package repository exists here, so the sandbox pillar turns the
package off; the service is enabled inside each root by systemctl --root,
since systemd is not PID 1 here.
"""

import hashlib
import io
import json
import lzma
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

import docker
import pytest
import yaml

from tests import dockerd, hosttrees, registry
from tests.conftest import REPO_ROOT
from tests.readers import systemd_argv

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

PROFILE_USERS = {"dev-1": ["alice", "bob"], "dev-2": ["alice", "bob"], "prod-1": ["operator"]}
PROFILE_USERS["build-1"] = ["builder"]
GOOD = ("dev-1", "prod-1", "build-1")
BROKEN = "dev-2"


def _busybox_rootfs():
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        directory = tarfile.TarInfo("bin")
        directory.type, directory.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(directory)
        tar.add(shutil.which("busybox"), arcname="bin/busybox")
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(link)
    return data.getvalue()


@pytest.fixture(scope="module")
def btrfs_data_root(tmp_path_factory):
    """prod's data-root: a real btrfs on a loop device, on a path the remapped root
    of userns-remap may traverse (pytest's own directories are 0700)."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="sdh-btrfs-"))
    base.chmod(0o711)
    image, mount_point = base / "btrfs.img", base / "mnt"
    with open(image, "wb") as handle:
        handle.truncate(256 * 1024 * 1024)
    subprocess.run(["mkfs.btrfs", "-q", str(image)], check=True)
    mount_point.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], check=True)
    try:
        yield mount_point / "docker"
    finally:
        dockerd.unmount_under(mount_point)
        subprocess.run(["umount", str(mount_point)], check=True)
        shutil.rmtree(base)


@pytest.fixture(scope="module")
def build_daemon(tmp_path_factory):
    """build-1's Docker daemon, and a registry with the image it pulls."""
    base = tmp_path_factory.mktemp("build-daemon")
    with (
        registry.Registry(base / "registry") as served,
        dockerd.private_dockerd(base / "d", storage_driver="vfs") as url,
    ):
        yield url, served, served.publish("bci/bci-base:15.6", _busybox_rootfs())


@pytest.fixture(scope="module")
def kiwi_archive(tmp_path_factory, build_daemon):
    """A docker-archive as KIWI builds them, made with a throwaway daemon."""
    base = tmp_path_factory.mktemp("kiwi")
    files = base / "files"
    (files / "images").mkdir(parents=True)
    # The administrator's own state top file, as the README shows it.
    (files / "top.sls").write_text("base:\n  '*':\n    - docker_host\n")
    with dockerd.private_dockerd(base / "d", storage_driver="vfs") as url:
        client = docker.DockerClient(base_url=url, timeout=60)
        try:
            client.api.import_image_from_data(
                _busybox_rootfs(), repository="kiwi/sles15-base", tag="build"
            )
            image = client.images.get("kiwi/sles15-base:build")
            archive = files / "images" / "sles15-base.x86_64.docker.tar.xz"
            with lzma.open(archive, "wb", preset=0) as handle:
                for chunk in image.save(named=True):
                    handle.write(chunk)
            return files, image.id
        finally:
            client.close()


@pytest.fixture(scope="module")
def roots(tmp_path_factory, btrfs_data_root):
    base = tmp_path_factory.mktemp("roots")
    made = {}
    for minion_id, users in PROFILE_USERS.items():
        data_root = btrfs_data_root if minion_id == "prod-1" else None
        tree = hosttrees.suse_docker_root(base / minion_id, users=users, data_root=data_root)
        made[minion_id] = tree.root
    return made


@pytest.fixture(scope="module")
def pillar_tree(tmp_path_factory, roots, btrfs_data_root, build_daemon):
    """pillar-example/ as an administrator installs it, plus one sandbox SLS per minion."""
    tree = tmp_path_factory.mktemp("pillar")
    shutil.copytree(REPO_ROOT / "pillar-example" / "docker_host", tree / "docker_host")
    top = yaml.safe_load((REPO_ROOT / "pillar-example" / "top.sls").read_text())
    url, served, _ = build_daemon
    sandbox = {
        minion_id: {"root": str(root), "package": {"install": False}}
        for minion_id, root in roots.items()
    }
    sandbox["prod-1"]["daemon"] = {"data_root": str(btrfs_data_root)}
    sandbox["build-1"]["images"] = {
        "url": url,
        "pull": [{"name": f"{served.address}/bci/bci-base:15.6", "timeout": 60}],
    }
    sandbox[BROKEN]["forwardng"] = {"ipv4": True}  # a misspelt key
    sandbox[BROKEN]["users"] = {"members": "alice"}  # a string, not a list
    (tree / "sandbox").mkdir()
    for minion_id, data in sandbox.items():
        (tree / "sandbox" / f"{minion_id}.sls").write_text(yaml.safe_dump({"docker_host": data}))
        top["base"][minion_id] = [f"sandbox.{minion_id}"]
    (tree / "top.sls").write_text(yaml.safe_dump(top, sort_keys=False))
    return tree


@pytest.fixture(scope="module")
def master(salt_factories, repository_clone, pillar_tree, kiwi_archive):
    files, _ = kiwi_archive
    factory = salt_factories.salt_master_daemon(
        "sdh-formula-master",
        overrides={
            "file_roots": {"base": [str(repository_clone), str(files)]},
            "pillar_roots": {"base": [str(pillar_tree)]},
        },
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def minions(master):
    started = []
    factories = {}
    try:
        for minion_id in (*GOOD, BROKEN):
            grains = {"roles": ["docker-build-host"]} if minion_id == "build-1" else {}
            factory = master.salt_minion_daemon(minion_id, overrides={"grains": grains})
            factory.start()
            started.append(factory)
            factories[minion_id] = factory
        yield factories
    finally:
        for factory in started:
            factory.terminate()


@pytest.fixture(scope="module")
def salt_cli(master):
    return master.salt_cli(timeout=300)


def _snapshot(root):
    """Every file under ``root`` (not through its links to /proc, /sys, /boot)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path)] = f"-> {path.readlink()}"
        elif path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _by_id(states):
    return {key.split("_|-")[1]: state for key, state in states.items()}


@pytest.fixture(scope="module")
def runs(salt_cli, minions, roots):
    """test=True highstate, then two real ones, on all four minions at once."""
    for minion_id in minions:
        ret = salt_cli.run("saltutil.sync_all", minion_tgt=minion_id)
        assert ret.returncode == 0, ret
        salt_cli.run("saltutil.refresh_pillar", "wait=True", minion_tgt=minion_id)
    broken_before = _snapshot(roots[BROKEN])
    results = {}
    for name, arguments in (
        ("predicted", ["test=True"]),
        ("applied", []),
        ("again", []),
    ):
        ret = salt_cli.run("state.highstate", *arguments, minion_tgt="*")
        results[name] = ret.data
    return results, broken_before


def test_a_test_run_predicts_the_real_run_and_the_second_run_changes_nothing(runs):
    results, _ = runs
    for minion_id in GOOD:
        predicted = _by_id(results["predicted"][minion_id])
        applied = _by_id(results["applied"][minion_id])
        again = _by_id(results["again"][minion_id])
        assert set(predicted) == set(applied) == set(again)
        failed = {k: s["comment"] for k, s in applied.items() if s["result"] is not True}
        assert not failed, (minion_id, failed)
        for state_id, state in applied.items():
            assert predicted[state_id]["changes"] == state["changes"], (minion_id, state_id)
            assert again[state_id]["result"] is True, (minion_id, state_id)
            assert again[state_id]["changes"] == {}, (minion_id, state_id, again[state_id])
        assert any(state["changes"] for state in applied.values()), minion_id


def test_the_dev_root_is_configured(runs, roots, bash):
    results, _ = runs
    applied = _by_id(results["applied"]["dev-1"])
    root = roots["dev-1"]
    options = bash(root / "etc/sysconfig/docker")["DOCKER_OPTS"].split()
    assert "--log-level=warn" in options
    assert any(option.startswith("--storage-driver=") for option in options)
    daemon_json = json.loads((root / "etc/docker/daemon.json").read_text())
    assert daemon_json["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert "docker:x:" in (root / "etc/group").read_text()
    group = [line for line in (root / "etc/group").read_text().splitlines() if "docker" in line]
    assert group[0].endswith(":alice,bob")
    assert (root / "etc/sysctl.d/90-docker-host-forwarding.conf").is_file()
    wants = root / "etc/systemd/system/multi-user.target.wants/docker.service"
    assert wants.is_symlink()
    assert "docker-host-service-enabled" in applied
    # the permissions of CIS section 3 are prod's, not dev's
    assert not [state_id for state_id in applied if "permissions" in state_id]


def test_the_prod_root_is_hardened(runs, roots, btrfs_data_root):
    results, _ = runs
    applied = _by_id(results["applied"]["prod-1"])
    root = roots["prod-1"]
    daemon_json = json.loads((root / "etc/docker/daemon.json").read_text())
    assert daemon_json["icc"] is False
    assert daemon_json["live-restore"] is True
    assert daemon_json["userland-proxy"] is False
    assert daemon_json["no-new-privileges"] is True
    assert "log-level" in daemon_json
    # CIS 2.13: the journal. exclusive: SUSE's json-file options are gone, its
    # selinux-enabled is kept.
    assert daemon_json["log-driver"] == "journald"
    assert "log-opts" not in daemon_json
    assert daemon_json["selinux-enabled"] is True
    daemon_state = applied["docker-host-daemon-configured"]
    assert daemon_state["changes"]["daemon.json"]["kept"] == {"selinux-enabled": True}
    assert "exclusive keeps selinux-enabled" in daemon_state["comment"]
    group = [line for line in (root / "etc/group").read_text().splitlines() if "docker" in line]
    assert group[0].endswith(":operator")
    assert any("permissions" in state_id for state_id in applied)
    assert oct((root / "etc/docker/daemon.json").stat().st_mode & 0o777) == "0o644"


def test_the_broken_pillar_fails_first_and_changes_nothing(runs, roots):
    results, before = runs
    for name in ("predicted", "applied"):
        states = _by_id(results[name][BROKEN])
        assert list(states) == ["docker-host-pillar-valid"], states
        (state,) = states.values()
        assert state["result"] is False
        assert (
            "docker_host:forwardng is not a key of docker_host: did you mean "
            "docker_host:forwarding?" in (state["comment"])
        )
        assert (
            "docker_host:users:members must be a list, not a string ('alice')" in (state["comment"])
        )
        assert "Traceback" not in state["comment"]
    assert _snapshot(roots[BROKEN]) == before


def test_the_build_host_has_its_images(runs, build_daemon, kiwi_archive):
    results, _ = runs
    url, served, published = build_daemon
    _, archive_id = kiwi_archive
    name = f"{served.address}/bci/bci-base:15.6"
    client = docker.DockerClient(base_url=url, timeout=60)
    try:
        assert client.images.get("suse/sles15-base:latest").id == archive_id
        assert client.images.get(name).id == published.id
    finally:
        client.close()
    applied = _by_id(results["applied"]["build-1"])
    loaded = applied["docker-host-image-loaded-suse/sles15-base:latest"]
    assert loaded["changes"] == {"image": {"old": None, "new": archive_id}}
    pulled = applied[f"docker-host-image-pulled-{name}"]
    assert pulled["changes"] == {"digest": {"old": None, "new": published.digest}}
    (layer,) = published.layers
    assert served.fetches("bci/bci-base", layer) == 1  # pulled once, not again


def test_the_prod_configuration_runs_a_hardened_dockerd(runs, roots, btrfs_data_root, tmp_path):
    """dockerd started as SUSE's docker.service starts it, from prod's root, in a
    network namespace of its own (icc: false and iptables: true need a bridge
    and iptables rules, which stay in that namespace)."""
    root = roots["prod-1"]
    unit = (hosttrees.SUSE_FIXTURES / "docker/docker.service").read_text()
    (exec_start,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = systemd_argv(root / "etc/sysconfig/docker", arguments=exec_start.split(None, 1)[1])
    assert f"--data-root={btrfs_data_root}" in argv
    assert "--storage-driver=btrfs" in argv
    # The profile remaps users where the minion's grain reports user namespaces;
    # whether this machine has them is asked of the kernel itself, by making one.
    userns = subprocess.run(["unshare", "--user", "true"], check=False).returncode == 0
    daemon_json = json.loads((root / "etc/docker/daemon.json").read_text())
    assert daemon_json.get("userns-remap") == ("default" if userns else None), daemon_json
    with (
        _dockremap_restored() as remapped,
        dockerd.network_namespace("sdh-prod") as prefix,
        dockerd.private_dockerd(
            tmp_path / "prod", args=argv, config_file=root / "etc/docker/daemon.json", prefix=prefix
        ) as url,
    ):
        client = docker.DockerClient(base_url=url, timeout=60)
        try:
            info = client.info()
            bridge = client.networks.get("bridge").attrs["Options"]
            client.api.import_image_from_data(
                _busybox_rootfs(), repository="sdh/busybox", tag="proof"
            )
            # The profile's journald needs a journal, which this machine has not
            # (no systemd): these containers log to files; the booted SLES-like
            # host proves the journal (test_booted_host.py).
            files = docker.types.LogConfig(type="json-file")
            status = client.containers.run(
                "sdh/busybox:proof",
                ["/bin/busybox", "grep", "NoNewPrivs", "/proc/self/status"],
                network_mode="none",
                remove=True,
                log_config=files,
            )
            uid_map = client.containers.run(
                "sdh/busybox:proof",
                ["/bin/busybox", "cat", "/proc/self/uid_map"],
                network_mode="none",
                remove=True,
                log_config=files,
            )
        finally:
            client.close()
        subordinate = remapped.subordinate_ids()
    assert info["Driver"] == "btrfs"
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "journald"
    assert bridge["com.docker.network.bridge.enable_icc"] == "false"
    assert status.split() == [b"NoNewPrivs:", b"1"]
    if userns:
        # Container root is the first of dockremap's subordinate ids, not host root.
        assert None not in subordinate.values(), subordinate
        (uid, count), (gid, _) = subordinate["/etc/subuid"], subordinate["/etc/subgid"]
        assert uid > 0 and gid > 0, subordinate
        assert "name=userns" in info["SecurityOptions"]
        assert info["DockerRootDir"] == f"{btrfs_data_root}/{uid}.{gid}"
        assert uid_map.split() == [b"0", str(uid).encode(), str(count).encode()]
    else:
        assert "name=userns" not in info["SecurityOptions"]
        assert info["DockerRootDir"] == str(btrfs_data_root)
        assert uid_map.split() == [b"0", b"0", b"4294967295"]


class _dockremap_restored:
    """userns-remap: default makes dockerd create the user dockremap and its
    subordinate id ranges on this machine: put the machine back afterwards."""

    FILES = ("/etc/subuid", "/etc/subgid")

    def __enter__(self):
        self.existed = (
            subprocess.run(["getent", "passwd", "dockremap"], check=False).returncode == 0
        )
        self.saved = {}
        for path in self.FILES:
            try:
                with open(path, "rb") as handle:
                    self.saved[path] = handle.read()
            except FileNotFoundError:
                self.saved[path] = None
        return self

    def subordinate_ids(self):
        """dockremap's first subordinate id and count in /etc/subuid and /etc/subgid, as
        they are now, or None for a file without it."""
        found = {}
        for path in self.FILES:
            try:
                with open(path, encoding="utf-8") as handle:
                    lines = handle.read().splitlines()
            except FileNotFoundError:
                lines = []
            ranges = [line.split(":")[1:] for line in lines if line.startswith("dockremap:")]
            found[path] = tuple(map(int, ranges[0])) if ranges else None
        return found

    def __exit__(self, *exc):
        if not self.existed:
            subprocess.run(["userdel", "dockremap"], check=False, capture_output=True)
            subprocess.run(["groupdel", "dockremap"], check=False, capture_output=True)
        for path, data in self.saved.items():
            if data is None:
                subprocess.run(["rm", "-f", path], check=False)
            else:
                with open(path, "wb") as handle:
                    handle.write(data)
