"""The reactor's runner for drift (docker_host_heal.repair): each concern's SLS on
the minion that drifted, at most once per cooldown, kept in a real Salt cache
(localfs, in the test's directory); LocalClient, which would need a running
master, is replaced by one that records the jobs it is given."""

import pytest
import salt.cache
import salt.client
import salt.config

from tests.unit.conftest import _load


class Client:
    def __init__(self):
        self.jobs = []

    def cmd_async(self, target, function, arguments):
        self.jobs.append((target, function, arguments))
        return f"2026120600000{len(self.jobs)}"


@pytest.fixture
def heal(tmp_path, monkeypatch):
    module = _load("_runners/docker_host_heal.py")
    # A master's options, as a runner gets them (Salt's cache loader needs them).
    module.__opts__ = {
        **salt.config.master_config(None),
        "cachedir": str(tmp_path),
        "cache": "localfs",
        "conf_file": "/dev/null",
    }
    client = Client()
    monkeypatch.setattr(salt.client, "get_local_client", lambda conf_file: client)
    module.client = client
    return module


def test_a_drift_is_repaired_once_per_cooldown(heal, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(heal.time, "time", lambda: now[0])
    first = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert first["repaired"] is True and first["jid"]
    now[0] += 59
    again = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert again["repaired"] is False
    assert "not again within the cooldown of 60 s" in again["comment"]
    # Another concern, another minion: each has its own cooldown.
    assert heal.repair("web1", "users", "docker_host.users", cooldown=60)["repaired"] is True
    assert heal.repair("web2", "forwarding", "docker_host.forwarding", cooldown=60)["repaired"]
    now[0] += 2
    assert heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)["repaired"]
    assert heal.client.jobs == [
        ("web1", "state.apply", ["docker_host.forwarding"]),
        ("web1", "state.apply", ["docker_host.users"]),
        ("web2", "state.apply", ["docker_host.forwarding"]),
        ("web1", "state.apply", ["docker_host.forwarding"]),
    ]


def test_the_cooldown_is_kept_in_the_masters_cache(heal, tmp_path):
    heal.repair("web1", "daemon", "docker_host.daemon", cooldown=300)
    cache = salt.cache.factory(heal.__opts__)
    assert cache.fetch("docker_host/repairs", "web1-daemon")["sls"] == "docker_host.daemon"


@pytest.mark.parametrize(
    "sls, cooldown, why",
    [
        ("base.everything", 60, "is not an SLS of the docker_host formula"),
        ("docker_host.images", 60, "repairs no concern"),
        ("docker_host", 60, "is not an SLS of the docker_host formula"),
        ("docker_host.users", -1, "cooldown must be seconds"),
    ],
)
def test_anything_but_a_concerns_repair_is_refused(heal, sls, cooldown, why):
    """An event is the minion's word: only the formula's five repairs run."""
    done = heal.repair("web1", "users", sls, cooldown=cooldown)
    assert done["repaired"] is False and why in done["comment"]
    assert heal.client.jobs == []
