"""The docker_host states are thin: plan, test=True returns the plan, apply. Checked
here with the execution modules stood in by recorders (the modules themselves are
tested in tests/unit/modules and, through Salt's loader, in tests/functional)."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.unit.conftest import _load
from tests.unit.states import recorders

PLAN = {"changes": {"DOCKER_OPTS": {"old": "", "new": "--debug"}}, "comment": "would change."}


@pytest.fixture
def state():
    return _load("_states/docker_host.py")


def _wire(state, plan, apply=None, test=False):
    calls, planner, applier = recorders.plan_and_apply(plan, apply)
    state.__salt__ = {
        f"{module}.{verb}": function
        for module in ("docker_daemon", "docker_forwarding", "docker_group")
        for verb, function in (("plan", planner), ("apply", applier))
    }
    state.__salt__.update(
        {
            "docker_images.plan_load": planner,
            "docker_images.apply_load": applier,
            "docker_images.plan_pull": planner,
            "docker_images.apply_pull": lambda planned, auth=None: applier((planned, auth)),
        }
    )
    state.__env__ = "prod"
    state.__opts__ = {"test": test}
    return calls


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.daemon_configured("d", options={"debug": True}),
        lambda s: s.forwarding("f", ipv6=True),
        lambda s: s.users("docker", users=["alice"]),
    ],
)
def test_test_mode_returns_the_plan_and_applies_nothing(state, call):
    calls = _wire(state, PLAN, test=True)
    ret = call(state)
    assert (ret["result"], ret["changes"], ret["comment"]) == (
        None,
        PLAN["changes"],
        PLAN["comment"],
    )
    assert [c[0] for c in calls] == ["plan"]


def test_a_real_run_applies_the_plan_it_made_and_returns_what_apply_says(state):
    done = {"result": True, "changes": PLAN["changes"], "comment": "DOCKER_OPTS changed."}
    calls = _wire(state, PLAN, apply=done)
    ret = state.daemon_configured("d", storage_driver="btrfs", root="/srv/image")
    assert ret == {"name": "d", **done}
    assert calls[0] == (
        "plan",
        (),
        {
            "storage_driver": "btrfs",
            "data_root": None,
            "options": None,
            "daemon_json": None,
            "exclusive": False,
            "root": "/srv/image",
            "socket_group": None,
            "package": None,
            "tls": None,
            "insecure_tcp_api": False,
            "proxy": None,
        },
    )
    assert calls[1] == ("apply", PLAN)


def test_nothing_to_change_is_applied_never(state):
    calls = _wire(state, {"changes": {}, "comment": "Forwarding is already as specified."})
    ret = state.forwarding("f")
    assert ret == {
        "name": "f",
        "result": True,
        "changes": {},
        "comment": "Forwarding is already as specified.",
    }
    assert [c[0] for c in calls] == ["plan"]


@pytest.mark.parametrize(
    "error", [SaltInvocationError("ipv4 must be true or false, not 'x'"), OSError("disk")]
)
def test_a_refused_plan_fails_and_says_nothing_changed(state, error):
    calls = _wire(state, error)
    ret = state.forwarding("f", ipv4="x")
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == f"{error}. Nothing was changed."
    assert [c[0] for c in calls] == ["plan"]


def test_an_apply_that_refuses_fails_without_changes(state):
    _wire(state, PLAN, apply=CommandExecutionError("daemon.json could not be written (full)"))
    ret = state.daemon_configured("d")
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == "daemon.json could not be written (full). Nothing was changed."


def test_a_partly_applied_plan_keeps_what_apply_reports(state):
    partial = {
        "result": False,
        "changes": {"legacy": {"IP_FORWARD": {"old": "no", "new": "yes"}}},
        "comment": "firewall could not be changed (x); already changed: legacy",
    }
    _wire(state, PLAN, apply=partial)
    assert state.forwarding("f") == {"name": "f", **partial}


def test_image_loaded_fetches_from_the_states_saltenv(state):
    calls = _wire(state, PLAN, test=True)
    state.image_loaded("base:15", "salt://images/base.tar.xz")
    assert calls == [
        ("plan", ("base:15", "salt://images/base.tar.xz"), {"url": None, "saltenv": "prod"})
    ]


def test_image_present_gives_the_credentials_to_plan_and_apply_only(state):
    auth = {"username": "builder", "password": "secret"}
    done = {"result": True, "changes": PLAN["changes"], "comment": "pulled."}
    calls = _wire(state, PLAN, apply=done)
    ret = state.image_present("registry.example.com/base:15", auth=auth)
    assert ret == {"name": "registry.example.com/base:15", **done}
    assert calls == [
        (
            "plan",
            ("registry.example.com/base:15",),
            {"force": False, "auth": auth, "url": None, "timeout": 60},
        ),
        ("apply", (PLAN, auth)),
    ]
