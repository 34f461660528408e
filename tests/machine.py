"""What of this machine a test must leave as it found it: the files the extension
would change on a live host, the kernel's forwarding switches, the network, the
mounts, the daemons, and the places a stray dockerd would write."""

import hashlib
import os
import shutil
import subprocess

# Files and directories, by content.
FILES = (
    "/etc/group",
    "/etc/gshadow",
    "/etc/passwd",
    "/etc/shadow",
    "/etc/subuid",
    "/etc/subgid",
    "/etc/sysctl.conf",
    "/etc/sysctl.d",
    "/etc/sysconfig",
    "/etc/docker",
    "/etc/systemd/system",
    "/var/lib/suse-docker-host",
    "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/ipv6/conf/all/forwarding",
)
# Where a dockerd started without the tests' private paths would write.
DOCKER_PLACES = ("/var/lib/docker", "/run/docker", "/run/containerd", "/run/docker.sock")
# Daemons the tests start, each of which must end with its test.
DAEMONS = (
    "dockerd",
    "containerd",
    "firewalld",
    "docker-registry",
    "registry",
    "salt-minion",
    "salt-master",
    "systemd-nspawn",
)


def _contents(top):
    paths = (
        [top]
        if not os.path.isdir(top)
        else sorted(os.path.join(base, name) for base, _, names in os.walk(top) for name in names)
    )
    seen = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                seen[path] = hashlib.sha256(handle.read()).hexdigest()
        except OSError as err:
            seen[path] = err.strerror
    return seen


def _daemons():
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        if name in DAEMONS:
            found.append(f"{name} (pid {pid})")
    return sorted(found)


def _mounts():
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        return sorted(line.split()[4] for line in handle)


def _cgroups():
    """The cgroups a booted guest (systemd-nspawn) would be left in: its own
    (sdh-*) and nspawn's payload and supervisor, three levels deep at most."""
    found = []
    for base, names, _ in os.walk("/sys/fs/cgroup"):
        depth = base.count("/") - 3
        if depth >= 3:
            names[:] = []
            continue
        found += [
            os.path.join(base, name)
            for name in names
            if name in ("payload", "supervisor") or name.startswith("sdh-")
        ]
    return sorted(found)


def _nft():
    if not shutil.which("nft"):
        return "nft is not installed"
    result = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def snapshot():
    """This machine's state, as a mapping that two snapshots compare by."""
    seen = {}
    for top in FILES:
        seen.update(_contents(top))
    seen["docker places"] = [path for path in DOCKER_PLACES if os.path.lexists(path)]
    seen["daemons"] = _daemons()
    seen["mounts"] = _mounts()
    seen["network links"] = sorted(os.listdir("/sys/class/net"))
    seen["network namespaces"] = (
        sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
    )
    seen["cgroups"] = _cgroups()
    seen["nspawn's runtime directory"] = os.path.lexists("/run/systemd/nspawn")
    seen["nft ruleset"] = _nft()
    return seen


def differences(before, after):
    """What changed between two snapshots, one line each."""
    return [
        f"{key}: {before.get(key)!r} -> {after.get(key)!r}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
