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
    """LocalClient's ``cmd`` as a minion answers: ``state.apply`` succeeds (or
    fails, with ``fail``), and the concern is as configured afterwards unless
    ``drifting`` says for how many more verdicts it still differs."""

    def __init__(self):
        self.jobs = []
        self.fail = False
        self.drifting = 0

    def cmd(self, target, function, arguments, timeout=None, kwarg=None):
        if function == "docker_host_drift.verdicts":
            concern = arguments[0]["concerns"][0]
            self.drifting -= 1
            return {target: {concern: ["it differs"] if self.drifting >= 0 else []}}
        assert kwarg == {"queue": True}  # after a state run going on, not refused
        self.jobs.append((target, function, arguments))
        result = not self.fail
        return {target: {"s": {"__id__": "s", "result": result, "comment": "done"}}}


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


@pytest.fixture
def clock(heal, monkeypatch):
    """Time that passes only when the runner sleeps, or the test says so."""
    now = [1000.0]
    monkeypatch.setattr(heal.time, "time", lambda: now[0])
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(heal.time, "sleep", sleep)
    return now, slept


def test_a_drift_is_repaired_once_per_cooldown(heal, clock):
    now, slept = clock
    first = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert first["repaired"] is True and first["attempts"] == 1
    assert slept == []
    now[0] += 45
    # Within the cooldown: applied at its end (the drift may outlast it).
    later = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert later["repaired"] is True
    assert slept == [15.0]
    # Another concern, another minion: each has its own cooldown.
    assert heal.repair("web1", "users", "docker_host.users", cooldown=60)["repaired"] is True
    assert heal.repair("web2", "forwarding", "docker_host.forwarding", cooldown=60)["repaired"]
    assert slept == [15.0]
    assert heal.client.jobs == [
        ("web1", "state.apply", ["docker_host.forwarding"]),
        ("web1", "state.apply", ["docker_host.forwarding"]),
        ("web1", "state.apply", ["docker_host.users"]),
        ("web2", "state.apply", ["docker_host.forwarding"]),
    ]


def test_while_a_repair_is_due_other_events_are_refused(heal, clock):
    now, _ = clock
    heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    # A repair waiting for the cooldown's end, as a reactor thread would.
    cache = salt.cache.factory(heal.__opts__)
    cache.store("docker_host/repairs", "web1-forwarding", {"at": now[0], "due": True})
    now[0] += 1
    refused = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert refused["repaired"] is False
    assert "is due on web1 already" in refused["comment"]
    assert len(heal.client.jobs) == 1


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


def test_the_cooldown_is_the_masters_option_unless_given(heal, clock):
    now, slept = clock
    heal.__opts__["docker_host_heal_cooldown"] = 5
    assert heal.repair("web1", "socket", "docker_host.permissions")["repaired"] is True
    now[0] += 4
    assert heal.repair("web1", "socket", "docker_host.permissions")["repaired"] is True
    assert slept == [1.0]


def test_a_drift_that_comes_back_while_the_state_runs_is_repaired_again(heal, clock):
    """ip_forward flapping: off again when the state ended. Applied again a
    cooldown later, and again, up to three times in all."""
    _, slept = clock
    heal.client.drifting = 1
    done = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert done["repaired"] is True and done["attempts"] == 2
    assert slept == [60]
    heal.client.drifting = 10
    done = heal.repair("web1", "forwarding", "docker_host.forwarding", cooldown=60)
    assert done["repaired"] is False
    assert "still differs after 3 repairs a cooldown apart: it differs" in done["comment"]
    assert len(heal.client.jobs) == 2 + 3


def test_a_state_that_fails_is_not_tried_again(heal, clock):
    """A member whose user was deleted: the state fails; one try, no loop."""
    _, slept = clock
    heal.client.fail = True
    done = heal.repair("web1", "users", "docker_host.users", cooldown=60)
    assert done["repaired"] is False
    assert "docker_host.users failed on web1: s: done" in done["comment"]
    assert len(heal.client.jobs) == 1 and slept == []


def test_a_lasting_drift_whose_repair_failed_is_not_applied_again(heal, clock):
    now, _ = clock
    heal.client.fail = True
    heal.repair("web1", "users", "docker_host.users", cooldown=60)
    now[0] += 300
    again = heal.repair("web1", "users", "docker_host.users", cooldown=60, repeat=True)
    assert again["repaired"] is False
    assert "not applied again until the drift changes" in again["comment"]
    assert len(heal.client.jobs) == 1
    # A new drift event (not a repeat) tries again.
    heal.repair("web1", "users", "docker_host.users", cooldown=60)
    assert len(heal.client.jobs) == 2
