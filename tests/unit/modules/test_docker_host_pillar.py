"""The docker_host: pillar's schema: its check, and the files that must agree with it."""

import json
import re

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.unit.conftest import load_schema


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def test_the_example_profiles_and_the_defaults_are_valid(schema):
    assert schema.problems_in(schema.defaults()) == []
    for profile in ("dev", "build-host"):
        data = yaml.safe_load((REPO_ROOT / f"pillar-example/docker_host/{profile}.sls").read_text())
        assert schema.problems_in(data["docker_host"]) == [], profile


def test_the_prod_profile_is_valid_with_and_without_user_namespaces(schema):
    import jinja2

    text = (REPO_ROOT / "pillar-example/docker_host/prod.sls").read_text()
    for userns in (True, False):
        grains = {"docker_host": {"namespaces": {"user": userns}}}
        data = yaml.safe_load(jinja2.Template(text).render(grains=grains))
        assert schema.problems_in(data["docker_host"]) == []
        assert ("userns-remap" in data["docker_host"]["daemon"]["daemon_json"]) is userns


# The default column of a key that an item of a list must give.
REQUIRED = object()


def _documented_default(cell, readme):
    """A default as pillar-example/README.md writes it: YAML in backticks, null,
    ``required`` (an item of a list must give it), or the CIS table below."""
    if cell == "null":
        return None
    if cell == "required":
        return REQUIRED
    if cell == "[below](#cis-section-3-files)":
        table = readme[readme.index("### CIS section 3 files") :]
        paths = {}
        for path, owner, mode in re.findall(
            r"^\| `(/[^`]+)` \| ([^|]+) \| (\d{4}) \|$", table, re.M
        ):
            user, group = owner.split()[0].split(":")
            paths[path] = {"user": user, "group": group, "mode": mode}
        return paths
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"unreadable default {cell!r}"
    return yaml.safe_load(match.group(1))


def test_every_key_is_documented_with_its_type_and_default(schema):
    readme = (REPO_ROOT / "pillar-example/README.md").read_text()
    rows = {}
    for line in readme.splitlines():
        match = re.match(r"\| `(docker_host:[^`]+)` \| ([^|]+) \| ([^|]+) \|", line)
        if match:
            rows[match.group(1)] = (match.group(2).strip(), match.group(3).strip())
    for key, spec in schema.keys().items():
        assert key in rows, f"{key} is not documented in pillar-example/README.md"
        assert rows[key][0] == spec["type"], key
        documented = _documented_default(rows[key][1], readme)
        if ":N:" in key:
            # An item of a list without the key: refused if, and only if, it is required.
            *above, name = key.split(":")[1:]
            data = item = {}
            for part in above[:-2]:
                item = item.setdefault(part, {})
            item[above[-2]] = [{}]
            needs = f"docker_host:{':'.join(above[:-1])}:0 needs {name}"
            assert (needs in schema.problems_in(data)) is (documented is REQUIRED), key
        if documented is not REQUIRED:
            # JSON tells true from 1 and "" from null, as the pillar's reader does.
            assert json.dumps(documented, sort_keys=True) == json.dumps(
                spec["default"], sort_keys=True
            ), key
    assert set(rows) <= set(schema.keys()), set(rows) - set(schema.keys())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"daemon": {"storage_drivr": "btrfs"}},
            "docker_host:daemon:storage_drivr is not a key of docker_host:daemon: "
            "did you mean docker_host:daemon:storage_driver?",
        ),
        (
            {"forwardng": {}},
            "docker_host:forwardng is not a key of docker_host: did you mean "
            "docker_host:forwarding?",
        ),
        (
            {"users": {"members": "alice"}},
            "docker_host:users:members must be a list, not a string ('alice')",
        ),
        (
            {"users": {"members": ["alice", 7]}},
            "docker_host:users:members:1 must be a string, not a whole number (7)",
        ),
        (
            {"daemon": {"exclusive": "yes"}},
            "docker_host:daemon:exclusive must be true or false, not a string ('yes')",
        ),
        (
            {"users": {"gid": True}},
            "docker_host:users:gid must be a whole number or null, not true or false (True)",
        ),
        (
            {"forwarding": {"firewall": "ufw"}},
            "docker_host:forwarding:firewall must be one of auto, SuSEfirewall2, firewalld, "
            "none, not 'ufw'",
        ),
        ({"daemon": "btrfs"}, "docker_host:daemon must be a mapping, not a string ('btrfs')"),
        ({"images": {"load": [{"name": "a"}]}}, "docker_host:images:load:0 needs source"),
        (
            {"images": {"pull": [{"name": "a", "forse": True}]}},
            "docker_host:images:pull:0:forse is not a key of docker_host:images:pull:0: "
            "did you mean docker_host:images:pull:0:force?",
        ),
        (
            {"permissions": {"paths": {"/etc/docker": {"mode": 493}}}},
            "docker_host:permissions:paths:/etc/docker:mode must be a quoted octal string like "
            "'0644', not the number 493",
        ),
        (
            {"permissions": {"paths": {"/etc/docker": {"mode": "rwx"}}}},
            "docker_host:permissions:paths:/etc/docker:mode must be an octal mode like '0644'",
        ),
        (
            {"permissions": {"paths": {"etc/docker": {}}}},
            "docker_host:permissions:paths: the path 'etc/docker' must be a normalized absolute",
        ),
        ("docker", "docker_host must be a mapping, not a string ('docker')"),
        ({"zzz": 1}, "docker_host:zzz is not a key of docker_host: valid keys: daemon,"),
    ],
)
def test_each_problem_names_the_key_what_it_must_be_and_the_value(schema, data, message):
    found = schema.problems_in(data)
    assert any(message in problem for problem in found), found


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"root": "relative/root"}, "docker_host:root must be a normalized absolute path"),
        ({"root": "//"}, "docker_host:root must be a normalized absolute path"),
        ({"root": "/srv/../"}, "docker_host:root must be a normalized absolute path"),
        ({"root": "/nonexistent/image"}, "is not a directory on this minion"),
        ({"root": "/a\nb"}, "without control characters"),
        (
            {"permissions": {"paths": {"/../outside": {}}}},
            "the path '/../outside' must be a normalized absolute path",
        ),
        (
            {"permissions": {"paths": {"/etc/docker/": {}}}},
            "the path '/etc/docker/' must be a normalized absolute path",
        ),
        (
            {"permissions": {"paths": {"/a:\n  test.nop: []": {}}}},
            "without control characters",
        ),
        (
            {"images": {"pull": [{"name": "busybox: latest"}]}},
            "docker_host:images:pull:0:name: 'busybox: latest' is not an image reference",
        ),
        (
            {"images": {"pull": [{"name": "busybox"}, {"name": "busybox"}]}},
            "docker_host:images:pull:1:name busybox is listed twice",
        ),
        ({"users": {"group": "Docker Users"}}, "is not a valid user or group name"),
        (
            {"users": {"members": ["a\nb"]}},
            "docker_host:users:members:0: 'a\\nb' is not a user name /etc/group can hold",
        ),
        ({"users": {"members": ["-rf"]}}, "'-rf' is not a user name"),
        ({"images": {"pull": [{"name": "foo:"}]}}, "'foo:' is not an image reference"),
        ({"images": {"pull": [{"name": "x/-y"}]}}, "'x/-y' is not an image reference"),
        ({"images": {"pull": [{"name": "foo:bar:baz"}]}}, "is not an image reference"),
        ({"images": {"pull": [{"name": "bci/base@sha256:ab"}]}}, "names an image by digest"),
        (
            {"images": {"pull": [{"name": "x"}, {"name": "docker.io/library/x:latest"}]}},
            "docker_host:images:pull:1:name docker.io/library/x:latest is listed twice",
        ),
        ({"users": {"gid": 4294967296}}, "docker_host:users:gid must be between 0 and 4294967294"),
        ({"users": {"gid": -1}}, "docker_host:users:gid must be between 0 and 4294967294"),
        ({"service": {"name": ""}}, "docker_host:service:name must be a systemd unit name"),
        (
            {"images": {"pull": [{"name": "a", "timeout": 0}]}},
            "docker_host:images:pull:0:timeout must be between 1 and 86400",
        ),
        (
            {"daemon": {"options": {True: "x"}}},
            "docker_host:daemon:options has the key True, which is true or false: quote it",
        ),
        (
            {"daemon": {"daemon_json": {"log-opts": {3: "x"}}}},
            "has the key 3 (under log-opts), which is a whole number: quote it",
        ),
        (
            {"daemon": {"daemon_json": {"group": "mine"}}, "users": {"group": "ops"}},
            "docker_host:daemon:daemon_json:group is 'mine' but docker_host:users:group is 'ops'",
        ),
        (
            {"daemon": {"options": {"group": "ops"}}},
            "docker_host:daemon:options:group is 'ops' but docker_host:users:group is 'docker'",
        ),
        ({"daemon": {"data_root": "var/lib/docker"}}, "docker_host:daemon:data_root must be"),
    ],
)
def test_values_are_held_to_their_syntax(schema, data, message):
    found = schema.problems_in(data)
    assert any(message in problem for problem in found), found


@pytest.mark.parametrize(
    "name",
    [
        "registry.suse.com/suse/sle15:15.6",
        "localhost:5000/x",
        "127.0.0.1:5000/bci/bci-base:15.6",
        "Registry.Example.com/x",
        "foo:Latest",
        "my_image",
        "a__b/c-d.e:1.0",
    ],
)
def test_real_image_references_are_accepted(schema, name):
    assert schema.problems_in({"images": {"pull": [{"name": name}]}}) == []


def test_directory_users_are_accepted_as_members(schema):
    members = ["john.doe", "JDoe", "user@example.com", "svc_build$"]
    assert schema.problems_in({"users": {"members": members}}) == []


def test_an_image_root_that_exists_is_accepted(schema, tmp_path):
    assert schema.problems_in({"root": str(tmp_path)}) == []
    assert schema.problems_in({"root": "/"}) == []
    (tmp_path / "host").symlink_to("/")
    assert "this host's own root" in schema.problems_in({"root": str(tmp_path / "host")})[0]


def test_all_problems_are_reported_at_once(schema):
    found = schema.problems_in({"forwardng": {}, "users": {"members": "alice"}, "root": 1})
    assert len(found) == 3


def test_a_default_path_is_dropped_with_null(schema):
    assert schema.problems_in({"permissions": {"paths": {"/var/run/docker.sock": None}}}) == []


def test_the_readmes_pillar_examples_are_the_formulas_own_keys(schema, tmp_path):
    """The README's examples, for the formula and for states of one's own, use
    pillar the formula's check accepts: one pillar can serve both. An image
    root in an example is one the build has made (here, a directory)."""
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    # Those that begin with a comment are pillars of their own (an image
    # build's), not parts of the one tests/functional/test_readme_examples.py applies.
    examples = [
        yaml.safe_load(block) for block in blocks if re.match(r"(#[^\n]*\n)*docker_host:", block)
    ]
    assert len(examples) >= 2
    for example in examples:
        if "root" in example["docker_host"]:
            example["docker_host"]["root"] = str(tmp_path)
        assert schema.problems_in(example["docker_host"]) == [], example
    looked_up = re.findall(r"pillar\.get'\]\('(docker_host:[^']+)'", readme)
    assert len(looked_up) >= 10
    assert sorted(set(looked_up) - set(schema.keys())) == []


@pytest.mark.parametrize(
    "given",
    [
        {"service": {"name": "docker.service"}},
        {"service": {"name": "docker@blue.service"}},
        {"service": {"name": "docker-ce"}},
        {"package": {"name": "docker-stable", "version": "24.0.7_ce-150000.198.2"}},
        {"package": {"name": "docker", "version": ">=24.0"}},
        {"package": {"name": "docker", "version": "1:24.0.7-1.2"}},
    ],
)
def test_real_unit_package_and_version_names_pass(schema, given):
    assert schema.problems_in(given) == []
