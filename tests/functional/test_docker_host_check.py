"""docker_host.check through Salt's loader, on synthetic SUSE trees."""

import gzip
import json
import os
import select
import subprocess
import sys
import threading

import pytest

from tests import dockerd, hosttrees


def _by_id(report):
    return {item["id"]: item for item in report["items"]}


def test_sles12_with_susefirewall2_fails_on_fw_route(modules, tmp_path, live_check):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    report = live_check(tree)()
    items = _by_id(report)
    assert report["result"] == "fail"
    assert report["counts"]["fail"] == sum(1 for i in report["items"] if i["status"] == "fail")

    firewall = items["network.firewall"]
    assert firewall["status"] == "fail"
    assert 'FW_ROUTE=""' in firewall["reason"]
    assert firewall["fix"] == "salt-call sysconfig.set SuSEfirewall2 FW_ROUTE yes"

    driver = items["storage.driver"]
    assert driver["status"] == "warn"  # supported by the kernel, deprecated, engine unknown
    assert "removed in Docker Engine 25" in driver["reason"]

    group = items["docker.group"]
    assert group["status"] == "warn"
    assert "alice, bob" in group["reason"] and "root-equivalent" in group["reason"]

    assert items["kernel.required"]["status"] == "ok"
    assert items["kernel.root_maxkeys"]["status"] == "warn"
    assert items["network.ip_forward"]["status"] == "warn"
    assert items["network.br_netfilter"]["status"] == "warn"
    assert items["namespaces.cgroup"]["status"] == "warn"
    assert items["security.lsm"]["reason"] == "AppArmor is enabled"
    assert "daemon" not in items  # an image root: no daemon to ask
    for item in report["items"]:
        assert item["status"] in ("ok", "warn", "fail")
        assert item["reason"]
        if item["status"] != "ok":
            assert item["fix"], item


def test_fw_route_yes_passes(modules, tmp_path, live_check):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    modules.sysconfig.set("SuSEfirewall2", "FW_ROUTE", "yes", root=str(tree.root))
    items = _by_id(live_check(tree)())
    assert items["network.firewall"] == {
        "id": "network.firewall",
        "status": "ok",
        "reason": 'SuSEfirewall2 with FW_ROUTE="yes"',
        "fix": None,
    }


def test_sles15_with_firewalld_and_a_separate_var(modules, tmp_path, live_check):
    tree = hosttrees.sles15_with_firewalld(tmp_path)
    tree.write("/var/lib/docker/.keep", "")
    report = live_check(tree)()
    items = _by_id(report)
    assert items["network.firewall"]["status"] == "ok"
    assert items["network.networkmanager"]["status"] == "ok"
    assert items["storage.driver"]["status"] == "ok"
    assert items["storage.separate_filesystem"]["status"] == "ok"
    assert items["docker.group"]["status"] == "ok"
    assert items["docker.installed"]["status"] == "warn"
    assert report["result"] == "warn"


def test_unsupported_driver_and_conflicting_directives_fail(modules, tmp_path, live_check):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.docker_opts("--storage-driver=zfs")
    tree.daemon_json({"storage-driver": "btrfs"})
    items = _by_id(live_check(tree)())
    assert items["storage.conflict.storage-driver"]["status"] == "fail"
    assert "refuses to start" in items["storage.conflict.storage-driver"]["reason"]
    driver = items["storage.driver"]
    assert driver["status"] == "fail"
    assert "zfs cannot run here" in driver["reason"]
    assert "switch to btrfs" in driver["fix"]


def test_the_outputter_prints_for_people(loaders, tmp_path, modules, live_check):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    report = live_check(tree)()
    import salt.loader

    outputters = salt.loader.outputters(loaders.opts)
    text = outputters["docker_host_check"]({"local": report})
    assert text.startswith("local:\n    kernel\n")
    assert 'FAIL  SuSEfirewall2 is enabled with FW_ROUTE=""' in text
    assert "fix: salt-call sysconfig.set SuSEfirewall2 FW_ROUTE yes" in text
    assert text.rstrip().endswith(
        f"FAIL: {report['counts']['ok']} ok, {report['counts']['warn']} warn, "
        f"{report['counts']['fail']} fail"
    )


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_the_running_daemon_against_the_configuration(modules, tmp_path, live_check):
    """Starts a private dockerd (vfs) and asks it through docker-py."""
    daemon_dir = tmp_path / "d"
    with dockerd.private_dockerd(daemon_dir, storage_driver="vfs") as url:
        # Configured overlay2 on the default data-root: not what runs.
        mismatched = hosttrees.sles15_with_firewalld(tmp_path / "sles15")
        items = _by_id(live_check(mismatched)(url=url))
        assert items["daemon"]["status"] == "ok"
        assert items["daemon"]["reason"].startswith("Docker Engine ")
        assert items["daemon.storage_driver"]["status"] == "fail"
        assert items["daemon.storage_driver"]["reason"] == (
            "configured storage driver overlay2, running vfs"
        )
        assert items["daemon.data_root"]["status"] == "fail"
        assert items["daemon.cgroup_driver"]["status"] == "ok"

        # Configured as it runs: no complaint.
        matching = hosttrees.btrfs_snapper(tmp_path / "btrfs")
        matching.docker_opts(f"--storage-driver=vfs --data-root={daemon_dir / 'data'}")
        items = _by_id(live_check(matching)(url=url))
        assert items["daemon.storage_driver"] == {
            "id": "daemon.storage_driver",
            "status": "ok",
            "reason": "running storage driver vfs",
            "fix": None,
        }
        assert "daemon.data_root" not in items
    # Stopped: the daemon does not answer, and the check says so without failing.
    items = _by_id(live_check(matching)(url=url))
    assert items["daemon"]["status"] == "warn"
    assert "does not answer" in items["daemon"]["reason"]


@pytest.mark.parametrize(
    "route, status",
    [("ipv4", "fail"), ("YES", "fail"), ("IPv4", "ok"), ("IPv6,IPv4", "ok"), ("IPv6", "fail")],
)
def test_fw_route_is_read_as_susefirewall2_reads_it(modules, tmp_path, route, status, live_check):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    path = tree.root / "etc/sysconfig/SuSEfirewall2"
    path.write_text(path.read_text().replace('FW_ROUTE=""', f'FW_ROUTE="{route}"'))
    assert _by_id(live_check(tree)())["network.firewall"]["status"] == status


def test_odd_files_give_items_not_tracebacks(modules, tmp_path, live_check):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    (tree.root / "etc/sysconfig/SuSEfirewall2").unlink()
    tree.daemon_json({"storage-driver": ["overlay2"]})
    tree.docker_opts("-g /srv/docker --frobnicate")
    items = _by_id(live_check(tree)())
    assert items["network.firewall"]["status"] == "fail"
    assert "cannot be read" in items["network.firewall"]["reason"]
    opts = [item for item in live_check(tree)()["items"] if item["id"] == "storage.docker_opts"]
    reasons = " | ".join(item["reason"] for item in opts)
    assert "'--frobnicate', which dockerd does not take" in reasons
    assert "spells -g, which Docker Engine 23 removed" in reasons


def test_the_minion_option_root_is_used_for_every_file(loaders, tmp_path):
    """Every file-based section of the check comes from the root the minion
    option names: each expectation below is read off the tree by hand (its
    kernel config, mounts, DOCKER_OPTS, SuSEfirewall2 and /etc/group are not
    this machine's)."""
    import salt.loader

    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    tree.mounts(
        hosttrees.EXT4_ROOT
        + "61 22 8:17 / /srv rw,relatime shared:31 - xfs /dev/vdb1 rw,attr2,inode64,noquota\n"
        + hosttrees.CGROUP_V1_MOUNTS
    )
    tree.write("/srv/docker/.keep", "")
    tree.docker_opts("-s devicemapper -g /srv/docker")
    opts = {**loaders.opts, "docker_host.root": str(tree.root)}
    check = salt.loader.minion_mods(opts)["docker_host.check"]
    items = {
        item_id: (item["status"], item["reason"])
        for item_id, item in _by_id(check(daemon=False)).items()
    }
    expected = {
        # /boot/config-4.4.21-69-default: 21 options always, 5 for cgroup v1
        # and 3 for kernels before 4.8, 5.1 and 5.2.
        "kernel.required": (
            "ok",
            "all 29 required options set (/boot/config-4.4.21-69-default)",
        ),
        "kernel.root_maxkeys": (
            "warn",
            "kernel.keys.root_maxkeys is 200: every container takes keys, and root runs "
            "out of them with many containers",
        ),
        # /proc/self/mountinfo
        "cgroup.hierarchy": (
            "ok",
            "cgroup 1 at /sys/fs/cgroup, controllers: cpu, cpuacct, devices, memory, pids",
        ),
        # /proc/self/ns: no cgroup namespace in this tree
        "namespaces.cgroup": ("warn", "no cgroup namespace (/proc/self/ns/cgroup)"),
        # /sys/module/apparmor
        "security.lsm": ("ok", "AppArmor is enabled"),
        # /etc/sysconfig/docker, /proc/modules and the mount at /srv
        "storage.driver": (
            "warn",
            "storage driver devicemapper: module dm_thin_pool is loaded; deprecated, and "
            "removed in Docker Engine 25",
        ),
        "storage.separate_filesystem": (
            "ok",
            "data-root /srv/docker (DOCKER_OPTS) has a filesystem of its own (xfs at /srv)",
        ),
        "storage.docker_opts": ("warn", "DOCKER_OPTS spells -g, which Docker Engine 23 removed"),
        # /proc/sys/net/ipv4/ip_forward
        "network.ip_forward": (
            "warn",
            "net.ipv4.ip_forward is 0: containers reach other networks only because "
            "dockerd switches it on at start, and a firewall restart switches it off",
        ),
        # SuSEfirewall2's enabled unit and /etc/sysconfig/SuSEfirewall2
        "network.firewall": (
            "fail",
            'SuSEfirewall2 is enabled with FW_ROUTE="": it switches forwarding off when it '
            "starts, and containers lose the network",
        ),
        # /usr/bin/dockerd and /etc/group
        "docker.installed": ("ok", "docker is installed (/usr/bin/dockerd)"),
        "docker.group": (
            "warn",
            "docker group (gid 478) members: alice, bob. Membership is root-equivalent: "
            "each of them controls the host",
        ),
    }
    assert {item_id: items.get(item_id) for item_id in expected} == expected
    assert not [item_id for item_id in items if item_id.startswith("daemon")]


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_cgroup_driver_mismatch_fails(modules, tmp_path, live_check):
    """Starts a private dockerd (cgroupfs) while the files ask for systemd's driver."""
    tree = hosttrees.btrfs_snapper(tmp_path / "root")
    tree.daemon_json({"exec-opts": ["native.cgroupdriver=systemd"]})
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        items = _by_id(live_check(tree)(url=url))
    assert items["daemon.cgroup_driver"]["status"] == "fail"
    assert "configured cgroup driver systemd" in items["daemon.cgroup_driver"]["reason"]


def _kernel_config_without(tree, release, unset, where):
    """The SUSE kernel's config with ``unset`` written as the kernel writes a
    missing option: ``# CONFIG_X is not set``."""
    lines = [
        f"CONFIG_{name}={value}"
        for name, value in hosttrees.SUSE_KERNEL_CONFIG.items()
        if name not in unset
    ] + [f"# CONFIG_{name} is not set" for name in unset]
    text = "\n".join(["#", "# Automatically generated file; DO NOT EDIT.", "#", *lines]) + "\n"
    tree.write("/proc/sys/kernel/osrelease", release + "\n")
    if where == "/proc/config.gz":
        tree.write(where, gzip.compress(text.encode()))
    else:
        tree.write(where, text)


@pytest.mark.parametrize(
    "make, release, source, unset, failing, optional",
    [
        (
            hosttrees.sles12_with_susefirewall2,
            "4.4.21-69-default",
            "/boot/config-4.4.21-69-default",
            ["VETH", "MEMCG", "IP_VS", "BTRFS_FS"],
            # MEMCG: required with cgroup v1.
            ["VETH", "MEMCG"],
            "CONFIG_IP_VS, CONFIG_BTRFS_FS",
        ),
        (
            hosttrees.sles15_with_firewalld,
            "6.4.0-150600.21-default",
            "/proc/config.gz",
            ["NF_NAT", "CGROUP_BPF", "MEMCG", "SECCOMP_FILTER"],
            # CGROUP_BPF: required with cgroup v2, and MEMCG is not.
            ["NF_NAT", "CGROUP_BPF"],
            "CONFIG_SECCOMP_FILTER",
        ),
    ],
    ids=["sles12-cgroup-v1", "sles15-cgroup-v2"],
)
def test_a_missing_required_kernel_option_fails_and_a_missing_optional_one_warns(
    modules, tmp_path, make, release, source, unset, failing, optional, live_check
):
    tree = make(tmp_path)
    _kernel_config_without(tree, release, unset, source)
    report = live_check(tree)()
    kernel = {i: item for i, item in _by_id(report).items() if i.startswith("kernel.")}
    for name in failing:
        assert kernel[f"kernel.CONFIG_{name}"] == {
            "id": f"kernel.CONFIG_{name}",
            "status": "fail",
            "reason": f"CONFIG_{name} is not set ({source}): moby's check-config.sh calls it "
            "necessary",
            "fix": f"run a kernel built with CONFIG_{name}=y or =m",
        }
    assert sorted(i for i, item in kernel.items() if item["status"] == "fail") == sorted(
        f"kernel.CONFIG_{name}" for name in failing
    )
    assert "kernel.required" not in kernel
    assert kernel["kernel.optional"] == {
        "id": "kernel.optional",
        "status": "warn",
        "reason": f"optional options not set: {optional}",
        "fix": "only needed for the features they name (IPVS, network drivers, storage drivers)",
    }
    assert report["result"] == "fail"


def _no_cgroup_mounted(root):
    tree = hosttrees.sles15_with_firewalld(root)
    tree.mounts(hosttrees.EXT4_ROOT + hosttrees.XFS_VAR)
    return tree


def _no_seccomp_in_the_kernel(root):
    tree = hosttrees.sles15_with_firewalld(root)
    tree.write("/proc/self/status", "Name:\tcat\nUmask:\t0022\nState:\tR (running)\n")
    return tree


SECCOMP_OK = ("ok", "seccomp filtering available")


@pytest.mark.parametrize(
    "make, cgroup, seccomp",
    [
        (
            hosttrees.sles12_with_susefirewall2,
            ("ok", "cgroup 1 at /sys/fs/cgroup, controllers: cpu, cpuacct, devices, memory, pids"),
            SECCOMP_OK,
        ),
        (
            hosttrees.sles15_with_firewalld,
            (
                "ok",
                "cgroup 2 at /sys/fs/cgroup, controllers: cpu, cpuset, hugetlb, io, memory, "
                "pids, rdma",
            ),
            SECCOMP_OK,
        ),
        (
            hosttrees.leap15_with_hybrid_cgroups,
            (
                "ok",
                "cgroup hybrid at /sys/fs/cgroup, controllers: cpu, cpuacct, devices, memory, pids",
            ),
            SECCOMP_OK,
        ),
        (_no_cgroup_mounted, ("fail", "no cgroup filesystem is mounted"), SECCOMP_OK),
        (
            _no_seccomp_in_the_kernel,
            (
                "ok",
                "cgroup 2 at /sys/fs/cgroup, controllers: cpu, cpuset, hugetlb, io, memory, "
                "pids, rdma",
            ),
            (
                "warn",
                "seccomp filtering is not available: containers run without the default "
                "seccomp profile",
            ),
        ),
    ],
    ids=["sles12-v1", "sles15-v2", "leap15-hybrid", "no-cgroup-mounted", "no-seccomp"],
)
def test_the_cgroup_hierarchy_and_seccomp_items(
    modules, tmp_path, make, cgroup, seccomp, live_check
):
    tree = make(tmp_path / "root")
    items = _by_id(live_check(tree)())
    fixes = {
        "cgroup.hierarchy": "boot with systemd, which mounts /sys/fs/cgroup",
        "security.seccomp": "run a kernel with CONFIG_SECCOMP_FILTER",
    }
    for item_id, (status, reason) in (("cgroup.hierarchy", cgroup), ("security.seccomp", seccomp)):
        assert items[item_id] == {
            "id": item_id,
            "status": status,
            "reason": reason,
            "fix": None if status == "ok" else fixes[item_id],
        }


def test_an_unreadable_seccomp_is_reported_unknown_not_guessed(
    loaders, modules, tmp_path, live_check
):
    """/proc/self/status cannot be read: the check says it cannot tell, once,
    as for any fact the grain could not read, and the outputter prints it."""
    import salt.loader

    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    (tree.root / "proc/self/status").unlink()
    report = live_check(tree)()
    seccomp = [item for item in report["items"] if item["id"] == "security.seccomp"]
    assert seccomp == [
        {
            "id": "security.seccomp",
            "status": "warn",
            "reason": "cannot tell seccomp: cannot read /proc/self/status: No such file or "
            "directory",
            "fix": "look at it by hand: the files that tell it are missing or unreadable",
        }
    ]
    text = salt.loader.outputters(loaders.opts)["docker_host_check"]({"local": report})
    lines = text.splitlines()
    at = lines.index(
        "      WARN  cannot tell seccomp: cannot read /proc/self/status: No such file or directory"
    )
    assert lines[at + 1] == (
        "            fix: look at it by hand: the files that tell it are missing or unreadable"
    )
    assert "    security" in lines[:at]


class _Listener:
    """A unix socket the test listens on, at ``path``: it counts the clients that
    connect and closes each at once, so that a client fails fast."""

    def __init__(self, path):
        self.url = f"unix://{path}"
        self._server = hosttrees.bind_unix_socket(str(path))
        self._server.settimeout(0.1)
        self._count = 0
        # Held from accept to count: connections() never misses a client in between.
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            with self._lock:
                try:
                    connection, _ = self._server.accept()
                except TimeoutError:
                    continue
                self._count += 1
            connection.close()

    def connections(self):
        """How many clients connected so far, counting those still in the backlog."""
        with self._lock:
            while select.select([self._server], [], [], 0)[0]:
                self._server.accept()[0].close()
                self._count += 1
            return self._count

    def close(self):
        self._stop.set()
        self._thread.join()
        self._server.close()


@pytest.fixture
def listener(tmp_path):
    made = []

    def make(name):
        made.append(_Listener(tmp_path / name))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_daemon_false_does_not_ask_the_daemon_on_a_live_root(modules, listener, monkeypatch):
    """The witness: DOCKER_HOST names a socket the test listens on."""
    daemon = listener("docker.sock")
    monkeypatch.setenv("DOCKER_HOST", daemon.url)

    report = modules.docker_host.check(daemon=False)
    assert daemon.connections() == 0
    assert [item["id"] for item in report["items"] if item["id"].startswith("daemon")] == []

    items = _by_id(modules.docker_host.check())
    assert daemon.connections() >= 1
    assert items["daemon"]["status"] == "warn"
    assert items["daemon"]["reason"].startswith(f"the daemon does not answer at {daemon.url}: ")


def test_the_daemon_is_docker_host_else_the_minion_option_docker_url(
    loaders, listener, monkeypatch
):
    """Which address is asked, seen by the sockets the test listens on."""
    import salt.loader

    from_env, from_opts = listener("env.sock"), listener("opts.sock")
    check = salt.loader.minion_mods({**loaders.opts, "docker.url": from_opts.url})[
        "docker_host.check"
    ]

    monkeypatch.setenv("DOCKER_HOST", from_env.url)
    assert f"answer at {from_env.url}: " in _by_id(check())["daemon"]["reason"]
    asked = from_env.connections()
    assert asked >= 1
    assert from_opts.connections() == 0

    monkeypatch.delenv("DOCKER_HOST")
    assert f"answer at {from_opts.url}: " in _by_id(check())["daemon"]["reason"]
    assert from_opts.connections() >= 1
    assert from_env.connections() == asked


# In a mount namespace of its own, where /run is a new tmpfs: the test's own
# socket listens at /run/docker.sock there, and this machine's /run is not
# touched.
_DEFAULT_ADDRESS = """
import json, os, sys
import salt.config, salt.loader
sys.path.insert(0, sys.argv[2])
from tests.functional.test_docker_host_check import _Listener

daemon = _Listener("/run/docker.sock")
opts = salt.config.minion_config(sys.argv[1])
assert "DOCKER_HOST" not in os.environ and "docker.url" not in opts
report = salt.loader.minion_mods(opts)["docker_host.check"]()
(item,) = [item for item in report["items"] if item["id"] == "daemon"]
print(json.dumps({"connections": daemon.connections(), "daemon": item}))
"""


@pytest.mark.own_process
@pytest.mark.skip_if_not_root
def test_without_either_the_daemon_is_asked_at_run_docker_sock(loaders, tmp_path):
    """Witness: a socket the test listens on at /run/docker.sock, in a mount
    namespace of its own (unshare), where /run is a fresh tmpfs."""
    from tests.conftest import REPO_ROOT

    script = tmp_path / "default_address.py"
    script.write_text(_DEFAULT_ADDRESS)
    environment = {key: value for key, value in os.environ.items() if key != "DOCKER_HOST"}
    run = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation=private",
            "sh",
            "-c",
            'mount -t tmpfs -o size=1m,mode=0755 sdh-run /run && exec "$@"',
            "sh",
            sys.executable,
            str(script),
            loaders.opts["conf_file"],
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["connections"] >= 1
    assert seen["daemon"]["reason"].startswith(
        "the daemon does not answer at unix:///run/docker.sock: "
    )


def test_inside_an_image_kiwi_builds_the_report_says_it_is_the_build_hosts(
    modules, tmp_path, live_check
):
    """salt-call in KIWI's config.sh: the / it sees is the image, its /proc the build host's."""
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    assert "image.inside_kiwi_build" not in _by_id(live_check(tree)(daemon=False))
    tree.write("/.kconfig", "")
    report = live_check(tree)(daemon=False)
    assert report["result"] == "fail"
    assert _by_id(report)["image.inside_kiwi_build"] == {
        "id": "image.inside_kiwi_build",
        "status": "fail",
        "reason": "/ is an image that KIWI is building (/.kconfig is there), seen from inside: "
        "its /proc, /sys and mounts are the build host's, so this report is about the build "
        "host, not the image",
        "fix": "run docker_host.check root=<the image root> from outside the image",
    }


def test_the_outputter_says_all_is_well_in_one_line(loaders):
    import salt.loader

    items = [
        {"id": "kernel.required", "status": "ok", "reason": "namespaces", "fix": None},
        {"id": "storage.driver", "status": "ok", "reason": "btrfs", "fix": None},
    ]
    report = {"result": "ok", "counts": {"ok": 2, "warn": 0, "fail": 0}, "items": items}
    text = salt.loader.outputters(loaders.opts)["docker_host_check"]({"local": report})
    assert text == "local:\n    OK: all 2 checks pass"


@pytest.mark.parametrize(
    "daemon_json, status, reason",
    [
        ({}, "ok", "the API listens on local sockets only"),
        (
            {"hosts": ["unix:///run/docker.sock", "tcp://0.0.0.0:2375"]},
            "fail",
            "the API listens on tcp://0.0.0.0:2375 without TLS client verification: root on "
            "this host for anyone who can reach the port (CIS Docker Benchmark 2.7)",
        ),
        (
            {
                "hosts": ["tcp://0.0.0.0:2376"],
                "tlsverify": True,
                "tlscacert": "/etc/docker/tls/ca.pem",
                "tlscert": "/etc/docker/tls/server-cert.pem",
                "tlskey": "/etc/docker/tls/server-key.pem",
            },
            "ok",
            "the API listens on tcp://0.0.0.0:2376 with TLS client verification",
        ),
    ],
)
def test_a_plain_tcp_listener_fails_the_check(tmp_path, live_check, daemon_json, status, reason):
    tree = hosttrees.sles15_with_firewalld(tmp_path)
    tree.daemon_json(daemon_json)
    item = _by_id(live_check(tree)(daemon=False))["network.api"]
    assert (item["status"], item["reason"]) == (status, reason)
    report = live_check(tree)(daemon=False)
    if status == "fail":
        assert report["result"] == "fail"
        assert item["fix"].startswith("give docker_host:daemon:tls")
