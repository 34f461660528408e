"""The docker_host formula through salt-call --local, on sandbox roots.

Salt detects this machine as Debian; the SUSE releases are given as static
grains (os_family, osfullname, osfinger), which is how the OS maps see them.
"""

import importlib.util
import itertools
import json
import os
import shutil
import stat
import subprocess

import pytest
import yaml

from tests import hosttrees
from tests.saltcall import (
    REPO_ROOT,
    SALT_CALL,
    formula_tree,
    minion_config,
    state_apply,
    unconverged,
)

pytestmark = pytest.mark.own_process

SLES12 = {"os_family": "Suse", "osfullname": "SLES", "osfinger": "SLES-12"}
LOW_SLS = ("state.show_low_sls", "docker_host")
SLES15 = {"os_family": "Suse", "osfullname": "SLES", "osfinger": "SLES-15"}
# What Salt's core grains make of the real os-release files (checked below by
# test_the_static_grains_are_what_salt_reports_for_each_release).
LEAP15 = {"os_family": "Suse", "osfullname": "Leap", "osfinger": "Leap-15"}
LEAP42 = {"os_family": "Suse", "osfullname": "Leap", "osfinger": "Leap-42"}
TUMBLEWEED = {
    "os_family": "Suse",
    "osfullname": "openSUSE Tumbleweed",
    "osfinger": "openSUSE Tumbleweed-20250527",
}
# Tumbleweed's /usr/lib/os-release as openSUSE-release writes it (a 2025
# snapshot): VERSION is a comment, CPE_NAME in CPE 2.3 form.
TUMBLEWEED_OS_RELEASE = """\
NAME="openSUSE Tumbleweed"
# VERSION="20250527"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20250527"
PRETTY_NAME="openSUSE Tumbleweed"
ANSI_COLOR="0;32"
# CPE 2.3 format, boo#1217921
CPE_NAME="cpe:2.3:o:opensuse:tumbleweed:20250527:*:*:*:*:*:*:*"
#CPE 2.2 format
#CPE_NAME="cpe:/o:opensuse:tumbleweed:20250527"
BUG_REPORT_URL="https://bugzilla.opensuse.org"
SUPPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Tumbleweed"
LOGO="distributor-logo-Tumbleweed"
"""


@pytest.fixture
def root(tmp_path):
    return hosttrees.suse_docker_root(tmp_path / "root", users=["alice", "bob"]).root


def pillar(root, **more):
    data = {"root": str(root), "package": {"install": False}}
    for key, value in more.items():
        data[key] = {**data.get(key, {}), **value}
    return {"docker_host": data}


def _image_release(root, os_release):
    """The image's os-release: a fixture's name, or its text."""
    text = (
        os_release
        if "\n" in os_release
        else (hosttrees.SUSE_FIXTURES / "os-release" / os_release).read_text()
    )
    (root / "etc/os-release").unlink(missing_ok=True)
    (root / "etc/os-release").write_text(text)


def test_sles12_routes_through_susefirewall2_in_an_image_root(tmp_path, root, bash):
    """In an image root SuSEfirewall2 is installed but not yet enabled: the
    release's firewall, from the OS map, is the one configured. The release
    is the image's (SLES 12), not the build host's (SLES 15)."""
    _image_release(root, "sles-12-sp1.os-release")
    code, states, _ = state_apply(tmp_path, "docker_host", pillar(root), grains=SLES15)
    assert code == 0, states
    forwarding = states["docker-host-forwarding-enabled"]
    assert forwarding["changes"]["firewall"] == {"FW_ROUTE": {"old": "", "new": "yes"}}
    assert bash(root / "etc/sysconfig/SuSEfirewall2")["FW_ROUTE"] == "yes"


def test_sles15_leaves_susefirewall2_alone(tmp_path, root, bash):
    code, states, _ = state_apply(tmp_path, "docker_host", pillar(root), grains=SLES15)
    assert code == 0, states
    assert "firewall" not in states["docker-host-forwarding-enabled"]["changes"]
    assert bash(root / "etc/sysconfig/SuSEfirewall2")["FW_ROUTE"] == ""


@pytest.mark.parametrize(
    ("os_release", "firewall"),
    [
        ("opensuse-leap-15.2.os-release", "firewalld"),
        (TUMBLEWEED_OS_RELEASE, "firewalld"),
        ("opensuse-leap-42.1.os-release", "SuSEfirewall2"),
    ],
    ids=["leap15", "tumbleweed", "leap42"],
)
def test_leap15_and_tumbleweed_route_through_firewalld(tmp_path, root, bash, os_release, firewall):
    """Both firewalls installed in the image root, neither enabled yet: the
    release's is the one configured. Leap 42, on SuSEfirewall2, shows that
    the same root would get FW_ROUTE from a release that routes through it.
    The build host runs the other kind of release each time: the image's
    os-release decides."""
    grains = SLES12 if firewall == "firewalld" else SLES15
    _image_release(root, os_release)
    firewalld = root / "usr/sbin/firewalld"
    firewalld.parent.mkdir(parents=True, exist_ok=True)
    firewalld.write_text("#!/bin/sh\n")
    firewalld.chmod(0o755)
    code, states, _ = state_apply(tmp_path, "docker_host", pillar(root), grains=grains)
    assert code == 0, states
    forwarding = states["docker-host-forwarding-enabled"]
    route = bash(root / "etc/sysconfig/SuSEfirewall2")["FW_ROUTE"]
    if firewall == "firewalld":
        assert "firewall" not in forwarding["changes"]
        assert f"firewalld is not running under the image root {root}" in forwarding["comment"]
        assert route == ""
    else:
        assert forwarding["changes"]["firewall"] == {"FW_ROUTE": {"old": "", "new": "yes"}}
        assert route == "yes"


@pytest.mark.skip_if_not_root  # mount, in a private mount namespace
@pytest.mark.parametrize(
    ("os_release", "grains"),
    [
        ("sles-12-sp1.os-release", SLES12),
        ("sles-15-sp6.os-release", SLES15),
        ("opensuse-leap-15.1.os-release", LEAP15),
        ("opensuse-leap-15.2.os-release", LEAP15),
        ("opensuse-leap-42.1.os-release", LEAP42),
        (None, TUMBLEWEED),
    ],
)
def test_the_static_grains_are_what_salt_reports_for_each_release(tmp_path, os_release, grains):
    """Salt's own core grains, on the real os-release file bound over this
    machine's in a mount namespace of the test's own, give the grains the
    tests above hand to the OS maps."""
    if os_release:
        release = hosttrees.SUSE_FIXTURES / "os-release" / os_release
    else:
        release = tmp_path / "tumbleweed.os-release"
        release.write_text(TUMBLEWEED_OS_RELEASE)
    config = minion_config(tmp_path)
    result = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation=private",
            "sh",
            "-c",
            'mount --bind "$1" /usr/lib/os-release && mount --bind "$1" /etc/os-release '
            '&& exec "$2" --local --config-dir="$3" --out=json grains.item '
            "os_family osfullname osfinger",
            "sh",
            str(release),
            SALT_CALL,
            str(config),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["local"] == grains
    # Every SUSE distribution has its entry in the distribution map.
    with open(os.path.join(REPO_ROOT, "docker_host", "osmap.yaml"), encoding="utf-8") as handle:
        osmap = yaml.safe_load(handle)
    assert grains["osfullname"] in osmap


def test_installing_into_an_image_root_needs_zypper(tmp_path, root):
    data = pillar(root)
    data["docker_host"]["package"] = {"install": True}
    for test in (True, False):
        code, states, _ = state_apply(tmp_path, "docker_host", data, test=test)
        assert code != 0
        assert list(states) == ["docker-host-pillar-valid"]
        assert "needs zypper" in states["docker-host-pillar-valid"]["comment"]


def test_a_broken_pillar_stops_the_run_before_anything(tmp_path, root):
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    data = pillar(root, daemon={"storage_drivr": "btrfs"})
    data["docker_host"]["users"] = {"gid": "docker"}
    for test in (True, False):
        code, states, _ = state_apply(tmp_path, "docker_host", data, test=test)
        assert code != 0
        assert list(states) == ["docker-host-pillar-valid"]
        comment = states["docker-host-pillar-valid"]["comment"]
        assert "did you mean docker_host:daemon:storage_driver?" in comment
        assert "docker_host:users:gid must be a whole number or null, not a string ('docker')" in (
            comment
        )
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before


def test_a_broken_pillar_fails_the_run_but_stops_no_other_formula(tmp_path, root):
    """README: the docker_host states fail and the exit code says so, while another
    formula in the same run is applied."""
    tree = tmp_path / "file-roots"
    tree.mkdir()
    # A copy, as the README says to install it.
    shutil.copytree(os.path.join(REPO_ROOT, "docker_host"), tree / "docker_host")
    marker = tmp_path / "other-formula-ran"
    (tree / "other.sls").write_text(
        f"other-formula:\n  file.managed:\n    - name: {marker}\n    - contents: ran\n"
    )
    (tree / "site.sls").write_text("include:\n  - docker_host\n  - other\n")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    data = pillar(root, daemon={"storage_drivr": "btrfs"})
    code, states, _ = state_apply(tmp_path, "site", data, file_roots=tree)
    assert code != 0
    assert set(states) == {"docker-host-pillar-valid", "other-formula"}
    assert states["docker-host-pillar-valid"]["result"] is False
    assert (
        "did you mean docker_host:daemon:storage_driver?"
        in states["docker-host-pillar-valid"]["comment"]
    )
    assert states["other-formula"]["result"] is True
    assert marker.read_text() == "ran\n"
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before


def test_a_formula_linked_into_file_roots_is_served(tmp_path, root):
    """The formula's directory as a symbolic link in file_roots, as administrators
    often install formulas: every tested Salt release serves it (3007.0, out of
    support, did not: the README says to put the clone itself on file_roots)."""
    tree = tmp_path / "file-roots"
    tree.mkdir()
    (tree / "docker_host").symlink_to(os.path.join(REPO_ROOT, "docker_host"))
    code, states, _ = state_apply(tmp_path, "docker_host.forwarding", pillar(root), file_roots=tree)
    assert (code, sorted(states)) == (
        0,
        ["docker-host-forwarding-enabled", "docker-host-pillar-valid"],
    )


def test_each_concern_applies_alone(tmp_path, root):
    code, states, _ = state_apply(tmp_path, "docker_host.forwarding", pillar(root))
    assert code == 0, states
    assert set(states) == {"docker-host-pillar-valid", "docker-host-forwarding-enabled"}


def test_a_state_that_fails_stops_nothing_unrelated_and_says_why(tmp_path, root):
    """A driver the host cannot run: the daemon state fails with the reason;
    the service is not enabled in the root, since it requires the daemon."""
    data = pillar(root, daemon={"storage_driver": "zfs"})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code != 0
    assert (
        f"storage_driver zfs cannot run in the image under {root}: the data-root is on "
        in (states["docker-host-daemon-configured"]["comment"])
    )
    assert states["docker-host-service-enabled"]["result"] is False
    assert not (root / "etc/systemd/system/multi-user.target.wants/docker.service").exists()


def test_on_a_live_host_the_service_is_restarted_only_by_its_configuration(tmp_path):
    """Rendered, not run: service.running needs systemd as PID 1."""
    low = _low_chunks(tmp_path, {"docker_host": {}})
    service = low["docker-host-service-running"]
    assert service["fun"] == "running" and service["enable"] is True
    # Only the package and the daemon's configuration restart it: not a member
    # added, not forwarding switched on.
    assert _restarting(low, "docker-host-service-running") == {
        "docker-host-package-installed",
        "docker-host-daemon-configured",
    }
    assert {"docker_host": "docker-host-users"} in service["require"]
    assert {"docker_host": "docker-host-forwarding-enabled"} in service["require"]
    daemon = low["docker-host-daemon-configured"]
    assert {"docker_host_package": "docker-host-package-installed"} in daemon["require"]
    assert "failhard" not in low["docker-host-pillar-valid"]


def _restarting(low, service_id):
    """The states whose changes act on the service ``service_id``: those its
    watch, listen or onchanges names, and those that name it themselves
    (watch_in, listen_in, onchanges_in), by ID or by name."""
    service = low[service_id]
    found = set()
    for kind in ("watch", "watch_any", "listen", "onchanges", "onchanges_any"):
        found.update(target for requisite in service.get(kind, []) for target in requisite.values())
    for state_id, chunk in low.items():
        for kind in ("watch_in", "watch_any_in", "listen_in", "onchanges_in", "onchanges_any_in"):
            for requisite in chunk.get(kind, []):
                for module, target in requisite.items():
                    if module == service["state"] and target in (service_id, service["name"]):
                        found.add(state_id)
    return found


@pytest.mark.parametrize("where", ["live host", "image root"])
def test_the_concerns_run_in_the_readme_order(tmp_path, root, where):
    """README, Order: the package, the group and its members, the daemon's
    configuration, forwarding, the files' permissions, and the service last."""
    data = {"docker_host": {"permissions": {"enforce": True}}}
    service = "docker-host-service-running"
    if where == "image root":
        data = pillar(root, package={"install": True}, permissions={"enforce": True})
        service = "docker-host-service-enabled"
    low = _low_chunks(tmp_path, data, grains=SLES15)
    # Not only Salt's listed order: the service requires the permissions.
    assert {"sls": "docker_host.permissions"} in low[service]["require"]
    order = _run_order(low)
    permissions = [state_id for state_id in order if state_id.startswith("docker-host-permissions")]
    assert len(permissions) == 7, order
    steps = [
        ["docker-host-package-installed"],
        ["docker-host-users"],
        ["docker-host-daemon-configured"],
        ["docker-host-forwarding-enabled"],
        permissions,
        [service],
    ]
    for before, after in itertools.pairwise(steps):
        assert max(map(order.index, before)) < min(map(order.index, after)), (before, after)


def test_without_files_to_tighten_the_service_requires_no_permissions(tmp_path):
    """Every CIS path dropped (null): no permission state, and no requisite on one."""
    paths = {path: None for path in _cis_paths()}
    data = {"docker_host": {"permissions": {"enforce": True, "paths": paths}}}
    low = _low_chunks(tmp_path, data)
    assert not [state_id for state_id in low if state_id.startswith("docker-host-permissions")]
    assert {"sls": "docker_host.permissions"} not in low["docker-host-service-running"]["require"]


def _cis_paths():
    """The files the formula's defaults (the pillar schema's) tighten."""
    spec = importlib.util.spec_from_file_location(
        "schema", os.path.join(REPO_ROOT, "_modules", "docker_host_pillar.py")
    )
    schema = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(schema)
    return schema.defaults()["permissions"]["paths"]


def _run_order(low):
    """The order in which Salt runs the chunks of ``low``: one after the other as
    listed, each once its require and watch targets (state IDs, or whole SLS
    files) have run."""
    done, started = [], set()

    def run(state_id):
        if state_id in started:  # done, or a cycle, which Salt refuses to run
            return
        started.add(state_id)
        for requisite in low[state_id].get("require", []) + low[state_id].get("watch", []):
            ((kind, target),) = requisite.items()
            for other, chunk in low.items():
                if other == target or (kind == "sls" and chunk["__sls__"] == target):
                    run(other)
        done.append(state_id)

    for state_id in low:
        run(state_id)
    return done


def test_on_suse_the_package_is_installed_into_the_image_root(tmp_path, root):
    """Rendered, not run: no SUSE package repository exists here, so zypper cannot
    install anything; what is checked is the state Salt would run, pkg.installed
    with its root argument (zypper's --root) the image root."""
    low = _low_chunks(tmp_path, pillar(root, package={"install": True}), grains=SLES15)
    package = low["docker-host-package-installed"]
    assert (package["state"], package["fun"], package["name"]) == (
        "docker_host_package",
        "installed",
        "docker",
    )
    assert package["root"] == str(root)
    assert low["docker-host-pillar-valid"]["also"] == []
    assert {"docker_host_package": "docker-host-package-installed"} in low["docker-host-users"][
        "require"
    ]


@pytest.mark.parametrize("where", ["live host", "image root"])
def test_package_install_false_renders_no_package_state(tmp_path, root, where):
    data = {"docker_host": {"package": {"install": False}}}
    if where == "image root":
        data = pillar(root)
    low = _low_chunks(tmp_path, data, grains=SLES15)
    assert not [
        state_id for state_id, chunk in low.items() if chunk["state"] == "docker_host_package"
    ]
    requisites = [r for chunk in low.values() for r in chunk.get("require", [])]
    requisites += [r for chunk in low.values() for r in chunk.get("watch", [])]
    assert requisites and not [r for r in requisites if "docker_host_package" in r], requisites
    assert {"docker-host-users", "docker-host-daemon-configured"} <= set(low)
    # The same pillar with the package on does render it.
    data["docker_host"]["package"] = {"install": True}
    assert "docker-host-package-installed" in _low_chunks(tmp_path / "on", data, grains=SLES15)


def test_another_users_group_is_the_sockets_group(tmp_path, root):
    """README, One socket group: with users:manage and users:group ops, the socket's
    permissions take ops, rendered on a live host and applied in an image root
    (a plain file stands for the socket)."""
    live = {"docker_host": {"users": {"group": "ops"}, "permissions": {"enforce": True}}}
    low = _low_chunks(tmp_path / "live", live)
    socket = low["docker-host-permissions-/var/run/docker.sock"]
    assert (socket["name"], socket["user"], socket["group"], socket["mode"]) == (
        "/var/run/docker.sock",
        "root",
        "ops",
        "0660",
    )
    assert low["docker-host-permissions-/etc/docker/daemon.json"]["group"] == "root"

    (root / "etc/group").write_text("root:x:0:\nusers:x:100:\ndocker:x:4242:\n")
    sock = root / "var/run/docker.sock"
    sock.parent.mkdir(parents=True)
    sock.write_text("")
    os.chown(sock, 0, 4242)
    sock.chmod(0o660)
    data = pillar(root, users={"group": "ops", "members": ["alice"]}, permissions={"enforce": True})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, states
    (ops,) = [
        line.split(":")
        for line in (root / "etc/group").read_text().splitlines()
        if line.startswith("ops:")
    ]
    assert ops[3] == "alice"
    assert (sock.stat().st_uid, sock.stat().st_gid) == (0, int(ops[2]))
    assert int(ops[2]) != 4242
    assert stat.S_IMODE(sock.stat().st_mode) == 0o660
    code, again, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0 and unconverged(again) == {}


def _low_chunks(tmp_path, pillar_data, grains=None):
    """The formula's low data (rendered, not run), by state ID, in Salt's order
    (a state's requisites may run it earlier: see _run_order)."""
    tmp_path.mkdir(exist_ok=True)
    config = minion_config(tmp_path, file_roots=formula_tree(), pillar=pillar_data, grains=grains)
    result = subprocess.run(
        [SALT_CALL, "--local", f"--config-dir={config}", "--out=json", *LOW_SLS],
        capture_output=True,
        text=True,
        check=True,
    )
    return {chunk["__id__"]: chunk for chunk in json.loads(result.stdout)["local"]}


def test_without_the_daemon_state_the_users_state_owns_the_socket_group(tmp_path, root, bash):
    """README: with daemon:manage false and a users:group other than docker, the users
    state sets the socket's group, and the service watches it."""
    data = pillar(root, daemon={"manage": False}, users={"group": "ops", "members": ["alice"]})
    code, applied, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, applied
    assert "docker-host-daemon-configured" not in applied
    assert applied["docker-host-users"]["changes"]["socket group"] == {
        "old": "docker",
        "new": "ops",
    }
    assert bash(root / "etc/sysconfig/docker")["DOCKER_OPTS"] == "--group=ops"
    code, again, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0 and unconverged(again) == {}

    live = {"docker_host": {"daemon": {"manage": False}, "users": {"group": "ops"}}}
    service = _low_chunks(tmp_path / "live", live)["docker-host-service-running"]
    assert {"docker_host": "docker-host-users"} in service["watch"]
    # With the daemon managed, its state names the group and the users state is not watched.
    live = {"docker_host": {"users": {"group": "ops"}}}
    service = _low_chunks(tmp_path / "managed", live)["docker-host-service-running"]
    assert {"docker_host": "docker-host-users"} not in service["watch"]
    assert {"docker_host": "docker-host-daemon-configured"} in service["watch"]


def test_service_manage_false_leaves_the_service_alone(tmp_path, root):
    wants = root / "etc/systemd/system/multi-user.target.wants/docker.service"
    data = pillar(root, service={"manage": False})
    code, applied, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, applied
    assert not [state_id for state_id in applied if "service" in state_id]
    assert not wants.exists() and not wants.is_symlink()
    low = _low_chunks(tmp_path / "live", {"docker_host": {"service": {"manage": False}}})
    assert not [chunk for chunk in low.values() if chunk["state"] == "service"]
    assert "docker-host-daemon-configured" in low


def test_images_are_loaded_under_a_root_only_when_a_daemon_is_named(tmp_path, root):
    """Under an image root the host's daemon is not the image's: nothing is loaded
    or pulled unless images:url names a daemon."""
    images = {
        "load": [{"name": "sles/base:15", "source": "/srv/images/base.docker.tar"}],
        "pull": [{"name": "registry.example.com/bci/base:15.6"}],
    }
    code, applied, _ = state_apply(tmp_path, "docker_host", pillar(root, images=images))
    assert code == 0, applied
    assert not [state_id for state_id in applied if state_id.startswith("docker-host-image-")]
    note = applied["docker-host-images-not-loaded-in-root"]
    assert note["result"] is True and note["changes"] == {}
    assert "set docker_host:images:url" in note["comment"]

    named = pillar(root, images={**images, "url": "unix:///run/image-build.sock"})
    low = {
        state_id: chunk
        for state_id, chunk in _low_chunks(tmp_path / "named", named).items()
        if state_id.startswith("docker-host-image")
    }
    assert sorted(low) == [
        "docker-host-image-loaded-sles/base:15",
        "docker-host-image-pulled-registry.example.com/bci/base:15.6",
    ]
    assert {chunk["url"] for chunk in low.values()} == {"unix:///run/image-build.sock"}


def test_permissions_only_tighten(tmp_path, root):
    daemon_json = root / "etc/docker/daemon.json"
    daemon_json.chmod(0o666)
    sysconfig = root / "etc/sysconfig/docker"
    sysconfig.chmod(0o600)
    data = pillar(root, permissions={"enforce": True})
    code, predicted, _ = state_apply(tmp_path, "docker_host.permissions", data, test=True)
    code, applied, _ = state_apply(tmp_path, "docker_host.permissions", data)
    assert code == 0, applied
    key = "docker-host-permissions-/etc/docker/daemon.json"
    assert applied[key]["changes"] == {"mode": {"old": "0666", "new": "0644"}}
    assert predicted[key]["changes"] == applied[key]["changes"]
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o644
    assert stat.S_IMODE(sysconfig.stat().st_mode) == 0o600  # stricter: left alone
    assert "does not exist" in applied["docker-host-permissions-/var/run/docker.sock"]["comment"]
    code, again, _ = state_apply(tmp_path, "docker_host.permissions", data)
    assert code == 0 and unconverged(again) == {}


def test_permissions_resolve_names_in_the_image_root(tmp_path, root):
    """The socket's group is the root's docker group, whatever its id on this host."""
    (root / "etc/group").write_text("root:x:0:\nusers:x:100:\ndocker:x:4242:\n")
    socket = root / "var/run/docker.sock"
    socket.parent.mkdir(parents=True)
    socket.write_text("")
    socket.chmod(0o666)
    data = pillar(root, permissions={"enforce": True}, users={"manage": False})
    code, applied, _ = state_apply(tmp_path, "docker_host.permissions", data)
    assert code == 0, applied
    assert (socket.stat().st_gid, stat.S_IMODE(socket.stat().st_mode)) == (4242, 0o660)


def test_a_masked_service_in_the_root_is_not_unmasked(tmp_path, root):
    masked = root / "etc/systemd/system/docker.service"
    masked.parent.mkdir(parents=True)
    masked.symlink_to("/dev/null")
    _, states, _ = state_apply(tmp_path, "docker_host.service", pillar(root))
    state = states["docker-host-service-enabled"]
    assert state["result"] is False
    assert "masked" in state["comment"]
    assert os.readlink(masked) == "/dev/null"


def test_a_root_without_the_docker_unit(tmp_path, root):
    (root / "usr/lib/systemd/system/docker.service").unlink()
    _, states, _ = state_apply(tmp_path, "docker_host.service", pillar(root))
    state = states["docker-host-service-enabled"]
    assert state["result"] is False
    assert "install the Docker package into the root first" in state["comment"]


def test_links_in_the_root_never_lead_out_of_it(tmp_path, root):
    """/var/run -> /run (absolute, as on SUSE) and /etc/docker linked elsewhere:
    both resolve inside the root; the files outside stay as they were."""
    outside = tmp_path / "outside"
    (outside / "run").mkdir(parents=True)
    socket = outside / "run" / "docker.sock"
    socket.write_text("")
    socket.chmod(0o666)
    (root / "var").mkdir(exist_ok=True)
    (root / "var/run").symlink_to(outside / "run")
    (outside / "etc-docker").mkdir()
    (outside / "etc-docker" / "daemon.json").write_text("{}\n")
    shutil.rmtree(root / "etc/docker")
    (root / "etc/docker").symlink_to(outside / "etc-docker")
    data = pillar(root, permissions={"enforce": True}, daemon={"daemon_json": {"icc": False}})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, {k: s["comment"] for k, s in states.items() if s["result"] is not True}
    assert stat.S_IMODE(socket.stat().st_mode) == 0o666
    assert (outside / "etc-docker" / "daemon.json").read_text() == "{}\n"
    inside = root / str(outside / "etc-docker").lstrip("/") / "daemon.json"
    assert json.loads(inside.read_text()) == {"icc": False}


def test_pillar_strings_cannot_add_states(tmp_path, root):
    marker = tmp_path / "pwned"
    path = f"/a:\n  test.nop: []\ninjected:\n  file.touch:\n    - name: {marker}\nrest-/b"
    data = pillar(root, permissions={"enforce": True, "paths": {path: {}}})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code != 0
    assert list(states) == ["docker-host-pillar-valid"]
    assert "without control characters" in states["docker-host-pillar-valid"]["comment"]
    assert not marker.exists()


def test_another_socket_group_is_predicted_applied_and_settles(tmp_path, root, bash):
    data = pillar(root, users={"group": "ops", "members": ["alice"]}, daemon={"exclusive": True})
    _, predicted, _ = state_apply(tmp_path, "docker_host", data, test=True)
    code, applied, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, applied
    for state_id, state in applied.items():
        assert predicted[state_id]["changes"] == state["changes"], state_id
    assert "--group=ops" in bash(root / "etc/sysconfig/docker")["DOCKER_OPTS"].split()
    code, again, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0 and unconverged(again) == {}


def test_the_daemon_never_names_a_group_that_could_not_be_made(tmp_path, root, bash):
    data = pillar(root, users={"group": "ops", "members": ["carol"]})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code != 0
    assert "these users do not exist: carol" in states["docker-host-users"]["comment"]
    assert states["docker-host-daemon-configured"]["result"] is False
    assert bash(root / "etc/sysconfig/docker")["DOCKER_OPTS"] == ""


def test_back_to_the_docker_group_puts_the_socket_back(tmp_path, root, bash):
    """users:group back to docker: the daemon's hand-set or earlier group goes too."""
    data = pillar(root, users={"group": "ops", "members": ["alice"]})
    code, _, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0
    data = pillar(root, users={"members": ["alice"]})
    _, predicted, _ = state_apply(tmp_path, "docker_host", data, test=True)
    code, applied, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, applied
    for state_id, state in applied.items():
        assert predicted[state_id]["changes"] == state["changes"], state_id
    assert "--group=docker" in bash(root / "etc/sysconfig/docker")["DOCKER_OPTS"].split()
    code, again, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0 and unconverged(again) == {}


def test_unmanaged_users_leave_the_socket_group_to_the_daemon(tmp_path, root):
    """users:manage false: the socket's permissions follow the daemon's own group option."""
    (root / "etc/group").write_text("root:x:0:\nusers:x:100:\ndocker:x:900:\ndg:x:901:\n")
    socket = root / "var/run/docker.sock"
    socket.parent.mkdir(parents=True)
    socket.write_text("")
    os.chown(socket, 0, 901)
    data = pillar(
        root,
        users={"manage": False, "group": "unused"},
        daemon={"options": {"group": "dg"}},
        permissions={"enforce": True},
    )
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, states
    assert socket.stat().st_gid == 901
    assert states["docker-host-permissions-/var/run/docker.sock"]["changes"].get("owner") is None


def test_directory_users_can_be_members(tmp_path, root):
    passwd = root / "etc/passwd"
    passwd.write_text(passwd.read_text() + "john.doe:x:2000:100::/home/john.doe:/bin/bash\n")
    data = pillar(root, users={"members": ["john.doe"]})
    code, states, _ = state_apply(tmp_path, "docker_host", data)
    assert code == 0, states
    assert "john.doe" in (root / "etc/group").read_text()
