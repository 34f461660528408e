"""The sysconfig.present state through Salt's state machinery (state.single)."""


def test_present_changes_then_is_idempotent(states, sandbox_root, bash):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    values = {"FW_ROUTE": True, "FW_DEV_INT": "docker0", "FW_MASQUERADE": "no"}

    first = states.sysconfig.present(name="SuSEfirewall2", values=values, root=str(sandbox_root))
    assert first.result is True
    assert first.changes == {
        "FW_ROUTE": {"old": "", "new": "yes"},
        "FW_DEV_INT": {"old": "", "new": "docker0"},
        "FW_MASQUERADE": {"old": "", "new": "no"},
    }
    seen = bash(path)
    assert (seen["FW_ROUTE"], seen["FW_DEV_INT"], seen["FW_MASQUERADE"]) == ("yes", "docker0", "no")

    second = states.sysconfig.present(name="SuSEfirewall2", values=values, root=str(sandbox_root))
    assert second.result is True
    assert second.changes == {}
    assert "already as specified" in second.comment


def test_test_mode_predicts_exactly_what_the_real_run_does(states, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    values = {"DOCKER_OPTS": "--storage-driver=btrfs", "DOCKER_NETWORK_OPTIONS": ""}

    predicted = states.sysconfig.present(
        name="docker", values=values, root=str(sandbox_root), test=True
    )
    assert predicted.result is None
    assert path.read_bytes() == before
    assert "would change" in predicted.comment and "appended" in predicted.comment

    applied = states.sysconfig.present(name="docker", values=values, root=str(sandbox_root))
    assert applied.result is True
    assert (
        applied.changes
        == predicted.changes
        == {
            "DOCKER_OPTS": {"old": "", "new": "--storage-driver=btrfs"},
            "DOCKER_NETWORK_OPTIONS": {"old": None, "new": ""},
        }
    )
    assert "restart of: docker" in applied.comment

    again = states.sysconfig.present(
        name="docker", values=values, root=str(sandbox_root), test=True
    )
    assert again.result is True and again.changes == {}


def test_bad_values_fail_before_any_write_naming_every_one(states, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    before = path.read_bytes()
    ret = states.sysconfig.present(
        name="SuSEfirewall2",
        values={"FW_ROUTE": "sometimes", "FW_DEV_EXT": "eth0", "FW_MASQUERADE": 3},
        root=str(sandbox_root),
    )
    assert ret.result is False
    assert ret.changes == {}
    assert "FW_ROUTE='sometimes' is of type yesno" in ret.comment
    assert "FW_MASQUERADE='3' is of type yesno" in ret.comment
    assert "Traceback" not in ret.comment
    assert path.read_bytes() == before


def test_values_of_the_wrong_shape_and_missing_files(states, sandbox_root):
    ret = states.sysconfig.present(name="docker", values=["DOCKER_OPTS"], root=str(sandbox_root))
    assert ret.result is False
    assert "values must be a non-empty mapping" in ret.comment

    ret = states.sysconfig.present(name="nothere", values={"A": "1"}, root=str(sandbox_root))
    assert ret.result is False
    assert "does not exist" in ret.comment
    assert not (sandbox_root / "etc" / "sysconfig" / "nothere").exists()
