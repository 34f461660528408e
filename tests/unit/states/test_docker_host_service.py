"""docker_host_service.enabled_in_root asks ``systemctl --root`` and nothing else; the
real systemctl is the judge in tests/functional/test_formula_local.py."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture
def state():
    module = _load("_states/docker_host_service.py")
    module.__salt__ = {"sysconfig.image_root": _load("_modules/sysconfig.py").image_root}
    return module


def _systemctl(state, answers, test=False):
    calls = []

    def run_all(args, python_shell=False, ignore_retcode=True):
        calls.append(args[1:])
        return answers[args[2]]

    state.__salt__["cmd.run_all"] = run_all
    state.__opts__ = {"test": test}
    return calls


def test_a_disabled_unit_is_predicted_then_enabled_in_the_root(state):
    answers = {
        "is-enabled": {"stdout": "disabled\n", "stderr": "", "retcode": 1},
        "enable": {"stdout": "", "stderr": "", "retcode": 0},
    }
    calls = _systemctl(state, answers, test=True)
    ret = state.enabled_in_root("docker", "/srv/image")
    assert (ret["result"], ret["changes"]) == (None, {"enabled": {"old": False, "new": True}})
    assert calls == [["--root=/srv/image", "is-enabled", "docker.service"]]
    calls = _systemctl(state, answers)
    ret = state.enabled_in_root("docker", "/srv/image")
    assert (ret["result"], ret["changes"]) == (True, {"enabled": {"old": False, "new": True}})
    assert calls[-1] == ["--root=/srv/image", "enable", "docker.service"]


@pytest.mark.parametrize("root", ["/", "", None, "relative", 5])
def test_only_an_image_roots_absolute_path_is_taken(state, root):
    calls = _systemctl(state, {})
    ret = state.enabled_in_root("docker", root)
    assert ret["result"] is False
    assert ret["comment"] == f"root must be an image root's absolute path, not {root!r}"
    assert calls == []


def test_a_masked_unit_is_left_masked(state):
    calls = _systemctl(state, {"is-enabled": {"stdout": "masked\n", "stderr": "", "retcode": 1}})
    ret = state.enabled_in_root("docker.socket", "/srv/image")
    assert (ret["result"], ret["changes"]) == (False, {})
    assert "docker.socket is masked in /srv/image" in ret["comment"]
    assert calls == [["--root=/srv/image", "is-enabled", "docker.socket"]]
