"""A private Docker daemon per test: its own socket, data-root, exec-root and pidfile."""

import contextlib
import itertools
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import docker


def private_args(base, exec_root, network=False):
    """The arguments that keep a test's dockerd to itself: socket, exec-root, pidfile,
    and, unless it runs in a network namespace of its own (``network``), no bridge
    and no firewall or forwarding changes."""
    args = [
        f"--exec-root={exec_root}",
        f"--host=unix://{base / 'd.sock'}",
        f"--pidfile={base / 'dockerd.pid'}",
    ]
    if not network:
        args += ["--bridge=none", "--iptables=false", "--ip-forward=false"]
    return args


@contextlib.contextmanager
def network_namespace(name):
    """A network namespace of the test's own, deleted afterwards: a dockerd in it
    makes its bridge and iptables rules there, never on the machine."""
    netns = pathlib.Path("/run/netns")
    existed, mounts = netns.is_dir(), _mounts_at(netns)
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield ["nsenter", f"--net=/run/netns/{name}"]
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)
        # The first "ip netns add" on a machine mounts /run/netns on itself (to
        # share it) and nothing undoes that: undone here, once no namespace is left.
        if not any(netns.iterdir()):
            for _ in range(_mounts_at(netns) - mounts):
                subprocess.run(["umount", str(netns)], check=False)
            if not existed:
                netns.rmdir()


def _mounts_at(path):
    """How many mounts are stacked on ``path`` (a directory bound onto itself is
    one, which os.path.ismount cannot see)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        return sum(line.split()[4] == str(path) for line in handle)


@contextlib.contextmanager
def _exec_root():
    """A short exec-root of the daemon's own: containerd's sockets live under it, and
    a socket's path may not pass 108 bytes, which a test's directory can."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="sdh-", dir="/tmp"))
    try:
        yield path
    finally:
        # With userns-remap, the daemon makes a second exec-root beside it,
        # named after the remapped ids: <exec-root>.100000.100000.
        for made in [path, *path.parent.glob(f"{path.name}.*.*")]:
            subprocess.run(["umount", "-R", "-l", str(made)], check=False, capture_output=True)
            shutil.rmtree(made, ignore_errors=True)


def _data_roots(args):
    """The data-roots ``args`` name, as --data-root=PATH or --data-root PATH."""
    found = [arg.split("=", 1)[1] for arg in args if arg.startswith("--data-root=")]
    return found + [value for flag, value in itertools.pairwise(args) if flag == "--data-root"]


# What dockerd 20.10 and its containerd make outside the paths a test gives them:
# the trust key (no flag moves it), the plugin socket directory, containerd's
# shim state.
TRACES = ("/etc/docker/key.json", "/etc/docker", "/run/docker", "/run/containerd")
_running = {"daemons": 0, "absent": ()}


@contextlib.contextmanager
def _no_traces_left():
    """Remove what the daemons made of TRACES once the last of them has stopped."""
    if not _running["daemons"]:
        _running["absent"] = [path for path in TRACES if not os.path.lexists(path)]
    _running["daemons"] += 1
    try:
        yield
    finally:
        _running["daemons"] -= 1
        if not _running["daemons"]:
            for path in _running["absent"]:
                if os.path.isdir(path) and not os.path.islink(path):
                    if path == "/etc/docker":  # only when nothing else is in it
                        with contextlib.suppress(OSError):
                            os.rmdir(path)
                    else:
                        shutil.rmtree(path, ignore_errors=True)
                elif os.path.lexists(path):
                    os.unlink(path)


def run_dockerd(base, args, config_file, timeout=60):
    """Run dockerd with ``args`` until it exits or ``timeout``; return (exit code, log)."""
    base.mkdir(parents=True, exist_ok=True)
    with _no_traces_left(), _exec_root() as exec_root:
        try:
            result = subprocess.run(
                ["dockerd", *args, *private_args(base, exec_root), f"--config-file={config_file}"],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        finally:
            for root in [base, *_data_roots(args)]:
                unmount_under(root)
    return result.returncode, result.stdout + result.stderr


def refusal(base, args, config_file, prefix=(), timeout=30):
    """Start dockerd with ``args`` and ``config_file``; return (exit code, log) when it
    refuses to start, or (None, log) when it starts (it is stopped then). With
    ``prefix`` (from ``network_namespace``) it makes its bridge in that namespace."""
    base.mkdir(parents=True, exist_ok=True)
    log_path = base / "dockerd.log"
    with _no_traces_left(), _exec_root() as exec_root, open(log_path, "wb") as log:
        command = [
            *prefix,
            "dockerd",
            *args,
            *private_args(base, exec_root, network=bool(prefix)),
            f"--config-file={config_file}",
        ]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                if b"API listen on" in log_path.read_bytes():
                    break
                time.sleep(0.05)
            code = process.poll()
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for root in [base, *_data_roots(args)]:
                unmount_under(root)
            # A dockerd that fails after it has bound its data-root onto itself
            # leaves that mount behind.
            for root in _data_roots(args):
                for _ in range(_mounts_at(root)):
                    subprocess.run(["umount", "-l", root], check=False, capture_output=True)
    return code, log_path.read_text(errors="replace")


@contextlib.contextmanager
def private_dockerd(
    base, storage_driver="vfs", data_root=None, args=None, config_file=None, prefix=(), network=None
):
    """Start dockerd under ``base``; yield its URL; stop it and unmount what it left.

    ``args`` replaces the storage-driver and data-root arguments (for a
    configuration read from a sandbox root); ``config_file`` is the
    daemon.json to read (an empty one by default, never the host's).
    Never the system's daemon: no bridge, no iptables rules, nothing in /run;
    with ``prefix`` (from ``network_namespace``: nsenter, not ``ip netns exec``,
    which would hide the cgroup mounts) it gets its bridge and iptables in
    that namespace. ``network=False`` keeps it off the network whatever the
    prefix (a prefix that is no network namespace).
    """
    if not shutil.which("dockerd"):
        raise RuntimeError("dockerd is not installed (make test installs docker.io)")
    base.mkdir(parents=True, exist_ok=True)
    data_root = data_root or base / "data"
    if args is None:
        args = [f"--data-root={data_root}", f"--storage-driver={storage_driver}"]
    if config_file is None:
        config_file = base / "daemon.json"
        config_file.write_text("{}\n")
    socket = base / "d.sock"
    log = open(base / "dockerd.log", "wb")  # noqa: SIM115  (closed below)
    with _no_traces_left(), _exec_root() as exec_root:
        command = [
            *prefix,
            "dockerd",
            *args,
            *private_args(base, exec_root, network=bool(prefix) if network is None else network),
            f"--config-file={config_file}",
        ]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"unix://{socket}"
        try:
            _wait_ready(url, process, base / "dockerd.log")
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            for root in [base, *_data_roots(args)]:
                unmount_under(root)


def unmount_under(base):
    """Unmount everything mounted below ``base`` (what a dockerd left there)."""
    for mount in _mounts_under(base):
        subprocess.run(["umount", "-l", mount], check=False, capture_output=True)


def _mounts_under(base):
    prefix = str(base).rstrip("/") + "/"
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle]
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def _wait_ready(url, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"dockerd exited with {process.returncode}: {log_path.read_text()[-2000:]}"
            )
        if os.path.exists(url[len("unix://") :]):
            try:
                client = docker.DockerClient(base_url=url, timeout=5)
                try:
                    client.ping()
                    return
                finally:
                    client.close()
            except docker.errors.DockerException:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"dockerd did not answer within {timeout} s")
