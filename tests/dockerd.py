"""A private Docker daemon per test: its own socket, data-root, exec-root and pidfile."""

import contextlib
import os
import shutil
import signal
import subprocess
import time

import docker


@contextlib.contextmanager
def private_dockerd(base, storage_driver="vfs", data_root=None, extra_args=()):
    """Start dockerd under ``base``; yield its URL; stop it and remove its files.

    Never the system's daemon: no bridge, no iptables rules, nothing in /run.
    """
    if not shutil.which("dockerd"):
        raise RuntimeError("dockerd is not installed (make test installs docker.io)")
    base.mkdir(parents=True, exist_ok=True)
    data_root = data_root or base / "data"
    # The socket path must stay short (108 bytes for a unix socket).
    exec_root = base / "x"
    socket = base / "d.sock"
    pidfile = base / "dockerd.pid"
    log = open(base / "dockerd.log", "wb")  # noqa: SIM115  (closed below)
    command = [
        "dockerd",
        f"--data-root={data_root}",
        f"--exec-root={exec_root}",
        f"--host=unix://{socket}",
        f"--pidfile={pidfile}",
        f"--storage-driver={storage_driver}",
        "--bridge=none",
        "--iptables=false",
        "--ip-forward=false",
        *extra_args,
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
        subprocess.run(["umount", "-R", "-l", str(exec_root)], check=False, capture_output=True)
        subprocess.run(["umount", "-R", "-l", str(data_root)], check=False, capture_output=True)


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
