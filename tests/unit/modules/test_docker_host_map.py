"""docker_host_map: the formula's map, from the schema's defaults, the OS maps and pillar.

The Salt functions it calls are given as plain functions: Salt's own merge
(salt.utils.dictupdate, what slsutil.merge runs), the extension's pillar
schema, and the OS map files of this checkout read from disk in place of
the fileserver.
"""

import copy

import pytest
import salt.utils.dictupdate
from salt.exceptions import CommandExecutionError

from tests.conftest import REPO_ROOT, SUSE_FIXTURES
from tests.functional import test_formula_local as local
from tests.unit.conftest import _load, load_schema

SLES15 = {"os_family": "Suse", "osfullname": "SLES", "osfinger": "SLES-15"}
SLES12 = {"os_family": "Suse", "osfullname": "SLES", "osfinger": "SLES-12"}
DEBIAN = {"os_family": "Debian", "osfullname": "Debian", "osfinger": "Debian-12"}


@pytest.fixture
def map_mod(tmp_path):
    module = _load("_modules/docker_host_map.py")
    schema = load_schema()
    module.__grains__ = dict(SLES15)
    module.__pillar__ = {}
    module.__context__ = {}
    module.__opts__ = {}
    module.read = []

    module.maps = REPO_ROOT  # where the formula's directory is read from

    def get_file_str(source, saltenv):
        module.read.append((source, saltenv))
        path = module.maps / source.removeprefix("salt://").replace("formulas/", "")
        return path.read_text() if path.is_file() else False

    sysconfig = _load("_modules/sysconfig.py")
    module.__salt__ = {
        "sysconfig.image_root": sysconfig.image_root,
        "sysconfig.items": sysconfig.items,
        "slsutil.merge": salt.utils.dictupdate.merge,
        "docker_host_pillar.defaults": schema.defaults,
        "docker_host_pillar.problems_in": schema.problems_in,
        "docker_host_pillar.socket_group": schema.socket_group,
        "grains.filter_by": lambda table, grain: table.get(module.__grains__.get(grain)),
        "cp.get_file_str": get_file_str,
    }
    module.tmp_path = tmp_path
    return module


def _data(map_mod, pillar, grains=SLES15):
    map_mod.__grains__ = dict(grains)
    map_mod.__pillar__ = {"docker_host": pillar}
    map_mod.__context__ = {}
    return map_mod.data()


def test_each_layer_lies_over_the_last(map_mod):
    # defaults (firewalld) < family (firewalld) < distribution < release (SLES 12: SuSEfirewall2)
    assert _data(map_mod, {}, SLES12)["docker_host"]["forwarding"]["release_firewall"] == (
        "SuSEfirewall2"
    )
    assert _data(map_mod, {}, SLES15)["docker_host"]["forwarding"]["release_firewall"] == (
        "firewalld"
    )
    # Pillar over every map.
    pillar = {"forwarding": {"release_firewall": "firewalld"}}
    assert _data(map_mod, pillar, SLES12)["docker_host"]["forwarding"]["release_firewall"] == (
        "firewalld"
    )
    # A distribution no map names gets the defaults.
    data = _data(map_mod, {}, DEBIAN)["docker_host"]
    assert data["package"] == {"install": True, "name": "docker", "version": None, "hold": None}


def test_every_os_map_is_a_layer_of_its_own(map_mod, tmp_path):
    """Maps of a formula kept elsewhere, each setting what the next leaves."""
    (tmp_path / "docker_host").mkdir()
    maps = {
        "osfamilymap.yaml": "Suse:\n  package: {name: family}\n  service: {name: family}\n"
        "  users: {group: family}\n",
        "osmap.yaml": "SLES:\n  package: {name: distribution}\n  service: {name: distribution}\n",
        "osfingermap.yaml": "SLES-15:\n  package: {name: release}\n",
    }
    for name, text in maps.items():
        (tmp_path / "docker_host" / name).write_text(text)
    map_mod.maps = tmp_path
    data = _data(map_mod, {})["docker_host"]
    assert data["package"]["name"] == "release"
    assert data["service"]["name"] == "distribution"
    assert data["users"]["group"] == "family"
    assert data["forwarding"]["release_firewall"] == "firewalld"  # the defaults


def test_a_minion_without_a_docker_host_pillar_gets_the_defaults(map_mod):
    map_mod.__pillar__ = {"other": {"x": 1}}
    data = map_mod.data()
    assert data["pillar_problems"] == []
    assert data["docker_host"]["users"] == {
        "exclusive": False,
        "gid": None,
        "group": "docker",
        "manage": True,
        "members": [],
    }
    assert data["requisite"]["daemon"] == {"docker_host": "docker-host-daemon-configured"}


def test_the_maps_are_read_from_the_formulas_directory_once_per_run(map_mod):
    map_mod.__pillar__ = {"docker_host": {"users": {"members": ["alice"]}}}
    first = map_mod.data()  # the formula's directory in base
    assert first["docker_host"]["users"]["members"] == ["alice"]
    assert map_mod.data("docker_host", "base") is first
    assert map_mod.read == [
        ("salt://docker_host/osfamilymap.yaml", "base"),
        ("salt://docker_host/osmap.yaml", "base"),
        ("salt://docker_host/osfingermap.yaml", "base"),
    ]
    # Another environment, or the formula in a subdirectory, is read anew.
    map_mod.data("formulas.docker_host", "prod")
    assert map_mod.read[3:] == [
        ("salt://formulas/docker_host/osfamilymap.yaml", "prod"),
        ("salt://formulas/docker_host/osmap.yaml", "prod"),
        ("salt://formulas/docker_host/osfingermap.yaml", "prod"),
    ]
    prod = map_mod.data("formulas.docker_host", "prod")
    assert prod["requisite"]["permissions"] is None  # not enforced by default
    enforced = {"docker_host": {"permissions": {"enforce": True}}}
    map_mod.__pillar__, map_mod.__context__ = enforced, {}
    requisite = map_mod.data("formulas.docker_host", "prod")["requisite"]["permissions"]
    assert requisite == {"sls": "formulas.docker_host.permissions"}


def test_a_missing_os_map_names_the_file_and_how_to_serve_it(map_mod):
    map_mod.__salt__["cp.get_file_str"] = lambda source, saltenv: False
    with pytest.raises(CommandExecutionError) as err:
        map_mod.data("docker_host", "base")
    assert str(err.value) == (
        "salt://docker_host/osfamilymap.yaml is not on the fileserver in saltenv base: serve "
        "the whole docker_host directory of suse-docker-host from file_roots"
    )


def test_an_invalid_pillar_is_not_merged_and_renders_only_the_check(map_mod):
    data = _data(map_mod, {"daemon": {"data_root": "relative"}, "users": {"group": "other"}})
    assert data["pillar_problems"] and "docker_host:daemon:data_root" in data["pillar_problems"][0]
    assert data["setup_problems"] == []
    assert data["docker_host"]["users"]["group"] == "docker"  # the defaults, not the pillar
    assert data["requisite"] == {
        "pillar": {"docker_host_pillar": "docker-host-pillar-valid"},
        **dict.fromkeys(("package", "users", "daemon", "forwarding", "permissions", "service")),
    }
    assert data["requires"]["service"] == [{"docker_host_pillar": "docker-host-pillar-valid"}]
    assert data["socket_group"] is None
    assert data["permissions"] == []


@pytest.mark.parametrize(
    "grains, install, problem",
    [(DEBIAN, True, True), (DEBIAN, False, False), (SLES15, True, False)],
    ids=["debian-install", "debian-no-install", "suse-install"],
)
def test_installing_into_an_image_root_needs_a_suse_build_host(map_mod, grains, install, problem):
    root = map_mod.tmp_path
    data = _data(map_mod, {"root": str(root), "package": {"install": install}}, grains)
    assert bool(data["setup_problems"]) is problem
    assert data["pillar_problems"] == data["setup_problems"]
    if problem:
        assert data["setup_problems"] == [
            "docker_host:package:install is true with docker_host:root set: installing docker "
            f"into the image root {root} needs zypper (a SUSE build host); set "
            "docker_host:package:install to false and install it with the image's package list"
        ]
        assert data["requisite"]["daemon"] is None and data["permissions"] == []
    else:
        assert data["root"] == str(root)
        assert data["requisite"]["daemon"] == {"docker_host": "docker-host-daemon-configured"}


@pytest.mark.parametrize("root", ["", "/"])
def test_an_empty_root_and_slash_are_the_running_system(map_mod, root):
    assert _data(map_mod, {"root": root})["root"] is None


@pytest.mark.parametrize(
    "concern, pillar, requisite",
    [
        (
            "package",
            {"package": {"install": False}},
            {"docker_host_package": "docker-host-package-installed"},
        ),
        ("users", {"users": {"manage": False}}, {"docker_host": "docker-host-users"}),
        ("daemon", {"daemon": {"manage": False}}, {"docker_host": "docker-host-daemon-configured"}),
        (
            "forwarding",
            {"forwarding": {"manage": False}},
            {"docker_host": "docker-host-forwarding-enabled"},
        ),
        (
            "service",
            {"service": {"manage": False}},
            {"docker_host_service": "docker-host-service-running"},
        ),
    ],
)
def test_a_concern_that_is_not_managed_is_no_requisite(map_mod, concern, pillar, requisite):
    assert _data(map_mod, {})["requisite"][concern] == requisite
    data = _data(map_mod, pillar)
    assert data["requisite"][concern] is None
    assert all(requisite not in names for names in data["requires"].values())


def test_permissions_are_a_requisite_only_when_enforced_with_files(map_mod):
    assert _data(map_mod, {})["requisite"]["permissions"] is None
    data = _data(map_mod, {"permissions": {"enforce": True}})
    assert data["requisite"]["permissions"] == {"sls": "docker_host.permissions"}
    paths = dict.fromkeys(data["docker_host"]["permissions"]["paths"])
    data = _data(map_mod, {"permissions": {"enforce": True, "paths": paths}})
    assert data["requisite"]["permissions"] is None


VALID = {"docker_host_pillar": "docker-host-pillar-valid"}
PACKAGE = {"docker_host_package": "docker-host-package-installed"}
USERS = {"docker_host": "docker-host-users"}
DAEMON = {"docker_host": "docker-host-daemon-configured"}
FORWARDING = {"docker_host": "docker-host-forwarding-enabled"}
PERMISSIONS = {"sls": "docker_host.permissions"}
RUNNING = {"docker_host_service": "docker-host-service-running"}


@pytest.mark.parametrize(
    "pillar, service, watch",
    [
        ({}, [VALID, USERS, FORWARDING], [PACKAGE, DAEMON]),
        (
            {"permissions": {"enforce": True}},
            [VALID, USERS, FORWARDING, PERMISSIONS],
            [PACKAGE, DAEMON],
        ),
        # The users' state sets a socket group other than docker: it restarts dockerd.
        (
            {"daemon": {"manage": False}, "users": {"group": "dockerusers"}},
            [VALID, USERS, FORWARDING],
            [PACKAGE, USERS],
        ),
        # Members joining the docker group need no restart.
        ({"daemon": {"manage": False}}, [VALID, USERS, FORWARDING], [PACKAGE]),
    ],
    ids=["default", "permissions", "socket-group-by-users", "daemon-unmanaged"],
)
def test_on_the_running_system_the_service_watches_what_needs_a_restart(
    map_mod, pillar, service, watch
):
    requires = _data(map_mod, pillar)["requires"]
    assert requires["service"] == service
    assert requires["service_watch"] == watch


def test_each_concern_requires_those_before_it(map_mod):
    requires = _data(map_mod, {})["requires"]
    assert requires["package"] == [VALID]
    assert requires["users"] == [VALID, PACKAGE]
    assert requires["daemon"] == [VALID, PACKAGE, USERS]
    assert requires["forwarding"] == [VALID]
    assert requires["permissions"] == [VALID, PACKAGE, USERS, DAEMON]
    assert requires["images"] == [VALID, RUNNING]


def test_in_an_image_root_the_service_is_enabled_after_everything_and_watches_nothing(map_mod):
    pillar = {
        "root": str(map_mod.tmp_path),
        "package": {"install": False},
        "permissions": {"enforce": True},
    }
    data = _data(map_mod, pillar)
    enabled = {"docker_host_service": "docker-host-service-enabled"}
    assert data["requisite"]["service"] == enabled
    assert data["requires"]["service"] == [VALID, USERS, DAEMON, FORWARDING, PERMISSIONS]
    assert data["requires"]["service_watch"] == []
    assert data["requires"]["images"] == [VALID, enabled]


def test_the_files_to_tighten_are_sorted_and_the_socket_gets_the_socket_group(map_mod):
    paths = {
        "/var/run/docker.sock": {"group": "docker", "mode": "0660"},
        "/run/docker.sock": {"user": "root", "group": "docker", "mode": "0660"},
        "/etc/docker": None,
        "/srv/Other.sock": {"group": "docker"},
        "/srv/remote": {"user": "dockremote", "mode": "0600"},
        "/etc/docker/daemon.json": {"mode": "0600"},
    }
    defaults = _data(map_mod, {})["docker_host"]["permissions"]["paths"]
    paths.update({path: None for path in defaults if path not in paths})
    pillar = {"users": {"group": "dockerusers"}, "permissions": {"enforce": True, "paths": paths}}
    assert _data(map_mod, pillar)["permissions"] == [
        {"path": "/etc/docker/daemon.json", "user": "root", "group": "root", "mode": "0600"},
        {"path": "/run/docker.sock", "user": "root", "group": "dockerusers", "mode": "0660"},
        {"path": "/srv/Other.sock", "user": "root", "group": "docker", "mode": "0644"},
        {"path": "/srv/remote", "user": "dockremote", "group": "root", "mode": "0600"},
        {"path": "/var/run/docker.sock", "user": "root", "group": "dockerusers", "mode": "0660"},
    ]


class _Masking(dict):
    """Stands for Salt 3008's masked pillar containers: a dict whose repr hides values."""

    def __repr__(self):
        return "{'**********'}"


def test_the_states_get_plain_data_in_one_order_whatever_the_pillars_order(map_mod):
    options = _Masking({"log-level": "warn", "group": "docker"})
    pillar = _Masking(
        {"daemon": _Masking({"options": options, "daemon_json": {"mtu": 1500, "debug": True}})}
    )
    first = _data(map_mod, copy.copy(pillar))
    daemon = first["docker_host"]["daemon"]
    assert type(daemon) is dict and type(daemon["options"]) is dict
    assert list(daemon["options"]) == ["group", "log-level"]
    assert list(daemon["daemon_json"]) == ["debug", "mtu"]
    assert list(first["docker_host"]) == sorted(first["docker_host"])
    reordered = {
        "daemon": {
            "daemon_json": {"debug": True, "mtu": 1500},
            "options": dict(reversed(options.items())),
        }
    }
    assert _data(map_mod, reordered) == first


def test_pillar_lists_reach_the_states_item_by_item(map_mod):
    pull = [{"name": "registry.example.com/base:15.6", "timeout": 30}]
    data = _data(map_mod, _Masking({"images": {"pull": pull}, "users": {"members": ["alice"]}}))
    assert data["docker_host"]["images"]["pull"] == pull
    assert type(data["docker_host"]["images"]["pull"][0]) is dict
    assert data["docker_host"]["users"]["members"] == ["alice"]


def test_keys_of_other_types_are_a_pillar_problem_not_a_crash(map_mod):
    """YAML gives an unquoted 2375 as a number: mixed keys cannot be compared,
    yet the pillar check must get to name them."""
    data = _data(map_mod, {"daemon": {"options": {2375: "tcp", "log-level": "warn"}}})
    assert data["pillar_problems"]
    assert data["requisite"]["daemon"] is None


@pytest.mark.parametrize(
    ("markers", "found"),
    [
        ([".kconfig"], "/.kconfig"),  # KIWI's config.sh is running
        (["image/config.xml", ".profile"], "/image/config.xml"),  # a prepared root
        (["image/config.xml"], None),  # a directory that happens to be called image
        ([], None),
    ],
)
def test_inside_an_image_kiwi_builds_the_formula_refuses_to_judge_the_build_host(
    map_mod, tmp_path, markers, found
):
    """Seen from inside (a chroot), the image's /proc is the build host's."""
    system = tmp_path / "system"
    for marker in markers:
        (system / marker).parent.mkdir(parents=True, exist_ok=True)
        (system / marker).write_text("")
    map_mod.__opts__ = {"docker_host.root": str(system)}
    problems = _data(map_mod, {})["setup_problems"]
    if found is None:
        assert problems == []
    else:
        assert problems == [
            f"/ is an image that KIWI is building ({found} is there), seen from inside: its "
            "/proc, /sys and mounts are the build host's, which the formula would judge and "
            "change. Apply the formula from outside instead, between kiwi-ng system prepare "
            "and system create, with docker_host:root set to the image root (README: Inside "
            "a KIWI image build)"
        ]
    # Applied from outside with docker_host:root, the same image is fine.
    (tmp_path / "image").mkdir()
    data = _data(map_mod, {"root": str(tmp_path / "image")})
    assert (data["pillar_problems"], data["setup_problems"]) == ([], [])


@pytest.mark.parametrize(
    ("os_release", "grains", "release_firewall"),
    [
        # A SLES 12 image built on a SLES 15 host: SLES 12's SuSEfirewall2.
        ("sles-12-sp1.os-release", SLES15, "SuSEfirewall2"),
        ("sles-15-sp6.os-release", SLES12, "firewalld"),
        ("opensuse-leap-42.1.os-release", SLES15, "SuSEfirewall2"),
        ("opensuse-leap-15.2.os-release", SLES12, "firewalld"),
    ],
)
def test_an_image_roots_os_maps_are_chosen_by_its_os_release_not_the_build_hosts(
    map_mod, tmp_path, os_release, grains, release_firewall
):
    image = tmp_path / "image"
    (image / "usr/lib").mkdir(parents=True)
    (image / "etc").mkdir()
    (image / "usr/lib/os-release").write_text(
        (SUSE_FIXTURES / "os-release" / os_release).read_text()
    )
    (image / "etc/os-release").symlink_to("../usr/lib/os-release")
    data = _data(map_mod, {"root": str(image)}, grains=grains)
    assert data["docker_host"]["forwarding"]["release_firewall"] == release_firewall
    # The running system's maps still follow its grains.
    live = _data(map_mod, {}, grains=grains)["docker_host"]["forwarding"]["release_firewall"]
    assert live == ("SuSEfirewall2" if grains is SLES12 else "firewalld")


def test_an_image_without_an_os_release_gets_no_os_layer(map_mod, tmp_path):
    (tmp_path / "image").mkdir()
    defaults = _data(map_mod, {"root": "/"}, grains={})["docker_host"]["forwarding"]
    data = _data(map_mod, {"root": str(tmp_path / "image")}, grains=SLES12)
    assert data["docker_host"]["forwarding"] == defaults


@pytest.mark.parametrize(
    ("os_release", "grains"),
    [
        ("sles-12-sp1.os-release", local.SLES12),
        ("sles-15-sp6.os-release", local.SLES15),
        ("opensuse-leap-15.1.os-release", local.LEAP15),
        ("opensuse-leap-42.1.os-release", local.LEAP42),
        (None, local.TUMBLEWEED),
    ],
)
def test_an_images_grains_are_what_salt_reports_on_that_release(
    map_mod, tmp_path, os_release, grains
):
    """The grains Salt's core grains report for each os-release (proven in
    tests/functional/test_formula_local.py), read from an image root."""
    text = (
        local.TUMBLEWEED_OS_RELEASE
        if os_release is None
        else (SUSE_FIXTURES / "os-release" / os_release).read_text()
    )
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text(text)
    assert map_mod._target_grains(str(tmp_path)) == grains
