"""make demo, as the README's first command runs it: it works, and it leaves this
machine as it was."""

import glob
import hashlib
import os
import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT

# What the formula would change on a live host, and where the demo works.
WATCHED = [
    "/etc/group",
    "/etc/gshadow",
    "/etc/passwd",
    "/etc/shadow",
    "/etc/sysctl.conf",
    "/etc/sysctl.d",
    "/etc/sysconfig",
    "/etc/docker",
    "/etc/systemd/system",
    "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/ipv6/conf/all/forwarding",
]


def _machine():
    """Every watched file's bytes (by digest), and what the demo leaves in the temp dir."""
    seen = {}
    for top in WATCHED:
        paths = (
            [top]
            if not os.path.isdir(top)
            else sorted(
                os.path.join(base, name) for base, _, names in os.walk(top) for name in names
            )
        )
        for path in paths:
            try:
                with open(path, "rb") as handle:
                    seen[path] = hashlib.sha256(handle.read()).hexdigest()
            except OSError as err:
                seen[path] = err.strerror
    seen["demo sandboxes"] = sorted(glob.glob("/tmp/suse-docker-host-demo.*"))
    return seen


@pytest.mark.own_process
def test_make_demo_runs_and_leaves_this_machine_as_it_was():
    before = _machine()
    result = subprocess.run(
        ["make", "--no-print-directory", "demo"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no colours
    assert result.returncode == 0, output
    assert "DOCKER_OPTS=--log-level=warn --storage-driver=" in output
    assert "docker_host:forwardng is not a key of docker_host: did you mean forwarding?" in output
    assert "the sandbox is unchanged" in output
    assert "This machine is untouched" in output
    assert _machine() == before
