"""docker_host_facts for an image root: every fact from the image's own files.

Each tree here also holds a /proc that says something else (another kernel
release, another config, forwarding on, overlay loaded), as a build that
mounts this machine's /proc into the root would: none of it may be read."""

import pytest

from tests import hosttrees
from tests.unit.conftest import _load

NEWER = "6.4.0-150600.23.25-default"
OLDER = "6.4.0-150600.21-default"


@pytest.fixture(scope="module")
def facts_mod():
    return _load("_modules/docker_host_facts.py")


_config = hosttrees.kernel_config


def _image(tmp_path):
    return hosttrees.image_with_a_foreign_proc(tmp_path / "image")


def _collect(facts_mod, tree, **more):
    return facts_mod.collect(root=str(tree.root), kernel_options=True, **more)


def test_the_newest_installed_kernel_is_the_images_and_the_others_are_named(facts_mod, tmp_path):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config(OVERLAY_FS=""))
    tree.write(f"/usr/lib/modules/{NEWER}/config", _config(OVERLAY_FS="m"))
    tree.write(f"/usr/lib/modules/{OLDER}/modules.dep", "")
    facts = _collect(facts_mod, tree)
    assert facts["target"] == "image"
    kernel = facts["kernel"]
    # 23.25 is newer than 21, although "21" sorts after "23" nowhere and "2" does.
    assert kernel["release"] == NEWER
    assert kernel["installed"] == [OLDER, NEWER]
    assert kernel["config_source"] == f"/usr/lib/modules/{NEWER}/config"
    assert kernel["options"]["OVERLAY_FS"] == "m"
    assert kernel["required"]["NET_NS"] == "y"
    assert kernel["unknown"] == {}
    overlay2 = facts["storage"]["drivers"]["overlay2"]
    assert overlay2["reason"].endswith(f"the image's kernel {NEWER} has CONFIG_OVERLAY_FS=m")


def test_an_image_without_a_kernel_says_so_and_no_driver_that_needs_one_is_judged(
    facts_mod, tmp_path
):
    tree = _image(tmp_path)
    tree.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    facts = _collect(facts_mod, tree)
    kernel = facts["kernel"]
    assert (kernel["release"], kernel["config_source"], kernel["installed"]) == (None, None, [])
    assert kernel["unknown"]["config"].startswith("no kernel is installed in the image")
    drivers = facts["storage"]["drivers"]
    assert drivers["overlay2"]["supported"] is None
    assert drivers["overlay2"]["reason"].startswith("overlay cannot be checked: no kernel")
    assert drivers["devicemapper"]["supported"] is None
    assert drivers["vfs"]["supported"] is True
    # vfs would do, but overlay2 might do better: nothing is recommended.
    assert facts["storage"]["recommended"] is None
    assert facts["storage"]["unknown"]["recommended"].startswith("overlay2 cannot be judged")
    assert facts["namespaces"]["net"] is None


def test_a_kernel_built_without_overlay_refuses_overlay2(facts_mod, tmp_path):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config(OVERLAY_FS="", NET_NS=""))
    tree.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    facts = _collect(facts_mod, tree)
    overlay2 = facts["storage"]["drivers"]["overlay2"]
    assert overlay2 == {
        "supported": False,
        "reason": f"the image's kernel {OLDER} has no overlay (CONFIG_OVERLAY_FS is not set)",
    }
    assert facts["storage"]["recommended"] == "vfs"
    assert facts["namespaces"]["net"] is False
    assert facts["namespaces"]["pid"] is True


@pytest.mark.parametrize(
    "fstab, fstype, mount_point, separate",
    [
        ("/dev/vda2 / ext4 defaults 0 1\n", "ext4", "/", False),
        (
            "# the system\nUUID=1234 / ext4 defaults 0 1\n"
            "LABEL=docker /var/lib/docker btrfs defaults 0 0\n"
            "/dev/vda3 swap swap defaults 0 0\n",
            "btrfs",
            "/var/lib/docker",
            True,
        ),
        (
            "UUID=1234 / btrfs defaults 0 0\nUUID=1234 /var btrfs subvol=/@/var 0 0\n",
            "btrfs",
            "/var",
            False,
        ),
    ],
)
def test_the_data_roots_filesystem_comes_from_the_images_fstab(
    facts_mod, tmp_path, fstab, fstype, mount_point, separate
):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config())
    tree.write("/var/lib/docker/.keep", "")
    tree.write("/etc/fstab", fstab)
    storage = _collect(facts_mod, tree)["storage"]
    assert (storage["fstype"], storage["mount_point"], storage["separate_filesystem"]) == (
        fstype,
        mount_point,
        separate,
    )
    assert storage["filesystem_seen"].startswith("the image's /etc/fstab: ")
    assert storage["drivers"]["btrfs"]["supported"] is (fstype == "btrfs")


def test_without_fstab_or_a_mount_the_filesystem_is_unknown_and_nothing_is_guessed(
    facts_mod, tmp_path
):
    """The tree's own /proc/self/mountinfo says btrfs: it is not the image's."""
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config())
    storage = _collect(facts_mod, tree)["storage"]
    assert storage["fstype"] is None
    assert storage["unknown"]["filesystem"] == (
        f"nothing is mounted at /var/lib/docker under {tree.root}, and neither the image's "
        "/etc/fstab nor a KIWI description in it names the filesystem that holds it"
    )
    assert storage["drivers"]["btrfs"]["supported"] is None
    assert storage["drivers"]["zfs"]["supported"] is None
    assert storage["recommended"] is None


def test_a_filesystem_mounted_inside_the_root_is_the_images(facts_mod, tmp_path):
    """This machine's mount table, as _image_filesystem gets it: only what is
    mounted inside the root counts, and it wins over fstab."""
    tree = _image(tmp_path)
    tree.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    tree.write("/var/lib/docker/.keep", "")
    host = facts_mod._Host(str(tree.root), image=True)
    mount = facts_mod.Mount
    machine = [
        mount("/", "/", "ext4", "/dev/sda1", "rw"),
        mount("/", "/var/lib/docker", "btrfs", "/dev/sdb", "rw"),  # this machine's own
        mount("/", f"{tree.root}/var/lib/docker", "btrfs", "/dev/loop7", "rw"),
    ]
    found = facts_mod._image_filesystem(host, machine)("/var/lib/docker")
    assert found == {
        "fstype": "btrfs",
        "mount_point": "/var/lib/docker",
        "separate": True,
        "seen": f"mounted under {tree.root}: /dev/loop7 at /var/lib/docker",
    }
    # Above the mount, the image's fstab says ext4; this machine's / is not asked.
    assert facts_mod._image_filesystem(host, machine)("/var/lib")["fstype"] == "ext4"


def test_links_in_the_image_lead_to_the_images_files(facts_mod, tmp_path):
    """SUSE links /boot/config-<version> to the modules directory, absolutely."""
    tree = _image(tmp_path)
    tree.write(f"/usr/lib/modules/{OLDER}/config", _config(OVERLAY_FS="m"))
    tree.link(f"/boot/config-{OLDER}", f"/usr/lib/modules/{OLDER}/config")
    tree.link("/lib", "/usr/lib")
    kernel = _collect(facts_mod, tree)["kernel"]
    assert (kernel["release"], kernel["options"]["OVERLAY_FS"]) == (OLDER, "m")


def test_what_only_the_boot_decides_is_said_not_read(facts_mod, tmp_path):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config())
    facts = _collect(facts_mod, tree)
    assert facts["network"]["ip_forward"] == {"ipv4": None, "ipv6": None}
    assert facts["network"]["bridge_nf_call_iptables"] is None
    assert set(facts["network"]["at_boot"]) == {"ip_forward", "bridge_nf_call_iptables"}
    assert facts["cgroup"]["version"] is None and "version" in facts["cgroup"]["at_boot"]
    assert facts["security"]["apparmor"] == {"available": True, "enabled": None}
    assert facts["docker"]["socket"] is None
    assert facts["kernel"]["root_maxkeys"] is None


def test_slash_is_the_live_system(facts_mod):
    assert facts_mod.collect(root="/")["target"] == "live"
    assert facts_mod.collect(root="//")["target"] == "live"


def _kiwi_description(*preferences):
    """A KIWI description as ``kiwi-ng system prepare`` leaves it in the root."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<image schemaversion="8.5" name="host">\n'
        + "".join(preferences)
        + "</image>\n"
    )


_KIWI_BOTH_PROFILES = _kiwi_description(
    '<preferences><type image="oem" filesystem="btrfs"/><type image="kis"/></preferences>',
    '<preferences profiles="Small">'
    '<type image="vmx" filesystem="xfs" primary="true"/></preferences>',
)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # prepare chose oem: its filesystem, whatever the primary type is.
        ("kiwi_type='oem'\nkiwi_profiles=''\n", ("btrfs", 'image="oem" filesystem="btrfs"')),
        # The Small profile's primary vmx type, when prepare names no type.
        ("kiwi_profiles='Small'\n", ("xfs", 'image="vmx" filesystem="xfs"')),
        # Without the Small profile its preferences do not count, and two
        # types remain: nothing can be told.
        ("kiwi_profiles=''\n", (None, None)),
        # kis makes no filesystem.
        ("kiwi_type='kis'\n", (None, None)),
    ],
)
def test_a_kiwi_root_between_prepare_and_create_takes_the_descriptions_filesystem(
    facts_mod, tmp_path, profile, expected
):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config())
    tree.write("/image/config.xml", _KIWI_BOTH_PROFILES)
    tree.write("/.profile", profile)
    storage = _collect(facts_mod, tree)["storage"]
    fstype, named = expected
    assert storage["fstype"] == fstype
    if fstype:
        assert named in storage["filesystem_seen"]
        assert storage["filesystem_seen"].startswith("the KIWI description being built")
        assert storage["separate_filesystem"] is False
    else:
        assert "a KIWI description" in storage["unknown"]["filesystem"]


def test_the_images_fstab_wins_over_the_kiwi_description_and_bad_xml_is_unknown(
    facts_mod, tmp_path
):
    tree = _image(tmp_path)
    tree.write(f"/boot/config-{OLDER}", _config())
    tree.write("/image/config.xml", _KIWI_BOTH_PROFILES)
    tree.write("/.profile", "kiwi_type='oem'\n")
    tree.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    assert _collect(facts_mod, tree)["storage"]["fstype"] == "ext4"
    tree.write("/etc/fstab", "# written by system create\n")
    tree.write("/image/config.xml", "<image><preferences><type image=")
    storage = _collect(facts_mod, tree)["storage"]
    assert storage["fstype"] is None
    assert "KIWI description" in storage["unknown"]["filesystem"]
