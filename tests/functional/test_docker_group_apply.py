"""docker_group.plan and apply on an image root, called as the state calls them: what
they return, word for word, the group groupadd makes, a groupadd that fails and a
member that cannot be added, each read from the root's /etc/group afterwards."""

import subprocess

import pytest
from salt.exceptions import CommandExecutionError

from tests import hosttrees

ROOT_EQUIVALENT = (
    "Membership of docker is root-equivalent: its members control this host through "
    "the Docker socket."
)


@pytest.fixture
def image_root(tmp_path):
    return hosttrees.accounts(tmp_path / "root", ["alice", "bob", "carol"])


def _group(tree, name):
    """(gid, members) of the root's group ``name``, or None."""
    for line in (tree.root / "etc/group").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), [member for member in fields[3].split(",") if member]
    return None


def _gpasswd(tree, *arguments):
    subprocess.run(["gpasswd", "--root", str(tree.root), *arguments], check=True)


@pytest.mark.skip_if_not_root  # groupadd and gpasswd --root
def test_a_member_added_to_an_existing_group_is_named_in_the_result(modules, image_root):
    subprocess.run(["groupadd", "--root", str(image_root.root), "-g", "478", "docker"], check=True)
    _gpasswd(image_root, "-a", "bob", "docker")
    group = modules.docker_group
    applied = group.apply(group.plan("docker", users=["alice"], root=str(image_root.root)))
    assert applied == {
        "result": True,
        "changes": {"added": ["alice"]},
        "comment": f"added changed. alice gained it. {ROOT_EQUIVALENT}",
    }
    assert _group(image_root, "docker") == (478, ["bob", "alice"])


@pytest.mark.skip_if_not_root
def test_a_group_made_without_a_gid_is_a_system_group(modules, image_root):
    """groupadd --system takes an id below 1000 (SYS_GID_MAX, the root having no
    login.defs of its own); a user group would take 1000 or more."""
    group = modules.docker_group
    planned = group.plan(users=["alice", "bob"], root=str(image_root.root))  # docker by default
    assert planned["group"] == "docker"
    assert planned["comment"] == f"group, added would change. alice, bob gain it. {ROOT_EQUIVALENT}"
    applied = group.apply(planned)
    assert applied == {
        "result": True,
        "changes": {
            "group": {"old": None, "new": {"name": "docker", "gid": None, "system": True}},
            "added": ["alice", "bob"],
        },
        "comment": f"group, added changed. alice, bob gained it. {ROOT_EQUIVALENT}",
    }
    gid, members = _group(image_root, "docker")
    assert gid < 1000 and members == ["alice", "bob"]


@pytest.mark.skip_if_not_root
def test_a_group_that_groupadd_cannot_make_is_named_and_nothing_else_changes(modules, image_root):
    """gid 100 is taken by users: groupadd refuses, and no member is set."""
    group = modules.docker_group
    planned = group.plan("docker", users=["alice"], gid=100, root=str(image_root.root))
    before = (image_root.root / "etc/group").read_text()
    with pytest.raises(CommandExecutionError) as raised:
        group.apply(planned)
    assert str(raised.value) == "groupadd could not create docker"
    assert (image_root.root / "etc/group").read_text() == before


@pytest.mark.skip_if_not_root
def test_a_user_removed_after_the_plan_fails_the_apply_with_the_members_read_back(
    modules, image_root
):
    """gpasswd refuses a list with a user that no longer exists and changes nothing;
    the read-back sees it, and the changes say what was really changed: nothing."""
    subprocess.run(["groupadd", "--root", str(image_root.root), "-g", "478", "docker"], check=True)
    _gpasswd(image_root, "-M", "bob,carol", "docker")
    group = modules.docker_group
    planned = group.plan("docker", users=["alice"], root=str(image_root.root))
    subprocess.run(["userdel", "--root", str(image_root.root), "alice"], check=True)
    applied = group.apply(planned)
    assert applied == {
        "result": False,
        "changes": {},
        "comment": "docker should now have members bob, carol, alice, but has bob, carol (a "
        "user removed since the plan, or another program at work): plan again",
    }
    assert _group(image_root, "docker") == (478, ["bob", "carol"])


@pytest.mark.skip_if_not_root
def test_a_read_back_that_differs_reports_the_changes_really_made(modules, image_root):
    """The group is made, then gpasswd refuses the members, alice being gone since
    the plan: the changes are the group alone."""
    group = modules.docker_group
    planned = group.plan("docker", users=["alice", "bob"], gid=478, root=str(image_root.root))
    subprocess.run(["userdel", "--root", str(image_root.root), "alice"], check=True)
    applied = group.apply(planned)
    assert applied == {
        "result": False,
        "changes": {"group": {"old": None, "new": {"name": "docker", "gid": 478, "system": True}}},
        "comment": "docker should now have members alice, bob, but has none (a user removed "
        "since the plan, or another program at work): plan again",
    }
    assert _group(image_root, "docker") == (478, [])


@pytest.mark.skip_if_not_root
def test_plans_say_what_is_already_there_and_what_would_change(modules, image_root):
    root, group = str(image_root.root), modules.docker_group
    subprocess.run(["groupadd", "--root", root, "-g", "478", "docker"], check=True)
    empty = group.plan("docker", users=[], gid=478, root=root)  # the gid it has: no error
    assert (empty["changes"], empty["comment"]) == (
        {},
        f"docker already as specified: no members. {ROOT_EQUIVALENT}",
    )
    _gpasswd(image_root, "-M", "alice,bob", "docker")
    kept = group.plan("docker", users=["bob"], root=root)
    assert (kept["changes"], kept["comment"]) == (
        {},
        f"docker already as specified: alice, bob. {ROOT_EQUIVALENT}",
    )
    removing = group.plan("docker", users=["carol"], exclusive=True, root=root)
    assert removing["changes"] == {"added": ["carol"], "removed": ["alice", "bob"]}
    assert removing["comment"] == (f"added, removed would change. carol gain it. {ROOT_EQUIVALENT}")
    only_removing = group.plan("docker", users=["alice"], exclusive=True, root=root)
    assert only_removing["comment"] == f"removed would change. {ROOT_EQUIVALENT}"


@pytest.mark.skip_if_not_root
def test_a_group_with_another_gid_is_refused_with_both_ids(modules, image_root):
    root = str(image_root.root)
    subprocess.run(["groupadd", "--root", root, "-g", "478", "docker"], check=True)
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_group.plan("docker", users=["alice"], gid=479, root=root)
    assert str(raised.value) == (
        "group docker exists with gid 478, not 479: files already carry the old id; "
        "change it by hand"
    )
