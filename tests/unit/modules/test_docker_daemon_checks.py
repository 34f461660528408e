"""What docker_daemon refuses before anything is written, and what it keeps as written.

``validate``: the types and values dockerd takes, for ``DOCKER_OPTS`` and for
``daemon.json``, with the reasons users see in the state's comment;
``normalize_key``: the option names it refuses; ``_plan_docker_opts``: values
that cannot be flags, and how hand-written ``DOCKER_OPTS`` is cut into flags
so that what is not touched stays as written.
"""

import pytest

from tests.unit.conftest import load_daemon

RUNTIME_OF_THE_UNIT = "runtime 'oci' is defined by SUSE's docker.service already"


@pytest.fixture(scope="module")
def daemon():
    return load_daemon()


@pytest.mark.parametrize(
    "key, value, target",
    [
        ("exec-opts", ["native.cgroupdriver=systemd"], "daemon.json"),
        ("exec-opts", ["native.cgroupdriver=cgroupfs"], "daemon.json"),
        ("exec-opts", "native.cgroupdriver=systemd", "DOCKER_OPTS"),
        # Only the cgroup driver's choice is checked: other exec-opts pass.
        ("exec-opts", ["native.umask=normal"], "daemon.json"),
        ("runtimes", {"crun": {"path": "/usr/bin/crun"}}, "daemon.json"),
        ("runtimes", "crun=/usr/bin/crun", "DOCKER_OPTS"),
        ("builder", {"gc": {"enabled": True, "defaultKeepStorage": "20GB"}}, "daemon.json"),
        ("proxies", {"http-proxy": "http://proxy:3128"}, "daemon.json"),
        ("default-address-pools", [{"base": "10.10.0.0/16", "size": 24}], "daemon.json"),
        ("log-opts", {"max-size": "10m", "max-file": "3"}, "daemon.json"),
        ("log-opts", {"max-size": "10m", "max-file": "3"}, "DOCKER_OPTS"),
        ("log-opts", ["max-size=10m"], "DOCKER_OPTS"),
        ("features", {"buildkit": True}, "daemon.json"),
        # A number written in DOCKER_OPTS is text, and dockerd parses it.
        ("mtu", "1450", "DOCKER_OPTS"),
        ("oom-score-adjust", "-500", "DOCKER_OPTS"),
        ("mtu", 1450, "daemon.json"),
        ("labels", ["env=prod"], "daemon.json"),
    ],
)
def test_validate_accepts_what_dockerd_takes(daemon, key, value, target):
    assert daemon.validate(key, value, target) is None


@pytest.mark.parametrize(
    "key, value, target, why",
    [
        (
            "log-level",
            "verbose",
            "DOCKER_OPTS",
            "must be one of debug, error, fatal, info, warn, not 'verbose'",
        ),
        (
            "exec-opts",
            ["native.cgroupdriver=systemd=x"],
            "daemon.json",
            "native.cgroupdriver must be cgroupfs or systemd, not 'systemd=x'",
        ),
        (
            "exec-opts",
            "native.cgroupdriver=Systemd",
            "DOCKER_OPTS",
            "native.cgroupdriver must be cgroupfs or systemd, not 'Systemd'",
        ),
        ("runtimes", {"oci": {"path": "/usr/sbin/runc"}}, "daemon.json", RUNTIME_OF_THE_UNIT),
        ("runtimes", "oci=/usr/sbin/runc", "DOCKER_OPTS", RUNTIME_OF_THE_UNIT),
        # dockerd names the runtime by what comes before the first "=".
        ("runtimes", ["oci=/opt/a=b/runc"], "DOCKER_OPTS", RUNTIME_OF_THE_UNIT),
        ("builder", {"gc": {"enabled": True}}, "DOCKER_OPTS", "has no flag: put it in daemon_json"),
        ("proxies", "http://proxy:3128", "daemon.json", "must be a mapping"),
        ("bogus", "x", "daemon.json", "is not a dockerd option"),
        ("bogus", "x", "DOCKER_OPTS", "is not a dockerd option"),
        (
            "log-opts",
            {"max-size": "10m", "max-file": 3},
            "daemon.json",
            'takes string values only (quote numbers: max-file: "3")',
        ),
        (
            "default-address-pools",
            {"base": "10.10.0.0/16", "size": 24},
            "daemon.json",
            "must be a list in daemon.json",
        ),
        # In daemon.json a number must be a JSON number; only DOCKER_OPTS takes text.
        ("mtu", "1450", "daemon.json", "is a whole number, not '1450'"),
        ("mtu", "X1450", "DOCKER_OPTS", "is a whole number, not 'X1450'"),
        # Text that only looks like a number: two signs, a superscript digit.
        ("mtu", "--1450", "DOCKER_OPTS", "is a whole number, not '--1450'"),
        ("mtu", "\u00b2", "DOCKER_OPTS", "is a whole number, not '\u00b2'"),
        ("labels", {"env": "prod"}, "DOCKER_OPTS", "must be a list"),
        ("labels", {"env": "prod"}, "daemon.json", "must be a list"),
    ],
)
def test_validate_says_why_dockerd_would_refuse(daemon, key, value, target, why):
    assert daemon.validate(key, value, target) == why


NETWORK_OPTS_WHY = (
    "maps each network driver to its options, string values only "
    '(bridge: {com.docker.network.driver.mtu: "1450"})'
)


def test_default_network_opts_in_daemon_json_map_drivers_to_options(daemon):
    """dockerd reads ``default-network-opts`` as ``map[string]map[string]string``."""
    documented = {"bridge": {"com.docker.network.driver.mtu": "1450"}}
    assert daemon.validate("default-network-opts", documented, "daemon.json") is None
    assert daemon.validate("default-network-opts", {}, "daemon.json") is None
    for refused in (
        {"bridge": "com.docker.network.driver.mtu=1450"},
        {"bridge": {"com.docker.network.driver.mtu": 1450}},
    ):
        assert daemon.validate("default-network-opts", refused, "daemon.json") == NETWORK_OPTS_WHY
    # The flag's form: driver=option=value.
    flag = "bridge=com.docker.network.driver.mtu=1450"
    assert daemon.validate("default-network-opts", [flag], "DOCKER_OPTS") is None


@pytest.mark.parametrize(
    "name, why",
    [
        ("--graph", "'--graph' was removed in Docker Engine 23: use 'data-root'"),
        ("-g", "'-g' was removed in Docker Engine 23: use 'data-root'"),
        ("Xdebug", "'Xdebug' is not a dockerd option: did you mean debug?"),
        (
            "--insecure-registrys",
            "'--insecure-registrys' is not a dockerd option: did you mean insecure-registry?",
        ),
        # A flag that has no daemon.json key is no option to set.
        (
            "--config-file",
            "'--config-file' is not a dockerd option: see 'dockerd --help' for the names",
        ),
    ],
)
def test_normalize_key_refuses_names_dockerd_does_not_take(daemon, name, why):
    with pytest.raises(daemon.SaltInvocationError) as refused:
        daemon.normalize_key(name)
    assert str(refused.value) == why


@pytest.mark.parametrize(
    "wanted, why",
    [
        (
            {"log-level": {"a": "b"}},
            "log-level={'a': 'b'} cannot be written as a flag; put it in daemon_json",
        ),
        ({"dns": ["1.1.1.1", None]}, "dns=None cannot be written as a flag; put it in daemon_json"),
        (
            {"labels": [["env=prod"]]},
            "labels=['env=prod'] cannot be written as a flag; put it in daemon_json",
        ),
    ],
)
def test_values_that_are_no_flag_are_refused_with_the_way_out(daemon, wanted, why):
    with pytest.raises(daemon.SaltInvocationError) as refused:
        daemon._plan_docker_opts("--debug", wanted)
    assert str(refused.value) == why


@pytest.mark.parametrize(
    "current, wanted, exclusive, expected",
    [
        # A long flag takes the next word as its value: both are replaced.
        (
            "--log-level warn --icc=false",
            {"log-level": "debug"},
            False,
            "--log-level=debug --icc=false",
        ),
        # A switch takes no value: the flag after it is a piece of its own.
        ("-D -s btrfs", {"storage-driver": "vfs"}, False, "-D --storage-driver=vfs"),
        # Words dockerd would not take stay as written beside the flag that
        # changes (the state then names them), and exclusive removes them.
        ("--debug --log-level", {"debug": False}, False, "--debug=false --log-level"),
        ("--debug --log-level", {"debug": True}, True, "--debug"),
        ("-x --debug", {"debug": False}, False, "-x --debug=false"),
        ("-x --debug", {"debug": True}, True, "--debug"),
        ("ls --debug", {"debug": False}, False, "ls --debug=false"),
        ("ls --debug", {"debug": True}, True, "--debug"),
    ],
)
def test_hand_written_docker_opts_are_cut_into_flags(daemon, current, wanted, exclusive, expected):
    assert daemon._plan_docker_opts(current, wanted, exclusive=exclusive) == expected
