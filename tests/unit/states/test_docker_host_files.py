"""docker_host_files.permissions is thin: plan_permissions, test=True returns the
plan, apply_permissions. The execution module is stood in by recorders here; it is
tested in image roots in tests/functional/test_docker_host_files_permissions.py."""

import pytest
from salt.exceptions import SaltInvocationError

from tests.unit.conftest import _load
from tests.unit.states import recorders

PLAN = {"changes": {"mode": {"old": "0666", "new": "0644"}}, "comment": "x would be tightened."}


@pytest.fixture
def state():
    return _load("_states/docker_host_files.py")


def _wire(state, plan, applied=None, test=False):
    calls, planner, applier = recorders.plan_and_apply(plan, applied)
    state.__salt__ = {
        "docker_host_files.plan_permissions": planner,
        "docker_host_files.apply_permissions": applier,
    }
    state.__opts__ = {"test": test}
    return calls


def test_test_mode_returns_the_plan(state):
    calls = _wire(state, PLAN, test=True)
    ret = state.permissions("/etc/docker/daemon.json", root="/srv/image")
    assert ret == {"name": "/etc/docker/daemon.json", "result": None, **PLAN}
    assert calls == [
        (
            "plan",
            ("/etc/docker/daemon.json",),
            {"user": "root", "group": "root", "mode": "0644", "root": "/srv/image"},
        )
    ]


def test_a_real_run_returns_what_apply_did(state):
    done = {"result": True, "changes": PLAN["changes"], "comment": "x was tightened."}
    calls = _wire(state, PLAN, applied=done)
    assert state.permissions("/x") == {"name": "/x", **done}
    assert calls[1] == ("apply", PLAN)


def test_a_refusal_names_the_problem_and_changes_nothing(state):
    _wire(state, SaltInvocationError("mode must be an octal string like '0644', not 'rw'"))
    ret = state.permissions("/x", mode="rw")
    assert ret == {
        "name": "/x",
        "result": False,
        "changes": {},
        "comment": "mode must be an octal string like '0644', not 'rw'. Nothing was changed.",
    }
