"""An image root is judged as the image, through Salt's loader: ``docker_host.check``
and ``docker_daemon.plan`` with ``root=``. Every image here also carries a /proc of
a running system that is not the image's (another kernel release, overlay loaded,
forwarding on, a btrfs mount table), as a build that mounts this machine's /proc
into the root has: none of it may decide anything."""

import re
import subprocess

import pytest
from salt.exceptions import CommandExecutionError

from tests import hosttrees

RELEASE = "6.4.0-150600.23.25-default"


_config = hosttrees.kernel_config


@pytest.fixture
def image(tmp_path):
    tree = hosttrees.image_with_a_foreign_proc(tmp_path / "image")
    tree.write("/var/lib/docker/.keep", "")
    return tree


def _by_id(report):
    return {item["id"]: item for item in report["items"]}


def _words(report):
    return [text for item in report["items"] for text in (item["reason"], item["fix"]) if text]


def test_an_image_without_a_kernel_is_reported_without_a_none(modules, image):
    report = modules.docker_host.check(root=str(image.root))
    items = _by_id(report)
    assert not [text for text in _words(report) if re.search(r"\bNone\b", text)]
    assert items["kernel.config"] == {
        "id": "kernel.config",
        "status": "warn",
        "reason": "no kernel is installed in the image (no /boot/config-<version> or "
        "/usr/lib/modules/<version>/config): its options cannot be checked before it boots",
        "fix": "install a kernel in the image: SUSE's kernel packages ship /boot/config-<version>",
    }
    assert items["image.sources"]["reason"].startswith(
        "judged as an image, from its own files only: kernel: none installed; data-root "
        "filesystem: not known; engine: not known (the image has no docker package in "
        "/var/lib/dpkg/status and no rpm database);"
    )
    assert "cgroup.hierarchy" not in items  # mounted at boot, listed as such
    assert "the cgroup version, which systemd chooses" in items["image.at_boot"]["reason"]
    assert items["storage.filesystem"]["status"] == "warn"
    assert "docker_host:daemon:storage_driver" in items["storage.filesystem"]["fix"]
    # The tree's /proc says forwarding is on; the image's files say nothing.
    assert items["network.ip_forward"]["status"] == "warn"
    assert "(the kernel's default)" in items["network.ip_forward"]["reason"]
    (image.root / "etc/sysconfig/docker").unlink()
    items = _by_id(modules.docker_host.check(root=str(image.root)))
    assert items["docker.installed"]["fix"] == f"zypper --root {image.root} install docker"


def test_the_images_kernel_fstab_and_sysctl_files_are_what_the_check_reads(modules, image):
    image.write(f"/boot/config-{RELEASE}", _config(SECCOMP_FILTER=""))
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    modules.docker_forwarding.apply(modules.docker_forwarding.plan(root=str(image.root)))
    items = _by_id(modules.docker_host.check(root=str(image.root)))
    assert items["kernel.required"]["reason"].endswith(
        f"(the image's kernel {RELEASE}, /boot/config-{RELEASE})"
    )
    assert items["security.seccomp"]["reason"] == (
        f"seccomp filtering is not available in the image's kernel {RELEASE}: containers "
        "run without the default seccomp profile"
    )
    assert items["storage.filesystem"]["reason"] == (
        "data-root /var/lib/docker (default) is on ext4 (the image's /etc/fstab: /dev/vda2 at /)"
    )
    assert items["network.ip_forward"] == {
        "id": "network.ip_forward",
        "status": "ok",
        "reason": "the boot sets net.ipv4.ip_forward to 1 (/etc/sysctl.d/"
        "90-docker-host-forwarding.conf line 3: net.ipv4.ip_forward = 1)",
        "fix": None,
    }


def _refusal(modules, image, **arguments):
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_daemon.plan(root=str(image.root), **arguments)
    return str(raised.value)


def test_auto_needs_the_images_filesystem_and_names_the_pillar_key(modules, image):
    image.write(f"/boot/config-{RELEASE}", _config())
    assert _refusal(modules, image, storage_driver="auto") == (
        "storage_driver auto needs the data-root's filesystem, which cannot be seen in the "
        f"image under {image.root} (nothing is mounted at /var/lib/docker under "
        f"{image.root}, and neither the image's /etc/fstab nor a KIWI description in it names "
        "the filesystem that holds it): name "
        "the driver (docker_host:daemon:storage_driver)"
    )


def test_auto_without_a_kernel_in_the_image_cannot_choose(modules, image):
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    assert _refusal(modules, image, storage_driver="auto") == (
        f"storage_driver auto cannot choose in the image under {image.root}: overlay2 "
        "cannot be judged: overlay cannot be checked: no kernel is installed in the image "
        "(no /boot/config-<version> or /usr/lib/modules/<version>/config): its options "
        "cannot be checked before it boots: name the driver (docker_host:daemon:storage_driver)"
    )


def test_an_explicit_driver_that_cannot_be_checked_is_taken_with_a_warning(modules, image):
    image.write(f"/boot/config-{RELEASE}", _config())
    planned = modules.docker_daemon.plan(root=str(image.root), storage_driver="btrfs")
    assert planned["changes"]["DOCKER_OPTS"]["new"] == "--storage-driver=btrfs"
    assert planned["comment"] == (
        "DOCKER_OPTS would change. storage_driver btrfs could not be checked in the image "
        f"under {image.root} (the data-root's filesystem is unknown): it is configured as "
        "given."
    )
    applied = modules.docker_daemon.apply(planned)
    assert applied["result"] is True
    assert applied["comment"].endswith("it is configured as given.")


def test_the_images_kernel_refuses_what_it_lacks(modules, image):
    """The tree's /proc has overlay loaded; the image's kernel is built without it."""
    image.write(f"/boot/config-{RELEASE}", _config(OVERLAY_FS=""))
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    assert _refusal(modules, image, storage_driver="overlay2") == (
        f"storage_driver overlay2 cannot run in the image under {image.root}: the image's "
        f"kernel {RELEASE} has no overlay (CONFIG_OVERLAY_FS is not set). Use vfs (or "
        "storage_driver: auto)"
    )


def test_the_images_fstab_decides_btrfs_not_the_tree_s_proc(modules, image):
    image.write(f"/boot/config-{RELEASE}", _config())
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    assert "the data-root is on ext4, not btrfs" in _refusal(modules, image, storage_driver="btrfs")
    image.write(
        "/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n/dev/vdb /var/lib/docker btrfs defaults 0 0\n"
    )
    planned = modules.docker_daemon.plan(root=str(image.root), storage_driver="auto")
    assert planned["changes"]["DOCKER_OPTS"]["new"] == "--storage-driver=btrfs"
    assert planned["comment"] == "DOCKER_OPTS would change."


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_btrfs_mounted_at_the_images_data_root_is_the_images(modules, image, loop_btrfs):
    """A real btrfs (a loop device) bound at <image>/var/lib/docker; the image's fstab
    says ext4 for /, and this machine's own /var/lib/docker is not asked."""
    image.write(f"/boot/config-{RELEASE}", _config())
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    data_root = image.root / "var/lib/docker"
    subprocess.run(["mount", "--bind", str(loop_btrfs), str(data_root)], check=True)
    try:
        planned = modules.docker_daemon.plan(root=str(image.root), storage_driver="auto")
        facts = modules.docker_host_facts.collect(root=str(image.root))
    finally:
        subprocess.run(["umount", str(data_root)], check=True)
    assert planned["changes"]["DOCKER_OPTS"]["new"] == "--storage-driver=btrfs"
    storage = facts["storage"]
    assert (storage["fstype"], storage["mount_point"]) == ("btrfs", "/var/lib/docker")
    assert storage["filesystem_seen"].startswith(f"mounted under {image.root}: /dev/loop")


def test_an_images_options_are_not_checked_against_this_hosts_dockerd(
    modules, image, tmp_path, monkeypatch
):
    """This machine's dockerd (Engine 20.10) refuses daemon.json's proxies, and
    here none is on PATH at all: neither is the image's engine, whose release is
    not known (no package)."""
    image.write(f"/boot/config-{RELEASE}", _config())
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    proxy = {"proxies": {"http-proxy": "http://proxy.example.com:3128"}}
    planned = modules.docker_daemon.plan(root=str(image.root), daemon_json=proxy)
    assert planned["changes"]["daemon.json"] == {"old": None, "new": proxy}


def _install_rpm(image, tmp_path, name, version):
    """A package ``name``-``version`` built with rpmbuild and recorded in the image's
    own rpm database (SUSE's place, /usr/lib/sysimage/rpm), as zypper would."""
    top = tmp_path / "rpmbuild"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / f"{name}.spec"
    spec.write_text(
        f"Name: {name}\nVersion: {version}\nRelease: 1\nSummary: engine\n"
        "License: Apache-2.0\nBuildArch: noarch\n%description\nengine\n%files\n"
    )
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", f"--define=_topdir {top}", str(spec)],
        check=True,
        capture_output=True,
    )
    (package,) = (top / "RPMS" / "noarch").glob(f"{name}-*.rpm")
    database = "/usr/lib/sysimage/rpm"
    rpm = ["rpm", f"--root={image.root}", f"--dbpath={database}"]
    subprocess.run([*rpm, "--initdb"], check=True)
    subprocess.run([*rpm, "-i", "--justdb", "--nodeps", str(package)], check=True)


@pytest.mark.parametrize(
    "install, refused",
    [
        (("rpm", "docker", "24.0.7_ce"), "24.0.7_ce (the image's rpm database: docker 24.0.7_ce)"),
        (("rpm", "docker", "20.10.17_ce"), None),
        (
            ("dpkg", "docker-ce", "5:24.0.7-1~debian.12~bookworm"),
            "24.0.7 (the image's dpkg status: docker-ce 24.0.7)",
        ),
        (("dpkg", "docker.io", "20.10.24+dfsg1-1+b3"), None),
    ],
    ids=["rpm-24", "rpm-20", "dpkg-24", "dpkg-20"],
)
def test_a_removed_driver_is_judged_by_the_images_installed_engine(
    modules, image, tmp_path, install, refused
):
    """The legacy overlay driver, which Engine 24 removed: this machine's dockerd
    (Engine 20.10) is never asked; the engine the image's packages install is."""
    image.write(f"/boot/config-{RELEASE}", _config())
    image.write("/etc/fstab", "/dev/vda2 / ext4 defaults 0 1\n")
    manager, name, version = install
    if manager == "rpm":
        _install_rpm(image, tmp_path, name, version)
    else:
        image.write(
            "/var/lib/dpkg/status",
            f"Package: {name}\nStatus: install ok installed\nVersion: {version}\n",
        )
    if refused:
        assert _refusal(modules, image, storage_driver="overlay") == (
            "storage_driver overlay was removed in Docker Engine 24; the image's engine is "
            f"{refused}. Use overlay2"
        )
    else:
        planned = modules.docker_daemon.plan(root=str(image.root), storage_driver="overlay")
        assert planned["changes"]["DOCKER_OPTS"]["new"] == "--storage-driver=overlay"
        assert planned["comment"] == "DOCKER_OPTS would change."


def test_the_boots_forwarding_comes_from_the_images_files_in_the_boots_order(modules, image):
    """The tree's /proc says forwarding is on: the image's files alone decide."""
    image.write(
        "/etc/sysctl.d/50-forward.conf",
        "net/ipv4/ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n",
    )
    image.write("/etc/sysconfig/sysctl", 'IP_FORWARD="no"\nIPV6_FORWARD=""\n')
    at_boot = modules.docker_forwarding.at_boot(root=str(image.root))
    # Old SLES' IP_FORWARD comes last; an empty IPV6_FORWARD leaves it to sysctl.d.
    assert at_boot == {
        "ipv4": {"on": False, "seen": '/etc/sysconfig/sysctl: IP_FORWARD="no"'},
        "ipv6": {
            "on": True,
            "seen": "/etc/sysctl.d/50-forward.conf line 2: net.ipv6.conf.all.forwarding = 1",
        },
    }
    image.write("/etc/sysconfig/sysctl", 'IP_FORWARD="yes"\nIPV6_FORWARD="no"\n')
    at_boot = modules.docker_forwarding.at_boot(root=str(image.root))
    assert at_boot == {
        "ipv4": {"on": True, "seen": '/etc/sysconfig/sysctl: IP_FORWARD="yes"'},
        "ipv6": {"on": False, "seen": '/etc/sysconfig/sysctl: IPV6_FORWARD="no"'},
    }
    (image.root / "etc/sysconfig/sysctl").unlink()
    assert modules.docker_forwarding.at_boot(root=str(image.root))["ipv4"] == {
        "on": True,
        "seen": "/etc/sysctl.d/50-forward.conf line 1: net/ipv4/ip_forward = 1",
    }


@pytest.mark.parametrize(
    "version, refused", [("20.10.17_ce", True), ("24.0.7_ce", False)], ids=["rpm-20", "rpm-24"]
)
def test_daemon_json_proxies_are_judged_by_the_images_engine(
    modules, image, tmp_path, version, refused
):
    """daemon.json's proxies came with Engine 23: an image whose package installs an
    older engine is refused them, whatever this machine runs."""
    image.write(f"/boot/config-{RELEASE}", _config())
    _install_rpm(image, tmp_path, "docker", version)
    proxy = {"proxies": {"https-proxy": "http://proxy.example.com:3128"}}
    if refused:
        assert _refusal(modules, image, daemon_json=proxy) == (
            "daemon_json:proxies is read by Engine 23 and later, and the image's engine is "
            f"{version}, which refuses it: give the daemon's proxy in docker_host:proxy, "
            "which puts it where the engine reads it (a systemd drop-in for docker.service)"
        )
    else:
        planned = modules.docker_daemon.plan(root=str(image.root), daemon_json=proxy)
        assert planned["changes"]["daemon.json"] == {"old": None, "new": proxy}


@pytest.mark.parametrize("version", ["20.10.17_ce", "24.0.7_ce"], ids=["rpm-20", "rpm-24"])
def test_the_proxy_goes_where_the_images_engine_reads_it(modules, image, tmp_path, version):
    """Engine 23 and later read daemon.json's proxies; older ones only their
    environment, which the drop-in for docker.service gives them."""
    image.write(f"/boot/config-{RELEASE}", _config())
    _install_rpm(image, tmp_path, "docker", version)
    proxy = {"https_proxy": "http://proxy.example.com:3128", "no_proxy": "localhost"}
    planned = modules.docker_daemon.plan(root=str(image.root), proxy=proxy)
    drop_in = "/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf"
    if version.startswith("24"):
        assert planned["changes"] == {
            "daemon.json": {
                "old": None,
                "new": {
                    "proxies": {
                        "https-proxy": "http://proxy.example.com:3128",
                        "no-proxy": "localhost",
                    }
                },
            }
        }
    else:
        assert planned["changes"] == {
            drop_in: {
                "old": None,
                "new": {"HTTPS_PROXY": "http://proxy.example.com:3128", "NO_PROXY": "localhost"},
            }
        }
    done = modules.docker_daemon.apply(planned)
    assert done["result"] is True, done
    assert modules.docker_daemon.plan(root=str(image.root), proxy=proxy)["changes"] == {}
    assert (image.root / drop_in.lstrip("/")).exists() is not version.startswith("24")
