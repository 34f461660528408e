"""Proof with the real daemon: what docker_host.daemon_configured writes, dockerd runs.

The state is applied with salt-call to a sandbox root; systemd itself then
expands $DOCKER_OPTS from <root>/etc/sysconfig/docker as SUSE's
docker.service does, and dockerd starts with those arguments and the
sandbox's daemon.json (plus a socket, exec-root and pidfile of its own).
"""

import re
import shutil
import subprocess

import docker
import pytest
import yaml

from tests import dockerd, hosttrees
from tests.conftest import REPO_ROOT
from tests.readers import systemd_argv
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]


@pytest.fixture(scope="module")
def busybox_tarball(tmp_path_factory):
    """A root filesystem of one static busybox, as a tarball for 'docker import'."""
    base = tmp_path_factory.mktemp("busybox")
    rootfs = base / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy(shutil.which("busybox"), rootfs / "bin" / "busybox")
    (rootfs / "bin" / "sh").symlink_to("busybox")
    tarball = base / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
    return tarball


def apply(tmp_path, **arguments):
    """Run the state through salt-call --local, as an administrator would."""
    return state_single(tmp_path, "docker_host.daemon_configured", {"name": "docker", **arguments})


def suse_exec_start():
    """The arguments SUSE's docker.service gives dockerd: ExecStart= after the program."""
    unit = (hosttrees.SUSE_FIXTURES / "docker/docker.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    return line.split(None, 1)[1]  # "--add-runtime oci=/usr/sbin/runc $DOCKER_OPTS"


def start_as_suse_does(base, root):
    """dockerd's arguments as systemd makes them from SUSE's ExecStart= and the
    sandbox's sysconfig file."""
    argv = systemd_argv(root / "etc/sysconfig/docker", arguments=suse_exec_start())
    assert argv[:2] == ["--add-runtime", "oci=/usr/sbin/runc"]
    config_file = root / "etc/docker/daemon.json"
    if not config_file.exists():
        config_file = base / "empty-daemon.json"
        config_file.write_text("{}\n")
    return dockerd.private_dockerd(base, args=argv, config_file=config_file)


def run_busybox(url, tarball):
    client = docker.DockerClient(base_url=url, timeout=60)
    try:
        client.api.import_image(src=str(tarball), repository="sdh/busybox", tag="proof")
        output = client.containers.run(
            "sdh/busybox:proof",
            ["/bin/busybox", "echo", "hello from busybox"],
            network_mode="none",
            remove=True,
        )
        return client.info(), output
    finally:
        client.close()


@pytest.mark.parametrize("driver", ["vfs", "overlay2", "btrfs"])
def test_the_configured_driver_and_data_root_run_a_container(
    driver, tmp_path, busybox_tarball, request
):
    if driver == "btrfs":
        data_root = request.getfixturevalue("loop_btrfs") / "docker"
    else:
        data_root = tmp_path / "data"
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", data_root)
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    state = apply(
        tmp_path,
        storage_driver=driver,
        data_root=str(data_root),
        options={"log-level": "warn"},
        daemon_json={"log-opts": {"max-size": "10m", "max-file": "3"}},
        root=str(tree.root),
    )
    assert state["result"] is True, state["comment"]
    with start_as_suse_does(tmp_path / "daemon", tree.root) as url:
        info, output = run_busybox(url, busybox_tarball)
    assert info["Driver"] == driver
    assert info["DockerRootDir"] == str(data_root)
    assert output == b"hello from busybox\n"


def test_hardened_settings_are_in_effect(tmp_path, busybox_tarball):
    data_root = tmp_path / "data"
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", data_root)
    state = apply(
        tmp_path,
        storage_driver="overlay2",
        data_root=str(data_root),
        options={"no-new-privileges": True},
        daemon_json={"live-restore": True, "userland-proxy": False, "log-driver": "json-file"},
        root=str(tree.root),
    )
    assert state["result"] is True, state["comment"]
    with start_as_suse_does(tmp_path / "daemon", tree.root) as url:
        client = docker.DockerClient(base_url=url, timeout=60)
        try:
            info = client.info()
            client.api.import_image(src=str(busybox_tarball), repository="sdh/busybox", tag="proof")
            status = client.containers.run(
                "sdh/busybox:proof",
                ["/bin/busybox", "grep", "NoNewPrivs", "/proc/self/status"],
                network_mode="none",
                remove=True,
            )
        finally:
            client.close()
    assert info["LiveRestoreEnabled"] is True
    assert status.split() == [b"NoNewPrivs:", b"1"]


def test_a_conflict_the_module_reports_really_stops_dockerd(tmp_path):
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root")
    subprocess.run(
        [
            "sed",
            "-i",
            's/^DOCKER_OPTS=""/DOCKER_OPTS="--storage-driver=vfs"/',
            str(tree.root / "etc/sysconfig/docker"),
        ],
        check=True,
    )
    tree.daemon_json({"storage-driver": "vfs"})
    state = apply(tmp_path, options={"log-level": "warn"}, root=str(tree.root))
    assert state["result"] is False
    assert "storage-driver would be set both in DOCKER_OPTS and in daemon.json" in state["comment"]

    argv = systemd_argv(tree.root / "etc/sysconfig/docker")
    code, log = dockerd.run_dockerd(
        tmp_path / "daemon",
        [*argv, f"--data-root={tmp_path / 'data'}"],
        tree.root / "etc/docker/daemon.json",
    )
    assert code != 0
    assert (
        "the following directives are specified both as a flag and in the configuration "
        "file: storage-driver" in log
    )


ACCEPTED = {
    "labels and debug": {
        "options": {"debug": True, "log-level": "info", "labels": ["env=test", "tier=a"]},
        "daemon_json": {"max-concurrent-downloads": 5},
    },
    "dns, mtu, ulimits": {
        "options": {"dns": ["127.0.0.53"], "mtu": 1400},
        "daemon_json": {
            "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 4096, "Soft": 4096}}
        },
    },
    "log rotation": {
        "daemon_json": {"log-opts": {"max-size": "5m", "max-file": "2"}, "shutdown-timeout": 20},
    },
    "another log driver with its options": {
        "daemon_json": {"log-driver": "local", "log-opts": {"max-size": "10m"}},
    },
    "cgroup driver and shm": {
        "options": {"exec-opts": ["native.cgroupdriver=cgroupfs"], "default-shm-size": "128M"},
    },
    "moved from daemon.json to DOCKER_OPTS": {
        "options": {"log-level": "debug", "selinux-enabled": False},
    },
    "exclusive": {"daemon_json": {"log-level": "warn"}, "exclusive": True},
}


@pytest.mark.parametrize("label", sorted(ACCEPTED))
def test_every_configuration_the_state_accepts_starts(label, tmp_path):
    """Falsification: diverse configurations on SUSE's own files; each one the state
    accepts must start a real dockerd."""
    data_root = tmp_path / "data"
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", data_root)
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    state = apply(
        tmp_path,
        storage_driver="vfs",
        data_root=str(data_root),
        root=str(tree.root),
        **ACCEPTED[label],
    )
    assert state["result"] is True, state["comment"]
    with start_as_suse_does(tmp_path / "daemon", tree.root) as url:
        client = docker.DockerClient(base_url=url)
        info = client.info()
        client.close()
    assert info["Driver"] == "vfs"
    if label == "labels and debug":
        assert info["Debug"] is True and "env=test" in info["Labels"]
    if label == "another log driver with its options":
        assert info["LoggingDriver"] == "local"


def _documented_daemons():
    """The docker_host:daemon pillars the documentation shows: README.md's pillar
    blocks and pillar-example's profiles that are plain YAML (prod, a Jinja
    template of the minion's grains, starts its dockerd in
    test_formula_highstate.py)."""
    found = {}
    for readme in ("README.md", "pillar-example/README.md"):
        text = (REPO_ROOT / readme).read_text()
        for match in re.finditer(r"```yaml\n(docker_host:\n.*?)```", text, re.S):
            data = yaml.safe_load(match.group(1))
            daemon = ((data or {}).get("docker_host") or {}).get("daemon")
            if isinstance(data, dict) and daemon:
                found[f"{readme}:{text[: match.start()].count(chr(10)) + 2}"] = daemon
    for profile in sorted((REPO_ROOT / "pillar-example/docker_host").glob("*.sls")):
        text = profile.read_text()
        if "{%" not in text:
            found[f"pillar-example/docker_host/{profile.name}"] = yaml.safe_load(text)[
                "docker_host"
            ].get("daemon", {})
    return found


DOCUMENTED = _documented_daemons()


def test_the_documentation_shows_daemon_examples():
    assert {
        "pillar-example/docker_host/dev.sls",
        "pillar-example/docker_host/build-host.sls",
    } <= set(DOCUMENTED)
    assert any(where.startswith("README.md:") for where in DOCUMENTED)


@pytest.mark.parametrize("where", sorted(DOCUMENTED))
def test_every_daemon_example_in_the_documentation_starts(where, tmp_path, busybox_tarball):
    """Applied as written to SUSE's files, with a vfs data-root of the test's own in
    place of the example's storage driver and data-root (which name this host's
    disks); dockerd then starts as SUSE's unit starts it and runs a container."""
    daemon = dict(DOCUMENTED[where])
    data_root = tmp_path / "data"
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", data_root)
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    daemon.update(storage_driver="vfs", data_root=str(data_root))
    state = apply(tmp_path, root=str(tree.root), **daemon)
    assert state["result"] is True, state["comment"]
    with start_as_suse_does(tmp_path / "daemon", tree.root) as url:
        info, output = run_busybox(url, busybox_tarball)
    assert info["Driver"] == "vfs"
    assert output == b"hello from busybox\n"
    wanted = daemon.get("daemon_json", {})
    if "log-driver" in wanted:
        assert info["LoggingDriver"] == wanted["log-driver"]
