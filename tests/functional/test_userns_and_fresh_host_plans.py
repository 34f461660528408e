"""What a SUSE host needs for userns-remap, and what the plans say before the
docker package is installed, through Salt's loader on roots of the test's own.

SUSE's docker package creates the user dockremap (its sysusers file) without
subordinate IDs, and the group docker, at install: on a booted SLES-like host
(tests/integration/test_booted_host.py) dockerd refused to start with
``userns-remap: default`` until the ranges were added, and test=True could
not know what the package's install would create."""

import pytest
from salt.exceptions import CommandExecutionError

from tests import hosttrees


@pytest.fixture
def tree(tmp_path):
    """An ext4 host root with SUSE's docker files, the accounts alice and
    dockremap, and an ID range of alice's own."""
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    people = hosttrees.accounts(tmp_path / "accounts", ["alice", "dockremap"])
    for name in ("passwd", "shadow", "group", "gshadow"):
        tree.write(f"/etc/{name}", (people.root / "etc" / name).read_text())
    tree.write("/etc/subuid", "alice:100000:65536\n")
    tree.write("/etc/subgid", "alice:100000:65536\n")
    return tree


def _lines(tree, name):
    return (tree.root / "etc" / name).read_text().splitlines()


@pytest.mark.parametrize("value", ["default", "dockremap", "dockremap:dockremap", "1001"])
def test_the_remap_user_without_ranges_gets_the_next_free_ones(modules, tree, value):
    planned = modules.docker_userns.plan(value, root=str(tree.root))
    assert planned["changes"] == {
        "subuid": {"old": None, "new": "dockremap:165536:65536"},
        "subgid": {"old": None, "new": "dockremap:165536:65536"},
    }


def test_a_remap_user_with_ranges_needs_nothing(modules, tree):
    assert modules.docker_userns.plan("alice", root=str(tree.root))["changes"] == {}
    assert modules.docker_userns.plan(None, root=str(tree.root))["changes"] == {}


def test_dockerd_makes_dockremap_itself_when_it_does_not_exist(modules, tmp_path):
    tree = hosttrees.accounts(tmp_path / "root", ["alice"])
    assert modules.docker_userns.plan("default", root=str(tree.root))["changes"] == {}


def test_a_named_remap_user_that_does_not_exist_is_refused(modules, tree):
    with pytest.raises(CommandExecutionError, match="names the user bob, which does not exist"):
        modules.docker_userns.plan("bob", root=str(tree.root))


@pytest.mark.skip_if_not_root  # usermod --root
def test_the_daemon_plan_adds_the_ranges_before_the_configuration_that_needs_them(
    modules, tree, bash
):
    root = str(tree.root)
    (tree.root / "etc/subgid").unlink()  # usermod adds, the plan creates
    planned = modules.docker_daemon.plan(daemon_json={"userns-remap": "default"}, root=root)
    assert planned["changes"]["subordinate ids"] == {
        "subuid": {"old": None, "new": "dockremap:165536:65536"},
        "subgid": {"old": None, "new": "dockremap:100000:65536"},
    }
    assert planned["comment"].startswith("daemon.json and subordinate ids would change.")
    done = modules.docker_daemon.apply(planned)
    assert done["result"] is True, done
    assert _lines(tree, "subuid") == ["alice:100000:65536", "dockremap:165536:65536"]
    assert _lines(tree, "subgid") == ["dockremap:100000:65536"]
    assert oct((tree.root / "etc/subgid").stat().st_mode & 0o777) == "0o644"
    again = modules.docker_daemon.plan(daemon_json={"userns-remap": "default"}, root=root)
    assert again["changes"] == {}


def test_before_the_package_the_daemon_plan_is_pending_and_says_why(modules, tmp_path):
    """No /etc/sysconfig/docker and no docker package: what changes in the
    files is known only once the package made them."""
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    (tree.root / "etc/sysconfig/docker").unlink()
    root = str(tree.root)
    planned = modules.docker_daemon.plan(
        storage_driver="overlay2", root=root, package="no-such-package-here"
    )
    assert planned["pending"] is True and planned["changes"] == {}
    assert (
        "come with the no-such-package-here package, which is not installed yet"
        in (planned["comment"])
    )
    # Without the package named, the missing file is the administrator's to fix.
    with pytest.raises(CommandExecutionError, match="install the docker package first"):
        modules.docker_daemon.plan(storage_driver="overlay2", root=root)


def test_pending_fails_the_state_in_a_real_run_and_is_none_with_test(states, tmp_path):
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    (tree.root / "etc/sysconfig/docker").unlink()
    arguments = {"storage_driver": "overlay2", "root": str(tree.root), "package": "no-such"}
    ret = states.docker_host.daemon_configured(name="docker", **arguments)
    assert (ret.result, ret.changes) == (False, {})
    ret = states.docker_host.daemon_configured(name="docker", test=True, **arguments)
    assert (ret.result, ret.changes) == (None, {})
    assert "which is not installed yet" in ret.comment


def test_the_group_the_package_creates_is_left_to_it(modules, tmp_path):
    tree = hosttrees.accounts(tmp_path / "root", ["alice"])
    root = str(tree.root)
    left = modules.docker_group.plan(users=["alice"], root=root, package="no-such-package")
    assert left["changes"] == {"added": ["alice"]}
    made = modules.docker_group.plan(users=["alice"], root=root)
    assert made["changes"]["group"] == {
        "old": None,
        "new": {"name": "docker", "gid": None, "system": True},
    }


def test_whether_a_package_is_installed_is_the_package_managers_answer(modules, tmp_path):
    assert modules.docker_package.installed("bash") is True
    assert modules.docker_package.installed("no-such-package-here") is False
    # dpkg answers for this machine whatever root it is given: under a root,
    # only zypper's answer (rpm --root) counts.
    assert modules.docker_package.installed("bash", root=str(tmp_path)) is False


def test_the_group_is_left_to_an_installed_package_only_while_it_is_not_installed(
    modules, tmp_path
):
    tree = hosttrees.accounts(tmp_path / "root", ["alice"])
    # bash is installed on this machine: a group it would have made is
    # missing all the same, so the plan makes it.
    live = modules.docker_group.plan("sdh-no-such-group", socket=False, package="bash")
    assert live["changes"] == {
        "group": {"old": None, "new": {"name": "sdh-no-such-group", "gid": None, "system": True}}
    }
    under_root = modules.docker_group.plan(users=["alice"], root=str(tree.root), package="bash")
    assert under_root["changes"] == {"added": ["alice"]}


def test_ranges_of_other_users_by_name_or_uid_and_lines_that_are_not_ranges(modules, tree):
    tree.write(
        "/etc/subuid",
        "alice:100000:65536\n"
        "1001:165536:65536\n"  # dockremap's uid: its range
        "mallory:x:5\n"  # not a range
        "eve:300000:2:extra\n"  # not a range
        "trudy:400000\n",  # not a range
    )
    planned = modules.docker_userns.plan("default", root=str(tree.root))
    # dockremap has its uids (by uid), not yet its gids.
    assert planned["changes"] == {"subgid": {"old": None, "new": "dockremap:165536:65536"}}


@pytest.mark.skip_if_not_root  # usermod --root
def test_a_failing_usermod_is_reported_with_its_message(modules, tree):
    planned = {
        "root": str(tree.root),
        "changes": {"subuid": {"old": None, "new": "nobody-here:200000:65536"}},
    }
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_userns.apply(planned)
    message = str(raised.value)
    assert message.startswith("usermod could not add the subordinate IDs of nobody-here: ")
    assert "nobody-here" in message.split(": ", 1)[1]
