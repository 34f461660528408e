"""Something other than a regular file at any path the extension writes (a FIFO that
nobody writes to, a socket, a character device, a directory), on a SLES 12 root that
uses every one of them: /etc/sysconfig/docker, /etc/docker/daemon.json, the
forwarding sysctl.d file, SuSEfirewall2's file and old SLES' /etc/sysconfig/sysctl.
Every module that reads or writes the path, the state that owns it, the facts the
grain reports and the check: each returns with an error that names the path, none
waits on it, and nothing in the root changes.

A FIFO opened for reading blocks until a writer comes, and a device may never end:
``hangs.fails_if_blocked`` turns such a wait into a failure (a safety net of a few
seconds, not a measure of speed).
"""

import os
import pathlib
import stat

import pytest
from salt.exceptions import CommandExecutionError

from tests import hangs, hosttrees

KINDS = {
    "FIFO": os.mkfifo,
    "socket": hosttrees.bind_unix_socket,
    "device": lambda path: os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3)),
    "directory": pathlib.Path.mkdir,
}

# What docker_host_files.read_text says of each kind, and the sysconfig engine.
READ_TEXT = {
    "FIFO": "is a FIFO",
    "socket": "is a socket",
    "device": "is a character device",
    "directory": "is a directory",
}


def _sysconfig_says(kind):
    return (
        "is a directory, not a sysconfig file" if kind == "directory" else "is not a regular file"
    )


def _read_text_says(kind):
    return f"{READ_TEXT[kind]}, not a regular file"


def _daemon_calls(modules, root):
    return {
        "options": lambda: modules.docker_daemon.options(root=root),
        "plan": lambda: modules.docker_daemon.plan(options={"debug": True}, root=root),
    }


def _forwarding_calls(modules, root):
    return {"plan": lambda: modules.docker_forwarding.plan(root=root)}


# Each target: the path, what its errors say, the module calls that must refuse it
# (besides the plan of its state), the state that owns it, and the fact of the grain
# that must give the reason (None: the grain does not read the file).
TARGETS = {
    "sysconfig docker": (
        "etc/sysconfig/docker",
        _sysconfig_says,
        lambda modules, root: {
            **_daemon_calls(modules, root),
            "items": lambda: modules.sysconfig.items("docker", root=root),
            "set": lambda: modules.sysconfig.set("docker", "DOCKER_OPTS", "-D", root=root),
            "set test": lambda: modules.sysconfig.set(
                "docker", "DOCKER_OPTS", "-D", root=root, test=True
            ),
            "set_docker_opts": lambda: modules.docker_daemon.set_docker_opts(
                {"debug": True}, root=root
            ),
        },
        "daemon",
        "docker_opts",
    ),
    "daemon.json": (
        "etc/docker/daemon.json",
        _read_text_says,
        lambda modules, root: {
            **_daemon_calls(modules, root),
            "set_daemon_json": lambda: modules.docker_daemon.set_daemon_json(
                {"debug": True}, root=root
            ),
        },
        "daemon",
        "daemon_json",
    ),
    "forwarding file": (
        "etc/sysctl.d/90-docker-host-forwarding.conf",
        _read_text_says,
        lambda modules, root: {
            **_forwarding_calls(modules, root),
            "read_persistent": lambda: modules.docker_forwarding.read_persistent(root=root),
        },
        "forwarding",
        None,
    ),
    "SuSEfirewall2": (
        "etc/sysconfig/SuSEfirewall2",
        _sysconfig_says,
        lambda modules, root: {
            **_forwarding_calls(modules, root),
            "get": lambda: modules.sysconfig.get("SuSEfirewall2", "FW_ROUTE", root=root),
            "update": lambda: modules.sysconfig.update(
                "SuSEfirewall2", {"FW_ROUTE": "yes"}, root=root
            ),
        },
        "forwarding",
        None,
    ),
    "sysconfig sysctl": (
        "etc/sysconfig/sysctl",
        _sysconfig_says,
        lambda modules, root: {
            **_forwarding_calls(modules, root),
            "items": lambda: modules.sysconfig.items("sysctl", root=root),
        },
        "forwarding",
        None,
    ),
}


def _files(root):
    """Every entry under ``root`` with its type and, for a file, its bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        found[path] = (stat.S_IFMT(st.st_mode), path.read_bytes() if path.is_file() else None)
    return found


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.fixture(params=TARGETS)
def target(request, tmp_path, kind):
    """A SLES 12 root with ``kind`` made at the target's path; yields (tree, path,
    the target's entry)."""
    relative, *rest = TARGETS[request.param]
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "root")
    tree.write("/etc/sysconfig/sysctl", '## Type: yesno\nIP_FORWARD="no"\n')
    path = tree.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    made = KINDS[kind](path)
    yield tree, path, rest
    if hasattr(made, "close"):
        made.close()


@pytest.mark.skip_if_not_root  # mknod
def test_every_module_call_names_it_and_never_waits(modules, target, kind):
    tree, path, (says, calls, _, _) = target
    before = _files(tree.root)
    for name, call in calls(modules, str(tree.root)).items():
        with hangs.fails_if_blocked(5), pytest.raises(CommandExecutionError) as raised:
            call()
        assert str(raised.value) == f"{path} {says(kind)}", name
    assert _files(tree.root) == before


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("test", [True, False])
def test_the_state_that_owns_it_fails_with_the_reason_and_changes_nothing(
    states, target, kind, test
):
    tree, path, (says, _, state, _) = target
    root = str(tree.root)
    before = _files(tree.root)
    with hangs.fails_if_blocked(5):
        if state == "daemon":
            ret = states.docker_host.daemon_configured(
                name="docker", options={"debug": True}, root=root, test=test
            )
        else:
            ret = states.docker_host.forwarding(name="forwarding", root=root, test=test)
    assert ret.result is False
    assert ret.comment == f"{path} {says(kind)}. Nothing was changed."
    assert ret.changes == {}
    assert _files(tree.root) == before


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("test", [True, False])
@pytest.mark.parametrize(
    "target",
    [name for name, (_, says, *_) in TARGETS.items() if says is _sysconfig_says],
    indirect=True,
)
def test_sysconfig_present_fails_with_the_reason_and_changes_nothing(states, target, kind, test):
    tree, path, (says, _, _, _) = target
    before = _files(tree.root)
    with hangs.fails_if_blocked(5):
        ret = states.sysconfig.present(
            name=str(path.relative_to(tree.root / "etc/sysconfig")),
            values={"SOME_VARIABLE": "yes"},
            root=str(tree.root),
            test=test,
        )
    assert ret.result is False
    assert f"{path} {says(kind)}" in ret.comment
    assert _files(tree.root) == before


@pytest.mark.skip_if_not_root
def test_the_facts_and_the_check_give_the_reason_and_go_on(modules, target, kind):
    """The facts never raise (the grain reports them at every minion start); a file
    they read gives the reason it is unknown, and the check reports it."""
    tree, path, (_, _, _, fact) = target
    root = str(tree.root)
    with hangs.fails_if_blocked(5):
        facts = modules.docker_host_facts.collect(root=root)
        report = modules.docker_host.check(root=root, daemon=False)
    if fact is None:
        return  # the grain does not read this file
    unknown = facts["storage"]["unknown"][fact]
    if fact == "docker_opts":  # read by the sysconfig engine
        assert unknown == f"{path} {_sysconfig_says(kind)}"
    else:  # read by the facts themselves, which name the path in the root
        assert unknown == f"/{path.relative_to(tree.root)} is not a regular file"
    assert any(unknown in item["reason"] for item in report["items"]), report
