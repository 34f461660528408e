"""The storage verdict of docker_host.check once the engine's version is known."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def check_mod():
    module = _load("_modules/docker_host.py")
    # The engine's major release is docker_daemon's rule.
    module.__salt__ = {
        "docker_daemon.engine_major": _load("_modules/docker_daemon.py").engine_major
    }
    return module


def _facts(configured):
    return {
        "storage": {
            "drivers": {
                "devicemapper": {"supported": True, "reason": "x", "removed_in": 25},
                "aufs": {"supported": False, "reason": "gone", "removed_in": 24},
                "overlay2": {"supported": True, "reason": "on ext4, with d_type"},
            },
            "recommended": "overlay2",
            "configured_driver": configured,
            "data_root": "/var/lib/docker",
            "data_root_source": "default",
            "fstype": "ext4",
            "filesystem_seen": "the mount table: /dev/vda2 at /",
            "mount_point": "/",
            "separate_filesystem": True,
            "conflicts": [],
            "unknown": {},
        }
    }


@pytest.mark.parametrize(
    "configured, version, status, words",
    [
        ("devicemapper", None, "warn", "devicemapper"),
        ("devicemapper", "24.0.7", "warn", "devicemapper"),
        ("devicemapper", "25.0.5", "fail", "removed in Docker Engine 25"),
        ("devicemapper", "28.2.2", "fail", "this engine is 28.2.2"),
        ("aufs", "20.10.24+dfsg1", "fail", "cannot run here"),
        ("overlay2", "28.2.2", "ok", "with d_type"),
        ("zfs2", None, "fail", "is unknown"),
    ],
)
def test_storage_driver_verdict(check_mod, configured, version, status, words):
    report = check_mod._Report()
    check_mod._check_storage(report, _facts(configured), version)
    (driver,) = [item for item in report.items if item["id"] == "storage.driver"]
    assert driver["status"] == status
    assert words in driver["reason"]


def test_the_outputter_with_several_minions():
    output = _load("_output/docker_host_check.py")
    report = {
        "result": "warn",
        "counts": {"ok": 1, "warn": 1, "fail": 0},
        "items": [
            {"id": "kernel.required", "status": "ok", "reason": "all set", "fix": None},
            {"id": "docker.group", "status": "warn", "reason": "members: a", "fix": "gpasswd"},
        ],
    }
    text = output.output({"sles12": report, "sles15": "Minion did not return"})
    assert text.splitlines() == [
        "sles12:",
        "    kernel",
        "      ok    all set",
        "    docker",
        "      WARN  members: a",
        "            fix: gpasswd",
        "    WARN: 1 ok, 1 warn, 0 fail",
        "sles15:",
        "    Minion did not return",
    ]
