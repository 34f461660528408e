"""docker_host_pillar.socket_group: which group the socket gets, from the merged data."""

import pytest

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def pillar():
    return _load("_modules/docker_host_pillar.py")


@pytest.mark.parametrize(
    "data, group",
    [
        ({}, "docker"),
        ({"users": {"group": "ops"}}, "ops"),
        ({"users": {"manage": True, "group": "ops"}, "daemon": {"options": {"-G": "x"}}}, "ops"),
        ({"users": {"manage": False, "group": "ops"}}, "docker"),
        ({"users": {"manage": False}, "daemon": {"options": {"-G": "dev"}}}, "dev"),
        ({"users": {"manage": False}, "daemon": {"options": {"--group": "dev"}}}, "dev"),
        ({"users": {"manage": False}, "daemon": {"options": {"group": "dev"}}}, "dev"),
        ({"users": {"manage": False}, "daemon": {"daemon_json": {"group": "js"}}}, "js"),
        (
            {
                "users": {"manage": False},
                "daemon": {"options": {"G": "opt"}, "daemon_json": {"group": "js"}},
            },
            "opt",
        ),
        ({"users": {"manage": False}, "daemon": {"options": {"-G": None}}}, "docker"),
    ],
)
def test_the_socket_group_is_the_users_group_else_the_daemons_own(pillar, data, group):
    assert pillar.socket_group(data) == group
