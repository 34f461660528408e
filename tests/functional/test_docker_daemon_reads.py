"""Reading the daemon's configuration through Salt's loader: ``docker_daemon.options`` on
DOCKER_OPTS as bash reads it (an unset variable is empty) and on daemon.json as dockerd
reads it (UTF-8 whatever the locale, an empty file is no settings, the legacy ``graph``
is ``data-root``), where each setting comes from, and the errors a daemon.json that
dockerd would refuse gives, which name the file and say why."""

import json
import os
import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from tests import hangs, hosttrees, locales

DAEMON_JSON = "/etc/docker/daemon.json"


def _refusal(modules, tree, text):
    """Write ``text`` as daemon.json; return the message of options() and of
    set_daemon_json(), after checking that both refuse it and leave it untouched."""
    path = tree.write(DAEMON_JSON, text)
    root = str(tree.root)
    messages = []
    for call in (
        lambda: modules.docker_daemon.options(root=root),
        lambda: modules.docker_daemon.set_daemon_json({"debug": True}, root=root),
    ):
        with pytest.raises(CommandExecutionError) as raised:
            call()
        messages.append(str(raised.value))
    assert path.read_text() == text
    assert messages[0] == messages[1]
    return str(path), messages[0]


def test_a_sysconfig_file_that_does_not_set_docker_opts_is_an_empty_one(
    suse_daemon_json, modules, suse_root
):
    """bash reads an unset DOCKER_OPTS as empty: no options, and new ones are added to
    the file (it exists: "install the docker package" would be wrong advice)."""
    root = str(suse_root.root)
    path = suse_root.root / "etc/sysconfig/docker"
    path.write_text(path.read_text().replace('DOCKER_OPTS=""\n', ""))
    options = modules.docker_daemon.options(root=root)
    assert (options["docker_opts"], options["args"], options["flags"]) == ("", [], {})
    assert options["effective"] == suse_daemon_json
    result = modules.docker_daemon.set_docker_opts({"debug": True}, root=root)
    assert (result["new"], result["changed"]) == ("--debug", True)
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == "--debug"


def test_each_setting_says_which_file_it_comes_from(suse_daemon_json, modules, suse_root):
    root = str(suse_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "-s btrfs", root=root)
    options = modules.docker_daemon.options(root=root)
    assert options["sources"] == {
        "log-level": "daemon.json",
        "log-driver": "daemon.json",
        "log-opts": "daemon.json",
        "selinux-enabled": "daemon.json",
        "storage-driver": "DOCKER_OPTS",
    }
    assert options["effective"] == {**suse_daemon_json, "storage-driver": "btrfs"}
    assert options["conflicts"] == []


def test_daemon_json_is_read_as_utf8_whatever_the_locale(modules, suse_root):
    """dockerd reads daemon.json as UTF-8; so does the module, on a minion whose locale
    is ASCII."""
    suse_root.write(DAEMON_JSON, '{"labels": ["site=Zürich", "owner=Åsa"]}\n'.encode())
    root = str(suse_root.root)
    with locales.ascii_ctype():
        options = modules.docker_daemon.options(root=root)
        written = modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    assert options["daemon_json"] == {"labels": ["site=Zürich", "owner=Åsa"]}
    assert options["sources"] == {"labels": "daemon.json"}
    assert written["new"] == {"labels": ["site=Zürich", "owner=Åsa"], "debug": True}


@pytest.mark.parametrize("text", ["", "\n", " \n\t\n"])
def test_an_empty_daemon_json_holds_no_settings(modules, suse_root, text):
    """dockerd takes an empty (or blank) daemon.json as no settings at all, and so does
    the module: nothing to refuse, and a key set is written into it."""
    path = suse_root.write(DAEMON_JSON, text)
    root = str(suse_root.root)
    options = modules.docker_daemon.options(root=root)
    assert (options["daemon_json"], options["effective"], options["sources"]) == ({}, {}, {})
    result = modules.docker_daemon.set_daemon_json({"live-restore": True}, root=root)
    assert (result["old"], result["changed"]) == ({}, True)
    assert json.loads(path.read_text()) == {"live-restore": True}


def test_the_legacy_graph_key_is_read_as_data_root(modules, suse_root):
    """daemon.json's ``graph`` is the old name of ``data-root``: reported by its current
    name, from daemon.json, and in conflict with a --data-root in DOCKER_OPTS."""
    root = str(suse_root.root)
    suse_root.write(DAEMON_JSON, '{"graph": "/srv/docker", "debug": true}\n')
    options = modules.docker_daemon.options(root=root)
    assert options["daemon_json"] == {"data-root": "/srv/docker", "debug": True}
    assert options["sources"] == {"data-root": "daemon.json", "debug": "daemon.json"}
    assert options["conflicts"] == []
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--data-root=/var/lib/docker", root=root)
    assert modules.docker_daemon.options(root=root)["conflicts"] == ["data-root"]


def test_daemon_json_with_graph_and_data_root_is_refused(modules, suse_root):
    path, message = _refusal(
        modules, suse_root, '{"graph": "/srv/old", "data-root": "/srv/docker"}\n'
    )
    assert message == (
        f"{path} sets both graph and data-root, and dockerd refuses that: keep data-root"
    )


@pytest.mark.parametrize(
    "text, kind",
    [("[]", "list"), ('["debug"]\n', "list"), ('"debug"', "str"), ("1", "int"), ("true", "bool")],
)
def test_daemon_json_that_is_not_an_object_is_refused_naming_what_it_holds(
    modules, suse_root, text, kind
):
    path, message = _refusal(modules, suse_root, text)
    assert message == f"{path} must hold a JSON object, not {kind}"


def test_daemon_json_that_is_not_json_is_refused_and_left_untouched(modules, suse_root):
    path, message = _refusal(modules, suse_root, '{"log-level": "warn"\n')
    assert message.startswith(f"{path} is not valid JSON (")
    assert message.endswith("); dockerd would not start. Fix it by hand: it was left untouched")


@pytest.mark.parametrize(
    "make, kind",
    [
        (pathlib.Path.mkdir, "a directory"),
        (os.mkfifo, "a FIFO"),
        (hosttrees.bind_unix_socket, "a socket"),
    ],
)
def test_daemon_json_that_is_no_file_is_named_and_never_waited_on(modules, suse_root, make, kind):
    """A FIFO nobody writes to would block a reader that opened it for reading."""
    path = suse_root.root / DAEMON_JSON.lstrip("/")
    path.unlink()
    made = make(path)
    try:
        with hangs.fails_if_blocked(), pytest.raises(CommandExecutionError) as raised:
            modules.docker_daemon.options(root=str(suse_root.root))
    finally:
        if hasattr(made, "close"):
            made.close()
    assert str(raised.value) == f"{path} is {kind}, not a regular file"
