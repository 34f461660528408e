"""Drift of a Docker host (docker_host_drift, and the docker_host beacon that asks
it) through Salt's loaders, on a tree of the test's own that stands for a
converged host: forwarding on, the formula's files as it wrote them, a real
unix socket root:docker 0660, dockerd's pid file naming a dockerd process,
the unit enabled, the docker group with its member. Each concern is then
made to drift the way hosts drift, and comes back."""

import os
import subprocess
import time

import pytest
import salt.loader

from tests import hosttrees

DOCKER_GID = 475


@pytest.fixture
def host(tmp_path, modules):
    # A tree of files only: no link to this machine's /proc or /sys.
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    root = tree.root
    tree.write("/proc/sys/net/ipv4/ip_forward", "1\n")
    tree.write("/etc/group", f"root:x:0:\nusers:x:100:\ndocker:x:{DOCKER_GID}:operator\n")
    tree.write("/run/docker.pid", "4242")
    tree.write("/proc/4242/comm", "dockerd\n")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "docker.service").symlink_to("/usr/lib/systemd/system/docker.service")
    server = hosttrees.bind_unix_socket(str(root / "run/docker.sock"))
    os.chown(root / "run/docker.sock", 0, DOCKER_GID)
    os.chmod(root / "run/docker.sock", 0o660)
    # The formula's write, recorded as the formula's writers record it.
    modules.docker_daemon.set_docker_opts({"log-level": "warn"}, root=str(root))
    yield root
    server.close()


CONFIG = {"root": None, "members": ["operator"], "ipv4": True, "group": "docker"}


def _config(root, **more):
    return {**CONFIG, "root": str(root), **more}


def test_a_converged_host_has_no_drift_and_fires_nothing(modules, host):
    assert modules.docker_host_drift.verdicts(_config(host)) == {
        "forwarding": [],
        "daemon": [],
        "socket": [],
        "service": [],
        "users": [],
    }
    assert modules.docker_host_drift.changes(_config(host)) == []


@pytest.mark.parametrize(
    "drift, concern, differs, sls",
    [
        (
            lambda root: (root / "proc/sys/net/ipv4/ip_forward").write_text("0\n"),
            "forwarding",
            ["/proc/sys/net/ipv4/ip_forward is 0, not 1"],
            "docker_host.forwarding",
        ),
        (
            lambda root: (root / "etc/sysconfig/docker").write_text(
                (root / "etc/sysconfig/docker").read_text().replace("warn", "debug")
            ),
            "daemon",
            ["/etc/sysconfig/docker was changed since docker_host wrote it"],
            "docker_host.daemon",
        ),
        (
            lambda root: (root / "etc/docker/daemon.json").write_text('{"debug": true}\n'),
            "daemon",
            ["/etc/docker/daemon.json was changed"],
            "docker_host.daemon",
        ),
        (
            lambda root: os.chmod(root / "run/docker.sock", 0o666),
            "socket",
            ["/run/docker.sock has mode 0666, not 0660"],
            "docker_host.permissions",
        ),
        (
            lambda root: os.chown(root / "run/docker.sock", 0, 0),
            "socket",
            ["/run/docker.sock has gid 0, not the group docker"],
            "docker_host.permissions",
        ),
        (
            lambda root: (root / "proc/4242/comm").write_text("bash\n"),
            "service",
            ["dockerd is not running"],
            "docker_host.service",
        ),
        (
            lambda root: (
                root / "etc/systemd/system/multi-user.target.wants/docker.service"
            ).unlink(),
            "service",
            ["docker.service is not enabled"],
            "docker_host.service",
        ),
        (
            lambda root: (root / "etc/group").write_text(
                f"root:x:0:\nusers:x:100:\ndocker:x:{DOCKER_GID}:\n"
            ),
            "users",
            ["operator is not a member of docker"],
            "docker_host.users",
        ),
    ],
    ids=[
        "ip_forward off",
        "DOCKER_OPTS by hand",
        "daemon.json by hand",
        "socket mode",
        "socket group",
        "dockerd stopped",
        "unit disabled",
        "member dropped",
    ],
)
def test_each_drift_fires_one_event_naming_it_and_the_sls_that_repairs_it(
    modules, host, drift, concern, differs, sls
):
    config = _config(host)
    assert modules.docker_host_drift.changes(config) == []  # first look: converged
    drift(host)
    events = modules.docker_host_drift.changes(config)
    assert events == [
        {
            "tag": f"drift/{concern}",
            "concern": concern,
            "differs": differs,
            "sls": sls,
            "repeat": False,
        }
    ]
    # Not again at the next interval while nothing else changes.
    assert modules.docker_host_drift.changes(config) == []


def test_back_as_configured_fires_converged_once(modules, host):
    config = _config(host)
    modules.docker_host_drift.changes(config)
    switch = host / "proc/sys/net/ipv4/ip_forward"
    switch.write_text("0\n")
    assert [e["tag"] for e in modules.docker_host_drift.changes(config)] == ["drift/forwarding"]
    switch.write_text("1\n")
    assert modules.docker_host_drift.changes(config) == [
        {
            "tag": "converged/forwarding",
            "concern": "forwarding",
            "differs": [],
            "sls": "docker_host.forwarding",
            "repeat": False,
        }
    ]
    assert modules.docker_host_drift.changes(config) == []


def test_a_drift_that_lasts_is_reported_again_after_repeat_seconds(modules, host):
    """A repair undone while it ran leaves the verdict as it was: no change,
    no event. After ``repeat`` seconds the drift is reported again."""
    config = _config(host, repeat=0.2)
    modules.docker_host_drift.changes(config)
    (host / "proc/sys/net/ipv4/ip_forward").write_text("0\n")
    assert [e["repeat"] for e in modules.docker_host_drift.changes(config)] == [False]
    assert modules.docker_host_drift.changes(config) == []
    time.sleep(0.25)
    again = modules.docker_host_drift.changes(config)
    assert [(e["tag"], e["repeat"]) for e in again] == [("drift/forwarding", True)]
    assert modules.docker_host_drift.changes(config) == []


def test_the_formulas_own_write_is_no_drift(modules, host):
    """A highstate that changes DOCKER_OPTS records what it wrote: the beacon
    compares with that, so the formula's change is not drift."""
    config = _config(host)
    modules.docker_host_drift.changes(config)
    modules.docker_daemon.set_docker_opts({"log-level": "error"}, root=str(host))
    assert modules.docker_host_drift.verdicts(config)["daemon"] == []


def test_exclusive_names_a_member_added_by_hand(modules, host):
    (host / "etc/group").write_text(
        f"root:x:0:\nusers:x:100:\ndocker:x:{DOCKER_GID}:operator,deploy\n"
    )
    assert modules.docker_host_drift.verdicts(_config(host))["users"] == []
    assert modules.docker_host_drift.verdicts(_config(host, exclusive=True))["users"] == [
        "deploy is a member of docker"
    ]


def test_only_the_concerns_asked_for_are_looked_at(modules, host):
    (host / "proc/sys/net/ipv4/ip_forward").write_text("0\n")
    assert modules.docker_host_drift.verdicts(_config(host, concerns=["users"])) == {"users": []}


def test_it_runs_no_programs(modules, host, monkeypatch):
    """Witness: every way Python starts a program fails the test while the
    verdicts are formed, from a cold cache."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a program was started: {args}")

    for name in ("fork", "posix_spawn", "posix_spawnp", "system", "execv", "execve"):
        monkeypatch.setattr(os, name, refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    (host / "proc/sys/net/ipv4/ip_forward").write_text("0\n")
    assert modules.docker_host_drift.verdicts(_config(host))["forwarding"]


@pytest.mark.parametrize(
    "config, problem",
    [
        ({"interval": 10}, "beacons:docker_host must be a list of mappings"),
        ([{"interval": 0}], "beacons:docker_host:interval must be a number of seconds above 0"),
        ([{"repeat": "1h"}], "beacons:docker_host:repeat must be a number of seconds above 0"),
        ([{"concerns": ["images"]}], "beacons:docker_host:concerns must be a list of some of"),
        ([{"concerns": []}], "beacons:docker_host:concerns must be a list of some of"),
        ([{"ipv4": "yes"}], "beacons:docker_host:ipv4 must be true or false, not 'yes'"),
        ([{"members": "operator"}], "beacons:docker_host:members must be a list of user names"),
        ([{"intervall": 10}], "beacons:docker_host:intervall is not a key of the docker_host"),
    ],
)
def test_a_configuration_that_is_wrong_is_named(modules, config, problem):
    found = modules.docker_host_drift.problems(config)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_the_beacon_is_loaded_by_salts_beacon_loader_and_fires(minion_opts, modules, host):
    """Salt's own beacon loader finds the beacon beside the modules; validate
    refuses what docker_host_drift refuses; beacon returns the events."""
    from tests.conftest import REPO_ROOT

    opts = {**minion_opts, "beacons_dirs": [str(REPO_ROOT / "_beacons")]}
    beacons = salt.loader.beacons(opts, modules)
    assert beacons["docker_host.validate"]([{"interval": 10}]) == (
        True,
        "valid docker_host beacon configuration",
    )
    assert beacons["docker_host.validate"]([{"concerns": "users"}])[0] is False
    config = [{"interval": 1}, *({key: value} for key, value in _config(host).items())]
    assert beacons["docker_host.beacon"](config) == []
    (host / "proc/sys/net/ipv4/ip_forward").write_text("0\n")
    assert [e["tag"] for e in beacons["docker_host.beacon"](config)] == ["drift/forwarding"]


@pytest.mark.own_process
def test_a_wrong_beacon_configuration_in_pillar_stops_the_formula(tmp_path):
    """pillar beacons:docker_host is checked with docker_host: (Salt itself only
    logs a beacon it refuses): the formula's pillar state names it, and nothing
    of the Docker host is applied."""
    from tests.saltcall import state_apply

    tree = hosttrees.suse_docker_root(tmp_path / "root")
    pillar = {
        "docker_host": {"root": str(tree.root), "package": {"install": False}},
        "beacons": {"docker_host": [{"interval": 10}, {"concerns": ["images"]}]},
    }
    (tmp_path / "run").mkdir()
    code, states, _ = state_apply(tmp_path / "run", "docker_host", pillar)
    assert code != 0
    assert (
        "beacons:docker_host:concerns must be a list of some of"
        in (states["docker-host-pillar-valid"]["comment"])
    )
    assert set(states) == {"docker-host-pillar-valid"}
