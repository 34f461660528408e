"""docker_host_package.installed puts into test=True's changes the version the
package manager would install, as the real run reports it. The real zypper,
rpm and Salt's pkg.installed are the judge in tests/integration/test_booted_host.py;
here Salt's test=True answer and the package module's are given."""

import pytest

from tests.unit.conftest import _load

WOULD_INSTALL = {
    "name": "docker",
    "result": None,
    "changes": {"docker": {"new": "installed", "old": ""}},
    "comment": "The following packages would be installed/updated: docker",
}


@pytest.fixture
def state():
    module = _load("_states/docker_host_package.py")
    module.__opts__ = {"test": True}
    module.__salt__ = {
        "pkg.latest_version": lambda name, **kwargs: {"docker": "24.0.7_ce-150000.1"}[name],
        "pkg.version": lambda name, **kwargs: {"docker": "20.10.24-0"}.get(name, {}),
        "pkg.list_repo_pkgs": lambda name, byrepo=False, **kwargs: {
            "docker": ["24.0.7_ce-150000.1", "20.10.24-0", "20.10.24-2", "19.03.1-1"]
        },
        "pkg.version_cmp": lambda a, b: (a > b) - (a < b),
    }
    module.__states__ = {"pkg.installed": lambda name, **kwargs: _copy(WOULD_INSTALL)}
    return module


def _copy(ret):
    return {**ret, "changes": {k: dict(v) for k, v in ret["changes"].items()}}


@pytest.mark.parametrize(
    "version, new",
    [
        (None, "24.0.7_ce-150000.1"),  # the newest available
        ("20.10.24", "20.10.24-2"),  # the newest release of the pinned version
        ("20.10.24-0", "20.10.24-0"),
        (">=20", "24.0.7_ce-150000.1"),  # a comparison: zypper picks the newest
        ("25.0", "25.0"),  # not available: the real run fails, as zypper will
    ],
)
def test_test_true_names_the_version_to_be_installed_and_the_one_installed(state, version, new):
    ret = state.installed("docker", version=version)
    assert ret["result"] is None
    assert ret["changes"] == {"docker": {"new": new, "old": "20.10.24-0"}}


def test_a_package_not_installed_is_old_empty_as_the_real_run_says(state):
    state.__salt__["pkg.version"] = lambda name, **kwargs: {}  # zypper's answer
    assert state.installed("docker")["changes"] == {
        "docker": {"new": "24.0.7_ce-150000.1", "old": ""}
    }


def test_the_real_run_and_a_settled_prediction_pass_through(state):
    applied = {"name": "docker", "result": True, "changes": {"docker": {"new": "1", "old": ""}}}
    state.__states__["pkg.installed"] = lambda name, **kwargs: applied
    state.__opts__ = {"test": False}
    assert state.installed("docker") is applied
    settled = {"name": "docker", "result": True, "changes": {}, "comment": "installed"}
    state.__states__["pkg.installed"] = lambda name, **kwargs: settled
    state.__opts__ = {"test": True}
    assert state.installed("docker") is settled


@pytest.mark.parametrize("test", [True, False])
def test_held_predicts_what_it_applies(test):
    from tests.unit.modules.test_docker_package import Zypper

    state = _load("_states/docker_host_package.py")
    package = _load("_modules/docker_package.py")
    zypper = Zypper()
    package.__salt__ = {
        "pkg.list_locks": zypper.list_locks,
        "pkg.hold": zypper.hold,
        "pkg.unhold": zypper.unhold,
        "docker_host_record.note_value": lambda *args, **kwargs: None,  # tested elsewhere
    }
    state.__salt__ = {
        "docker_package.hold_plan": package.hold_plan,
        "docker_package.hold_apply": package.hold_apply,
    }
    state.__opts__ = {"test": test}
    ret = state.held("docker", version="24.0.7_ce")
    assert ret["changes"] == {"docker": {"old": "not held", "new": "held at 24.0.7_ce"}}
    assert ret["result"] is (None if test else True)
    assert zypper.locks == (
        {} if test else {"docker": {"type": "package", "version": "= 24.0.7_ce"}}
    )
    refused = state.held("docker", version=">=24")
    assert refused["result"] is False and refused["changes"] == {}
    assert refused["comment"].endswith(". Nothing was changed.")
