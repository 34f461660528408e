"""``docker_daemon.plan`` and ``docker_daemon.apply`` through Salt's loader, on roots
whose kernel, mounts and files are the test's: the whole refusal an administrator
reads, the plan that is carried out, and what ``apply`` does when a write fails or the
files change under it (a read-only mount in a mount namespace of the test's own)."""

import os
import re
import subprocess

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests import hosttrees, netns

SUSE_JSON = {
    "log-level": "warn",
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "5"},
    "selinux-enabled": True,
}
IMAGES_GONE = (
    " Warning: {root} holds {count} image(s) of the {driver} storage driver; with the "
    "new {what} dockerd no longer sees them: pull or load them again (or docker save "
    "them first)."
)


@pytest.fixture
def tree(tmp_path):
    """An ext4 host with the overlay module loaded and SUSE's /etc/sysconfig/docker."""
    return hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))


@pytest.fixture
def engine():
    """This machine's Docker Engine version, as ``dockerd --version`` prints it."""
    printed = subprocess.run(
        ["dockerd", "--version"], check=True, capture_output=True, text=True
    ).stdout
    return re.search(r"version ([0-9][^\s,]*)", printed).group(1)


def _plan(modules, tree, hand_set=None, daemon_json_file=None, **arguments):
    if hand_set is not None:
        modules.sysconfig.set("docker", "DOCKER_OPTS", hand_set, root=str(tree.root))
    if daemon_json_file is not None:
        tree.daemon_json(daemon_json_file)
    return modules.docker_daemon.plan(root=str(tree.root), **arguments)


def _refusal(modules, tree, **arguments):
    with pytest.raises((CommandExecutionError, SaltInvocationError)) as raised:
        _plan(modules, tree, **arguments)
    return str(raised.value)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            {
                "options": {"bogus-a": 1, "bogus-b": 2},
                "daemon_json": {"nope-1": 1, "nope-2": 2},
            },
            "options:bogus-a is not a dockerd option: see 'dockerd --help' for the names; "
            "options:bogus-b is not a dockerd option: see 'dockerd --help' for the names; "
            "daemon_json:nope-1 is not a daemon.json key, and dockerd refuses unknown keys: "
            "'salt-call docker_daemon.known_json_keys' lists them; "
            "daemon_json:nope-2 is not a daemon.json key, and dockerd refuses unknown keys: "
            "'salt-call docker_daemon.known_json_keys' lists them",
        ),
        (
            {
                "options": {"debug": True, "log-level": "warn"},
                "daemon_json": {"debug": True, "log-level": "warn"},
            },
            "debug, log-level given in both options and daemon_json: dockerd refuses a "
            "directive set twice; give each in one place",
        ),
        (
            {
                "storage_driver": "vfs",
                "options": {"storage-driver": "vfs"},
                "data_root": "/srv/d",
                "daemon_json": {"data-root": "/srv/d"},
            },
            "storage-driver given twice: as its own argument and in options/daemon_json; "
            "data-root given twice: as its own argument and in options/daemon_json",
        ),
        (
            {"storage_driver": "vfs", "daemon_json": {"storage-driver": "vfs"}},
            "storage-driver given twice: as its own argument and in options/daemon_json",
        ),
        (
            {"daemon_json": {"log-driver": "journald"}, "daemon_json_file": SUSE_JSON},
            "log-driver changes to journald, but the log-opts already set (max-file, "
            "max-size) belong to json-file, and dockerd refuses options its driver does "
            "not know: set log-opts for the new driver too (or null to remove them)",
        ),
        (
            {
                "daemon_json": {"log-driver": None},
                "daemon_json_file": {
                    "log-driver": "syslog",
                    "log-opts": {"syslog-facility": "daemon"},
                },
            },
            "log-driver changes to the default, but the log-opts already set (syslog-facility) "
            "belong to syslog, and dockerd refuses options its driver does not know: set "
            "log-opts for the new driver too (or null to remove them)",
        ),
        (
            {"daemon_json": {"log-driver": "journald"}, "daemon_json_file": {"log-opts": {"x": 1}}},
            "log-driver changes to journald, but the log-opts already set (x) belong to "
            "the default driver, and dockerd refuses options its driver does not know: set "
            "log-opts for the new driver too (or null to remove them)",
        ),
        (
            {"options": {"debug": True}, "hand_set": "--frobnicate --bogus"},
            "DOCKER_OPTS would hold --frobnicate, --bogus, which dockerd does not take: "
            "remove it, or manage DOCKER_OPTS with exclusive: true",
        ),
        (
            {
                "options": {"debug": True},
                "hand_set": "--log-level=debug --selinux-enabled",
                "daemon_json_file": SUSE_JSON,
            },
            "log-level, selinux-enabled would be set both in DOCKER_OPTS and in daemon.json, "
            "and dockerd refuses to start then: manage them with this state (it keeps each "
            "in one place) or remove one by hand",
        ),
        (
            {"socket_group": "bad name!"},
            "socket_group must be a valid group name, not 'bad name!'",
        ),
        ({"socket_group": 5}, "socket_group must be a valid group name, not 5"),
        (
            {"storage_driver": 5, "exclusive": "yes"},
            "storage_driver must be a name or auto, not 5; exclusive must be true or false, "
            "not 'yes'",
        ),
        ({"daemon_json": ["debug"]}, "daemon_json must be a mapping, not list ['debug']"),
    ],
)
def test_a_refusal_names_every_problem_whole(modules, tree, arguments, message):
    assert _refusal(modules, tree, **arguments) == message


def _live_refusal(modules, **arguments):
    """A plan for this host, which is refused before it reads or writes anything."""
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_daemon.plan(**arguments)
    return str(raised.value)


def test_options_this_engine_does_not_know_are_refused_with_its_version(modules, tree, engine):
    """Engine 20.10 (Debian 12's docker.io) predates both. On this host, whose
    dockerd is asked; an image root's engine is its own
    (tests/functional/test_image_roots.py)."""
    assert _live_refusal(
        modules, options={"http-proxy": "http://p:3128", "log-format": "json"}
    ) == (
        f"this host's dockerd (Engine {engine}) does not know http-proxy, log-format: it "
        "would refuse to start"
    )
    assert _live_refusal(modules, daemon_json={"proxies": {"http-proxy": "http://p:3128"}}) == (
        "daemon_json:proxies is read by Engine 23 and later, and this host's dockerd is "
        f"{engine}, which refuses it: give the daemon's proxy in docker_host:proxy, which puts "
        "it where the engine reads it (a systemd drop-in for docker.service)"
    )
    # Removing what the engine would not know asks nothing of it.
    removed = _plan(modules, tree, daemon_json={"http-proxy": None, "proxies": None})
    assert removed["changes"] == {}


def test_in_daemon_json_the_proxy_is_under_proxies(modules):
    assert _live_refusal(modules, daemon_json={"http-proxy": "http://p:3128"}) == (
        "daemon_json:http-proxy belongs under proxies in daemon.json ({proxies: {http-proxy: "
        "...}}, read by Engine 23 and later); dockerd refuses it at the top"
    )


def test_a_missing_sysconfig_file_is_named_with_its_remedy(modules, tmp_path):
    tree = hosttrees.Tree(tmp_path / "root")
    assert _refusal(modules, tree, options={"debug": True}) == (
        "/etc/sysconfig/docker does not exist: install the docker package first (it creates "
        "the file), e.g. with a require on pkg: docker"
    )


def test_log_options_for_the_new_driver_go_with_it(modules, tree):
    planned = _plan(
        modules,
        tree,
        daemon_json={"log-driver": "journald", "log-opts": {"tag": "x"}},
        daemon_json_file=SUSE_JSON,
    )
    new = {**SUSE_JSON, "log-driver": "journald", "log-opts": {"tag": "x"}}
    assert planned["changes"] == {"daemon.json": {"old": SUSE_JSON, "new": new}}
    assert planned["effective"] == new


def test_the_old_graph_key_is_written_as_data_root(modules, tree):
    planned = _plan(modules, tree, daemon_json={"graph": "/srv/docker"})
    assert planned["changes"] == {"daemon.json": {"old": None, "new": {"data-root": "/srv/docker"}}}


def test_an_empty_list_removes_a_repeatable_flag(modules, tree):
    planned = _plan(modules, tree, hand_set="--host=unix:///x", options={"hosts": []})
    assert planned["changes"] == {"DOCKER_OPTS": {"old": "--host=unix:///x", "new": ""}}


def test_a_driver_set_by_hand_is_not_judged_again_when_it_stays(modules, tree):
    """btrfs cannot run on this ext4 root, but nobody asked to change it."""
    hand_set = "--storage-driver=btrfs --data-root=/srv/d"
    planned = _plan(modules, tree, hand_set=hand_set, options={"debug": True})
    assert planned["changes"] == {"DOCKER_OPTS": {"old": hand_set, "new": hand_set + " --debug"}}


def test_docker_opts_set_by_hand_stay_as_written_when_only_daemon_json_changes(modules, tree):
    planned = _plan(modules, tree, hand_set=" -D  --log-level warn ", daemon_json={"ipv6": True})
    assert planned["changes"] == {"daemon.json": {"old": None, "new": {"ipv6": True}}}


@pytest.mark.parametrize(
    "arguments, changes",
    [
        (
            {"daemon_json": {"debug": True}},
            {
                "DOCKER_OPTS": {"old": "--log-level=debug", "new": ""},
                "daemon.json": {"old": {"ipv6": True}, "new": {"debug": True}},
            },
        ),
        (
            {"options": {"debug": True}},
            {
                "DOCKER_OPTS": {"old": "--log-level=debug", "new": "--debug"},
                "daemon.json": {"old": {"ipv6": True}, "new": {}},
            },
        ),
    ],
)
def test_exclusive_empties_the_file_it_was_given_nothing_for(modules, tree, arguments, changes):
    planned = _plan(
        modules,
        tree,
        hand_set="--log-level=debug",
        daemon_json_file={"ipv6": True},
        exclusive=True,
        **arguments,
    )
    assert planned["changes"] == changes


def test_runtimes_added_as_flags_stay_in_daemon_json_too(modules, tree):
    """dockerd merges runtimes from both files: daemon.json keeps its own."""
    planned = _plan(
        modules,
        tree,
        daemon_json_file={"runtimes": {"kata": {"path": "/usr/bin/kata"}}},
        options={"add-runtime": ["crun=/usr/bin/crun"]},
    )
    assert planned["changes"] == {
        "DOCKER_OPTS": {"old": "", "new": "--add-runtime=crun=/usr/bin/crun"}
    }


@pytest.mark.parametrize(
    "hand_set, group, changes",
    [
        ("", "docker", {}),
        ("", "wheel", {"DOCKER_OPTS": {"old": "", "new": "--group=wheel"}}),
        (
            "--group=wheel",
            "docker",
            {"DOCKER_OPTS": {"old": "--group=wheel", "new": "--group=docker"}},
        ),
    ],
)
def test_the_socket_group_is_written_only_where_it_differs(modules, tree, hand_set, group, changes):
    planned = _plan(modules, tree, hand_set=hand_set, socket_group=group)
    assert planned["changes"] == changes


SRV_BTRFS = "61 22 0:31 / /srv rw,relatime shared:31 - btrfs /dev/vdb1 rw,subvol=/\n"


@pytest.mark.parametrize(
    "arguments, hand_set",
    [
        ({"data_root": "/srv/docker"}, None),
        ({"options": {"data-root": "/srv/docker"}}, None),
        ({"daemon_json": {"data-root": "/srv/docker"}}, None),
        ({}, "--data-root=/srv/docker"),
    ],
)
def test_the_driver_is_judged_where_the_data_root_will_be(modules, tmp_path, arguments, hand_set):
    """/ is ext4, /srv btrfs: btrfs suits a data-root under /srv, wherever it is set."""
    tree = hosttrees.kernel_root(
        tmp_path / "root", hosttrees.EXT4_ROOT + SRV_BTRFS, ("ext4", "btrfs"), ("btrfs",)
    )
    tree.write("/srv/.keep", "")
    planned = _plan(modules, tree, hand_set=hand_set, storage_driver="btrfs", **arguments)
    assert planned["effective"]["storage-driver"] == "btrfs"
    assert planned["effective"]["data-root"] == "/srv/docker"
    # The same driver under / is refused: the judgement is the data-root's.
    assert f"storage_driver btrfs cannot run in the image under {tree.root}" in _refusal(
        modules, tree, storage_driver="btrfs", data_root="/var/lib/docker"
    )


def test_auto_without_the_filesystem_says_where_it_cannot_be_seen(modules, tmp_path):
    """An image root with no fstab and nothing mounted in it."""
    tree = hosttrees.Tree(tmp_path / "image-root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    assert _refusal(modules, tree, storage_driver="auto") == (
        "storage_driver auto needs the data-root's filesystem, which cannot be seen in the "
        f"image under {tree.root} (nothing is mounted at /var/lib/docker under {tree.root}, "
        "and neither the image's /etc/fstab nor a KIWI description in it names the filesystem "
        "that holds it): name the driver "
        "(docker_host:daemon:storage_driver)"
    )


def test_auto_on_a_host_whose_mount_table_says_nothing_names_this_host(modules, tmp_path):
    """This machine's mount table, empty (an empty file mounted over it, in a mount
    namespace of the test's own)."""
    empty = tmp_path / "mountinfo"
    empty.write_text("")

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        table = f"/proc/{os.getpid()}/mountinfo"
        subprocess.run(["mount", "--bind", str(empty), table], check=True)

    def work():
        with pytest.raises(CommandExecutionError) as raised:
            modules.docker_daemon.plan(storage_driver="auto")
        return str(raised.value)

    assert netns.in_namespaces_of_its_own(work, netns.CLONE_NEWNS, prepare=prepare) == (
        "storage_driver auto needs the data-root's filesystem, which cannot be seen on this "
        "host (the mount table does not say which filesystem holds it): name the driver "
        "(docker_host:daemon:storage_driver)"
    )


def test_a_plan_for_both_files_names_both(modules, tree):
    planned = _plan(modules, tree, options={"debug": True}, daemon_json={"ipv6": True})
    assert planned["comment"] == "DOCKER_OPTS and daemon.json would change."
    assert planned["order"] == ["DOCKER_OPTS", "daemon.json"]


def test_a_plan_without_changes_says_so(modules, tree):
    planned = _plan(modules, tree, options={"debug": None})
    assert planned == {
        "root": str(tree.root),
        "changes": {},
        "order": [],
        "effective": {},
        "warning": "",
        "comment": "The Docker daemon's configuration is already as specified.",
    }
    assert modules.docker_daemon.apply(planned) == {
        "result": True,
        "changes": {},
        "comment": "The Docker daemon's configuration is already as specified.",
    }


@pytest.mark.parametrize(
    "hand_set, images, warning",
    [
        # The old driver's images go out of sight; another driver's were already.
        (
            "--storage-driver=overlay2",
            {"overlay2": 2, "btrfs": 1},
            {"root": "/var/lib/docker", "count": 2, "driver": "overlay2", "what": "storage driver"},
        ),
        # No driver was named: every image but the new driver's goes out of sight.
        (
            "--data-root=/srv/d",
            {"overlay2": 2, "btrfs": 1, "vfs": 1},
            {"root": "/srv/d", "count": 3, "driver": "previous", "what": "storage driver"},
        ),
        ("--data-root=/srv/d", {"vfs": 1}, None),
        ("--storage-driver=vfs", {"vfs": 1}, None),
    ],
)
def test_a_new_driver_warns_of_the_images_it_hides(modules, tree, hand_set, images, warning):
    data_root = "/srv/d" if "/srv/d" in hand_set else "/var/lib/docker"
    number = 0
    for driver, count in images.items():
        for _ in range(count):
            number += 1
            tree.image(data_root, driver, number)
    planned = _plan(modules, tree, hand_set=hand_set, storage_driver="vfs", options={"debug": True})
    expected = IMAGES_GONE.format(**warning) if warning else ""
    assert planned["warning"] == expected
    assert planned["comment"] == "DOCKER_OPTS would change." + expected


def test_apply_writes_the_plan_and_reads_it_back(modules, tree, bash):
    root = str(tree.root)
    tree.image("/var/lib/docker", "overlay2", 1)
    planned = _plan(
        modules,
        tree,
        hand_set="--storage-driver=overlay2",
        daemon_json_file={"ipv6": True},
        storage_driver="vfs",
        daemon_json={"live-restore": True},
    )
    warning = IMAGES_GONE.format(
        root="/var/lib/docker", count=1, driver="overlay2", what="storage driver"
    )
    assert modules.docker_daemon.apply(planned) == {
        "result": True,
        "changes": {
            "DOCKER_OPTS": {"old": "--storage-driver=overlay2", "new": "--storage-driver=vfs"},
            "daemon.json": {"old": {"ipv6": True}, "new": {"ipv6": True, "live-restore": True}},
        },
        "comment": "DOCKER_OPTS and daemon.json changed." + warning,
    }
    assert bash(tree.root / "etc/sysconfig/docker")["DOCKER_OPTS"] == "--storage-driver=vfs"
    assert modules.docker_daemon.options(root=root)["effective"] == {
        "ipv6": True,
        "live-restore": True,
        "storage-driver": "vfs",
    }


def test_apply_empties_docker_opts_it_was_given_nothing_for(modules, tree, bash):
    planned = _plan(modules, tree, hand_set="--debug", exclusive=True, daemon_json={"ipv6": True})
    assert modules.docker_daemon.apply(planned)["result"] is True
    assert bash(tree.root / "etc/sysconfig/docker")["DOCKER_OPTS"] == ""


def _read_only(*directories):
    """Mount ``directories`` read-only, and the machine's /etc with them, so that no
    write can reach this machine's own /etc/docker or /etc/sysconfig by mistake."""

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        for directory in (*map(str, directories), "/etc"):
            subprocess.run(["mount", "--bind", directory, directory], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", directory, directory], check=True)

    return prepare


def test_a_first_write_that_fails_has_nothing_to_put_back(modules, tree):
    root = str(tree.root)
    before = (tree.root / "etc/sysconfig/docker").read_bytes()
    planned = _plan(modules, tree, options={"debug": True}, daemon_json={"ipv6": True})

    def work():
        with pytest.raises(CommandExecutionError) as raised:
            modules.docker_daemon.apply(planned)
        return str(raised.value)

    message = netns.in_namespaces_of_its_own(
        work, netns.CLONE_NEWNS, prepare=_read_only(tree.root / "etc/sysconfig")
    )
    assert message.startswith("DOCKER_OPTS could not be written (")
    assert message.endswith("Read-only file system. Run this as root.)") or message.endswith(
        "Read-only file system)"
    )
    assert (tree.root / "etc/sysconfig/docker").read_bytes() == before
    assert not (tree.root / "etc/docker/daemon.json").exists()
    assert modules.docker_daemon.options(root=root)["effective"] == {}


@pytest.mark.parametrize(
    "arguments, unwritable, first",
    [
        ({"options": {"debug": True}, "daemon_json": {"ipv6": True}}, "etc/docker", "DOCKER_OPTS"),
        # log-level moves from daemon.json to DOCKER_OPTS: daemon.json goes first.
        ({"options": {"log-level": "info"}}, "etc/sysconfig", "daemon.json"),
    ],
)
def test_a_failed_write_puts_the_file_written_before_it_back(
    modules, tree, arguments, unwritable, first
):
    root = str(tree.root)
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--ipv6", root=root)
    files = [tree.root / "etc/sysconfig/docker", tree.root / "etc/docker/daemon.json"]
    before = [path.read_bytes() for path in files]
    planned = modules.docker_daemon.plan(root=root, **arguments)
    assert planned["order"][0] == first

    def work():
        with pytest.raises(CommandExecutionError) as raised:
            modules.docker_daemon.apply(planned)
        return str(raised.value)

    message = netns.in_namespaces_of_its_own(
        work, netns.CLONE_NEWNS, prepare=_read_only(tree.root / unwritable)
    )
    failed = "daemon.json" if first == "DOCKER_OPTS" else "DOCKER_OPTS"
    assert message.startswith(f"{failed} could not be written (")
    assert "Read-only file system" in message
    assert message.endswith(f"); {first} was put back as it was")
    assert [path.read_bytes() for path in files] == before


def test_a_file_changed_under_the_plan_is_reported_not_hidden(modules, tree):
    """Another program adds a key to daemon.json between the plan and its writes."""
    planned = _plan(modules, tree, daemon_json_file={"ipv6": True}, options={"debug": True})
    tree.daemon_json({"ipv6": True, "live-restore": True})
    assert modules.docker_daemon.apply(planned) == {
        "result": False,
        "changes": {"DOCKER_OPTS": {"old": "", "new": "--debug"}},
        "comment": "Wrote DOCKER_OPTS, but reading back shows another configuration; "
        "another program may have changed the files.",
    }


@pytest.mark.parametrize("changed", ["DOCKER_OPTS", "daemon.json", "both"])
def test_a_planned_file_changed_since_is_not_written_over(modules, tree, changed):
    """What was set by hand after the plan stays: the plan is stale, and nothing is
    written."""
    root = str(tree.root)
    planned = _plan(modules, tree, options={"debug": True}, daemon_json={"ipv6": True})
    if changed != "daemon.json":
        modules.sysconfig.set("docker", "DOCKER_OPTS", "--log-level=info", root=root)
    if changed != "DOCKER_OPTS":
        tree.daemon_json({"live-restore": True})
    files = [tree.root / "etc/sysconfig/docker", tree.root / "etc/docker/daemon.json"]
    before = [path.read_bytes() if path.exists() else None for path in files]
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_daemon.apply(planned)
    named = "DOCKER_OPTS and daemon.json" if changed == "both" else changed
    assert str(raised.value) == (
        f"{named} changed after the plan was made: plan again. Nothing was written"
    )
    assert [path.read_bytes() if path.exists() else None for path in files] == before


@pytest.mark.parametrize(
    "hand_set, in_json, written",
    [
        # Where the group is set already, it is changed there.
        (None, {"group": "docker"}, "daemon.json"),
        ("--group=docker", None, "DOCKER_OPTS"),
        # Set nowhere: in DOCKER_OPTS, where SUSE keeps the daemon's flags.
        (None, None, "DOCKER_OPTS"),
        # Set in both (dockerd would refuse that): in DOCKER_OPTS, which wins.
        ("-G docker", {"group": "docker"}, "DOCKER_OPTS"),
    ],
)
def test_the_socket_group_is_set_in_the_file_that_holds_it(
    modules, tree, hand_set, in_json, written
):
    root = str(tree.root)
    if hand_set is not None:
        modules.sysconfig.set("docker", "DOCKER_OPTS", hand_set, root=root)
    if in_json is not None:
        tree.daemon_json(in_json)
    result = modules.docker_daemon.set_socket_group("ops", root=root)
    assert result["changed"] is True
    options = modules.docker_daemon.options(root=root)
    if written == "daemon.json":
        assert result["file"] == str(tree.root / "etc/docker/daemon.json")
        assert options["daemon_json"] == {"group": "ops"} and options["flags"] == {}
    else:
        assert result["file"] == str(tree.root / "etc/sysconfig/docker")
        assert options["flags"] == {"group": "ops"}
        assert options["daemon_json"] == in_json
    assert modules.docker_daemon.socket_group(root=root) == "ops"


def test_the_socket_group_goes_to_daemon_json_without_a_sysconfig_file(modules, tmp_path):
    tree = hosttrees.Tree(tmp_path / "root")
    result = modules.docker_daemon.set_socket_group("ops", root=str(tree.root))
    assert (result["old"], result["new"], result["changed"]) == (None, {"group": "ops"}, True)
    assert (tree.root / "etc/docker/daemon.json").read_text() == '{\n  "group": "ops"\n}\n'


@pytest.mark.parametrize(
    "hand_set, daemon_json_file, wanted, changes, note",
    [
        # SUSE's daemon.json: exclusive removes all but selinux-enabled.
        (
            "",
            SUSE_JSON,
            {"daemon_json": {"log-level": "info"}},
            {
                "daemon.json": {
                    "old": SUSE_JSON,
                    "new": {"selinux-enabled": True, "log-level": "info"},
                    "kept": {"selinux-enabled": True},
                }
            },
            " exclusive keeps selinux-enabled, security settings the files hold",
        ),
        # Named in the pillar, it is the pillar's: turned off, or removed with null.
        (
            "",
            SUSE_JSON,
            {"daemon_json": {"log-level": "info", "selinux-enabled": False}},
            {
                "daemon.json": {
                    "old": SUSE_JSON,
                    "new": {"log-level": "info", "selinux-enabled": False},
                }
            },
            "",
        ),
        (
            "",
            SUSE_JSON,
            {"daemon_json": {"log-level": "info", "selinux-enabled": None}},
            {"daemon.json": {"old": SUSE_JSON, "new": {"log-level": "info"}}},
            "",
        ),
        # In DOCKER_OPTS, where it is; an insecure value is not kept.
        (
            "--no-new-privileges --icc=true --debug",
            {},
            {"options": {"log-level": "info"}},
            {
                "DOCKER_OPTS": {
                    "old": "--no-new-privileges --icc=true --debug",
                    "new": "--no-new-privileges --log-level=info",
                    "kept": {"no-new-privileges": True},
                }
            },
            " exclusive keeps no-new-privileges",
        ),
        (
            "",
            {"icc": False, "no-new-privileges": True, "debug": True},
            {"daemon_json": {"debug": True}},
            # Both kept, nothing else to remove: nothing changes.
            {},
            "",
        ),
    ],
)
def test_exclusive_keeps_the_security_settings_the_pillar_does_not_name(
    modules, tree, hand_set, daemon_json_file, wanted, changes, note
):
    planned = _plan(
        modules,
        tree,
        hand_set=hand_set,
        daemon_json_file=daemon_json_file,
        exclusive=True,
        **wanted,
    )
    assert planned["changes"] == changes
    assert note in planned["comment"]
    if changes:
        done = modules.docker_daemon.apply(planned)
        assert done["result"] is True, done
        assert done["changes"] == changes
        after = modules.docker_daemon.options(root=str(tree.root))["effective"]
        for change in changes.values():
            for key, value in change.get("kept", {}).items():
                assert after[key] == value
        again = modules.docker_daemon.plan(root=str(tree.root), exclusive=True, **wanted)
        assert again["changes"] == {}
