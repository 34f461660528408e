"""Something other than a regular file where /etc/sysconfig/docker should be (a FIFO that
nobody writes to, a socket, a directory): every reader and writer of the file, the
state, the facts the grain reports and the check return with an error that names it,
and none waits on it. A FIFO opened for reading blocks until a writer comes: a reader
that opened it would hold a minion's start forever."""

import os
import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from tests import hangs, hosttrees

SYSCONFIG = "etc/sysconfig/docker"


@pytest.fixture(
    params=[
        (os.mkfifo, "FIFO"),
        (hosttrees.bind_unix_socket, "socket"),
        (pathlib.Path.mkdir, "dir"),
    ],
    ids=lambda param: param[1],
)
def tree(request, tmp_path):
    """A SUSE root with something else made at /etc/sysconfig/docker; returns
    (tree, what the error says of it)."""
    tree = hosttrees.suse_docker_root(tmp_path / "root")
    path = tree.root / SYSCONFIG
    path.unlink()
    make, kind = request.param
    made = make(path)
    yield (
        tree,
        (
            f"{path} is a directory, not a sysconfig file"
            if kind == "dir"
            else f"{path} is not a regular file"
        ),
    )
    if hasattr(made, "close"):
        made.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda modules, root: modules.sysconfig.items("docker", root=root),
        lambda modules, root: modules.sysconfig.get("docker", "DOCKER_OPTS", root=root),
        lambda modules, root: modules.sysconfig.set("docker", "DOCKER_OPTS", "-D", root=root),
        lambda modules, root: modules.sysconfig.set(
            "docker", "DOCKER_OPTS", "-D", root=root, test=True
        ),
        lambda modules, root: modules.docker_daemon.options(root=root),
        lambda modules, root: modules.docker_daemon.plan(options={"debug": True}, root=root),
    ],
    ids=["items", "get", "set", "set test", "options", "plan"],
)
def test_readers_and_writers_name_it_and_never_wait(modules, tree, call):
    tree, message = tree
    with hangs.fails_if_blocked(), pytest.raises(CommandExecutionError) as raised:
        call(modules, str(tree.root))
    assert str(raised.value) == message


@pytest.mark.parametrize("test", [True, False])
def test_the_states_fail_with_the_reason_and_change_nothing(states, tree, test):
    tree, message = tree
    root = str(tree.root)
    with hangs.fails_if_blocked():
        present = states.sysconfig.present(
            name="docker", values={"DOCKER_OPTS": "-D"}, root=root, test=test
        )
        daemon = states.docker_host.daemon_configured(
            name="docker", options={"debug": True}, root=root, test=test
        )
    assert present.result is False and message in present.comment
    assert daemon.result is False
    assert daemon.comment == f"{message}. Nothing was changed."


def test_the_facts_and_the_check_say_it_and_go_on(modules, tree):
    """The facts never raise (the grain reports them at every minion start): DOCKER_OPTS
    is unknown, with the reason; the check reports it."""
    tree, message = tree
    root = str(tree.root)
    with hangs.fails_if_blocked():
        facts = modules.docker_host_facts.collect(root=root)
        report = modules.docker_host.check(root=root, daemon=False)
    assert facts["storage"]["unknown"]["docker_opts"] == message
    assert message in str(report)
