"""The witness behind 'every test restores what it changes' (tests/machine.py, used by
the session fixture in tests/conftest.py): it sees a change, and sees it undone."""

import os
import subprocess

import pytest

from tests import machine


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_change_to_this_machine_is_seen_and_its_undoing_too():
    """Adds a file under /etc/docker and a network link for a moment; removes both."""
    before = machine.snapshot()
    probe = "/etc/docker/suse-docker-host-machine-probe"
    made_dir = not os.path.isdir("/etc/docker")
    os.makedirs("/etc/docker", exist_ok=True)
    try:
        with open(probe, "w", encoding="utf-8") as handle:
            handle.write("probe\n")
        subprocess.run(["ip", "link", "add", "sdhprobe0", "type", "bridge"], check=True)
        changed = machine.differences(before, machine.snapshot())
        assert sorted(line.split(":", 1)[0] for line in changed) == [probe, "network links"]
    finally:
        subprocess.run(["ip", "link", "delete", "sdhprobe0"], check=False)
        if os.path.exists(probe):
            os.unlink(probe)
        if made_dir:
            os.rmdir("/etc/docker")
    assert machine.differences(before, machine.snapshot()) == []
