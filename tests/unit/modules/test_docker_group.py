"""docker_group's rules on plain data: names, and who the members become. No loader."""

import pytest
from salt.exceptions import SaltInvocationError

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def docker_group():
    return _load("_modules/docker_group.py")


@pytest.mark.parametrize(
    "current, users, exclusive, members, added, removed",
    [
        ([], ["alice"], False, ["alice"], ["alice"], []),
        (["bob"], ["alice"], False, ["bob", "alice"], ["alice"], []),
        (["bob"], ["alice"], True, ["alice"], ["alice"], ["bob"]),
        (["alice", "bob"], ["bob", "alice"], True, ["bob", "alice"], [], []),
        (["alice"], ["alice", "alice"], False, ["alice"], [], []),
        (["alice", "bob"], [], True, [], [], ["alice", "bob"]),
        (["alice"], [], False, ["alice"], [], []),
    ],
)
def test_members_are_the_wanted_users_and_keep_the_others_unless_exclusive(
    docker_group, current, users, exclusive, members, added, removed
):
    assert docker_group._members_plan(current, users, exclusive) == (members, added, removed)


@pytest.mark.parametrize(
    "names, members, invalid",
    [
        (["docker", "_ops", "svc-1", "machine$"], False, []),
        (
            ["Docker", "1ops", "-rf", "a" * 33, "", None],
            False,
            ["Docker", "1ops", "-rf", "a" * 33, "", None],
        ),
        (["john.doe", "JDoe", "ad@corp", "u$"], True, []),
        (
            ["-rf", ".hidden", "has space", "x" * 257],
            True,
            ["-rf", ".hidden", "has space", "x" * 257],
        ),
    ],
)
def test_names_follow_shadow_utils_for_groups_and_directory_users_for_members(
    docker_group, names, members, invalid
):
    assert docker_group.invalid_names(names, members=members) == invalid


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"users": "alice"}, "users must be a list of user names, not 'alice'"),
        ({"exclusive": "yes"}, "exclusive must be true or false, not 'yes'"),
        ({"gid": -1}, "gid must be a whole number, not -1"),
        ({"gid": True}, "gid must be a whole number, not True"),
        ({"gid": "478"}, "gid must be a whole number, not '478'"),
        (
            {"group": "Docker", "users": ["ok", "-rf"]},
            "not valid user or group names: 'Docker', '-rf'",
        ),
        (
            {"exclusive": None, "gid": 1.5},
            "exclusive must be true or false, not None; gid must be a whole number, not 1.5",
        ),
    ],
)
def test_every_wrong_argument_is_named(docker_group, arguments, message):
    given = {"group": "docker", "users": [], "exclusive": False, "gid": None}
    with pytest.raises(SaltInvocationError) as refused:
        docker_group._check_arguments(**{**given, **arguments})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "changes, read, now, made",
    [
        ({"added": ["alice"]}, ["bob"], ["bob"], {}),
        ({"added": ["alice", "carol"]}, ["bob"], ["bob", "carol"], {"added": ["carol"]}),
        (
            {"removed": ["bob"]},
            ["bob", "dave"],
            ["alice"],
            {"added": ["alice"], "removed": ["bob", "dave"]},
        ),
        (
            {"group": {"old": None}, "socket group": {"old": "docker"}, "added": ["alice"]},
            [],
            [],
            {"group": {"old": None}, "socket group": {"old": "docker"}},
        ),
    ],
)
def test_the_changes_reported_after_a_read_back_that_differs_are_those_really_made(
    docker_group, changes, read, now, made
):
    assert docker_group._made(changes, read, now) == made


@pytest.mark.parametrize("gid", [None, 0, 478])
def test_directory_users_and_any_whole_gid_from_zero_are_accepted(docker_group, gid):
    """Members may be directory users (john.doe, JDoe), which are no valid group
    names; gid 0 is a whole number like any other."""
    assert docker_group._check_arguments("docker", ["john.doe", "JDoe"], False, gid) is None


@pytest.mark.parametrize(
    "group, users, exclusive, gid, message",
    [
        ("docker", "alice", False, None, "users must be a list of user names, not 'alice'"),
        ("docker", [], "yes", None, "exclusive must be true or false, not 'yes'"),
        ("docker", [], False, -1, "gid must be a whole number, not -1"),
        ("docker", [], False, True, "gid must be a whole number, not True"),
        ("docker", [], False, "478", "gid must be a whole number, not '478'"),
        ("Docker", ["-rf"], False, None, "not valid user or group names: 'Docker', '-rf'"),
    ],
)
def test_bad_arguments_are_named(docker_group, group, users, exclusive, gid, message):
    with pytest.raises(SaltInvocationError) as raised:
        docker_group._check_arguments(group, users, exclusive, gid)
    assert str(raised.value) == message
