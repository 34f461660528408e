"""docker_host_facts (the docker_host grain's facts) on synthetic host trees built
from real SUSE captures."""

import pytest

from tests import hosttrees


@pytest.fixture(scope="session")
def facts_mod():
    from tests.unit.conftest import _load

    return _load("_modules/docker_host_facts.py")


@pytest.fixture
def collect(facts_mod):
    def run(tree):
        # The running system seen at the tree (as the minion option docker_host.root does).
        return facts_mod._collect(str(tree.root), kernel_options=True)

    return run


def test_sles12_with_susefirewall2_and_cgroup_v1(collect, tmp_path):
    facts = collect(hosttrees.sles12_with_susefirewall2(tmp_path))
    kernel = facts["kernel"]
    assert kernel["release"] == "4.4.21-69-default"
    assert kernel["config_source"] == "/boot/config-4.4.21-69-default"
    assert kernel["required"]["NET_NS"] == "y" and kernel["required"]["VETH"] == "m"
    assert kernel["root_maxkeys"] == 200

    assert facts["cgroup"]["version"] == 1
    assert facts["cgroup"]["controllers"] == ["cpu", "cpuacct", "devices", "memory", "pids"]

    namespaces = facts["namespaces"]
    assert namespaces["net"] and namespaces["user"]
    assert namespaces["cgroup"] is False
    assert namespaces["unprivileged_user"] is False  # user.max_user_namespaces = 0

    assert facts["security"]["apparmor"] == {"available": True, "enabled": True}
    assert facts["security"]["seccomp"] == {"available": True, "enabled": True}

    storage = facts["storage"]
    assert storage["configured_driver"] == "devicemapper"  # README_SUSE's "-s devicemapper"
    assert storage["data_root"] == "/var/lib/docker"
    assert storage["probed_path"] == "/"  # /var/lib/docker does not exist in this tree
    assert storage["fstype"] == "ext4" and storage["separate_filesystem"] is False
    drivers = storage["drivers"]
    assert drivers["devicemapper"]["supported"] is True
    assert "module dm_thin_pool is loaded" in drivers["devicemapper"]["reason"]
    assert drivers["devicemapper"]["removed_in"] == 25
    assert drivers["aufs"] == {
        "supported": False,
        "reason": "removed in Docker Engine 24, and never in SUSE kernels",
        "removed_in": 24,
    }
    assert storage["recommended"] == "overlay2"
    assert storage["engine_version"] is None
    assert "engine_version" in storage["unknown"]

    network = facts["network"]
    assert network["firewall"] == "SuSEfirewall2"
    assert network["firewall_seen"] == "SuSEfirewall2.service is enabled"
    assert network["ip_forward"] == {"ipv4": False, "ipv6": False}
    assert network["bridge_nf_call_iptables"] is None
    assert "br_netfilter" in network["unknown"]["bridge_nf_call_iptables"]

    docker = facts["docker"]
    assert docker["installed"] is True and docker["installed_seen"] == "/usr/bin/dockerd"
    assert docker["group"] == {
        "name": "docker",
        "exists": True,
        "gid": 478,
        "members": ["alice", "bob"],
        "primary_members": [],
    }
    assert docker["sysconfig"] is True and docker["socket"] is None


def test_sles15_with_firewalld_networkmanager_cgroup_v2_and_xfs(collect, tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path)
    tree.write("/var/lib/docker/.keep", "")
    facts = collect(tree)
    assert facts["kernel"]["config_source"] == "/proc/config.gz"
    assert facts["cgroup"] == {
        "version": 2,
        "controllers": ["cpu", "cpuset", "hugetlb", "io", "memory", "pids", "rdma"],
        "mount_point": "/sys/fs/cgroup",
        "unknown": {},
    }
    assert facts["namespaces"]["cgroup"] is True
    assert facts["namespaces"]["unprivileged_user"] is True

    network = facts["network"]
    assert network["firewall"] == "firewalld"
    assert network["networkmanager"] is True
    assert "NetworkManager" in network["networkmanager_seen"]
    assert network["ip_forward"]["ipv4"] is True
    assert network["bridge_nf_call_iptables"] is True

    storage = facts["storage"]
    assert storage["configured_driver"] == "overlay2"  # from daemon.json
    assert storage["probed_path"] == "/var/lib/docker"
    assert (storage["fstype"], storage["mount_point"]) == ("xfs", "/var")
    assert storage["separate_filesystem"] is True
    assert storage["d_type"] is None
    assert "ftype=1" in storage["unknown"]["d_type"]
    assert storage["drivers"]["overlay2"]["supported"] is True
    assert "xfs_info" in storage["drivers"]["overlay2"]["reason"]
    assert storage["drivers"]["devicemapper"]["supported"] is True  # CONFIG_..._PROVISIONING=m
    assert "CONFIG_DM_THIN_PROVISIONING=m" in storage["drivers"]["devicemapper"]["reason"]
    assert facts["docker"]["group"]["members"] == []
    assert facts["docker"]["installed"] is False


def test_btrfs_root_with_snapper_subvolumes(collect, tmp_path):
    facts = collect(hosttrees.btrfs_snapper(tmp_path))
    storage = facts["storage"]
    assert storage["probed_path"] == "/var/lib"
    assert (storage["fstype"], storage["mount_point"]) == ("btrfs", "/var")
    # @/var is a subvolume of the same /dev/sda2 as the root: not a filesystem of its own.
    assert storage["separate_filesystem"] is False
    assert storage["drivers"]["btrfs"] == {
        "supported": True,
        "reason": "the data-root is on btrfs",
    }
    assert storage["recommended"] == "btrfs"
    assert facts["cgroup"]["version"] == 2
    assert facts["security"]["selinux"] == {"available": True, "enabled": True, "enforcing": True}


def test_hybrid_cgroup(collect, tmp_path):
    tree = hosttrees.Tree(tmp_path)
    tree.mounts(hosttrees.EXT4_ROOT + hosttrees.CGROUP_V1_MOUNTS + hosttrees.CGROUP_UNIFIED_MOUNT)
    cgroup = collect(tree)["cgroup"]
    assert cgroup["version"] == "hybrid"
    assert "memory" in cgroup["controllers"] and "xattr" not in cgroup["controllers"]


def test_an_empty_root_gives_unknowns_and_never_raises(collect, tmp_path):
    facts = collect(hosttrees.Tree(tmp_path / "empty"))
    for section in ("kernel", "cgroup", "namespaces", "security", "storage", "network", "docker"):
        assert section in facts
    assert facts["kernel"]["release"] is None
    assert "osrelease" in facts["kernel"]["unknown"]["release"]
    assert facts["kernel"]["required"] is None
    assert "config" in facts["kernel"]["unknown"]
    assert facts["cgroup"]["version"] is None
    assert facts["storage"]["fstype"] is None
    # No driver is recommended while a better one than vfs cannot be judged.
    assert facts["storage"]["recommended"] is None
    assert facts["storage"]["unknown"]["recommended"].startswith("btrfs cannot be judged")
    assert facts["network"]["ip_forward"] == {"ipv4": None, "ipv6": None}
    assert facts["docker"]["group"]["exists"] is None
    assert "group" in facts["docker"]["unknown"]


@pytest.mark.parametrize(
    "docker_opts, daemon_json, data_root, source, conflicts",
    [
        ("--data-root=/srv/docker", None, "/srv/docker", "DOCKER_OPTS", []),
        ("--data-root /srv/docker", None, "/srv/docker", "DOCKER_OPTS", []),
        ("-g /srv/docker", None, "/srv/docker", "DOCKER_OPTS", []),
        ("-g/srv/docker", None, "/srv/docker", "DOCKER_OPTS", []),
        ("--graph=/srv/docker -s btrfs", None, "/srv/docker", "DOCKER_OPTS", []),
        (None, {"data-root": "/data/docker"}, "/data/docker", "daemon.json", []),
        (None, {"graph": "/data/docker"}, "/data/docker", "daemon.json", []),
        ("--data-root=/a", {"data-root": "/b"}, "/a", "DOCKER_OPTS", ["data-root"]),
    ],
)
def test_data_root_from_docker_opts_and_daemon_json(
    collect, tmp_path, docker_opts, daemon_json, data_root, source, conflicts
):
    tree = hosttrees.btrfs_snapper(tmp_path)
    if docker_opts is not None:
        tree.docker_opts(docker_opts)
    if daemon_json is not None:
        tree.daemon_json(daemon_json)
    storage = collect(tree)["storage"]
    assert (storage["data_root"], storage["data_root_source"]) == (data_root, source)
    assert storage["conflicts"] == conflicts
    # Not created yet: judged by the nearest existing ancestor, the root here.
    assert storage["probed_path"] == "/"


def test_broken_configuration_files_are_reported_not_raised(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.daemon_json("{not json")
    tree.write("/etc/sysconfig/docker", 'DOCKER_OPTS="--data-root=/x\n')
    storage = collect(tree)["storage"]
    assert "not valid JSON" in storage["unknown"]["daemon_json"]
    assert "unterminated double quote" in storage["unknown"]["docker_opts"]
    # README: the data-root alone falls back to dockerd's default, and says so.
    assert (storage["data_root"], storage["data_root_source"]) == ("/var/lib/docker", "default")


def test_devicemapper_without_dm_thin_pool(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    config = dict(hosttrees.SUSE_KERNEL_CONFIG)
    del config["DM_THIN_PROVISIONING"]
    tree.kernel("6.4.0-150600.21-default", config)
    verdict = collect(tree)["storage"]["drivers"]["devicemapper"]
    assert verdict["supported"] is False
    assert verdict["reason"].startswith(
        "dm_thin_pool is not loaded and CONFIG_DM_THIN_PROVISIONING is not set"
    )


def test_overlay2_refuses_overlay_and_zfs_backing(facts_mod):
    options = {"OVERLAY_FS": "y"}
    kernel = facts_mod._running_kernel({"overlay"}, options, set())
    on_overlay = facts_mod._driver_verdicts("overlay", None, *kernel)
    assert on_overlay["overlay2"]["supported"] is False
    with_zfs = facts_mod._running_kernel({"overlay"}, options, {"zfs"})
    on_zfs = facts_mod._driver_verdicts("zfs", None, *with_zfs)
    assert on_zfs["overlay2"]["supported"] is False
    assert on_zfs["zfs"]["supported"] is True


def test_quoted_docker_opts_are_split_as_systemd_splits_them(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.docker_opts("--data-root='/srv/docker' -s 'overlay2'")
    storage = collect(tree)["storage"]
    assert (storage["data_root"], storage["configured_driver"]) == ("/srv/docker", "overlay2")


def test_a_symlinked_data_root_is_judged_where_it_leads(collect, tmp_path):
    tree = hosttrees.Tree(tmp_path)
    tree.mounts(
        hosttrees.EXT4_ROOT
        + "60 22 8:3 / /srv rw,relatime shared:30 - xfs /dev/vda3 rw,attr2,inode64\n"
    )
    tree.write("/srv/docker/.keep", "")
    tree.link("/var/lib/docker", "/srv/docker")  # absolute: resolved inside the root
    storage = collect(tree)["storage"]
    assert storage["probed_path"] == "/srv/docker"
    assert (storage["fstype"], storage["mount_point"]) == ("xfs", "/srv")
    assert storage["separate_filesystem"] is True


@pytest.mark.parametrize(
    "value, data_root, unknown",
    [
        ("--data-root=relative/dir", "/relative/dir", None),
        ("--data-root=", "/var/lib/docker", "data_root"),
    ],
)
def test_relative_and_empty_data_roots(collect, tmp_path, value, data_root, unknown):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.docker_opts(value)
    storage = collect(tree)["storage"]
    assert storage["data_root"] == data_root
    # The engine's version is never in the files the grain reads.
    assert set(storage["unknown"]) - {"engine_version"} == ({unknown} if unknown else set())


@pytest.mark.parametrize("fstype", ["nfs", "nfs4", "ecryptfs", "overlay"])
def test_overlay2_refuses_the_filesystems_moby_refuses(facts_mod, fstype):
    kernel = facts_mod._running_kernel({"overlay"}, {"OVERLAY_FS": "y"}, set())
    verdicts = facts_mod._driver_verdicts(fstype, None, *kernel)
    assert verdicts["overlay2"]["supported"] is False
    assert verdicts["overlay"]["removed_in"] == 24


def test_primary_group_members_count(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.group(["root:x:0:", "docker:x:478:alice"])
    tree.write("/etc/passwd", "root:x:0:0::/root:/bin/bash\nbob:x:1000:478::/home/bob:/bin/sh\n")
    group = collect(tree)["docker"]["group"]
    assert group["members"] == ["alice"] and group["primary_members"] == ["bob"]


def test_unprivileged_user_namespaces_need_both_switches(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.sysctl("kernel.unprivileged_userns_clone", 1)
    tree.sysctl("user.max_user_namespaces", 0)
    assert collect(tree)["namespaces"]["unprivileged_user"] is False


def test_a_masked_firewalld_is_not_the_firewall(collect, tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path)
    tree.link("/etc/systemd/system/firewalld.service", "/dev/null")
    network = collect(tree)["network"]
    assert network["firewall"] is None
    assert network["firewall_seen"] == "firewalld is installed but not enabled"


def test_a_fifo_instead_of_a_file_does_not_hold_the_grain(collect, tmp_path):
    import os

    tree = hosttrees.btrfs_snapper(tmp_path)
    (tree.root / "etc/docker").mkdir(parents=True)
    os.mkfifo(tree.root / "etc/docker/daemon.json")
    os.mkfifo(tree.root / "etc/group")
    facts = collect(tree)
    assert facts["docker"]["unknown"]["group"] == "/etc/group is not a regular file"


def test_graph_and_data_root_together_are_flagged(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.daemon_json({"graph": "/a", "data-root": "/b"})
    storage = collect(tree)["storage"]
    assert "dockerd refuses that" in storage["unknown"]["daemon_json"]


def test_required_kernel_options_follow_cgroup_version_and_release(facts_mod):
    v2 = facts_mod._required_options(2, "6.4.0-150600.21-default")
    assert "CGROUP_BPF" in v2 and "CGROUP_FREEZER" not in v2 and "NF_NAT_IPV4" not in v2
    old = facts_mod._required_options(1, "4.4.21-69-default")
    assert {
        "CGROUP_FREEZER",
        "MEMCG",
        "DEVPTS_MULTIPLE_INSTANCES",
        "NF_NAT_IPV4",
        "NF_NAT_NEEDED",
    } <= set(old)
    assert "CGROUP_BPF" not in old


@pytest.mark.parametrize(
    "link, bound_at, reported",
    [
        (None, "/run", "/run/docker.sock"),
        # Absolute, as on this machine: bound in the tree's /run, since the
        # link itself leads to this machine's /run.
        ("/run", "/run", "/run/docker.sock"),
        ("../run", "/var/run", "/run/docker.sock"),  # bound through the link
        (None, "/var/run", "/var/run/docker.sock"),  # an old layout: no /run
    ],
    ids=["run", "var-run-absolute-link", "var-run-relative-link", "var-run-only"],
)
def test_the_docker_socket_is_reported_when_it_exists(collect, tmp_path, link, bound_at, reported):
    tree = hosttrees.btrfs_snapper(tmp_path / "root")
    (tree.root / ("run" if link else bound_at.lstrip("/"))).mkdir(parents=True)
    if link:
        tree.link("/var/run", link)
    server = hosttrees.bind_unix_socket(str(tree.root / bound_at.lstrip("/") / "docker.sock"))
    try:
        assert collect(tree)["docker"]["socket"] == reported
    finally:
        server.close()


def test_a_file_that_is_not_a_socket_is_no_docker_socket(collect, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path / "root")
    tree.write("/run/docker.sock", "")
    tree.link("/var/run", "../run")
    assert collect(tree)["docker"]["socket"] is None


@pytest.mark.parametrize(
    "unreadable, reason",
    [
        ("missing", "cannot read /proc/self/status: No such file or directory"),
        ("a directory", "/proc/self/status is not a regular file"),
        ("a link loop", "cannot read /proc/self/status: Too many levels of symbolic links"),
    ],
)
def test_an_unreadable_seccomp_status_is_unknown_and_none(collect, tmp_path, unreadable, reason):
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    status = tree.root / "proc/self/status"
    status.unlink()
    if unreadable == "a directory":
        status.mkdir()
    elif unreadable == "a link loop":
        status.symlink_to("status")
    security = collect(tree)["security"]
    assert security["seccomp"] is None
    assert security["unknown"] == {"seccomp": reason}
    # The rest of the section is still read.
    assert security["apparmor"] == {"available": False, "enabled": False}


def test_seccomp_without_a_seccomp_line_is_known_to_be_missing(collect, tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    tree.write("/proc/self/status", "Name:\tcat\nUmask:\t0022\nState:\tR (running)\n")
    security = collect(tree)["security"]
    assert security["seccomp"] == {"available": False, "enabled": False}
    assert security["unknown"] == {}


def test_unprivileged_user_namespaces_unknown_when_no_switch_is_readable(collect, tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    (tree.root / "proc/sys/user/max_user_namespaces").unlink()
    namespaces = collect(tree)["namespaces"]
    assert namespaces["user"] is True
    assert namespaces["unprivileged_user"] is None
    assert namespaces["unknown"] == {
        "unprivileged_user": (
            "neither user.max_user_namespaces nor kernel.unprivileged_userns_clone is readable"
        )
    }


# For each fact a section can list as unknown, where its value is: written by
# hand from the README's table.
_VALUES_OF_UNKNOWN_FACTS = {
    "kernel": {
        "release": [("release",)],
        "config": [("config_source",), ("options",), ("required",), ("optional",)],
        "root_maxkeys": [("root_maxkeys",)],
    },
    "cgroup": {"version": [("version",), ("controllers",), ("mount_point",)]},
    "namespaces": {"unprivileged_user": [("unprivileged_user",)]},
    "security": {"seccomp": [("seccomp",)]},
    "storage": {
        "filesystem": [("fstype",), ("mount_point",), ("separate_filesystem",), ("d_type",)],
        "recommended": [("recommended",)],
        "engine_version": [("engine_version",)],
    },
    "network": {
        "ip_forward_ipv4": [("ip_forward", "ipv4")],
        "ip_forward_ipv6": [("ip_forward", "ipv6")],
        "bridge_nf_call_iptables": [("bridge_nf_call_iptables",)],
    },
    "docker": {"group": [("group", "exists"), ("group", "gid"), ("group", "members")]},
}


def _unreadable_everything(tmp_path):
    return hosttrees.Tree(tmp_path / "empty")


def _unreadable_namespace_switches(tmp_path):
    tree = hosttrees.Tree(tmp_path / "ns")
    tree.namespaces()
    return tree


@pytest.mark.parametrize(
    "make, unknown",
    [
        (
            _unreadable_everything,
            # No namespaces here: without /proc/self/ns the grain says False
            # for each, not unknown, and that is not settled yet.
            {
                "kernel": {"release", "config", "root_maxkeys"},
                "cgroup": {"version"},
                "security": {"seccomp"},
                "storage": {"filesystem", "recommended", "engine_version"},
                "network": {"ip_forward_ipv4", "ip_forward_ipv6", "bridge_nf_call_iptables"},
                "docker": {"group"},
            },
        ),
        (
            _unreadable_namespace_switches,
            {
                "kernel": {"release", "config", "root_maxkeys"},
                "cgroup": {"version"},
                "namespaces": {"unprivileged_user"},
                "security": {"seccomp"},
                "storage": {"filesystem", "recommended", "engine_version"},
                "network": {"ip_forward_ipv4", "ip_forward_ipv6", "bridge_nf_call_iptables"},
                "docker": {"group"},
            },
        ),
    ],
    ids=["nothing-readable", "namespaces-without-their-switches"],
)
def test_every_unknown_fact_has_a_reason_and_its_value_is_none(collect, tmp_path, make, unknown):
    facts = collect(make(tmp_path))
    for section, facts_unknown in unknown.items():
        assert set(facts[section]["unknown"]) == facts_unknown, section
        for fact in facts_unknown:
            assert facts[section]["unknown"][fact], (section, fact)
            for path in _VALUES_OF_UNKNOWN_FACTS[section][fact]:
                value = facts[section]
                for key in path:
                    value = value[key]
                assert value is None, (section, fact, path)


def test_the_docker_section_says_which_files_and_binary_are_there(collect, tmp_path):
    empty = collect(hosttrees.Tree(tmp_path / "empty"))["docker"]
    assert (empty["installed"], empty["installed_seen"]) == (False, None)
    assert (empty["sysconfig"], empty["daemon_json"]) == (False, False)
    tree = hosttrees.Tree(tmp_path / "installed")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    docker = collect(tree)["docker"]
    assert (docker["installed"], docker["installed_seen"]) == (True, "/etc/sysconfig/docker")
    assert (docker["sysconfig"], docker["daemon_json"]) == (True, True)
    tree.write("/usr/sbin/dockerd", "")
    assert collect(tree)["docker"]["installed_seen"] == "/usr/sbin/dockerd"
