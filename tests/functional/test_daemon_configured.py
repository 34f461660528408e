"""The docker_host.daemon_configured state, on sandbox roots that see this machine."""

import json
import textwrap

import pytest

from tests import hosttrees, inotify


@pytest.fixture
def host_root(tmp_path):
    """SUSE's /etc/sysconfig/docker and daemon.json, on this machine's kernel and mounts."""
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    return tree


def _files(tree):
    sysconfig = (tree.root / "etc/sysconfig/docker").read_text()
    daemon_json = tree.root / "etc/docker/daemon.json"
    return sysconfig, daemon_json.read_text() if daemon_json.exists() else None


def test_predicts_applies_and_converges(states, modules, host_root):
    root = str(host_root.root)
    arguments = {
        "name": "docker",
        "storage_driver": "overlay2",
        "data_root": "/srv/docker",
        "options": {"-l": "warn", "hosts": ["unix:///run/docker.sock"]},
        "daemon_json": {"live-restore": True, "userland-proxy": False},
        "root": root,
    }
    before = _files(host_root)
    predicted = states.docker_host.daemon_configured(test=True, **arguments)
    assert predicted.result is None
    assert _files(host_root) == before
    assert set(predicted.changes) == {"DOCKER_OPTS", "daemon.json"}

    applied = states.docker_host.daemon_configured(**arguments)
    assert applied.result is True
    assert applied.changes == predicted.changes
    assert applied.changes["DOCKER_OPTS"] == {
        "old": "",
        "new": "--log-level=warn --host=unix:///run/docker.sock --storage-driver=overlay2 "
        "--data-root=/srv/docker",
    }
    # log-level moved to DOCKER_OPTS: it left SUSE's daemon.json, or dockerd would not start.
    new_json = applied.changes["daemon.json"]["new"]
    assert "log-level" not in new_json
    assert new_json["live-restore"] is True and new_json["log-opts"]["max-file"] == "5"
    options = modules.docker_host.daemon_options(root=root)
    assert options["conflicts"] == []
    assert options["effective"]["storage-driver"] == "overlay2"

    again = states.docker_host.daemon_configured(**arguments)
    assert again.result is True and again.changes == {}
    assert "already as specified" in again.comment
    again = states.docker_host.daemon_configured(test=True, **arguments)
    assert again.result is True and again.changes == {}


def test_hand_set_options_stay_unless_exclusive(states, modules, host_root):
    root = str(host_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug -s vfs", root=root)
    ret = states.docker_host.daemon_configured(name="d", storage_driver="overlay2", root=root)
    assert ret.changes["DOCKER_OPTS"] == {
        "old": "--debug -s vfs",
        "new": "--debug --storage-driver=overlay2",
    }
    ret = states.docker_host.daemon_configured(
        name="d",
        storage_driver="overlay2",
        daemon_json={"log-level": "warn"},
        exclusive=True,
        root=root,
    )
    assert ret.result is True
    assert ret.changes["DOCKER_OPTS"]["new"] == "--storage-driver=overlay2"
    # SUSE's selinux-enabled: true is a security setting: exclusive keeps it.
    assert json.loads((host_root.root / "etc/docker/daemon.json").read_text()) == {
        "selinux-enabled": True,
        "log-level": "warn",
    }
    assert ret.changes["daemon.json"]["kept"] == {"selinux-enabled": True}


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"options": {"--bogus": "1"}}, "options:--bogus is not a dockerd option"),
        ({"options": {"label": "k=a b"}}, "put it in daemon_json"),
        ({"options": {"label": "nokv"}}, "options:label 'nokv' is not key=value"),
        ({"options": {"mtu": "abc"}}, "mtu is a whole number"),
        ({"options": {"log-level": "loud"}}, "log-level must be one of"),
        ({"options": {"data-root": "rel/path"}}, "must be an absolute path"),
        ({"options": {"add-runtime": ["oci=/usr/sbin/runc"]}}, "defined by SUSE's docker.service"),
        ({"daemon_json": {"debug": "true"}}, "debug is a switch"),
        ({"daemon_json": {"labels": "a=b"}}, "labels must be a list"),
        ({"daemon_json": {"log-opts": ["max-size=1m"]}}, "log-opts must be a mapping"),
        ({"daemon_json": {"log-opts": {"max-file": 3}}}, "takes string values only"),
        (
            {"daemon_json": {"exec-opts": ["native.cgroupdriver=bogus"]}},
            "native.cgroupdriver must be cgroupfs or systemd",
        ),
        ({"daemon_json": {"log-driver": "journald"}}, "belong to json-file"),
        ({"options": {"graph": "/x"}}, "removed in Docker Engine 23"),
        (
            {"options": {"debug": True}, "daemon_json": {"debug": True}},
            "given in both options and daemon_json",
        ),
        ({"daemon_json": {"no-such-key": 1}}, "is not a daemon.json key"),
        ({"storage_driver": "aufs"}, "removed in Docker Engine 24"),
        ({"storage_driver": "zfs2"}, "is not a storage driver"),
        ({"data_root": "relative/path"}, "data_root must be an absolute path"),
        ({"options": ["log-level=warn"]}, "options must be a mapping"),
        # SUSE's daemon.json sets log-level; a hand-set flag beside it would stop dockerd.
        (
            {"options": {"debug": True}, "hand_set": "--log-level=debug"},
            "log-level would be set both in DOCKER_OPTS and in daemon.json",
        ),
        ({"options": {"debug": True}, "hand_set": "--frobnicate"}, "which dockerd does not take"),
    ],
)
def test_refusals_change_nothing_and_say_why(states, modules, host_root, arguments, words):
    root = str(host_root.root)
    arguments = dict(arguments)  # the parameter itself is shared by every run
    hand_set = arguments.pop("hand_set", None)
    if hand_set:
        modules.sysconfig.set("docker", "DOCKER_OPTS", hand_set, root=root)
    before = _files(host_root)
    ret = states.docker_host.daemon_configured(name="docker", root=root, **arguments)
    assert ret.result is False
    assert words in ret.comment
    assert ret.comment.endswith("Nothing was changed.")
    assert "Traceback" not in ret.comment
    assert _files(host_root) == before


# The data-root's filesystem and the kernel decide (DOMAIN.md, "Storage drivers").
BTRFS_ROOT = "22 1 0:30 /@ / rw,relatime shared:1 - btrfs /dev/vda2 rw,subvol=/@\n"
NFS_VAR = "60 22 0:40 / /var rw,relatime shared:30 - nfs4 srv:/var rw\n"


@pytest.mark.parametrize(
    "mounts, filesystems, loaded, without, chosen",
    [
        (BTRFS_ROOT, ("btrfs",), ("btrfs", "overlay"), (), "btrfs"),
        (hosttrees.EXT4_ROOT, ("ext4",), ("overlay",), (), "overlay2"),
        # No overlay module and no CONFIG_OVERLAY_FS: only vfs works.
        (hosttrees.EXT4_ROOT, ("ext4",), (), ("OVERLAY_FS",), "vfs"),
        # overlay2 cannot stack on NFS.
        (hosttrees.EXT4_ROOT + NFS_VAR, ("ext4", "nfs4"), ("overlay",), (), "vfs"),
    ],
)
def test_auto_picks_the_driver_the_filesystem_and_kernel_allow(
    states, modules, tmp_path, mounts, filesystems, loaded, without, chosen
):
    tree = hosttrees.kernel_root(tmp_path / "root", mounts, filesystems, loaded, without)
    root = str(tree.root)
    ret = states.docker_host.daemon_configured(name="docker", storage_driver="auto", root=root)
    assert ret.result is True, ret.comment
    assert ret.changes["DOCKER_OPTS"] == {"old": "", "new": f"--storage-driver={chosen}"}
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == (
        f"--storage-driver={chosen}"
    )


@pytest.mark.parametrize(
    "driver, mounts, filesystems, loaded, without, why",
    [
        ("btrfs", hosttrees.EXT4_ROOT, ("ext4",), (), (), "the data-root is on ext4, not btrfs"),
        (
            "devicemapper",
            hosttrees.EXT4_ROOT,
            ("ext4",),
            # Loaded in the tree's /proc: an image's kernel has it or not.
            ("dm_thin_pool",),
            ("DM_THIN_PROVISIONING",),
            "the image's kernel 6.4.0-150600.21-default has no dm_thin_pool "
            "(CONFIG_DM_THIN_PROVISIONING is not set)",
        ),
        ("overlay2", hosttrees.EXT4_ROOT + NFS_VAR, ("nfs4",), ("overlay",), (), "nfs4"),
    ],
)
def test_a_driver_the_root_cannot_run_is_refused(
    states, tmp_path, driver, mounts, filesystems, loaded, without, why
):
    tree = hosttrees.kernel_root(tmp_path / "root", mounts, filesystems, loaded, without)
    before = (tree.root / "etc/sysconfig/docker").read_bytes()
    for given in ({"storage_driver": driver}, {"options": {"-s": driver}}):
        ret = states.docker_host.daemon_configured(name="docker", root=str(tree.root), **given)
        assert ret.result is False
        assert f"storage_driver {driver} cannot run in the image under {tree.root}: " in (
            ret.comment
        )
        assert why in ret.comment
        assert ret.comment.endswith("Nothing was changed.")
    assert (tree.root / "etc/sysconfig/docker").read_bytes() == before


def test_devicemapper_is_taken_where_the_kernel_has_thin_provisioning(states, modules, tmp_path):
    """The image's kernel is built with it (as a module: =m)."""
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",))
    root = str(tree.root)
    ret = states.docker_host.daemon_configured(
        name="docker", storage_driver="devicemapper", root=root
    )
    assert ret.result is True, ret.comment
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == (
        "--storage-driver=devicemapper"
    )


def test_auto_refuses_when_the_filesystem_cannot_be_seen(states, tmp_path):
    tree = hosttrees.Tree(tmp_path / "image-root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    ret = states.docker_host.daemon_configured(
        name="docker", storage_driver="auto", root=str(tree.root)
    )
    assert ret.result is False
    assert "storage_driver auto needs the data-root's filesystem" in ret.comment


def test_changing_the_driver_warns_about_existing_images(states, modules, host_root):
    root = str(host_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--storage-driver=vfs", root=root)
    host_root.write("/var/lib/docker/image/vfs/imagedb/content/sha256/" + "ab" * 32, "{}")
    ret = states.docker_host.daemon_configured(name="d", storage_driver="overlay2", root=root)
    assert ret.result is True
    assert "/var/lib/docker holds 1 image(s) of the vfs storage driver" in ret.comment
    assert "no longer sees them" in ret.comment


def test_a_watching_state_runs_only_when_the_configuration_changed(
    modules, host_root, loaders, tmp_path
):
    """service.running needs systemd as PID 1; cmd.run with onchanges shows the same contract:
    the configuration's changes, and only they, trigger the restart."""
    marker = tmp_path / "restarted"
    state_tree = loaders.opts["file_roots"]["base"][0]
    with open(f"{state_tree}/daemon_watch.sls", "w") as handle:
        handle.write(
            textwrap.dedent(
                f"""
                docker-daemon-configured:
                  docker_host.daemon_configured:
                    - storage_driver: vfs
                    - root: {host_root.root}

                docker-restarted:
                  cmd.run:
                    - name: echo restart >> {marker}
                    - onchanges:
                      - docker_host: docker-daemon-configured
                """
            )
        )
    first = modules.state.sls("daemon_watch")
    assert not first.failed
    assert marker.read_text() == "restart\n"
    second = modules.state.sls("daemon_watch")
    assert not second.failed
    assert [state.changes for state in second] == [{}, {}]
    assert marker.read_text() == "restart\n"


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_failed_write_puts_the_other_file_back(states, modules, host_root):
    """Makes the sandbox's /etc/docker immutable (chattr +i) so that daemon.json cannot
    be replaced; undone afterwards."""
    import subprocess

    root = str(host_root.root)
    before = _files(host_root)
    directory = host_root.root / "etc/docker"
    subprocess.run(["chattr", "+i", str(directory)], check=True)
    try:
        ret = states.docker_host.daemon_configured(
            name="d", options={"debug": True}, daemon_json={"live-restore": True}, root=root
        )
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)
    assert ret.result is False
    assert "daemon.json could not be written" in ret.comment
    assert "DOCKER_OPTS was put back as it was" in ret.comment
    assert _files(host_root) == before
    assert [p.name for p in directory.iterdir()] == ["daemon.json"]


@pytest.mark.parametrize(
    "hand_set, arguments, first",
    [
        # SUSE's daemon.json sets log-level: moving it into DOCKER_OPTS writes
        # daemon.json (which loses it) first.
        ("", {"options": {"log-level": "warn"}}, "daemon.json"),
        # A flag moving into daemon.json leaves DOCKER_OPTS first.
        ("--debug --storage-driver=vfs", {"daemon_json": {"debug": True}}, "docker"),
    ],
)
def test_a_directive_moving_between_the_files_leaves_its_old_file_first(
    states, modules, host_root, hand_set, arguments, first
):
    """dockerd, started between the two writes, must never find it in both."""
    root = str(host_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", hand_set, root=root)
    directories = (host_root.root / "etc/sysconfig", host_root.root / "etc/docker")
    with inotify.renames_into(*directories) as renamed:
        ret = states.docker_host.daemon_configured(name="d", root=root, **arguments)
    assert ret.result is True, ret.comment
    assert set(ret.changes) == {"DOCKER_OPTS", "daemon.json"}
    order = [name for _, name in renamed]
    assert order[0] == first
    assert sorted(order) == ["daemon.json", "docker"]
    assert modules.docker_host.daemon_options(root=root)["conflicts"] == []


def test_no_image_warning_when_the_images_stay_visible(states, modules, host_root):
    root = str(host_root.root)
    host_root.write("/var/lib/docker/image/overlay2/imagedb/content/sha256/" + "cd" * 32, "{}")
    ret = states.docker_host.daemon_configured(name="d", storage_driver="overlay2", root=root)
    assert ret.result is True and "Warning" not in ret.comment


def test_runtimes_are_merged_not_refused(states, modules, host_root):
    root = str(host_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--add-runtime=crun=/usr/bin/crun", root=root)
    ret = states.docker_host.daemon_configured(
        name="d", daemon_json={"runtimes": {"kata": {"path": "/usr/bin/kata"}}}, root=root
    )
    assert ret.result is True
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == (
        "--add-runtime=crun=/usr/bin/crun"
    )


@pytest.mark.parametrize(
    "held, new_json, docker_opts",
    [
        # daemon.json holds both: both stay there, DOCKER_OPTS does not get them.
        (
            {"storage-driver": "vfs", "data-root": "/var/lib/docker"},
            {"storage-driver": "overlay2", "data-root": "/srv/docker"},
            "",
        ),
        # Each key on its own: the one daemon.json holds stays there, the other
        # goes where SUSE keeps it.
        ({"storage-driver": "vfs"}, {"storage-driver": "overlay2"}, "--data-root=/srv/docker"),
        (
            {"data-root": "/var/lib/docker"},
            {"data-root": "/srv/docker"},
            "--storage-driver=overlay2",
        ),
    ],
)
def test_driver_and_data_root_stay_in_daemon_json_when_it_holds_them(
    states, modules, bash, tmp_path, held, new_json, docker_opts
):
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    tree.daemon_json({"log-level": "warn", **held})
    root = str(tree.root)
    arguments = {
        "name": "docker",
        "storage_driver": "overlay2",
        "data_root": "/srv/docker",
        "root": root,
    }
    expected = {"daemon.json": {"old": {"log-level": "warn", **held}}}
    expected["daemon.json"]["new"] = {"log-level": "warn", **new_json}
    if docker_opts:
        expected["DOCKER_OPTS"] = {"old": "", "new": docker_opts}
    before = _files(tree)

    predicted = states.docker_host.daemon_configured(test=True, **arguments)
    assert predicted.result is None, predicted.comment
    assert predicted.changes == expected
    assert _files(tree) == before

    applied = states.docker_host.daemon_configured(**arguments)
    assert applied.result is True, applied.comment
    assert applied.changes == expected
    where = " and ".join(name for name in ("DOCKER_OPTS", "daemon.json") if name in expected)
    assert applied.comment == f"{where} changed."
    daemon_json = json.loads((tree.root / "etc/docker/daemon.json").read_text())
    assert daemon_json == {"log-level": "warn", **new_json}
    assert bash(tree.root / "etc/sysconfig/docker")["DOCKER_OPTS"] == docker_opts
    assert modules.docker_host.daemon_options(root=root)["conflicts"] == []

    after = _files(tree)
    for test in (False, True):
        again = states.docker_host.daemon_configured(test=test, **arguments)
        assert again.result is True and again.changes == {}
        assert "already as specified" in again.comment
    assert _files(tree) == after


# A btrfs root with /srv on ext4: btrfs runs under /var/lib/docker, not under /srv.
SRV_EXT4 = "61 22 8:17 / /srv rw,relatime shared:31 - ext4 /dev/vdb1 rw\n"


@pytest.mark.parametrize(
    "by_hand, given",
    [
        # The driver set by hand in daemon.json, the data-root given to the state.
        ({"storage-driver": "btrfs"}, {"data_root": "/srv/docker"}),
        ({"storage-driver": "btrfs"}, {"options": {"data-root": "/srv/docker"}}),
        ({"storage-driver": "btrfs"}, {"daemon_json": {"data-root": "/srv/docker"}}),
        # The data-root set by hand in daemon.json, the driver given to the state.
        ({"data-root": "/srv/docker"}, {"storage_driver": "btrfs"}),
        ({"data-root": "/srv/docker"}, {"options": {"-s": "btrfs"}}),
        ({"data-root": "/srv/docker"}, {"daemon_json": {"storage-driver": "btrfs"}}),
    ],
)
def test_a_driver_refused_for_what_daemon_json_sets_by_hand(states, bash, tmp_path, by_hand, given):
    """README: refused, "a storage driver that cannot run under the data-root it will
    have, whichever file sets either of them"."""
    tree = hosttrees.kernel_root(
        tmp_path / "root", BTRFS_ROOT + SRV_EXT4, ("btrfs", "ext4"), ("btrfs", "overlay")
    )
    tree.write("/srv/.keep", "")
    tree.daemon_json({"log-level": "warn", **by_hand})
    root = str(tree.root)
    before = _files(tree)
    for test in (True, False):
        ret = states.docker_host.daemon_configured(name="docker", root=root, test=test, **given)
        assert ret.result is False
        assert ret.changes == {}
        assert ret.comment.startswith(
            f"storage_driver btrfs cannot run in the image under {tree.root}: the data-root "
            "is on ext4, not btrfs."
        )
        assert ret.comment.endswith("Nothing was changed.")
        assert _files(tree) == before

    # Without the hand-set half, the same state is taken: the refusal came from daemon.json.
    tree.daemon_json({"log-level": "warn"})
    ret = states.docker_host.daemon_configured(name="docker", root=root, **given)
    assert ret.result is True, ret.comment


@pytest.mark.parametrize(
    "options, shown",
    [
        ({"label": "k=a\\b"}, "options:label='k=a\\\\b'"),
        ({"exec-root": "/run/it's"}, '''exec-root="/run/it's"'''),
        ({"label": 'k="v"'}, """options:label='k="v"'"""),
        ({"pidfile": "/run/a\tb.pid"}, "pidfile='/run/a\\tb.pid'"),
    ],
)
def test_docker_opts_values_that_readers_take_differently_are_refused(
    states, bash, host_root, options, shown
):
    """A backslash, a quote or a tab means different things to bash, systemd and dockerd."""
    root = str(host_root.root)
    before = _files(host_root)
    ret = states.docker_host.daemon_configured(name="docker", options=options, root=root)
    assert ret.result is False
    assert ret.changes == {}
    assert f"{shown}: systemd splits DOCKER_OPTS at whitespace" in ret.comment
    assert "holds whitespace, quotes or backslashes cannot go there" in ret.comment
    assert ret.comment.endswith("put it in daemon_json. Nothing was changed.")
    assert _files(host_root) == before
    assert bash(host_root.root / "etc/sysconfig/docker")["DOCKER_OPTS"] == ""


@pytest.mark.parametrize(
    "hand_set, by_hand_json, old_root",
    [
        ("--storage-driver=vfs", None, "/var/lib/docker"),
        ("--storage-driver=vfs --data-root=/srv/old", None, "/srv/old"),
        ("", {"storage-driver": "vfs", "data-root": "/srv/old"}, "/srv/old"),
    ],
)
def test_changing_the_data_root_warns_about_the_images_left_behind(
    states, modules, tmp_path, hand_set, by_hand_json, old_root
):
    """The driver stays vfs; only the data-root moves. dockerd sees only its driver's
    images, so the overlay2 one beside them is not counted."""
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    root = str(tree.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", hand_set, root=root)
    if by_hand_json is not None:
        tree.daemon_json(by_hand_json)
    for number in (1, 2):
        tree.image(old_root, "vfs", number)
    tree.image(old_root, "overlay2", 3)
    warning = (
        f" Warning: {old_root} holds 2 image(s) of the vfs storage driver; with the new "
        "data-root dockerd no longer sees them: pull or load them again (or docker save "
        "them first)."
    )
    predicted = states.docker_host.daemon_configured(
        name="docker", data_root="/srv/new", root=root, test=True
    )
    assert predicted.result is None
    assert predicted.comment.endswith("would change." + warning)
    ret = states.docker_host.daemon_configured(name="docker", data_root="/srv/new", root=root)
    assert ret.result is True, ret.comment
    assert ret.changes == predicted.changes
    where = "daemon.json" if by_hand_json else "DOCKER_OPTS"
    assert ret.comment == f"{where} changed." + warning
    assert modules.docker_host.daemon_options(root=root)["effective"]["data-root"] == "/srv/new"


@pytest.mark.parametrize("images_in", [None, "/srv/new"])
def test_no_warning_when_the_old_data_root_holds_no_images(states, modules, tmp_path, images_in):
    tree = hosttrees.kernel_root(tmp_path / "root", hosttrees.EXT4_ROOT, ("ext4",), ("overlay",))
    root = str(tree.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--storage-driver=vfs", root=root)
    (tree.root / "var/lib/docker/image/vfs/imagedb/content/sha256").mkdir(parents=True)
    if images_in:
        tree.image(images_in, "vfs", 1)
    ret = states.docker_host.daemon_configured(name="docker", data_root="/srv/new", root=root)
    assert ret.result is True
    assert ret.comment == "DOCKER_OPTS changed."
    assert ret.changes["DOCKER_OPTS"] == {
        "old": "--storage-driver=vfs",
        "new": "--storage-driver=vfs --data-root=/srv/new",
    }
