"""dockerd's flags in DOCKER_OPTS: parsing as dockerd does, and planning minimal edits."""

import pytest

from tests.unit.conftest import load_daemon


@pytest.fixture(scope="module")
def daemon():
    return load_daemon()


def test_flags_are_named_by_their_daemon_json_keys(daemon):
    parsed = daemon.parse_args(
        [
            "-s",
            "btrfs",
            "-H",
            "unix:///run/docker.sock",
            "--host=tcp://127.0.0.1:2375",
            "-D",
            "--icc=false",
            "--log-opt",
            "max-size=10m",
            "--log-opt=max-file=3",
            "-G",
            "docker",
            "-lwarn",
            "--data-root",
            "/srv/docker",
        ]
    )
    assert parsed["flags"] == {
        "storage-driver": "btrfs",
        "hosts": ["unix:///run/docker.sock", "tcp://127.0.0.1:2375"],
        "debug": True,
        "icc": False,
        "log-opts": ["max-size=10m", "max-file=3"],
        "group": "docker",
        "log-level": "warn",
        "data-root": "/srv/docker",
    }
    assert parsed["unknown"] == [] and parsed["removed"] == []


def test_booleans_as_go_parses_them(daemon):
    parsed = daemon.parse_args(["-D=false", "--icc=F", "--live-restore=TRUE", "--ipv6=tRuE"])
    assert parsed["flags"] == {"debug": False, "icc": False, "live-restore": True}
    assert parsed["unknown"] == ["--ipv6=tRuE"]


def test_removed_unknown_and_combined_spellings(daemon):
    parsed = daemon.parse_args(["-g", "/a", "--graph=/b", "-Dsvfs", "--bogus", "positional", "-s"])
    assert parsed["flags"]["data-root"] == "/b"
    assert parsed["flags"]["debug"] is True and parsed["flags"]["storage-driver"] == "vfs"
    assert parsed["removed"] == [
        {"flag": "-g", "use": "--data-root", "removed_in": 23},
        {"flag": "--graph", "use": "--data-root", "removed_in": 23},
    ]
    assert parsed["unknown"] == ["--bogus", "positional", "-s"]


@pytest.mark.parametrize(
    "value, spans",
    [
        ("", []),
        ("\t\n\r ", []),
        ("  lead  trail  ", [("lead", 2, 6), ("trail", 8, 13)]),
        ("eXtra X", [("eXtra", 0, 5), ("X", 6, 7)]),
        # A backslash keeps the next character, the last one too, and goes.
        ("a\\b", [("ab", 0, 3)]),
        ("x\\ y z", [("x y", 0, 4), ("z", 5, 6)]),
        ("trailing\\", [("trailing", 0, 9)]),
        # Quotes group and go; a backslash keeps a quote inside them.
        ('a"b c"d', [("ab cd", 0, 7)]),
        ("'q\\'x' y", [("q'x", 0, 6), ("y", 7, 8)]),
    ],
)
def test_words_and_where_they_stand_as_systemd_splits_them(daemon, value, spans):
    """tests/functional/test_docker_daemon.py has systemd itself judge the words."""
    assert daemon._split_spans(value) == spans
    assert daemon.split_like_systemd(value) == [word for word, _, _ in spans]


@pytest.mark.parametrize(
    "args, flags, unknown, spelling",
    [
        # Every way the flag library takes a shorthand's value, each kept as written.
        (
            ["-s=overlay2", "-lwarn", "-D=false", "-H", "fd://", "-Dp/run/d.pid"],
            {
                "storage-driver": "overlay2",
                "log-level": "warn",
                "debug": True,
                "hosts": ["fd://"],
                "pidfile": "/run/d.pid",
            },
            [],
            {
                "storage-driver": ["-s=overlay2"],
                "log-level": ["-lwarn"],
                "debug": ["-D=false", "-D"],
                "hosts": ["-H fd://"],
                "pidfile": ["-Dp/run/d.pid"],
            },
        ),
        # A value missing at the end, a lone dash, a word that is no flag.
        (["--log-level"], {}, ["--log-level"], {}),
        (["-D", "-l"], {"debug": True}, ["-l"], {"debug": ["-D"]}),
        (["-"], {}, ["-"], {}),
        (["xD"], {}, ["xD"], {}),
        (["-Q"], {}, ["-Q"], {}),
        # Two dashes name a long flag only: "--D" is not -D; "--ip" is the shortest.
        (["--D", "--s=vfs"], {}, ["--D", "--s=vfs"], {}),
        (["--ip=127.0.0.1"], {"ip": "127.0.0.1"}, [], {"ip": ["--ip=127.0.0.1"]}),
        # After "--" every argument is positional, which dockerd refuses.
        (["-D", "--", "-s", "vfs"], {"debug": True}, ["--", "-s", "vfs"], {"debug": ["-D"]}),
        # The old and the new name of data-root together: dockerd refuses both.
        (
            ["-g", "/a", "--data-root", "/b"],
            {"data-root": "/b"},
            ["--graph (or -g) together with --data-root"],
            {"data-root": ["-g /a", "--data-root /b"]},
        ),
        (
            ["--data-root=/b", "--graph=/a"],
            {"data-root": "/a"},
            ["--graph (or -g) together with --data-root"],
            {"data-root": ["--data-root=/b", "--graph=/a"]},
        ),
        (["--graph", "/a"], {"data-root": "/a"}, [], {"data-root": ["--graph /a"]}),
        (["-G", "docker", "--data-root=/b"], {"group": "docker", "data-root": "/b"}, [], None),
    ],
)
def test_what_dockerd_reads_refuses_and_how_each_flag_was_written(
    daemon, args, flags, unknown, spelling
):
    parsed = daemon.parse_args(args)
    assert (parsed["flags"], parsed["unknown"]) == (flags, unknown)
    if spelling is not None:
        assert parsed["spelling"] == spelling


@pytest.mark.parametrize(
    "current, wanted, exclusive, expected",
    [
        # Hand-set options stay, as written; the new one is appended.
        (
            "--log-level warn",
            {"storage-driver": "btrfs"},
            False,
            "--log-level warn --storage-driver=btrfs",
        ),
        # Already as wanted, in another spelling: left as written.
        (
            "-s btrfs --log-level warn",
            {"storage-driver": "btrfs"},
            False,
            "-s btrfs --log-level warn",
        ),
        # Changed in place.
        (
            "-s btrfs --log-level warn",
            {"storage-driver": "vfs"},
            False,
            "--storage-driver=vfs --log-level warn",
        ),
        # Own the whole set.
        ("-s btrfs --log-level warn", {"storage-driver": "vfs"}, True, "--storage-driver=vfs"),
        # Removal in every spelling; quoting of what stays is kept.
        ('--label "a b" -D --debug=true', {"debug": None}, False, '--label "a b"'),
        (
            "-g /old --log-level warn",
            {"data-root": "/new"},
            False,
            "--data-root=/new --log-level warn",
        ),
        (
            "",
            {"hosts": ["unix:///a", "tcp://b:1"], "icc": False, "debug": True},
            False,
            "--host=unix:///a --host=tcp://b:1 --icc=false --debug",
        ),
        (
            "-H unix:///a -H tcp://b:1",
            {"hosts": ["unix:///a", "tcp://b:1"]},
            False,
            "-H unix:///a -H tcp://b:1",
        ),
        # A combined shorthand is taken apart only when one of its flags changes.
        ("-Ds btrfs", {"storage-driver": "vfs"}, False, "--debug --storage-driver=vfs"),
        (
            "",
            {"log-opts": {"max-size": "10m", "max-file": "3"}},
            False,
            "--log-opt=max-size=10m --log-opt=max-file=3",
        ),
    ],
)
def test_plan_docker_opts(daemon, current, wanted, exclusive, expected):
    assert daemon._plan_docker_opts(current, wanted, exclusive=exclusive) == expected


@pytest.mark.parametrize(
    "value, why",
    [
        ({"labels": ["a b"]}, "holds whitespace"),
        ({"labels": ['x="y"']}, "quotes"),
        ({"log-level": ""}, "empty"),
        ({"log-opts": {"tag": "a b"}}, "put it in daemon_json"),
        ({"debug": "yes"}, "is a boolean"),
        ({"storage-driver": ["a", "b"]}, "takes one value"),
    ],
)
def test_values_systemd_could_split_are_refused(daemon, value, why):
    with pytest.raises(daemon.SaltInvocationError, match=why):
        daemon._plan_docker_opts("", value)


def test_normalize_key(daemon):
    assert daemon.normalize_key("-s") == "storage-driver"
    assert daemon.normalize_key("storage_driver") == "storage-driver"
    assert daemon.normalize_key("--host") == daemon.normalize_key("hosts") == "hosts"
    with pytest.raises(daemon.SaltInvocationError, match="removed in Docker Engine 23"):
        daemon.normalize_key("--graph")
    with pytest.raises(daemon.SaltInvocationError, match="not a dockerd option"):
        daemon.normalize_key("--bogus")
