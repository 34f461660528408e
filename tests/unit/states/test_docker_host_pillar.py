"""docker_host_pillar.valid: every problem on a line of its own, test=True too."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture
def state():
    module = _load("_states/docker_host_pillar.py")
    module.__pillar__ = {"docker_host": {"forwardng": {}}}
    return module


def test_every_problem_and_every_also_is_listed(state):
    state.__salt__ = {"docker_host_pillar.problems_in": lambda data: [f"checked {sorted(data)}"]}
    ret = state.valid(also=["needs zypper"])
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == (
        "The docker_host pillar is not valid; nothing was applied. Fix the pillar:\n"
        "- checked ['forwardng']\n- needs zypper"
    )


def test_a_valid_pillar_says_so(state):
    state.__salt__ = {"docker_host_pillar.problems_in": lambda data: []}
    assert state.valid(data={"root": ""}) == {
        "name": "docker_host",
        "result": True,
        "changes": {},
        "comment": "The docker_host pillar is valid.",
    }
