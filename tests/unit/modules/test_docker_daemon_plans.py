"""The planners behind the daemon's configuration, as plain data: ``_plan_docker_opts``
(the new DOCKER_OPTS) and ``_plan_daemon_json`` (the new daemon.json mapping), called
the way ``salt '*' docker_daemon.plan_…`` calls them, with their defaults."""

import pytest

from tests.unit.conftest import load_daemon


@pytest.fixture(scope="module")
def daemon():
    return load_daemon()


@pytest.mark.parametrize(
    "current, wanted, expected",
    [
        # Not exclusive unless asked: what was set by hand stays, as written.
        (
            "--log-level warn -D",
            {"storage-driver": "btrfs"},
            "--log-level warn -D --storage-driver=btrfs",
        ),
        # An option changed between hand-set ones: every hand-set one after it stays too.
        (
            "--log-level warn -s btrfs -D --label a=b",
            {"storage-driver": "vfs"},
            "--log-level warn --storage-driver=vfs -D --label a=b",
        ),
        ("--log-level warn -D --label a=b", {"debug": None}, "--log-level warn --label a=b"),
        # Removing a flag from a combined shorthand keeps the flags it was combined with.
        ("-Ds btrfs --log-level warn", {"debug": None}, "--storage-driver=btrfs --log-level warn"),
        # A flag given twice, the second time inside a combined shorthand: removing or
        # changing it keeps the other flag of the shorthand.
        ("--debug -Ds btrfs -l warn", {"debug": None}, "--storage-driver=btrfs -l warn"),
        (
            "--debug -Ds btrfs -l warn",
            {"debug": False},
            "--debug=false --storage-driver=btrfs -l warn",
        ),
    ],
)
def test_docker_opts_plan_keeps_every_hand_set_option_by_default(daemon, current, wanted, expected):
    assert daemon._plan_docker_opts(current, wanted) == expected


@pytest.mark.parametrize(
    "current, wanted, expected",
    [
        # Not exclusive unless asked: existing keys stay, in their order; new keys last.
        (
            {"log-level": "warn", "log-driver": "json-file"},
            {"debug": True},
            {"log-level": "warn", "log-driver": "json-file", "debug": True},
        ),
        ({"log-level": "warn"}, {"log-level": "info"}, {"log-level": "info"}),
        (None, {"debug": True}, {"debug": True}),
        # Removing a key that is not there is no error, and changes nothing.
        ({"log-level": "warn"}, {"debug": None}, {"log-level": "warn"}),
        (None, {"debug": None}, {}),
        ({"log-level": "warn", "debug": True}, {"debug": None}, {"log-level": "warn"}),
    ],
)
def test_daemon_json_plan_keeps_existing_keys_by_default(daemon, current, wanted, expected):
    planned = daemon._plan_daemon_json(current, wanted)
    assert planned == expected
    assert list(planned) == list(expected)


def test_daemon_json_plan_does_not_change_the_mapping_it_was_given(daemon):
    current = {"log-level": "warn", "debug": True}
    daemon._plan_daemon_json(current, {"debug": None, "live-restore": True})
    assert current == {"log-level": "warn", "debug": True}


@pytest.mark.parametrize(
    "current, wanted, expected",
    [
        # Already as wanted: every piece stays as written, a combined shorthand too.
        ("-H unix:///a -DH tcp://b:1", {"hosts": ["unix:///a", "tcp://b:1"]}, None),
        (
            "-H unix:///a -DH tcp://b:1 --log-level warn",
            {"hosts": ["unix:///a", "tcp://b:1"], "log-level": "warn"},
            None,
        ),
        ("-H unix:///a -D -H tcp://b:1", {"hosts": ["unix:///a", "tcp://b:1"]}, None),
        ("-Ds btrfs", {"storage-driver": "btrfs"}, None),
        # A combined piece with a changed flag is written anew; the values of the
        # repeatable flag in it stay, and so do its pieces elsewhere.
        (
            "-H unix:///a -DH tcp://b:1",
            {"hosts": ["unix:///a", "tcp://b:1"], "debug": None},
            "-H unix:///a --host=tcp://b:1",
        ),
    ],
)
def test_docker_opts_plan_loses_no_value_already_as_wanted(daemon, current, wanted, expected):
    """A flag already as wanted keeps its spelling, and a repeatable one, one of whose
    values sits in a combined shorthand (``-DH``), keeps every value: the daemon goes
    on listening on each host, and a second run changes nothing."""
    planned = daemon._plan_docker_opts(current, wanted)
    assert planned == (current if expected is None else expected)
    flags = daemon.parse_args(daemon.split_like_systemd(planned))["flags"]
    for key, value in wanted.items():
        assert flags.get(key) == value
