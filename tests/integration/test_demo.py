"""make demo, as the README's first command runs it: it works, and it leaves this
machine as it was."""

import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests import machine
from tests.conftest import REPO_ROOT


def _machine():
    """This machine (tests/machine.py), and the sandboxes the demo leaves in /tmp."""
    return {
        **machine.snapshot(),
        "demo sandboxes": sorted(glob.glob("/tmp/suse-docker-host-demo.*")),
    }


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
    # docker_host.check on the root: its report for people, sections and summary.
    check = output.split("== docker_host.check on the root\n", 1)[1].split("\n== ", 1)[0]
    # The root is judged as an image: the cgroup hierarchy is its boot's to decide.
    for section in ("image", "kernel", "namespaces", "security", "storage", "docker"):
        assert f"\n    {section}\n" in check, check
    assert re.search(r"\n    (OK|WARN|FAIL): \d+ ok, \d+ warn, \d+ fail\n", check), check
    assert "the second highstate changed nothing: all " in output
    assert (
        "docker_host:forwardng is not a key of docker_host: did you mean docker_host:forwarding?"
        in output
    )
    assert "the sandbox is unchanged" in output
    assert "This machine is untouched" in output
    assert _machine() == before


# What demo/run needs of the checkout: the formula, the extension, the example pillar.
DEMO_TREE = ("demo", "docker_host", "pillar-example", "_modules", "_states", "_grains", "_output")


@pytest.mark.own_process
@pytest.mark.parametrize(
    ("state_id", "state"),
    [
        (
            "docker-host-demo-never-settles",
            "test.succeed_with_changes:\n    - name: never settles\n",
        ),
        (
            "docker-host-demo-fails-once-configured",
            # Fine until the first highstate has written the forwarding file.
            "test.configurable_test_state:\n    - changes: false\n    - result: "
            "{{ not salt['file.file_exists'](salt['pillar.get']('docker_host:root') "
            "~ '/etc/sysctl.d/90-docker-host-forwarding.conf') }}\n",
        ),
    ],
    ids=["changes", "fails"],
)
def test_the_demo_fails_when_the_second_highstate_does_not_settle(tmp_path, state_id, state):
    """A copy of the checkout whose formula has one more state, which changes
    something at every run, or fails once the sandbox is configured: demo/run
    stops at its second highstate, names the state, and leaves no sandbox."""
    copy = tmp_path / "checkout"
    for name in DEMO_TREE:
        shutil.copytree(REPO_ROOT / name, copy / name)
    with open(copy / "docker_host/init.sls", "a", encoding="utf-8") as init:
        init.write(f"\n{state_id}:\n  {state}")
    result = subprocess.run(
        ["bash", str(copy / "demo/run"), os.path.dirname(sys.executable)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode != 0, output
    assert "== A second highstate: nothing to change" in output
    assert f"not converged: {state_id}: result" in output
    assert "the second highstate changed or failed 1 of " in output
    assert "the second highstate changed nothing" not in output
    assert "A misspelt pillar key" not in output
    assert not list(tmp_path.glob("suse-docker-host-demo.*"))
