"""Fixtures shared by the whole suite: paths, sandbox roots and bash as a judge."""

import atexit
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from tests import machine, readers, saltcall

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SUSE_FIXTURES = pathlib.Path(
    os.environ.get("SUSE_FIXTURES", REPO_ROOT.parent / "shared" / "fixtures" / "suse")
)

# The real SUSE files that are shell-variable files (SuSE-release is not one:
# it is "KEY = value" text that nothing sources).
SHELL_VARIABLE_FIXTURES = sorted(
    [
        "docker/sysconfig.docker",
        "susefirewall2/SuSEfirewall2.sysconfig",
        "susefirewall2/SuSEfirewall2.defaults",
        "sysconfig-examples/sysconfig.config-common.in",
        "sysconfig-examples/sysconfig.config-netconfig-dns.in",
        "sysconfig-examples/sysconfig.proxy",
        "sysconfig-examples/network-config.yast-testdata",
        "sysconfig-format/yast2-sysconfig-descriptions",
    ]
    + [f"os-release/{path.name}" for path in (SUSE_FIXTURES / "os-release").glob("*.os-release")]
)


def pytest_configure(config):
    # Importing salt installs a handler that holds log records back until
    # salt's own logging is set up, and writes them to a long-closed stderr at
    # exit. Tests never set salt's logging up: hand the records to pytest's
    # log capture instead.
    import salt._logging.impl

    held = salt._logging.impl.get_temp_handler()
    salt._logging.impl.shutdown_temp_handler()
    # Salt 3006.0 also flushes that handler at exit, shut down or not, which
    # prints a ValueError traceback after every run; later releases do not.
    if held is not None:
        atexit.unregister(held.flush)


# Every test restores what it changes on this machine: compared once for the
# whole run (tests/machine.py says what is compared), by the process that runs
# the session. Under pytest-xdist that is the controller, before its workers
# start and after the last one ends: a worker that finishes early would see
# another worker's test halfway through.
MACHINE_BEFORE = pytest.StashKey[dict]()


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):
        session.config.stash[MACHINE_BEFORE] = machine.snapshot()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    before = session.config.stash.get(MACHINE_BEFORE, None)
    if before is None:
        return
    changed = machine.differences(before, machine.snapshot())
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.ensure_newline()
        reporter.write_sep("=", "the tests left this machine changed", red=True)
        for line in changed:
            reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def formula_tree(tmp_path_factory):
    """A copy of the formula's SLS directory, the file_roots of the tests'
    salt-call runs (tests/saltcall.py says why not the checkout itself)."""
    tree = tmp_path_factory.mktemp("formula-tree")
    shutil.copytree(REPO_ROOT / "docker_host", tree / "docker_host")
    saltcall.FORMULA_TREE = str(tree)
    yield tree
    saltcall.FORMULA_TREE = None


@pytest.fixture(scope="session")
def suse_fixtures():
    if not SUSE_FIXTURES.is_dir():
        pytest.fail(
            f"SUSE fixtures not found at {SUSE_FIXTURES}: put shared/ beside the "
            "repository or set SUSE_FIXTURES"
        )
    return SUSE_FIXTURES


@pytest.fixture
def sandbox_root(tmp_path, suse_fixtures):
    """An alternative root with real SUSE sysconfig files in /etc/sysconfig."""
    root = tmp_path / "root"
    sysconfig = root / "etc" / "sysconfig"
    (sysconfig / "network").mkdir(parents=True)
    shutil.copy(suse_fixtures / "docker" / "sysconfig.docker", sysconfig / "docker")
    shutil.copy(
        suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig",
        sysconfig / "SuSEfirewall2",
    )
    shutil.copy(suse_fixtures / "sysconfig-examples" / "sysconfig.proxy", sysconfig / "proxy")
    shutil.copy(
        suse_fixtures / "sysconfig-examples" / "sysconfig.config-common.in",
        sysconfig / "network" / "config",
    )
    return root


@pytest.fixture(scope="session")
def bash():
    """bash, the judge of what a sysconfig file means to a script that sources it."""
    return readers.bash_sees


@pytest.fixture(scope="session")
def systemd():
    """systemd itself, reading a file as a service's EnvironmentFile=."""
    problem = readers.systemd_unavailable()
    if problem:
        pytest.fail(f"a real systemd user manager cannot run here: {problem}")
    return readers.systemd_sees


@pytest.fixture(scope="session")
def salt_factories_config():
    """Configure pytest-salt-factories for the functional and integration tests.

    Every minion and master it makes gets its directories under one directory of
    this session's own, removed at the end: by default they are made straight in
    /tmp and stay there. Its name is short, because a minion's Unix sockets live
    under it and a socket's path may not exceed 107 bytes."""
    root_dir = tempfile.mkdtemp(prefix="sdh-salt-", dir="/tmp")
    yield {
        "root_dir": root_dir,
        "code_dir": str(REPO_ROOT),
        "inject_sitecustomize": False,
        "start_timeout": 120 if os.environ.get("CI") else 60,
    }
    shutil.rmtree(root_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def yast():
    """A model of YaST's sysconfig agent: YaST itself cannot run here."""
    return readers.yast_sees


@pytest.fixture
def loop_btrfs(tmp_path):
    """A real btrfs filesystem on a loop device, unmounted afterwards."""
    image, mount_point = tmp_path / "btrfs.img", tmp_path / "btrfs"
    with open(image, "wb") as handle:
        handle.truncate(256 * 1024 * 1024)
    subprocess.run(["mkfs.btrfs", "-q", str(image)], check=True)
    mount_point.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


LIVE_RECORD = pathlib.Path("/var/lib/suse-docker-host")


@pytest.fixture(autouse=True)
def _live_record_restored(request):
    """A destructive test that changes this machine through the extension also
    leaves the extension's record of the change (docker_host_record); the test
    puts the files back, and this puts the record back as it was."""
    if request.node.get_closest_marker("destructive_test") is None:
        yield
        return
    saved = {path: path.read_bytes() for path in LIVE_RECORD.glob("*")}
    existed = LIVE_RECORD.is_dir()
    yield
    if not existed:
        shutil.rmtree(LIVE_RECORD, ignore_errors=True)
        return
    for path in LIVE_RECORD.glob("*"):
        if path not in saved:
            path.unlink()
    for path, content in saved.items():
        path.write_bytes(content)
