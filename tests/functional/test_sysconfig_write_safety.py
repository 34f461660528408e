"""Writes are atomic and locked: real concurrent processes, real SIGKILLs, real I/O errors."""

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from salt.exceptions import CommandExecutionError

from tests.conftest import REPO_ROOT

# A separate Python process that uses the module file the way the loader does.
WORKER = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("sysconfig", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path, key, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
    for number in range(count):
        module.set_(path, key, f"{key}-{number}")
    """
)


def _worker(path, key, count):
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            str(REPO_ROOT / "_modules" / "sysconfig.py"),
            str(path),
            key,
            str(count),
        ]
    )


@pytest.mark.own_process
def test_concurrent_writers_never_lose_each_others_changes(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    keys = ["FW_DEV_EXT", "FW_DEV_INT", "FW_DEV_DMZ", "FW_MASQ_DEV"]
    workers = [_worker(path, key, 60) for key in keys]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    values = modules.sysconfig.items("SuSEfirewall2", root=str(sandbox_root))
    for key in keys:
        assert values[key] == f"{key}-59"


@pytest.mark.own_process
def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_file(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    original = path.read_text()
    rng = random.Random(20261128)
    seen = set()
    for _ in range(25):
        worker = _worker(path, "FW_DEV_EXT", 100000)
        time.sleep(rng.uniform(0.05, 0.3))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        # The file parses, every other byte is intact, the value is one that was written.
        value = modules.sysconfig.get("SuSEfirewall2", "FW_DEV_EXT", root=str(sandbox_root))
        assert value == "" or value.startswith("FW_DEV_EXT-")
        assert path.read_text() == original.replace(
            '\nFW_DEV_EXT=""\n', f'\nFW_DEV_EXT="{value}"\n', 1
        )
        seen.add(value)
    assert len(seen) > 1  # the workers did get to write


def _no_temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".salt-tmp")] == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_an_io_error_leaves_the_file_and_no_temporary_file(
    modules, sandbox_root, monkeypatch, failing
):
    """The disk cannot be filled for real here, so the failing call is patched."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(CommandExecutionError, match="No space left on device"):
        modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _no_temporary_files(path.parent)


@pytest.mark.own_process
@pytest.mark.skip_if_not_root
def test_an_unreadable_file_is_a_clear_error(sandbox_root):
    """Root reads every file, so the reader runs without CAP_DAC_OVERRIDE (setpriv)."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    os.chmod(path, 0)
    os.chown(path, 65534, 65534)
    script = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('sysconfig', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "try:\n    m.items(sys.argv[2])\nexcept m.CommandExecutionError as err:\n"
        "    print(err)\n"
    )
    no_override = "-dac_override,-dac_read_search"
    result = subprocess.run(
        [
            "setpriv",
            f"--inh-caps={no_override}",
            f"--bounding-set={no_override}",
            sys.executable,
            "-c",
            script,
            str(REPO_ROOT / "_modules" / "sysconfig.py"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"cannot read {path}: permission denied. Run this as root."
