"""Images built by KIWI for real (tests/kiwi.py), then used as the README says:

- the base image of kiwi/docker-base-image, loaded by docker_host.image_loaded
  into a private dockerd, run, and built on with a Dockerfile;
- the host of kiwi/docker-host after ``kiwi-ng system prepare``: the formula
  applied with docker_host:root, everything judged from the image, none of it
  from this machine (another kernel, another engine, another filesystem under
  its data-root).

The host image gets SUSE's docker package layout (its sysconfig template,
docker.service and daemon.json, from ../shared/fixtures/suse) as overlay
files: Debian's docker.io, which the build installs, keeps its options in
/etc/default instead.
"""

import json
import os
import platform
import shutil
import subprocess

import docker
import pytest

from tests import dockerd, kiwi
from tests.conftest import SUSE_FIXTURES as FIXTURES
from tests.saltcall import SALT_CALL, minion_config, state_apply, state_single, unconverged

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

SUSE_DOCKER = {
    "/etc/sysconfig/docker": FIXTURES / "docker" / "sysconfig.docker",
    "/usr/lib/systemd/system/docker.service": FIXTURES / "docker" / "docker.service",
    "/etc/docker/daemon.json": FIXTURES / "docker" / "docker-daemon.json",
}
BASE = "docker-host/base:1.0.0"


@pytest.fixture(scope="module")
def base_archive(tmp_path_factory):
    """kiwi-ng system build of the base image: its docker-archive tarball."""
    work = tmp_path_factory.mktemp("kiwi-base")
    description = kiwi.description_copy(work, "docker-base-image")
    target = work / "out"
    kiwi.kiwi_ng(
        work,
        description,
        "system",
        "build",
        f"--description={description}",
        f"--target-dir={target}",
    )
    (archive,) = target.glob("*.docker.tar")
    shutil.rmtree(target / "build", ignore_errors=True)
    yield archive
    shutil.rmtree(work)


@pytest.fixture(scope="module")
def prepared_root(tmp_path_factory):
    """kiwi-ng system prepare of the host image: its root, as the build leaves
    it for ``system create``."""
    work = tmp_path_factory.mktemp("kiwi-host")
    description = kiwi.description_copy(work, "docker-host", overlay=SUSE_DOCKER)
    root = work / "root"
    kiwi.kiwi_ng(
        work,
        description,
        "--setenv=INITRD=No",
        "system",
        "prepare",
        f"--description={description}",
        f"--root={root}",
    )
    # SUSE's package leaves the service disabled (its README: systemctl
    # enable docker); Debian's enables it as it installs.
    (root / "etc/systemd/system/multi-user.target.wants/docker.service").unlink()
    yield root
    shutil.rmtree(work)


@pytest.fixture
def host_root(prepared_root, tmp_path):
    """A copy of the prepared root for one test."""
    root = tmp_path / "root"
    subprocess.run(["cp", "-a", str(prepared_root), str(root)], check=True)
    yield root
    shutil.rmtree(root)  # 600 MB: pytest would keep it with the test's other files


def test_a_kiwi_base_image_is_loaded_run_and_built_on(tmp_path, base_archive):
    (tmp_path / "tree").mkdir()
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="overlay2") as url:

        def loaded(test=False):
            return state_single(
                tmp_path,
                "docker_host.image_loaded",
                {"name": BASE, "source": str(base_archive), "test": test},
                env={"DOCKER_HOST": url},
                file_roots=tmp_path / "tree",
            )

        client = docker.DockerClient(base_url=url)
        try:
            predicted = loaded(test=True)
            assert predicted["result"] is None and client.images.list() == [], predicted
            state = loaded()
            assert state["result"] is True, state["comment"]
            image = client.images.get(BASE)
            assert state["changes"] == {"image": {"old": None, "new": image.id}}
            # KIWI's <containerconfig>: its label and entry point.
            assert image.labels["org.opencontainers.image.title"] == "docker-host base"
            assert image.attrs["Config"]["Entrypoint"] == ["/bin/sh"]
            again = loaded()
            assert again["result"] is True and again["changes"] == {}, again["comment"]

            output = client.containers.run(
                BASE, ["-c", "cat /etc/debian_version"], network_mode="none", remove=True
            )
            assert output.decode().strip().startswith("12.")

            # FROM the loaded image, on the same daemon.
            context = tmp_path / "context"
            context.mkdir()
            (context / "Dockerfile").write_text(
                f"FROM {BASE}\nRUN echo built on the KIWI base > /built\n"
            )
            built, _ = client.images.build(
                path=str(context), tag="app:1", network_mode="none", rm=True
            )
            assert BASE in [tag for layer in built.history() for tag in layer["Tags"] or ()]
            output = client.containers.run(
                "app:1", ["-c", "cat /built"], network_mode="none", remove=True
            )
            assert output == b"built on the KIWI base\n"
        finally:
            client.close()


def _kernel_of(root):
    (config,) = (root / "boot").glob("config-*")
    return config.name[len("config-") :]


def _dpkg_version(root, package):
    entries = (root / "var/lib/dpkg/status").read_text().split("\n\n")
    (entry,) = [text for text in entries if text.startswith(f"Package: {package}\n")]
    return next(
        line[len("Version: ") :] for line in entry.splitlines() if line.startswith("Version: ")
    )


def _pillar(root, storage_driver="auto"):
    """The README's pillar for a KIWI build: the description installs the
    package; the formula configures it."""
    return {
        "docker_host": {
            "root": str(root),
            "package": {"install": False},
            "daemon": {"storage_driver": storage_driver},
            "forwarding": {"ipv4": True},
        }
    }


def _engine_here():
    """This machine's Docker engine, as its dockerd says (Debian 12's 20.10)."""
    said = subprocess.run(["dockerd", "--version"], capture_output=True, text=True, check=True)
    return said.stdout.split()[2].rstrip(",")


# Programs that would tell about this machine, not the image: each one, first
# on salt-call's PATH, notes that it was run (and fails). systemctl only when
# it is not pointed at the image with --root (Salt's own grains ask
# ``systemctl --version``, the service state ``systemctl --root=<image>``).
TRIPWIRES = (
    "dockerd",
    "docker",
    "containerd",
    "runc",
    "sysctl",
    "findmnt",
    "mount",
    "modprobe",
    "modinfo",
    "lsmod",
    "dpkg-query",
    "iptables",
    "firewall-cmd",
)
TRIPWIRE = """#!/bin/sh
case " $* " in *" --root="*|*" --version "*) [ "$name" = systemctl ] && exec "$real" "$@";; esac
echo "$name $*" >> "$log"
exit 1
"""


@pytest.fixture
def tripwired(tmp_path):
    """salt-call's environment with TRIPWIRES first on PATH; yields it and
    asserts afterwards that none of them ran."""
    wires, log = tmp_path / "tripwires", tmp_path / "tripwires.log"
    wires.mkdir()
    for name in (*TRIPWIRES, "systemctl"):
        real = shutil.which(name) or "/bin/false"
        script = f"name={name}\nreal={real}\nlog={log}\n"
        (wires / name).write_text(TRIPWIRE.replace("#!/bin/sh\n", "#!/bin/sh\n" + script))
        (wires / name).chmod(0o755)
    yield {**os.environ, "PATH": f"{wires}:{os.environ['PATH']}"}
    assert not log.exists(), log.read_text()


def _apply(tmp_path, root, env, test=False, storage_driver="auto"):
    return state_apply(tmp_path, "docker_host", _pillar(root, storage_driver), test=test, env=env)


def _call(tmp_path, env, *arguments):
    result = subprocess.run(
        [SALT_CALL, "--local", f"--config-dir={minion_config(tmp_path)}", "--out=json", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["local"]


def _bash_value(root, path, name):
    """What bash (as systemd's EnvironmentFile= reader stands in) makes of ``name`` in ``path``."""
    return subprocess.run(
        ["bash", "-c", f'set -a; . "$1"; printf %s "${name}"', "bash", str(root) + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _data_root_fstype_here():
    return subprocess.run(
        ["findmnt", "-n", "-o", "FSTYPE", "--target", "/var/lib"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_formula_configures_a_kiwi_prepared_root_judged_as_the_image(
    tmp_path, host_root, tripwired
):
    kernel, engine = _kernel_of(host_root), _dpkg_version(host_root, "docker.io")
    # The image differs from this machine: another kernel, another engine, and
    # / on btrfs (its KIWI description) where this machine's /var/lib is not.
    assert kernel != platform.release()
    assert engine.split(".")[0] != _engine_here().split(".")[0]
    assert _data_root_fstype_here() != "btrfs"

    code, predicted, stderr = _apply(tmp_path, host_root, tripwired, test=True)
    assert code == 0, (predicted, stderr)
    code, applied, stderr = _apply(tmp_path, host_root, tripwired)
    assert code == 0, (unconverged(applied), stderr)
    assert {key: state["changes"] for key, state in predicted.items() if state["changes"]} == {
        key: state["changes"] for key, state in applied.items() if state["changes"]
    }
    assert {key for key, state in applied.items() if state["changes"]} == {
        "docker-host-daemon-configured",
        "docker-host-forwarding-enabled",
        "docker-host-service-enabled",
    }

    # What the image will boot with, read back as its readers read it.
    assert (
        _bash_value(host_root, "/etc/sysconfig/docker", "DOCKER_OPTS") == "--storage-driver=btrfs"
    )
    sysctl = (host_root / "etc/sysctl.d/90-docker-host-forwarding.conf").read_text()
    assert "net.ipv4.ip_forward = 1\n" in sysctl
    wants = host_root / "etc/systemd/system/multi-user.target.wants/docker.service"
    # The image's unit (SUSE's), by whichever of its merged paths systemctl names.
    unit = host_root / os.readlink(wants).lstrip("/")
    assert unit.resolve() == (host_root / "usr/lib/systemd/system/docker.service").resolve()
    assert "EnvironmentFile=/etc/sysconfig/docker" in unit.read_text()

    code, again, stderr = _apply(tmp_path, host_root, tripwired)
    assert code == 0 and unconverged(again) == {}, (unconverged(again), stderr)

    # The check says where each fact came from: all of them the image.
    report = _call(tmp_path, tripwired, "docker_host.check", f"root={host_root}")
    items = {item["id"]: item for item in report["items"]}
    sources = items["image.sources"]["reason"]
    assert f"kernel: the image's kernel {kernel} (/boot/config-{kernel})" in sources
    assert '/image/config.xml: <type image="oem" filesystem="btrfs"> at /' in sources
    assert f"the image's dpkg status: docker.io {engine.split('+')[0]}" in sources
    assert items["network.ip_forward"]["status"] == "ok"
    assert items["storage.driver"]["status"] == "ok", items["storage.driver"]


def test_the_images_engine_not_this_machines_says_which_drivers_exist(
    tmp_path, host_root, tripwired
):
    """The legacy overlay driver: Engine 24 removed it. This machine's dockerd
    (20.10) still has it; the image's docker.io (26.1) has not."""
    here = _engine_here()
    assert int(here.split(".")[0]) < 24
    upstream = _dpkg_version(host_root, "docker.io").rsplit("-", 1)[0]
    assert int(upstream.split(".")[0]) >= 24
    before = (host_root / "etc/sysconfig/docker").read_bytes()
    for test in (True, False):
        code, states, stderr = _apply(
            tmp_path, host_root, tripwired, test=test, storage_driver="overlay"
        )
        assert code != 0, stderr
        comment = states["docker-host-daemon-configured"]["comment"]
        # The driver to use instead is the one that suits the image's btrfs.
        assert comment == (
            f"storage_driver overlay was removed in Docker Engine 24; the image's engine is "
            f"{upstream} (the image's dpkg status: docker.io {upstream}). Use btrfs. "
            "Nothing was changed."
        )
    assert (host_root / "etc/sysconfig/docker").read_bytes() == before


@pytest.mark.parametrize("where", ["fstab", "mounted"])
def test_the_data_roots_filesystem_is_the_images(tmp_path, host_root, tripwired, where):
    """After ``system create`` (no /image left, an /etc/fstab written), or with a
    filesystem mounted at the image's data-root: auto picks btrfs from it."""
    shutil.rmtree(host_root / "image")
    fstab = host_root / "etc/fstab"
    mounted = None
    if where == "fstab":
        fstab.write_text("UUID=0b5e2b36-1f4e-4b2c-a6c4-2e7f0a1d9c11 / btrfs defaults 0 0\n")
        seen = "the image's /etc/fstab: UUID=0b5e2b36-1f4e-4b2c-a6c4-2e7f0a1d9c11 at /"
    else:
        fstab.write_text("/dev/vda3 / ext4 defaults 0 1\n")
        disk = tmp_path / "btrfs.img"
        with open(disk, "wb") as handle:
            handle.truncate(256 * 1024 * 1024)
        subprocess.run(["mkfs.btrfs", "-q", str(disk)], check=True)
        mounted = host_root / "var/lib/docker"
        mounted.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-o", "loop", str(disk), str(mounted)], check=True)
        seen = f"mounted under {host_root}: /dev/loop"
    try:
        code, applied, stderr = _apply(tmp_path, host_root, tripwired)
        assert code == 0, (unconverged(applied), stderr)
        assert (
            _bash_value(host_root, "/etc/sysconfig/docker", "DOCKER_OPTS")
            == "--storage-driver=btrfs"
        )
        facts = _call(tmp_path, tripwired, "docker_host_facts.collect", f"root={host_root}")
        storage = facts["storage"]
        assert (storage["fstype"], storage["recommended"]) == ("btrfs", "btrfs")
        assert storage["filesystem_seen"].startswith(seen), storage["filesystem_seen"]
        assert facts["kernel"]["release"] == _kernel_of(host_root) != platform.release()
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(mounted)], check=True)


@pytest.mark.parametrize("profile", ["Leap", "Debian"])
@pytest.mark.parametrize("name", ["docker-host", "docker-base-image"])
def test_each_profile_of_each_description_is_valid_for_kiwi(tmp_path, name, profile):
    """KIWI loads and validates both profiles (its schema and its rules); the
    Leap profile's packages are not resolved: SUSE's repositories are out of reach."""
    result = subprocess.run(
        [
            str(kiwi.KIWI_NG),
            f"--profile={profile}",
            f"--temp-dir={tmp_path}",
            "image",
            "info",
            f"--description={kiwi.REPO_ROOT / 'kiwi' / name}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Selected profiles: {profile}" in result.stdout
