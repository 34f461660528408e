"""The state's engine-version rule, which needs an engine this machine cannot have."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture
def state_mod():
    return _load("_states/docker_host.py")


FACTS = {
    "storage": {
        "drivers": {
            "devicemapper": {"supported": True, "reason": "dm_thin_pool loaded", "removed_in": 25},
            "overlay2": {"supported": True, "reason": "ext4, with d_type"},
        },
        "recommended": "overlay2",
        "fstype": "ext4",
        "unknown": {},
    }
}


@pytest.mark.parametrize("version, refused", [("25.0.5", True), ("24.0.7", False), (None, False)])
def test_a_driver_the_engine_removed_is_refused(state_mod, version, refused):
    """Docker Engine 25 cannot be installed here (Debian ships 20.10), and this kernel has
    no dm_thin_pool: the facts and the engine's version are given to the state."""
    state_mod.__salt__ = {
        "docker_host.facts": lambda **_: FACTS,
        "docker_daemon.engine_version": lambda: version,
    }
    if refused:
        with pytest.raises(state_mod._Refused, match="removed in Docker Engine 25; this engine"):
            state_mod._check_driver("devicemapper", None, None)
    else:
        assert state_mod._check_driver("devicemapper", None, None) == "devicemapper"
