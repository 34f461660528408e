"""``make test``, as the README states it: the commands it runs, in their order and
with the interpreter ``PYTHON=`` names (make's own dry run, ``make -n``), and the
system's Docker service, which installing the distribution packages must not start."""

import os
import shlex
import socket
import subprocess

import pytest

from tests.conftest import REPO_ROOT

# make runs in a process of its own, and make mutate's copy of the tree has no
# Makefile: no mutant can reach these tests anyway.
pytestmark = pytest.mark.own_process

INSTALL = ["sh", "tools/install-system-packages"]
RUFF_CHECK = [".venv/bin/ruff", "check", "."]
RUFF_FORMAT = [".venv/bin/ruff", "format", "--check", "."]
PYTEST = [".venv/bin/python", "-m", "pytest", "--run-destructive"]
INTEGRATION = [*PYTEST, "tests/integration", "tests/unit/test_mutate.py"]
LINE_TESTS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "tests/unit",
    "tests/functional",
    "--ignore=tests/unit/test_mutate.py",
]
HIGHSTATE = [
    "tests/integration/test_formula_highstate.py",
    "tests/integration/test_master_minion.py",
]


def _make_test(python=None):
    """The commands ``make test`` runs, in order, each split into its words, as if
    the virtualenv were still to be made (``-B``). ``python`` is given as the
    README gives it, in the environment: ``PYTHON=python3.11 make test``."""
    env = {
        name: value
        for name, value in os.environ.items()
        # Not those of a make that runs this test: they would change the dry run.
        if name not in ("PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES")
    }
    if python:
        env["PYTHON"] = python
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", "test"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stdout.splitlines() if line.strip()]


def _expanded(words):
    """What the shell hands a command for ``words`` (globs expanded in the checkout)."""
    listed = subprocess.run(
        ["bash", "-c", 'printf "%s\\n" $*', "bash", *words],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


SALT_LINES = sorted(path.stem for path in (REPO_ROOT / "tests" / "salt-lines").glob("*.txt"))
# Outside the checkout, which tests copy and hand to Salt as file_roots.
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "suse-docker-host")
LINES_DIR = os.path.join(CACHE, "salt-lines")
KIWI_VENV = os.path.join(CACHE, "kiwi")


def test_make_test_installs_the_packages_lints_and_then_runs_every_test():
    commands = _make_test()
    assert commands[0] == INSTALL, commands
    # Last, the integration suite on .venv's Salt, with the one test that needs mutmut.
    assert commands[-1] == INTEGRATION, commands
    # Before it, the unit and functional suites on every Salt release of
    # tests/salt-lines/, each in a virtualenv installed from its lock, exactly:
    # what shares nothing of this machine on all cores, then the destructive
    # tests alone.
    assert len(SALT_LINES) == 4
    for line in SALT_LINES:
        venv = f"{LINES_DIR}/{line}"
        pip = [f"{venv}/bin/python", "-m", "pip", "--quiet", "--disable-pip-version-check"]
        pytest_ = [f"{venv}/bin/python", "-m", "pytest"]
        steps = [
            ["python3", "-m", "venv", venv],
            [*pip, "install", "--no-deps", "-r", f"tests/salt-lines/{line}.txt"],
            [
                *pytest_,
                *["-n", "auto", *LINE_TESTS],
                *([] if line in ("3006.0", "3008.5") else ["-m", "not own_process"]),
            ],
            [*pytest_, "--run-destructive", "-m", "destructive_test", *LINE_TESTS],
        ]
        at = [commands.index(step) for step in steps]
        assert at == sorted(at) and at[-1] < len(commands) - 1, commands
    # KIWI in a virtualenv of its own, from its lock, before the integration
    # suite builds images with it.
    kiwi = [
        ["python3", "-m", "venv", KIWI_VENV],
        [
            f"{KIWI_VENV}/bin/python",
            *["-m", "pip", "--quiet", "--disable-pip-version-check"],
            *["install", "--no-deps", "-r", "tests/kiwi.txt"],
        ],
    ]
    at = [commands.index(step) for step in kiwi]
    assert at == sorted(at) and at[-1] < len(commands) - 1, commands
    # The real master and minions' highstate on the oldest release too.
    oldest = f"{LINES_DIR}/3006.0/bin/python"
    highstate = [oldest, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--run-destructive"]
    assert [*highstate, *HIGHSTATE] in commands[:-1], commands
    assert all((REPO_ROOT / path).is_file() for path in HIGHSTATE)
    # Together, every test module under tests/.
    ran = {
        word for command in commands if "pytest" in command[:3] for word in command if "/" in word
    }
    modules = {str(path.relative_to(REPO_ROOT)) for path in REPO_ROOT.glob("tests/**/test_*.py")}
    covered = {
        module
        for module in modules
        if any(module == path or module.startswith(f"{path}/") for path in ran)
    }
    assert covered == modules

    lint = [command for command in commands if command[0] == ".venv/bin/salt-lint"]
    assert len(lint) == 1, commands
    order = [commands.index(RUFF_CHECK), commands.index(RUFF_FORMAT), commands.index(lint[0])]
    assert min(order) > 0 and max(order) < len(commands) - 1, commands

    # salt-lint gets every SLS file of the formula and of the example pillar.
    wanted = {
        str(path.relative_to(REPO_ROOT))
        for path in [
            *REPO_ROOT.glob("docker_host/*.sls"),
            *REPO_ROOT.glob("docker_host/*/*.sls"),
            *(REPO_ROOT / "pillar-example").rglob("*.sls"),
        ]
    }
    assert {
        "docker_host/init.sls",
        "docker_host/daemon/clean.sls",
        "pillar-example/top.sls",
    } < wanted
    assert "pillar-example/docker_host/prod.sls" in wanted
    assert sorted(_expanded(lint[0][1:])) == sorted(wanted)


@pytest.mark.parametrize("python", [None, "python3.11"])
def test_python_names_the_interpreter_that_makes_the_virtualenv(python):
    commands = _make_test(python)
    made = [command for command in commands if command[1:] == ["-m", "venv", ".venv"]]
    assert made == [[python or "python3", "-m", "venv", ".venv"]], commands
    # The Salt lines' virtualenvs and KIWI's are made by the same interpreter.
    lines = [command for command in commands if command[2:3] == ["venv"] and command != made[0]]
    assert len(lines) == len(SALT_LINES) + 1 and {command[0] for command in lines} == {
        python or "python3"
    }
    # Every other program after it runs from a virtualenv: its pip, ruff, salt-lint, pytest.
    own = [c for c in commands if not any(CACHE in word for word in c)]
    after = [c for c in own[own.index(made[0]) + 1 :] if c[:1] != ["touch"]]
    assert after and all(command[0].startswith(".venv/bin/") for command in after), after
    assert after[0][:3] == [".venv/bin/python", "-m", "pip"]
    assert any(
        command[-4:] == ["-r", "tests/requirements.txt", "-c", "tests/constraints.txt"]
        for command in after
    ), after


@pytest.mark.parametrize("path", ["/run/docker.sock", "/var/run/docker.sock"])
def test_the_systems_docker_service_is_not_running(path):
    """make test installs docker.io before pytest runs (policy-rc.d keeps its
    service from starting): no dockerd listens on the system's socket. The
    tests start private daemons on sockets of their own only."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        try:
            client.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return
    pytest.fail(f"{_listeners(path)} listen on {path}: the system's docker service is running")


def _listeners(path):
    """The processes (pid and command line) holding the Unix socket bound at ``path``."""
    real = os.path.realpath(path)
    with open("/proc/net/unix", encoding="utf-8") as table:
        inodes = {
            fields[6]
            for fields in (line.split() for line in table)
            if len(fields) > 7 and os.path.realpath(fields[7]) == real
        }
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if {f"socket:[{inode}]" for inode in inodes} & links:
            found.append(f"pid {pid} ({command})")
    return ", ".join(found) or "processes not found"


def test_the_guests_salt_releases_are_tested_lines_installed_before_the_integration_suite():
    """tests/guest.py builds the guest's Salt with the virtualenvs of its
    releases (pip wheel from their locks): make test installs them first."""
    from tests import guest

    assert set(guest.GUEST_SALT) <= set(SALT_LINES)
    commands = _make_test()
    for line in guest.GUEST_SALT:
        at = commands.index(["python3", "-m", "venv", f"{LINES_DIR}/{line}"])
        assert at < len(commands) - 1
