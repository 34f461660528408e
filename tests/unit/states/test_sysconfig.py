"""sysconfig.present: sysconfig.update with test=True is the plan, the real update
applies it, and sysconfig.items reads it back. The module is stood in by
recorders here; the state runs on real files in tests/functional."""

import pytest
from salt.exceptions import SaltInvocationError

from tests.unit.conftest import _load

PATH = "/srv/image/etc/sysconfig/docker"
CHANGES = {"DOCKER_OPTS": {"old": "", "new": "--debug"}}


@pytest.fixture
def state():
    return _load("_states/sysconfig.py")


def _wire(state, planned, done=None, now=None, test=False):
    calls = []

    def update(name, values, root=None, test=False):
        calls.append(("update", test))
        if isinstance(planned, Exception):
            raise planned
        return planned if test else done

    def items(name, root=None):
        calls.append(("items",))
        return now

    state.__salt__ = {
        "sysconfig.update": update,
        "sysconfig.items": items,
        "sysconfig.describe": lambda name, root=None: {},
    }
    state.__opts__ = {"test": test}
    return calls


def _planned(changes, appended=()):
    return {"file": PATH, "changes": changes, "appended": list(appended), "values": {}}


def test_test_mode_returns_the_plan_and_writes_nothing(state):
    calls = _wire(state, _planned(CHANGES, ["DOCKER_OPTS"]), test=True)
    ret = state.present("docker", {"DOCKER_OPTS": "--debug"}, root="/srv/image")
    assert (ret["result"], ret["changes"]) == (None, CHANGES)
    assert ret["comment"] == (
        f"DOCKER_OPTS would change in {PATH}. DOCKER_OPTS was not in the file and is "
        "appended with a metadata block."
    )
    assert calls == [("update", True)]


def test_a_real_run_applies_and_reads_back(state):
    done = {**_planned(CHANGES), "values": {"DOCKER_OPTS": "--debug"}}
    calls = _wire(state, _planned(CHANGES), done=done, now={"DOCKER_OPTS": "--debug"})
    ret = state.present("docker", {"DOCKER_OPTS": "--debug"})
    assert (ret["result"], ret["changes"]) == (True, CHANGES)
    assert ret["comment"].startswith(f"DOCKER_OPTS changed in {PATH}.")
    assert calls == [("update", True), ("update", False), ("items",)]


def test_a_read_back_that_differs_fails(state):
    done = {**_planned(CHANGES), "values": {"DOCKER_OPTS": "--debug"}}
    _wire(state, _planned(CHANGES), done=done, now={"DOCKER_OPTS": "--other"})
    ret = state.present("docker", {"DOCKER_OPTS": "--debug"})
    assert (ret["result"], ret["changes"]) == (False, CHANGES)
    assert ret["comment"] == (
        f"{PATH} was written, but reading it back shows other values for DOCKER_OPTS; "
        "another program may have changed it."
    )


def test_nothing_to_change_writes_nothing(state):
    calls = _wire(state, _planned({}))
    ret = state.present("docker", {"DOCKER_OPTS": ""})
    assert (ret["result"], ret["changes"]) == (True, {})
    assert ret["comment"] == f"DOCKER_OPTS in {PATH} already as specified."
    assert calls == [("update", True)]


@pytest.mark.parametrize("values", [{}, ["DOCKER_OPTS"], None])
def test_values_that_are_no_mapping_are_refused_before_anything(state, values):
    calls = _wire(state, _planned({}))
    ret = state.present("docker", values)
    assert ret["result"] is False
    assert ret["comment"].startswith("values must be a non-empty mapping of VARIABLE: value")
    assert calls == []


def test_a_refused_plan_says_why(state):
    _wire(state, SaltInvocationError(f"{PATH}: 'A-B' is not a valid variable name"))
    ret = state.present("docker", {"A-B": "x"})
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"] == f"{PATH}: 'A-B' is not a valid variable name"
