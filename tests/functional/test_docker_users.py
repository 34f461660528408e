"""docker_host.users in image roots: the root's /etc/group and /etc/gshadow, never the host's."""

import pathlib

import pytest

from tests import hosttrees


@pytest.fixture
def image_root(tmp_path):
    tree = hosttrees.accounts(tmp_path / "root", ["alice", "bob", "carol"])
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    return tree


def _group_line(tree, name):
    for line in (tree.root / "etc/group").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line
    return None


def _host_files():
    return {path: pathlib.Path(path).read_bytes() for path in ("/etc/group", "/etc/gshadow")}


def test_creates_the_group_adds_members_and_converges(states, image_root):
    host_files = _host_files()
    root = str(image_root.root)
    predicted = states.docker_host.users(
        name="docker", users=["alice", "bob"], gid=478, root=root, test=True
    )
    assert predicted.result is None
    assert _group_line(image_root, "docker") is None
    applied = states.docker_host.users(name="docker", users=["alice", "bob"], gid=478, root=root)
    assert applied.result is True
    assert (
        applied.changes
        == predicted.changes
        == {
            "group": {"old": None, "new": {"name": "docker", "gid": 478, "system": True}},
            "added": ["alice", "bob"],
        }
    )
    assert _group_line(image_root, "docker") == "docker:x:478:alice,bob"
    assert "docker:!::alice,bob" in (image_root.root / "etc/gshadow").read_text()
    assert "root-equivalent" in applied.comment and "alice, bob gained it" in applied.comment
    again = states.docker_host.users(name="docker", users=["alice", "bob"], root=root)
    assert again.result is True and again.changes == {}
    assert "root-equivalent" in again.comment
    assert _host_files() == host_files


def test_exclusive_removes_the_others(states, image_root):
    root = str(image_root.root)
    states.docker_host.users(name="docker", users=["alice", "bob", "carol"], root=root)
    ret = states.docker_host.users(name="docker", users=["alice"], exclusive=True, root=root)
    assert ret.changes == {"removed": ["bob", "carol"]}
    assert _group_line(image_root, "docker").endswith(":alice")
    ret = states.docker_host.users(name="docker", users=[], exclusive=True, root=root)
    assert ret.changes == {"removed": ["alice"]}


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"users": ["alice", "nobody-here", "ghost"]}, "do not exist: nobody-here, ghost"),
        ({"users": ["Bad Name"]}, "not valid user or group names: 'Bad Name'"),
        ({"users": "alice"}, "users must be a list"),
        ({"users": ["alice"], "gid": "478"}, "gid must be a whole number"),
    ],
)
def test_bad_input_changes_nothing(states, image_root, arguments, words):
    before = (image_root.root / "etc/group").read_bytes()
    ret = states.docker_host.users(name="docker", root=str(image_root.root), **arguments)
    assert ret.result is False
    assert words in ret.comment
    assert (image_root.root / "etc/group").read_bytes() == before


@pytest.mark.parametrize(
    "name",
    [
        "Bad Group",
        "-x",
        # Debian's groupadd makes this one: only the state's own check
        # (shadow-utils' default NAME_REGEX) stops it.
        "Docker",
    ],
)
@pytest.mark.parametrize("test", [True, False])
def test_an_invalid_group_name_fails_naming_it_and_changes_nothing(states, image_root, name, test):
    files = ("etc/group", "etc/gshadow", "etc/sysconfig/docker")
    before = {path: (image_root.root / path).read_bytes() for path in files}
    host_files = _host_files()
    ret = states.docker_host.users(name=name, users=["alice"], root=str(image_root.root), test=test)
    assert ret.result is False
    assert ret.changes == {}
    assert ret.comment == f"not valid user or group names: {name!r}. Nothing was changed."
    assert {path: (image_root.root / path).read_bytes() for path in files} == before
    assert _host_files() == host_files


def test_another_group_becomes_the_sockets_group(states, modules, image_root):
    root = str(image_root.root)
    arguments = {"name": "dockerusers", "users": ["alice"], "root": root}
    predicted = states.docker_host.users(test=True, **arguments)
    assert predicted.result is None
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == ""
    ret = states.docker_host.users(**arguments)
    assert ret.result is True
    assert ret.changes == predicted.changes
    assert ret.changes["socket group"] == {"old": "docker", "new": "dockerusers"}
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == "--group=dockerusers"
    options = modules.docker_host.daemon_options(root=root)
    assert options["effective"]["group"] == "dockerusers" and options["conflicts"] == []
    again = states.docker_host.users(**arguments)
    assert again.result is True and again.changes == {}


@pytest.mark.parametrize("test", [True, False])
def test_a_group_file_linked_out_of_the_root_is_refused(states, image_root, tmp_path, test):
    """<root>/etc/group -> <tmp>/elsewhere/group (absolute): this host reads the file at
    that path, gpasswd --root reads <root><tmp>/elsewhere/group. A plan made from one
    and applied to the other would claim changes it never made."""
    group_file = image_root.root / "etc/group"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "group").write_bytes(group_file.read_bytes())
    group_file.unlink()
    group_file.symlink_to(elsewhere / "group")
    before = (elsewhere / "group").read_bytes()
    ret = states.docker_host.users(
        name="docker", users=["alice"], root=str(image_root.root), test=test
    )
    assert ret.result is False and ret.changes == {}
    assert ret.comment == (
        f"{image_root.root}/etc/group is a link that leads to {elsewhere}/group from this "
        f"host but to {image_root.root}{elsewhere}/group inside the root: Salt's group and "
        "user modules would read one and gpasswd would change the other. Make it a file, "
        "or a link that stays inside the root. Nothing was changed."
    )
    assert (elsewhere / "group").read_bytes() == before
