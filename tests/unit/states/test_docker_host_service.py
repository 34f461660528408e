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


class FakeInit:
    """An init system for Salt's own service states: what systemctl would
    answer, and what it did. systemd itself runs in the booted guest
    (tests/integration/test_booted_host.py); here it cannot (not PID 1)."""

    def __init__(self, running, enabled):
        self.running, self.enabled, self.done = running, enabled, []

    def functions(self):
        def act(verb, running=None, enabled=None):
            def call(name, *args, **kwargs):
                self.done.append(verb)
                if running is not None:
                    self.running = running
                if enabled is not None:
                    self.enabled = enabled
                return True

            return call

        return {
            "service.available": lambda name: True,
            "service.status": lambda name, sig=None, **kwargs: self.running,
            "service.enabled": lambda name, **kwargs: self.enabled,
            "service.start": act("start", running=True),
            "service.stop": act("stop", running=False),
            "service.restart": act("restart", running=True),
            "service.enable": act("enable", enabled=True),
        }


def _salt_service_states(init, test):
    from salt.states import service

    service.__salt__ = init.functions()
    service.__opts__ = {"test": test}
    service.__context__ = {}
    return {"service.running": service.running, "service.mod_watch": service.mod_watch}


@pytest.mark.parametrize(
    "running, enabled, watched",
    [
        (False, False, False),  # first start: started and enabled
        (True, False, False),  # enabled only
        (False, True, False),  # stopped by hand: started
        (True, True, True),  # its configuration changed: restarted
        (True, True, False),  # nothing to do
    ],
)
def test_the_prediction_is_what_salts_own_service_state_then_reports(
    state, running, enabled, watched
):
    """Salt's service.running and mod_watch with test=True say what they would
    do in the comment but report no changes; the real run reports
    {docker: True}. The wrapper's test=True run reports exactly that."""

    def run(test):
        init = FakeInit(running, enabled)
        state.__states__ = _salt_service_states(init, test)
        state.__opts__ = {"test": test}
        ret = state.running("docker", enable=True)
        # The state system calls mod_watch when a watched state changed and
        # running() itself changed nothing.
        if watched and not ret["changes"]:
            ret = state.mod_watch("docker", sfun="running", enable=True, __reqs__={})
        return ret, init.done

    predicted, done_by_prediction = run(test=True)
    applied, done = run(test=False)
    assert done_by_prediction == []
    assert predicted["changes"] == applied["changes"]
    assert predicted["result"] is (None if applied["changes"] else True)
    assert applied["result"] is True
    assert bool(done) is bool(applied["changes"])
    assert applied["changes"] in ({}, {"docker": True})
