"""The docker_host grain on this very machine, checked against independent witnesses."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import uuid

import pytest
import salt.loader


@pytest.fixture
def grain(loaders):
    """Collect the grain now, through Salt's grain loader."""

    def collect():
        functions = salt.loader.grain_funcs(loaders.opts)
        return functions["docker_host.docker_host"](kernel_options=True)["docker_host"]

    return collect


def _run(*command):
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_the_grain_is_loaded_with_the_core_grains(loaders):
    grains = loaders.grains
    assert "docker_host" in grains
    assert grains["docker_host"]["kernel"]["release"] == os.uname().release


def test_storage_matches_findmnt_and_stat(grain):
    storage = grain()["storage"]
    target, fstype = _run(
        "findmnt", "-n", "-o", "TARGET,FSTYPE", "-T", storage["probed_path"]
    ).split()
    assert (storage["mount_point"], storage["fstype"]) == (target, fstype)
    statfs = _run("stat", "-f", "-c", "%T", storage["probed_path"])
    assert statfs == fstype or (fstype.startswith("ext") and statfs == "ext2/ext3")


def test_kernel_options_match_the_kernel_config(grain):
    kernel = grain()["kernel"]
    source = kernel["config_source"]
    assert source in ("/proc/config.gz", f"/boot/config-{os.uname().release}")
    wanted = {**kernel["required"], **kernel["optional"]}
    pattern = "^CONFIG_(" + "|".join(wanted) + ")="
    lines = subprocess.run(
        ["zgrep", "-E", pattern, source], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    from_zgrep = dict(line[len("CONFIG_") :].split("=", 1) for line in lines)
    assert wanted == {name: from_zgrep.get(name) for name in wanted}


def test_cgroup_version_matches_the_filesystem_type(grain):
    cgroup = grain()["cgroup"]
    statfs = _run("stat", "-f", "-c", "%T", "/sys/fs/cgroup")
    if statfs == "cgroup2fs":
        assert cgroup["version"] == 2
    else:
        unified = _run("findmnt", "-n", "-t", "cgroup2", "-o", "TARGET")
        assert cgroup["version"] == ("hybrid" if unified else 1)


# unshare(1) makes each kind of namespace: it can when the kernel has it.
UNSHARE = {
    "net": ["--net"],
    "pid": ["--pid", "--fork"],
    "ipc": ["--ipc"],
    "uts": ["--uts"],
    "mnt": ["--mount"],
    "user": ["--user"],
    "cgroup": ["--cgroup"],
}


@pytest.mark.skip_if_not_root
def test_namespaces_match_what_unshare_can_make(grain):
    namespaces = grain()["namespaces"]
    made = {
        name: subprocess.run(["unshare", *flags, "true"], check=False).returncode == 0
        for name, flags in UNSHARE.items()
    }
    assert {name: namespaces[name] for name in UNSHARE} == made


def test_forwarding_matches_sysctl(grain):
    facts = grain()
    forwarding = _run("sysctl", "-n", "net.ipv4.ip_forward")
    assert facts["network"]["ip_forward"]["ipv4"] == (forwarding == "1")


def test_devicemapper_is_judged_by_the_kernel_it_runs_on(grain):
    """Whichever way this kernel has it: /sys/module and zgrep are the witnesses."""
    facts = grain()
    verdict = facts["storage"]["drivers"]["devicemapper"]
    source = facts["kernel"]["config_source"]
    config = subprocess.run(
        ["zgrep", "-h", "^CONFIG_DM_THIN_PROVISIONING=", source],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if os.path.isdir("/sys/module/dm_thin_pool"):
        assert verdict["supported"] is True
        assert verdict["reason"].startswith("module dm_thin_pool is loaded")
    elif config:
        assert verdict["supported"] is True
        assert verdict["reason"].startswith(config)  # CONFIG_DM_THIN_PROVISIONING=m
    else:
        assert verdict["supported"] is False
        assert verdict["reason"].startswith(
            "dm_thin_pool is not loaded and CONFIG_DM_THIN_PROVISIONING is not set"
        )
    assert verdict["removed_in"] == 25


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_the_docker_group_matches_getent(grain):
    """Creates a user and, when missing, the docker group; removes what it created."""
    user = f"sdh{uuid.uuid4().hex[:8]}"
    created_group = subprocess.run(["getent", "group", "docker"], check=False).returncode != 0
    if created_group:
        _run("groupadd", "--system", "docker")
    try:
        _run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user)
        try:
            _run("gpasswd", "--add", user, "docker")
            name, _, gid, members = _run("getent", "group", "docker").split(":")
            group = grain()["docker"]["group"]
            assert group == {
                "name": name,
                "exists": True,
                "gid": int(gid),
                "members": [m for m in members.split(",") if m],
                "primary_members": [],
            }
            assert user in group["members"]
        finally:
            _run("userdel", user)
    finally:
        if created_group:
            _run("groupdel", "docker")


@pytest.fixture
def daemon_json():
    """Write the host's /etc/docker/daemon.json for one test, then restore it."""
    path = pathlib.Path("/etc/docker/daemon.json")
    created_dir = not path.parent.exists()
    saved = path.read_bytes() if path.exists() else None

    def write(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))

    try:
        yield write
    finally:
        if saved is not None:
            path.write_bytes(saved)
        else:
            path.unlink(missing_ok=True)
        if created_dir:
            shutil.rmtree(path.parent, ignore_errors=True)


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_data_root_on_a_real_btrfs(grain, loop_btrfs, daemon_json):
    """Mounts a loop device and writes /etc/docker/daemon.json; both are undone."""
    daemon_json({"data-root": f"{loop_btrfs}/docker"})
    storage = grain()["storage"]
    assert storage["data_root"] == f"{loop_btrfs}/docker"
    assert storage["data_root_source"] == "daemon.json"
    assert storage["probed_path"] == str(loop_btrfs)
    assert (storage["fstype"], storage["mount_point"]) == ("btrfs", str(loop_btrfs))
    assert storage["separate_filesystem"] is True
    assert storage["drivers"]["btrfs"]["supported"] is True
    assert storage["recommended"] == "btrfs"
    assert _run("findmnt", "-n", "-o", "FSTYPE", "-T", str(loop_btrfs)) == "btrfs"
    source = _run("findmnt", "-n", "-o", "SOURCE", "-T", str(loop_btrfs))
    assert re.match(r"/dev/loop\d+", source)


def test_the_minion_option_points_the_grain_at_another_root(loaders, tmp_path):
    from tests import hosttrees

    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    opts = {**loaders.opts, "docker_host.root": str(tree.root)}
    facts = salt.loader.grain_funcs(opts)["docker_host.docker_host"]()["docker_host"]
    assert facts["root"] == str(tree.root)
    assert facts["kernel"]["release"] == "4.4.21-69-default"
    assert facts["network"]["firewall"] == "SuSEfirewall2"


# A fresh minion-like process: Salt's grain loader from the functional minion's
# configuration, then the grain, cold, between two markers that strace records
# (a chdir to a path that does not exist).
_TRACED_GRAIN = """
import json, os, subprocess, sys
import salt.config, salt.loader

def marker(name):
    try:
        os.chdir(f"/nonexistent/sdh-marker-{name}")
    except OSError:
        pass

functions = salt.loader.grain_funcs(salt.config.minion_config(sys.argv[1]))
marker("collect")
facts = functions["docker_host.docker_host"](kernel_options=True)["docker_host"]
marker("collected")
# The witness itself: it must see a program started.
marker("witness")
subprocess.run([sys.executable, "-c", "pass"], check=True)
marker("witnessed")
print(json.dumps({"release": facts["kernel"]["release"], "kernel": facts["kernel"]}))
"""


def _between(lines, start, end):
    first = next(i for i, line in enumerate(lines) if f"sdh-marker-{start}" in line)
    last = next(i for i, line in enumerate(lines) if f"sdh-marker-{end}" in line)
    return lines[first + 1 : last]


def _programs_started(lines):
    """The trace lines that start a program or a process; threads do not count."""
    return [
        line
        for line in lines
        if re.search(r"\b(execve|execveat|fork|vfork)\(", line)
        or (re.search(r"\bclone3?\(", line) and "CLONE_THREAD" not in line)
    ]


@pytest.mark.own_process
def test_the_grain_runs_no_programs_on_this_machine(loaders, tmp_path):
    """Witness: strace -f, tracing execve, execveat, fork, vfork, clone and clone3
    of a fresh Python process and all its children, from the moment Salt's grain
    loader hands out the grain to its answer. Cold (a new process: nothing
    cached), with every kernel option, on this machine's /proc, /sys, /etc and
    /boot."""
    trace, script = tmp_path / "grain.trace", tmp_path / "grain.py"
    script.write_text(_TRACED_GRAIN)
    run = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "signal=none",
            "-e",
            "trace=execve,execveat,fork,vfork,clone,clone3,chdir",
            "-o",
            str(trace),
            sys.executable,
            str(script),
            loaders.opts["conf_file"],
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    facts = json.loads(run.stdout)
    lines = trace.read_text().splitlines()
    assert _programs_started(_between(lines, "collect", "collected")) == []
    assert _programs_started(_between(lines, "witness", "witnessed")) != []
    # It did collect, on this machine, with the kernel options.
    assert facts["release"] == os.uname().release
    assert facts["kernel"]["required"] is not None
