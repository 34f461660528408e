"""A booted SLES-like host: a Debian userland that presents as SLES 15 SP6, with
systemd as PID 1, zypper and rpm, booted with ``systemd-nspawn``.

What it stands for: Salt reads SLES 15 from its os-release and picks zypper
(``zypperpkg``) and systemd (``systemd_service``), zypper installs rpms from a
repository, systemd starts SUSE's docker.service with its EnvironmentFile.
What it does not: the packages are Debian's, so SUSE's own builds, patches,
presets and its repositories (which cannot be reached from the machines the
tests run on) are not part of it. The docker rpm is therefore made here
(tests/sles-guest/docker.spec): SUSE's layout from ../shared/fixtures/suse,
Debian's engine binaries.

The root file system is built once with mmdebstrap from Debian's archive and
cached in ~/.cache/suse-docker-host/guest/, keyed by everything it is made
from (see ``_key``). Each boot runs on a throwaway overlay over it, with
Docker's data-root on a btrfs loop device of its own (dockerd on overlayfs
would fall back to vfs), in a network namespace the test made, from a cgroup
of its own; power-off removes all of it.

Run one by hand to look at it: ``make guest``.
"""

import contextlib
import hashlib
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

from tests.conftest import REPO_ROOT, SUSE_FIXTURES

CACHE = pathlib.Path.home() / ".cache" / "suse-docker-host"
GUEST_CACHE = CACHE / "guest"
SALT_LINES_DIR = pathlib.Path(os.environ.get("SALT_LINES_DIR", CACHE / "salt-lines"))
SUITE, MIRROR = "bookworm", "http://deb.debian.org/debian"
# What the guest's userland is made of. docker.io is only the source of the
# engine's binaries: the build repackages them as SUSE's docker rpm and
# removes the Debian package. containerd and runc stay (SUSE ships them as
# packages of their own); firewalld is there, disabled, for the tests that
# run SLES 15's firewall.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-venv",
    "iproute2",
    "iptables",
    "procps",
    "kmod",
    "ca-certificates",
    "busybox-static",
    "zypper",
    "rpm",
    "createrepo-c",
    "btrfs-progs",
    "containerd",
    "runc",
    "tini",
    "libdevmapper1.02.1",
    "firewalld",
    "docker.io",
)
# The releases of Salt installed in the guest, each in /opt/salt-<release>:
# SUSE's Salt Bundle is 3006.0; the newest supported release besides.
GUEST_SALT = ("3006.0", "3008.5")
SPEC = REPO_ROOT / "tests" / "sles-guest" / "docker.spec"
OS_RELEASE = SUSE_FIXTURES / "os-release" / "sles-15-sp6.os-release"
SUSE_DOCKER = SUSE_FIXTURES / "docker"
DOCKER_REPO = "/srv/docker-repo"  # the rpm repository, inside the guest
BUSYBOX_IMAGE = "/srv/images/busybox.tar"  # `docker import`-able, inside the guest
# Accounts a production host has besides root.
ACCOUNTS = ("operator", "deploy")
# Units of Debian's that a SLES host does not run at boot.
DISABLED_UNITS = (
    "containerd.service",
    "firewalld.service",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer",
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
)
# The steps below, as a number: raise it when they change.
BUILD_STEPS = 1
NSPAWN_RUN = pathlib.Path("/run/systemd/nspawn")
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Commands in the guest (or its root) run with this environment only.
CLEAN_ENV = ("env", "-i", f"PATH={GUEST_PATH}", "LANG=C.UTF-8")


def _key():
    """What the root file system is made from, hashed: the package list, the
    build steps, the docker rpm's spec and SUSE files, the os-release and the
    locks of the guest's Salt releases."""
    digest = hashlib.sha256(repr((BUILD_STEPS, SUITE, MIRROR, PACKAGES, GUEST_SALT)).encode())
    sources = [SPEC, OS_RELEASE, *sorted(SUSE_DOCKER.iterdir())]
    sources += [REPO_ROOT / "tests" / "salt-lines" / f"{line}.txt" for line in GUEST_SALT]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _run(*command, check=True, **kwargs):
    return subprocess.run([str(part) for part in command], check=check, **kwargs)


def _chroot(root, *command):
    return _run("chroot", root, *CLEAN_ENV, *command, capture_output=True, text=True)


def rootfs():
    """The cached root file system, built first if its key changed. Caches of
    other keys are removed."""
    key = _key()
    root = GUEST_CACHE / f"rootfs-{key}"
    if (GUEST_CACHE / f"rootfs-{key}.done").exists():
        return root
    GUEST_CACHE.mkdir(parents=True, exist_ok=True)
    for old in GUEST_CACHE.glob("rootfs-*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    partial = GUEST_CACHE / f"rootfs-{key}.partial"
    _build(partial)
    partial.rename(root)
    (GUEST_CACHE / f"rootfs-{key}.done").write_text(f"{key}\n")
    return root


def _build(root):
    _run(
        "mmdebstrap",
        "--quiet",
        "--variant=minbase",
        "--components=main",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        root,
        MIRROR,
    )
    # Debian's rpm keeps its database in ~/.rpmdb, zypper in /var/lib/rpm:
    # both are pointed at SUSE's place, so that `rpm -qa` (what Salt reads)
    # sees what zypper installed.
    (root / "etc/rpm").mkdir(exist_ok=True)
    (root / "etc/rpm/macros").write_text("%_dbpath /usr/lib/sysimage/rpm\n")
    (root / "usr/lib/sysimage/rpm").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(root / "var/lib/rpm", ignore_errors=True)
    (root / "var/lib/rpm").symlink_to("../../usr/lib/sysimage/rpm")
    _chroot(root, "rpm", "--initdb")
    _docker_rpm(root)
    # SLES 15 SP6, as Salt and every other reader of os-release sees it.
    (root / "usr/lib/os-release").unlink()
    shutil.copyfile(OS_RELEASE, root / "usr/lib/os-release")
    for line in GUEST_SALT:
        _salt(root, line)
    for account in ACCOUNTS:
        # SUSE's useradd puts a new account in the group "users".
        _chroot(root, "useradd", "--create-home", "--no-user-group", "--gid", "users", account)
    _chroot(root, "systemctl", "disable", *DISABLED_UNITS)
    _busybox_image(root)
    # An empty machine-id: each boot gets one of its own.
    (root / "etc/machine-id").write_text("")


def _docker_rpm(root):
    """SUSE's docker package, made from Debian's engine, in a repository at
    DOCKER_REPO; then Debian's package and the group it made are removed, so
    that the rpm's install is what makes them."""
    version = _chroot(root, "dpkg-query", "-W", "-f=${Version}", "docker.io").stdout
    upstream = version.split(":")[-1].split("+")[0].split("-")[0]
    with tempfile.TemporaryDirectory() as work:
        engine = pathlib.Path(work, "engine")
        for path in ("usr/sbin/dockerd", "usr/bin/docker", "usr/sbin/docker-proxy"):
            (engine / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / path, engine / path)
        (engine / "usr/bin/tini-static").parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / "usr/bin/tini-static", engine / "usr/bin/tini-static")
        _run(
            "rpmbuild",
            "--quiet",
            "-bb",
            SPEC,
            "--define",
            f"_topdir {work}/top",
            "--define",
            f"engine_version {upstream}",
            "--define",
            f"engine_root {engine}",
            "--define",
            f"suse_files {SUSE_DOCKER}",
            capture_output=True,
        )
        repo = root / DOCKER_REPO.lstrip("/")
        repo.mkdir(parents=True)
        for rpm in pathlib.Path(work, "top", "RPMS").rglob("*.rpm"):
            if rpm.name.startswith("debian-userland-"):
                shutil.copy2(rpm, root / "tmp" / rpm.name)
                _chroot(root, "rpm", "--install", f"/tmp/{rpm.name}")
                (root / "tmp" / rpm.name).unlink()
            else:
                shutil.copy2(rpm, repo / rpm.name)
    _chroot(root, "dpkg", "--purge", "docker.io")
    _chroot(root, "groupdel", "docker")
    _chroot(root, "createrepo_c", "--quiet", DOCKER_REPO)


def _salt(root, line):
    """Salt ``line`` in /opt/salt-<line>, from a wheelhouse built here with the
    line's lock (tests/salt-lines/), installed in the guest with its own
    Python and no index."""
    lock = REPO_ROOT / "tests" / "salt-lines" / f"{line}.txt"
    wheels = root / "tmp" / f"wheels-{line}"
    python = SALT_LINES_DIR / line / "bin" / "python"
    if not python.exists():
        python = pathlib.Path(shutil.which("python3"))
    _run(
        python,
        "-m",
        "pip",
        "--quiet",
        "--disable-pip-version-check",
        "wheel",
        "--no-deps",
        "-r",
        lock,
        "-w",
        wheels,
        capture_output=True,
    )
    shutil.copyfile(lock, wheels / "lock.txt")
    inside = f"/tmp/wheels-{line}"
    _chroot(root, "python3", "-m", "venv", f"/opt/salt-{line}")
    _chroot(
        root,
        f"/opt/salt-{line}/bin/python",
        "-m",
        "pip",
        "--quiet",
        "--disable-pip-version-check",
        "install",
        "--no-index",
        "--no-deps",
        "--find-links",
        inside,
        "-r",
        f"{inside}/lock.txt",
    )
    shutil.rmtree(wheels)


def _busybox_image(root):
    """A container image without a registry: busybox and its links, as a
    tarball for `docker import`."""
    with tempfile.TemporaryDirectory() as work:
        tree = pathlib.Path(work)
        (tree / "bin").mkdir()
        shutil.copy2(root / "bin/busybox", tree / "bin/busybox")
        for applet in ("sh", "cat", "echo", "nc", "wget", "ip", "sleep", "printf", "id"):
            (tree / "bin" / applet).symlink_to("busybox")
        image = root / BUSYBOX_IMAGE.lstrip("/")
        image.parent.mkdir(parents=True, exist_ok=True)
        _run("tar", "-C", tree, "-cf", image, ".")


# --- booting --------------------------------------------------------------

# The guest's network: its own namespace, and a veth pair to a second one of
# the test's, which stands for the rest of the network (the master, a web
# server). Addresses from TEST-NET-1 (RFC 5737): they never leave the pair.
OUTSIDE_ADDRESS, GUEST_ADDRESS, PREFIX = "192.0.2.1", "192.0.2.2", 24


def _own_cgroups():
    """The cgroup directories this process is in, for the hierarchies nspawn
    creates its payload and supervisor cgroups in."""
    found = []
    with open("/proc/self/cgroup", encoding="utf-8") as table:
        for line in table:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controllers == "name=systemd":
                found.append(pathlib.Path("/sys/fs/cgroup/systemd") / path.lstrip("/"))
            elif controllers == "" and pathlib.Path("/sys/fs/cgroup/unified").is_dir():
                found.append(pathlib.Path("/sys/fs/cgroup/unified") / path.lstrip("/"))
            elif controllers == "" and pathlib.Path("/sys/fs/cgroup/cgroup.controllers").exists():
                found.append(pathlib.Path("/sys/fs/cgroup") / path.lstrip("/"))
    return found


def _remove_cgroup(top):
    if not top.is_dir():
        return
    for base, names, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        for name in names:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(base, name))
    with contextlib.suppress(OSError):
        os.rmdir(top)


class Guest:
    """One boot of the root file system. Use as a context manager:
    ``with Guest(work, "prod-sles15") as guest: guest.run(...)``."""

    def __init__(self, work, hostname, salt_line=GUEST_SALT[0]):
        self.work = pathlib.Path(work)
        self.hostname = hostname
        self.salt_line = salt_line
        self.name = f"sdh-{os.getpid()}-{hostname}"[:30]
        self.netns = f"{self.name}-in"
        self.outside = f"{self.name}-out"
        self.root = self.work / "root"
        self.data_root = self.work / "docker-data"
        self.cgroups = [top / self.name for top in _own_cgroups()]
        self.nspawn = None
        self.pid = None
        self._undo = []

    # Everything is undone in reverse order, whatever failed.
    def _later(self, undo):
        self._undo.append(undo)

    def __enter__(self):
        try:
            self._boot()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _boot(self):
        lower = rootfs()
        for part in ("upper", "overlay-work", "root", "docker-data"):
            (self.work / part).mkdir(parents=True, exist_ok=True)
        _run(
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={lower},upperdir={self.work / 'upper'},workdir={self.work / 'overlay-work'}",
            self.root,
        )
        self._later(lambda: _run("umount", "--lazy", self.root, check=False))
        image = self.work / "docker-data.btrfs"
        _run("truncate", "-s", "4G", image)
        _run("mkfs.btrfs", "-q", image, capture_output=True)
        _run("mount", "-o", "loop", image, self.data_root)
        self._later(lambda: _run("umount", "--lazy", self.data_root, check=False))
        self._configure()
        self._network()
        for cgroup in self.cgroups:
            cgroup.mkdir(exist_ok=True)
            self._later(lambda cgroup=cgroup: _remove_cgroup(cgroup))
        # nspawn leaves its propagation and lock directories in /run.
        if not NSPAWN_RUN.exists():
            self._later(lambda: shutil.rmtree(NSPAWN_RUN, ignore_errors=True))
        self._later(lambda: shutil.rmtree(NSPAWN_RUN / "propagate" / self.name, True))
        log = open(self.work / "nspawn.log", "wb")  # noqa: SIM115 - closed by _later
        self._later(log.close)
        # nspawn starts from cgroups of its own: two guests started from one
        # cgroup share their units' cgroups (stopping docker in one can kill
        # the other's).
        enter = 'for cgroup; do [ "$cgroup" = -- ] && break; echo $$ > "$cgroup/cgroup.procs"; done'
        cgroups = [str(cgroup) for cgroup in self.cgroups]
        self.nspawn = subprocess.Popen(
            [
                "sh",
                "-c",
                f'{enter}; shift {len(cgroups) + 1}; exec "$@"',
                "sh",
                *cgroups,
                "--",
                "systemd-nspawn",
                "--quiet",
                f"--directory={self.root}",
                "--boot",
                f"--machine={self.name}",
                f"--hostname={self.hostname}",
                f"--network-namespace-path=/run/netns/{self.netns}",
                # No name server is reachable from the guest's network: none is
                # configured, so that lookups fail at once instead of timing out.
                "--resolv-conf=delete",
                "--register=no",
                "--keep-unit",
                "--capability=all",
                # Containers need the keyring (runc joins a session keyring).
                "--system-call-filter=@keyring bpf",
                f"--bind={self.data_root}:/var/lib/docker",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._later(self._power_off)
        self.pid = self._payload_pid()
        self._wait_until_up()
        # The network namespace is the guest's own, but nspawn makes
        # /proc/sys/net writable only for one it creates: dockerd and the
        # forwarding state write there.
        self.run("mount", "--bind", "/proc/sys/net", "/proc/sys/net")
        self.run("mount", "-o", "remount,bind,rw", "/proc/sys/net")
        # nspawn mounts the v1 cgroup controllers read-only: containers need
        # them writable.
        mounts = self.run("findmnt", "-rn", "-o", "TARGET,OPTIONS", "-t", "cgroup").stdout
        for line in mounts.splitlines():
            target, options = line.split()
            if "ro" in options.split(","):
                self.run("mount", "-o", "remount,bind,rw", target)

    def _configure(self):
        """The minion's configuration and unit, in the overlay: SUSE's Salt
        Bundle runs its minion as a unit of its own, enabled at boot."""
        root = self.root
        minion = root / "etc/salt/minion.d"
        minion.mkdir(parents=True, exist_ok=True)
        (root / "etc/salt/minion_id").write_text(self.hostname)
        (minion / "master.conf").write_text(
            f"master: {OUTSIDE_ADDRESS}\nacceptance_wait_time: 1\nrandom_reauth_delay: 0\n"
        )
        unit = root / "etc/systemd/system/salt-minion.service"
        unit.write_text(
            "[Unit]\nDescription=The Salt Minion\nAfter=network.target\n\n"
            f"[Service]\nExecStart=/opt/salt-{self.salt_line}/bin/salt-minion\n"
            "KillMode=process\nRestart=on-failure\n\n"
            "[Install]\nWantedBy=multi-user.target\n"
        )
        wants = root / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(parents=True, exist_ok=True)
        (wants / "salt-minion.service").symlink_to("/etc/systemd/system/salt-minion.service")

    def _network(self):
        for namespace in (self.netns, self.outside):
            _run("ip", "netns", "add", namespace)
            self._later(
                lambda namespace=namespace: _run("ip", "netns", "del", namespace, check=False)
            )
            _run("ip", "-n", namespace, "link", "set", "lo", "up")
        inside, outside = f"{self.name[:9]}-g", f"{self.name[:9]}-o"
        _run(
            "ip",
            "link",
            "add",
            inside,
            "netns",
            self.netns,
            "type",
            "veth",
            "peer",
            "name",
            outside,
            "netns",
            self.outside,
        )
        _run("ip", "-n", self.netns, "link", "set", inside, "name", "eth0")
        _run("ip", "-n", self.netns, "addr", "add", f"{GUEST_ADDRESS}/{PREFIX}", "dev", "eth0")
        _run("ip", "-n", self.netns, "link", "set", "eth0", "up")
        _run("ip", "-n", self.netns, "route", "add", "default", "via", OUTSIDE_ADDRESS)
        _run("ip", "-n", self.outside, "addr", "add", f"{OUTSIDE_ADDRESS}/{PREFIX}", "dev", outside)
        _run("ip", "-n", self.outside, "link", "set", outside, "up")

    def _payload_pid(self):
        """The guest's PID 1: nspawn's child."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.nspawn.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited: {self._log()}")
            with contextlib.suppress(OSError):
                children = (
                    pathlib.Path(f"/proc/{self.nspawn.pid}/task/{self.nspawn.pid}/children")
                    .read_text()
                    .split()
                )
                if children:
                    return int(children[0])
            time.sleep(0.05)
        raise RuntimeError(f"the guest did not start: {self._log()}")

    def _wait_until_up(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = self.run("systemctl", "is-system-running", "--wait", check=False)
            if state.stdout.strip() in ("running", "degraded"):
                return state.stdout.strip()
            time.sleep(0.2)
        raise RuntimeError(f"the guest did not boot: {self._log()}")

    def _log(self):
        with contextlib.suppress(OSError):
            return (self.work / "nspawn.log").read_text(errors="replace")[-2000:]
        return ""

    def run(self, *command, check=True, input=None, timeout=300):
        """``command`` inside the guest: in all its namespaces, with a clean
        environment."""
        return subprocess.run(
            [
                "nsenter",
                "-t",
                str(self.pid),
                "-a",
                *CLEAN_ENV,
                *map(str, command),
            ],
            capture_output=True,
            text=True,
            check=check,
            input=input,
            timeout=timeout,
        )

    def outside_run(self, *command, **kwargs):
        """``command`` in the namespace on the other end of the guest's link."""
        return subprocess.Popen(["ip", "netns", "exec", self.outside, *map(str, command)], **kwargs)

    def _power_off(self):
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(self.pid, signal.SIGRTMIN + 4)
        try:
            self.nspawn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait()

    def close(self):
        while self._undo:
            undo = self._undo.pop()
            with contextlib.suppress(Exception):
                undo()


def main():
    """``make guest``: boot one guest and keep it up until interrupted."""
    import sys

    work = tempfile.mkdtemp(prefix="sdh-guest-")
    hostname = sys.argv[1] if len(sys.argv) > 1 else "prod-sles15"
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        with Guest(work, hostname) as guest:
            print(
                f"The guest {hostname} is up (SLES 15 SP6 by its os-release; systemd, zypper, "
                f"rpm, Salt {guest.salt_line} in /opt/salt-{guest.salt_line}).\n"
                f"  a shell inside:      nsenter -t {guest.pid} -a /bin/bash\n"
                f"  its docker package:  zypper ar -G file://{DOCKER_REPO} docker-local; "
                "zypper in docker\n"
                f"  the other end of its link: ip netns exec {guest.outside} bash "
                f"({OUTSIDE_ADDRESS}; the guest is {GUEST_ADDRESS})\n"
                "Ctrl-C powers it off and removes everything.",
                flush=True,
            )
            while not stop:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
