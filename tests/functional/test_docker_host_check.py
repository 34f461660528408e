"""docker_host.check through Salt's loader, on synthetic SUSE trees."""

import pytest

from tests import dockerd, hosttrees


def _by_id(report):
    return {item["id"]: item for item in report["items"]}


def test_sles12_with_susefirewall2_fails_on_fw_route(modules, tmp_path):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    report = modules.docker_host.check(root=str(tree.root))
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


def test_fw_route_yes_passes(modules, tmp_path):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    modules.sysconfig.set("SuSEfirewall2", "FW_ROUTE", "yes", root=str(tree.root))
    items = _by_id(modules.docker_host.check(root=str(tree.root)))
    assert items["network.firewall"] == {
        "id": "network.firewall",
        "status": "ok",
        "reason": 'SuSEfirewall2 with FW_ROUTE="yes"',
        "fix": None,
    }


def test_sles15_with_firewalld_and_a_separate_var(modules, tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path)
    tree.write("/var/lib/docker/.keep", "")
    report = modules.docker_host.check(root=str(tree.root))
    items = _by_id(report)
    assert items["network.firewall"]["status"] == "ok"
    assert items["network.networkmanager"]["status"] == "ok"
    assert items["storage.driver"]["status"] == "ok"
    assert items["storage.separate_filesystem"]["status"] == "ok"
    assert items["docker.group"]["status"] == "ok"
    assert items["docker.installed"]["status"] == "warn"
    assert report["result"] == "warn"


def test_unsupported_driver_and_conflicting_directives_fail(modules, tmp_path):
    tree = hosttrees.btrfs_snapper(tmp_path)
    tree.docker_opts("--storage-driver=zfs")
    tree.daemon_json({"storage-driver": "btrfs"})
    items = _by_id(modules.docker_host.check(root=str(tree.root)))
    assert items["storage.conflict.storage-driver"]["status"] == "fail"
    assert "refuses to start" in items["storage.conflict.storage-driver"]["reason"]
    driver = items["storage.driver"]
    assert driver["status"] == "fail"
    assert "zfs cannot run here" in driver["reason"]
    assert "switch to btrfs" in driver["fix"]


def test_the_outputter_prints_for_people(loaders, tmp_path, modules):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    report = modules.docker_host.check(root=str(tree.root))
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
def test_the_running_daemon_against_the_configuration(modules, tmp_path):
    """Starts a private dockerd (vfs) and asks it through docker-py."""
    daemon_dir = tmp_path / "d"
    with dockerd.private_dockerd(daemon_dir, storage_driver="vfs") as url:
        # Configured overlay2 on the default data-root: not what runs.
        mismatched = hosttrees.sles15_with_firewalld(tmp_path / "sles15")
        items = _by_id(modules.docker_host.check(root=str(mismatched.root), url=url))
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
        items = _by_id(modules.docker_host.check(root=str(matching.root), url=url))
        assert items["daemon.storage_driver"] == {
            "id": "daemon.storage_driver",
            "status": "ok",
            "reason": "running storage driver vfs",
            "fix": None,
        }
        assert "daemon.data_root" not in items
    # Stopped: the daemon does not answer, and the check says so without failing.
    items = _by_id(modules.docker_host.check(root=str(matching.root), url=url))
    assert items["daemon"]["status"] == "warn"
    assert "does not answer" in items["daemon"]["reason"]


@pytest.mark.parametrize(
    "route, status",
    [("ipv4", "fail"), ("YES", "fail"), ("IPv4", "ok"), ("IPv6,IPv4", "ok"), ("IPv6", "fail")],
)
def test_fw_route_is_read_as_susefirewall2_reads_it(modules, tmp_path, route, status):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    path = tree.root / "etc/sysconfig/SuSEfirewall2"
    path.write_text(path.read_text().replace('FW_ROUTE=""', f'FW_ROUTE="{route}"'))
    assert (
        _by_id(modules.docker_host.check(root=str(tree.root)))["network.firewall"]["status"]
        == status
    )


def test_odd_files_give_items_not_tracebacks(modules, tmp_path):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    (tree.root / "etc/sysconfig/SuSEfirewall2").unlink()
    tree.daemon_json({"storage-driver": ["overlay2"]})
    tree.docker_opts("-g /srv/docker --frobnicate")
    items = _by_id(modules.docker_host.check(root=str(tree.root)))
    assert items["network.firewall"]["status"] == "fail"
    assert "cannot be read" in items["network.firewall"]["reason"]
    opts = [
        item
        for item in modules.docker_host.check(root=str(tree.root))["items"]
        if item["id"] == "storage.docker_opts"
    ]
    reasons = " | ".join(item["reason"] for item in opts)
    assert "'--frobnicate', which dockerd does not take" in reasons
    assert "spells -g, which Docker Engine 23 removed" in reasons


def test_the_minion_option_root_is_used_for_every_file(loaders, tmp_path):
    import salt.loader

    tree = hosttrees.sles12_with_susefirewall2(tmp_path)
    opts = {**loaders.opts, "docker_host.root": str(tree.root)}
    check = salt.loader.minion_mods(opts)["docker_host.check"]
    items = _by_id(check(daemon=False))
    assert 'FW_ROUTE=""' in items["network.firewall"]["reason"]


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_cgroup_driver_mismatch_fails(modules, tmp_path):
    """Starts a private dockerd (cgroupfs) while the files ask for systemd's driver."""
    tree = hosttrees.btrfs_snapper(tmp_path / "root")
    tree.daemon_json({"exec-opts": ["native.cgroupdriver=systemd"]})
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        items = _by_id(modules.docker_host.check(root=str(tree.root), url=url))
    assert items["daemon.cgroup_driver"]["status"] == "fail"
    assert "configured cgroup driver systemd" in items["daemon.cgroup_driver"]["reason"]
