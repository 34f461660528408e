"""What the sysconfig module returns, whole: set's result keys, and describe in an
image root whose file is an absolute link."""

import pytest
from salt.exceptions import SaltInvocationError


def test_set_returns_every_documented_key(modules, sandbox_root):
    result = modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    assert set(result) == {"file", "key", "old", "new", "changed", "appended", "diff", "conflict"}
    assert (result["file"], result["key"]) == (str(path), "DOCKER_OPTS")
    assert (result["old"], result["new"]) == ("", "--debug")
    assert (result["changed"], result["appended"], result["conflict"]) == (True, False, False)


@pytest.mark.parametrize("test", [True, False])
def test_set_with_expect_writes_only_over_the_value_expected(modules, sandbox_root, test):
    root = str(sandbox_root)
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--ipv6", root=root)
    before = path.read_bytes()
    missed = modules.sysconfig.set(
        "docker", "DOCKER_OPTS", "--debug", root=root, test=test, expect=""
    )
    assert missed == {
        "file": str(path),
        "key": "DOCKER_OPTS",
        "old": "--ipv6",
        "new": "--ipv6",
        "changed": False,
        "appended": False,
        "diff": "",
        "conflict": True,
    }
    assert path.read_bytes() == before
    met = modules.sysconfig.set(
        "docker", "DOCKER_OPTS", "--debug", root=root, test=test, expect="--ipv6"
    )
    assert (met["old"], met["new"], met["changed"], met["conflict"]) == (
        "--ipv6",
        "--debug",
        True,
        False,
    )
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == (
        "--ipv6" if test else "--debug"
    )


def test_update_with_expect_names_every_variable_that_holds_something_else(modules, sandbox_root):
    """An unset variable holds "" (as bash reads it)."""
    root = str(sandbox_root)
    result = modules.sysconfig.update(
        "docker",
        {"DOCKER_OPTS": "--debug"},
        root=root,
        expect={"DOCKER_OPTS": "--ipv6", "NOT_SET": "", "ALSO_NOT_SET": "x"},
    )
    assert result["written"] is False and result["changes"] == {}
    assert result["conflicts"] == {"DOCKER_OPTS": "", "ALSO_NOT_SET": ""}
    with pytest.raises(SaltInvocationError) as raised:
        modules.sysconfig.update("docker", {"A": "1"}, root=root, expect={"A": 1})
    assert str(raised.value) == "expect must map VARIABLE to the text it holds: {'A': 1}"


def test_describe_in_an_image_root_follows_an_absolute_link_inside_the_image(modules, sandbox_root):
    # /etc/sysconfig/docker.suse exists only in the image: read through the link from
    # this machine, or by the host's /etc/sysconfig/docker, describe would fail.
    sysconfig = sandbox_root / "etc" / "sysconfig"
    (sysconfig / "docker").rename(sysconfig / "docker.suse")
    (sysconfig / "docker").symlink_to("/etc/sysconfig/docker.suse")

    described = modules.sysconfig.describe("docker", "DOCKER_OPTS", root=str(sandbox_root))

    assert described["Type"] == "string"
    assert described["ServiceRestart"] == ["docker"]
