"""The docker_host: pillar check, message by message: every problem is named whole,
and values at the edges of what is allowed are taken or refused as documented."""

import pytest

from tests.unit.conftest import load_schema


@pytest.fixture
def schema():
    return load_schema()


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        # The closest key when one is close enough (difflib, cutoff 0.5) ...
        (
            {"frwd": {}},
            ["docker_host:frwd is not a key of docker_host: did you mean docker_host:forwarding?"],
        ),
        (
            {"pkgs": {}},
            ["docker_host:pkgs is not a key of docker_host: did you mean docker_host:package?"],
        ),
        # ... else every valid key, sorted.
        (
            {"fw": {}},
            [
                "docker_host:fw is not a key of docker_host: valid keys: daemon, forwarding, "
                "images, package, permissions, proxy, root, service, users"
            ],
        ),
        (
            {"forwarding": {"firewall": "ufw", "release_firewall": "none"}},
            [
                "docker_host:forwarding:firewall must be one of auto, SuSEfirewall2, "
                "firewalld, none, not 'ufw'",
                "docker_host:forwarding:release_firewall must be one of SuSEfirewall2, "
                "firewalld, not 'none'",
            ],
        ),
        (
            {"users": {"gid": 1.5}},
            ["docker_host:users:gid must be a whole number or null, not a float (1.5)"],
        ),
        (
            {"daemon": {"data_root": ""}},
            ["docker_host:daemon:data_root must be an absolute path without control characters"],
        ),
        (
            {"daemon": {"data_root": "/var/lib/\tdocker"}},
            ["docker_host:daemon:data_root must be an absolute path without control characters"],
        ),
        (
            {"package": {"name": " "}},
            [
                "docker_host:package:name must be a package name (letters, digits, '._+-', "
                "not starting with '-'), not ' '"
            ],
        ),
        # What reaches zypper or systemctl as an argument can never be an option.
        (
            {"package": {"name": "--force", "version": "--oldpackage"}},
            [
                "docker_host:package:name must be a package name (letters, digits, '._+-', "
                "not starting with '-'), not '--force'",
                "docker_host:package:version must be a package version such as 24.0.7 or "
                ">=24.0 (no spaces, not starting with '-'), not '--oldpackage'",
            ],
        ),
        (
            {"package": {"version": "24.0 || true"}},
            [
                "docker_host:package:version must be a package version such as 24.0.7 or "
                ">=24.0 (no spaces, not starting with '-'), not '24.0 || true'"
            ],
        ),
        (
            {"service": {"name": "--root=/."}},
            [
                "docker_host:service:name must be a systemd unit name (letters, digits, "
                "':-_.\\@', not starting with '-'), not '--root=/.'"
            ],
        ),
        (
            {"service": {"name": "docker service"}},
            [
                "docker_host:service:name must be a systemd unit name (letters, digits, "
                "':-_.\\@', not starting with '-'), not 'docker service'"
            ],
        ),
        (
            {"users": {"group": "Docker"}},
            [
                "docker_host:users:group: 'Docker' is not a valid user or group name "
                "(lowercase, digits, _ and -)"
            ],
        ),
        (
            {"users": {"members": ["-rf"]}},
            ["docker_host:users:members:0: '-rf' is not a user name /etc/group can hold"],
        ),
        (
            {"images": {"pull": [{"name": "busybox@sha256:" + "a" * 64}]}},
            [
                "docker_host:images:pull:0:name: 'busybox@sha256:" + "a" * 64 + "' names an "
                "image by digest: give repository:tag (the formula tags what it loads and "
                "follows tags when it pulls)"
            ],
        ),
        (
            {"images": {"load": [{"name": "Sles/Base", "source": "/x.tar"}]}},
            [
                "docker_host:images:load:0:name: 'Sles/Base' is not an image reference like "
                "registry.example.com/bci/base:15.6 (registry host and port, lowercase "
                "repository path, optional :tag)"
            ],
        ),
        (
            {"daemon": {"daemon_json": {"log-opts": {3: "x"}}}},
            [
                "docker_host:daemon:daemon_json has the key 3 (under log-opts), which is a "
                "whole number: quote it"
            ],
        ),
        (
            {"daemon": {"options": {"label": [{True: "x"}]}}},
            [
                "docker_host:daemon:options has the key True (under label), which is true or "
                "false: quote it"
            ],
        ),
        (
            {"images": {"pull": [{"name": "a", "auth": {"username": "u", 1: "p"}}]}},
            ["docker_host:images:pull:0:auth has the key 1, which is a whole number: quote it"],
        ),
    ],
)
def test_each_problem_is_named_whole(schema, data, problems):
    assert schema.problems_in(data) == problems


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [(("users", "gid"), 0, 4294967294)],
)
def test_whole_numbers_are_taken_up_to_their_bounds(schema, key, low, high):
    section, name = key
    where = f"docker_host:{section}:{name}"
    for value in (low, high, None):
        assert schema.problems_in({section: {name: value}}) == [], value
    for value in (low - 1, high + 1):
        assert schema.problems_in({section: {name: value}}) == [
            f"{where} must be between {low} and {high}, not {value}"
        ]


@pytest.mark.parametrize(
    ("timeout", "taken"), [(1, True), (86400, True), (0, False), (86401, False)]
)
def test_a_pull_timeout_is_one_second_to_a_day(schema, timeout, taken):
    found = schema.problems_in({"images": {"pull": [{"name": "busybox", "timeout": timeout}]}})
    assert found == (
        []
        if taken
        else [f"docker_host:images:pull:0:timeout must be between 1 and 86400, not {timeout}"]
    )


@pytest.mark.parametrize(
    ("mode", "taken"),
    [
        ("644", True),
        ("0644", True),
        ("0755", True),
        ("7777", True),
        ("64", False),
        ("07777", False),
        ("0648", False),
        ("0X44", False),
        ("rwx", False),
        ("", False),
    ],
)
def test_permission_modes_are_three_or_four_octal_digits(schema, mode, taken):
    found = schema.problems_in({"permissions": {"paths": {"/etc/docker": {"mode": mode}}}})
    assert found == (
        []
        if taken
        else [
            f"docker_host:permissions:paths:/etc/docker:mode must be an octal mode like '0644', "
            f"not {mode!r}"
        ]
    )


def test_every_bad_permission_path_is_reported(schema):
    paths = {
        "/usr/lib/systemd/system/docker.service": "0644",
        5: {},
        "relative": {},
        "/etc/docker": {"mode": 420},
        "/etc/sysconfig/docker": {"owner": "root"},
        "/run/docker.sock": None,  # null drops a default path
        "/etc/docker/daemon.json": {"user": "Root"},
    }
    assert schema.problems_in({"permissions": {"paths": paths}}) == [
        "docker_host:permissions:paths:/usr/lib/systemd/system/docker.service must be a "
        "mapping, not a string ('0644'); its keys are user, group, mode",
        "docker_host:permissions:paths: the path 5 must be a string",
        "docker_host:permissions:paths: the path 'relative' must be a normalized absolute "
        "path (no '..', '.', '//' or trailing '/'), not 'relative'",
        "docker_host:permissions:paths:/etc/docker:mode must be a quoted octal string like "
        "'0644', not the number 420 (YAML reads an unquoted 0644 as 420)",
        "docker_host:permissions:paths:/etc/sysconfig/docker:owner is not a key of "
        "docker_host:permissions:paths:/etc/sysconfig/docker: valid keys: group, mode, user",
        "docker_host:permissions:paths:/etc/docker/daemon.json:user: 'Root' is not a valid "
        "user or group name (lowercase, digits, _ and -)",
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("busybox", "busybox:latest"),
        ("docker.io/library/busybox:1", "busybox:1"),
        ("docker.io/busybox:1", "busybox:1"),
        ("index.docker.io/library/busybox:1", "busybox:1"),
        ("index.docker.io/busybox:1", "library/busybox:1"),
        ("library/busybox", "busybox"),
        ("docker.io/library/a/b", "library/a/b:latest"),
        ("registry.example.com:5000/bci/base", "registry.example.com:5000/bci/base:latest"),
    ],
)
def test_one_image_under_two_spellings_is_listed_twice(schema, first, second):
    """As the daemon spells its tags: docker.io/library/ and :latest are implied."""
    for kind, extra in (("load", {"source": "/srv/base.tar"}), ("pull", {})):
        images = {kind: [{"name": first, **extra}, {"name": second, **extra}]}
        (problem,) = schema.problems_in({"images": images})
        assert problem.startswith(
            f"docker_host:images:{kind}:1:name {second} is listed twice (as "
        ), problem
        assert problem.endswith("): list it once")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("busybox:1", "busybox:2"),
        ("quay.io/busybox", "busybox"),
        ("library/a/b", "a/b"),  # library/ is dropped only before a one-part name
        ("docker.io/library/a/b", "a/b"),
        ("docker.io/library/busybox", "docker.io/library/other"),
        ("registry.example.com:5000/base", "registry.example.com:5001/base"),
    ],
)
def test_different_images_are_not_listed_twice(schema, first, second):
    for kind, extra in (("load", {"source": "/srv/base.tar"}), ("pull", {})):
        images = {kind: [{"name": first, **extra}, {"name": second, **extra}]}
        assert schema.problems_in({"images": images}) == []


def test_the_same_image_loaded_and_pulled_is_no_duplicate(schema):
    images = {"load": [{"name": "busybox", "source": "/srv/b.tar"}], "pull": [{"name": "busybox"}]}
    assert schema.problems_in({"images": images}) == []


def test_the_twice_listed_message_names_the_spelling_compared(schema):
    images = {"pull": [{"name": "docker.io/library/busybox"}, {"name": "busybox"}]}
    assert schema.problems_in({"images": images}) == [
        "docker_host:images:pull:1:name busybox is listed twice (as busybox:latest): list it once"
    ]


@pytest.mark.parametrize("spelling", ["group", "-G", "G", "--group"])
def test_the_socket_group_is_named_once(schema, spelling):
    data = {"users": {"group": "ops"}, "daemon": {"options": {spelling: "docker"}}}
    assert schema.problems_in(data) == [
        f"docker_host:daemon:options:{spelling} is 'docker' but docker_host:users:group is "
        "'ops': name the socket's group once, in docker_host:users:group"
    ]
    # The same group, or unmanaged users, leave the daemon's option to the daemon.
    assert schema.problems_in({**data, "users": {"group": "docker"}}) == []
    assert schema.problems_in({**data, "users": {"group": "ops", "manage": False}}) == []


def test_the_socket_group_in_daemon_json_is_checked_against_the_default_group(schema):
    assert schema.problems_in({"daemon": {"daemon_json": {"group": "ops"}}}) == [
        "docker_host:daemon:daemon_json:group is 'ops' but docker_host:users:group is "
        "'docker': name the socket's group once, in docker_host:users:group"
    ]
    assert schema.problems_in({"daemon": {"daemon_json": {"group": "docker"}}}) == []


def test_a_pillar_with_a_wrong_type_is_not_checked_together(schema):
    """Problems of shape come first: the cross-checks read only a well-formed pillar."""
    data = {"users": {"group": "ops", "gid": "1"}, "daemon": {"options": {"group": "docker"}}}
    assert schema.problems_in(data) == [
        "docker_host:users:gid must be a whole number or null, not a string ('1')"
    ]


def test_keys_lists_every_key_with_type_default_and_doc(schema):
    keys = schema.keys()
    assert keys["docker_host:users:gid"] == {
        "type": "integer or null",
        "default": None,
        "doc": "The group's id, when it has to be created.",
    }
    assert keys["docker_host:forwarding:ipv4"]["type"] == "boolean"
    assert keys["docker_host:forwarding:ipv4"]["default"] is True
    # The keys of list items are listed under N.
    assert keys["docker_host:images:pull:N:timeout"]["type"] == "integer"
    assert keys["docker_host:images:pull:N:timeout"]["default"] == 60
    assert keys["docker_host:images:load:N:source"]["default"] is None
    assert "docker_host:images:pull" in keys
    assert "docker_host:users" not in keys  # a section, not a key
    assert len([key for key in keys if key.startswith("docker_host:images:pull:N:")]) == 4


def test_defaults_follow_the_sections(schema):
    defaults = schema.defaults()
    assert defaults["root"] == ""
    assert defaults["users"] == {
        "manage": True,
        "group": "docker",
        "members": [],
        "exclusive": False,
        "gid": None,
    }
    assert defaults["images"] == {"url": None, "load": [], "pull": []}


def test_without_data_the_minions_own_pillar_is_checked(schema):
    """salt-call docker_host_pillar.problems: Salt hands the module the minion's pillar;
    problems set the exit code 1, a valid pillar says so in one line."""
    schema.__pillar__ = {"docker_host": {"frwd": {}}, "other": {"x": 1}}
    schema.__context__ = {}
    assert schema.problems() == [
        "docker_host:frwd is not a key of docker_host: did you mean docker_host:forwarding?"
    ]
    assert schema.__context__ == {"retcode": 1}
    schema.__pillar__ = {"other": {"x": 1}}  # no docker_host: the defaults apply
    schema.__context__ = {}
    assert schema.problems() == "The docker_host pillar is valid: no problems found."
    assert schema.__context__ == {}
    # Data given is checked instead of the pillar.
    schema.__pillar__ = {"docker_host": {"frwd": {}}}
    assert schema.problems({"users": {"members": []}}) == (
        "The docker_host pillar is valid: no problems found."
    )
    assert schema.problems_in({"frwd": {}}) and schema.__context__ == {}


@pytest.mark.parametrize(
    "daemon, problem",
    [
        # systemd would split these at the space or take the newline as the end.
        (
            {"options": {"log-opt": "tag=a b"}},
            "docker_host:daemon:options:log-opt='tag=a b': systemd splits DOCKER_OPTS at "
            "whitespace",
        ),
        (
            {"options": {"labels": ["a=b\nc"]}},
            "docker_host:daemon:options:labels='a=b\\nc': systemd splits DOCKER_OPTS",
        ),
        (
            {"options": {"data-root": "$(id)"}},
            "docker_host:daemon:options:data-root must be an absolute path, not '$(id)'",
        ),
        (
            {"options": {"log-level": "loud"}},
            "docker_host:daemon:options:log-level must be one of debug, error, fatal, info, "
            "warn, not 'loud'",
        ),
        (
            {"options": {"storage-drivr": "btrfs"}},
            "docker_host:daemon:options:storage-drivr is not a dockerd option: did you mean "
            "storage-driver?",
        ),
        (
            {"daemon_json": {"insecure-registry": ["r:5000"]}},
            "docker_host:daemon:daemon_json:insecure-registry is not a daemon.json key, and "
            "dockerd refuses unknown keys: did you mean insecure-registries? (insecure-registry "
            "is the flag's name; daemon.json calls it insecure-registries)",
        ),
        (
            {"options": {"debug": True}, "daemon_json": {"debug": True}},
            "docker_host:daemon:debug given in both options and daemon_json",
        ),
    ],
)
def test_what_the_daemon_state_would_refuse_is_refused_before_any_state_runs(
    schema, daemon, problem
):
    found = schema.problems_in({"daemon": daemon})
    assert len(found) == 1 and found[0].startswith(problem), found


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        # The same name one level off: never the top-level root for data_root.
        (
            {"data_root": "/srv/docker"},
            "docker_host:data_root is not a key of docker_host: did you mean "
            "docker_host:daemon:data_root?",
        ),
        (
            {"storage-driver": "btrfs"},
            "docker_host:storage-driver is not a key of docker_host: did you mean "
            "docker_host:daemon:storage_driver?",
        ),
        (
            {"daemon": {"members": ["alice"]}},
            "docker_host:daemon:members is not a key of docker_host:daemon: did you mean "
            "docker_host:users:members?",
        ),
        (
            {"users": {"manage": True, "name": "docker"}},
            "docker_host:users:name is not a key of docker_host:users: did you mean "
            "docker_host:package:name or docker_host:service:name?",
        ),
        # dockerd's own settings where the formula's keys are.
        (
            {"daemon": {"log-level": "warn"}},
            "docker_host:daemon:log-level is not a key of docker_host:daemon: did you mean "
            "docker_host:daemon:daemon_json:log-level (or docker_host:daemon:options:log-level)? "
            "dockerd's own settings go there",
        ),
        (
            {"insecure-registry": ["r:5000"]},
            "docker_host:insecure-registry is not a key of docker_host: did you mean "
            "docker_host:daemon:daemon_json:insecure-registries (or "
            "docker_host:daemon:options:insecure-registries)? dockerd's own settings go there",
        ),
    ],
)
def test_a_key_in_the_wrong_place_is_sent_where_it_belongs(schema, data, problem):
    assert schema.problems_in(data) == [problem]


@pytest.mark.parametrize(
    ("daemon", "problem"),
    [
        (
            {"daemon_json": {"registry-mirrors": ["mirror.example.com"]}},
            "docker_host:daemon:daemon_json:registry-mirrors 'mirror.example.com' is not an "
            "http:// or https:// URL, and dockerd takes no other mirror: write "
            "https://mirror.example.com",
        ),
        (
            {"daemon_json": {"log-driver": "journald", "log-opts": {"max-size": "10m"}}},
            "docker_host:daemon:log-opts: the journald log driver has no option max-size",
        ),
        (
            {"options": {"log-driver": "local"}, "daemon_json": {"log-opts": {"tag": "x"}}},
            "docker_host:daemon:log-opts: the local log driver has no option tag",
        ),
        (
            {"daemon_json": {"http-proxy": "http://proxy:3128"}},
            "docker_host:daemon:daemon_json:http-proxy belongs under proxies in daemon.json "
            "({proxies: {http-proxy: ...}}, read by Engine 23 and later)",
        ),
        (
            {
                "options": {"http-proxy": "http://proxy:3128"},
                "daemon_json": {"proxies": {"http-proxy": "http://proxy:3128"}},
            },
            "docker_host:daemon:http-proxy given in both options and daemon_json",
        ),
        (
            {"options": {"bip": "10.20.0.0/16"}},
            "docker_host:daemon:options:bip '10.20.0.0/16' is the network's own address",
        ),
    ],
)
def test_values_dockerd_refuses_are_refused_with_the_pillar_key(schema, daemon, problem):
    found = schema.problems_in({"daemon": daemon})
    assert len(found) == 1 and found[0].startswith(problem), found


_PEM = {
    "ca": "-----BEGIN CERTIFICATE-----\nZGVy\n-----END CERTIFICATE-----\n",
    "cert": "-----BEGIN CERTIFICATE-----\nZGVy\n-----END CERTIFICATE-----\n",
    "key": "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n",
}


@pytest.mark.parametrize(
    ("daemon", "problems"),
    [
        (
            {"options": {"host": ["tcp://0.0.0.0:2375"]}},
            [
                "docker_host:daemon:options:host tcp://0.0.0.0:2375 opens the Docker API over "
                "TCP without TLS client verification: root on this host for anyone who can "
                "reach the port (CIS Docker Benchmark 2.7). Give docker_host:daemon:tls (the "
                "CA, the server's certificate and key), or set "
                "docker_host:daemon:insecure_tcp_api: true to accept it"
            ],
        ),
        (
            {"daemon_json": {"hosts": [":2375", "unix:///run/docker.sock"]}},
            ["docker_host:daemon:daemon_json:hosts :2375 opens the Docker API over TCP"],
        ),
        # TLS without client verification lets anyone in too.
        (
            {"daemon_json": {"hosts": ["tcp://0.0.0.0:2376"], "tls": True}},
            ["docker_host:daemon:daemon_json:hosts tcp://0.0.0.0:2376 opens the Docker API"],
        ),
        ({"options": {"host": ["tcp://0.0.0.0:2375"]}, "insecure_tcp_api": True}, []),
        ({"options": {"host": ["tcp://0.0.0.0:2376"]}, "tls": _PEM}, []),
        ({"options": {"host": ["unix:///run/docker.sock", "fd://"]}}, []),
        (
            {
                "daemon_json": {
                    "hosts": ["tcp://0.0.0.0:2376"],
                    "tlsverify": True,
                    "tlscacert": "/etc/pki/ca.pem",
                    "tlscert": "/etc/pki/cert.pem",
                    "tlskey": "/etc/pki/key.pem",
                }
            },
            [],
        ),
        (
            {"tls": _PEM, "daemon_json": {"tlscert": "/etc/pki/cert.pem"}},
            ["docker_host:daemon:tls and tlscert both configure TLS: give it once, in tls"],
        ),
        (
            {"tls": {"ca": _PEM["ca"], "cert": _PEM["cert"]}},
            ["docker_host:daemon:tls:key is missing: give PEM text or the path of a file"],
        ),
        (
            {"insecure_tcp_api": "yes"},
            ["docker_host:daemon:insecure_tcp_api must be true or false, not a string ('yes')"],
        ),
    ],
)
def test_a_tcp_api_needs_tls_client_verification(schema, daemon, problems):
    found = schema.problems_in({"daemon": daemon})
    assert len(found) == len(problems), found
    for problem, wanted in zip(found, problems, strict=True):
        assert problem.startswith(wanted), found
    assert not any("a2V5" in problem for problem in found)


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"proxy": "system"}, []),
        ({"proxy": {"https_proxy": "http://proxy.example.com:3128"}}, []),
        (
            {"proxy": "yes"},
            [
                "docker_host:proxy must be system, none or a mapping of http_proxy, "
                "https_proxy, no_proxy, not 'yes'"
            ],
        ),
        (
            {"proxy": {"http_proxy": "http://u:pw@proxy:3128/x y"}},
            [
                "docker_host:proxy:http_proxy: 'http://u:****@proxy:3128/x y' holds a quote, "
                "backslash, space, % or $, which a systemd drop-in would not keep as written"
            ],
        ),
        (
            {"proxy": "system", "daemon": {"manage": False}},
            [
                "docker_host:proxy is applied by the daemon's state, and "
                "docker_host:daemon:manage is false: manage the daemon, or leave proxy null"
            ],
        ),
    ],
)
def test_the_proxy_setting_is_checked_with_its_pillar_key(schema, data, problems):
    assert schema.problems_in(data) == problems
