"""Proof with real users and a real dockerd: the docker group decides who may use the socket."""

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import uuid

import pytest

from tests import dockerd
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

DOCKER_CLI = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")


@pytest.fixture
def people():
    """Three users of the test's own, and the docker group's members put back afterwards."""
    suffix = uuid.uuid4().hex[:6]
    names = [f"sdh{suffix}{letter}" for letter in "abc"]
    created_group = (
        subprocess.run(["getent", "group", "docker"], check=False, capture_output=True).returncode
        != 0
    )
    if created_group:
        subprocess.run(["groupadd", "--system", "docker"], check=True)
    members = (
        subprocess.run(["getent", "group", "docker"], capture_output=True, text=True, check=True)
        .stdout.strip()
        .split(":")[3]
    )
    for name in names:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True)
    try:
        yield names, [m for m in members.split(",") if m]
    finally:
        subprocess.run(["gpasswd", "--members", members, "docker"], check=False)
        for name in names:
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
            subprocess.run(["userdel", name], check=True)
        if created_group:
            subprocess.run(["groupdel", "docker"], check=False)


def apply(tmp_path, **arguments):
    return state_single(tmp_path, "docker_host.users", {"name": "docker", **arguments})


def docker_as(user, url):
    return subprocess.run(
        [
            "runuser",
            "-u",
            user,
            "--",
            DOCKER_CLI,
            "-H",
            url,
            "version",
            "--format",
            "{{.Server.Version}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_members_can_use_the_socket_and_no_one_else(people, tmp_path):
    (alice, bob, carol), others = people
    # A session of alice's that started before she was added.
    earlier = subprocess.Popen(
        ["runuser", "-u", alice, "--", "sleep", "60"], start_new_session=True
    )
    try:
        state = apply(tmp_path, users=[alice, bob])
    finally:
        os.killpg(earlier.pid, signal.SIGKILL)
        earlier.wait()
    assert state["result"] is True, state["comment"]
    assert state["changes"]["added"] == [alice, bob]
    assert "root-equivalent" in state["comment"]
    assert f"{alice} still run processes without docker" in state["comment"]

    # The socket must be reachable by the users: a directory anyone may traverse.
    base = pathlib.Path(tempfile.mkdtemp(prefix="sdh-users-", dir="/tmp"))
    os.chmod(base, 0o755)
    try:
        with dockerd.private_dockerd(
            base / "d",
            storage_driver="vfs",
            args=["--storage-driver=vfs", f"--data-root={base / 'd' / 'data'}", "--group=docker"],
        ) as url:
            os.chmod(base / "d", 0o755)
            socket = base / "d" / "d.sock"
            assert oct(socket.stat().st_mode & 0o777) == "0o660"
            allowed = docker_as(alice, url)
            assert allowed.returncode == 0, allowed.stderr
            assert allowed.stdout.strip()

            state = apply(tmp_path, users=[alice, *others], exclusive=True)
            assert state["result"] is True, state["comment"]
            assert state["changes"] == {"removed": [bob]}
            for refused in (bob, carol):
                result = docker_as(refused, url)
                assert result.returncode != 0
                assert "permission denied" in result.stderr.lower()
            assert docker_as(alice, url).returncode == 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
