"""docker_host.forwarding on sandbox roots built from SUSE's own files."""

import pytest

from tests import hosttrees

PERSISTENT = "etc/sysctl.d/90-docker-host-forwarding.conf"


@pytest.fixture
def sles12(tmp_path):
    """SLES 12 with SuSEfirewall2 enabled, SUSE's sysctl files, and the old IP_FORWARD."""
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "root")
    tree.copy("sysctl/50-default.conf", "/usr/lib/sysctl.d/50-default.conf")
    tree.copy("sysctl/51-network.conf", "/usr/lib/sysctl.d/51-network.conf")
    tree.copy("sysctl/sysctl.conf.2019-f488c70", "/etc/sysctl.conf")
    tree.write(
        "/etc/sysconfig/sysctl",
        "## Path: System/Kernel\n## Type: yesno\n## Default: no\n#\n"
        '# Runtime-configurable parameter: forward IP packets.\n#\nIP_FORWARD="no"\n',
    )
    return tree


def _fw(modules, tree, key):
    return modules.sysconfig.get("SuSEfirewall2", key, root=str(tree.root))


def test_every_layer_changes_and_a_second_run_does_nothing(states, modules, sles12, bash):
    root = str(sles12.root)
    firewall_before = bash(sles12.root / "etc/sysconfig/SuSEfirewall2")
    predicted = states.docker_host.forwarding(name="fwd", root=root, test=True)
    assert predicted.result is None
    assert set(predicted.changes) == {"persistent", "legacy", "firewall"}
    assert not (sles12.root / PERSISTENT).exists()

    applied = states.docker_host.forwarding(name="fwd", root=root)
    assert applied.result is True
    assert applied.changes == predicted.changes
    assert applied.changes["firewall"] == {"FW_ROUTE": {"old": "", "new": "yes"}}
    assert applied.changes["legacy"] == {"IP_FORWARD": {"old": "no", "new": "yes"}}
    assert "running kernel was left alone" in applied.comment
    assert "runtime" not in applied.changes
    text = (sles12.root / PERSISTENT).read_text()
    assert "net.ipv4.ip_forward = 1\n" in text
    assert "ipv6" not in text  # IPv6 is left alone unless asked for
    # FW_ROUTE changed; the other variables of SuSEfirewall2 did not.
    assert bash(sles12.root / "etc/sysconfig/SuSEfirewall2") == {
        **firewall_before,
        "FW_ROUTE": "yes",
    }
    assert len(firewall_before) >= 77

    again = states.docker_host.forwarding(name="fwd", root=root)
    assert again.result is True and again.changes == {}
    assert "already as specified" in again.comment


def test_ipv6_and_disabling_are_symmetric(states, modules, sles12):
    root = str(sles12.root)
    ret = states.docker_host.forwarding(name="f", ipv6=True, masquerade=True, root=root)
    assert ret.result is True
    assert _fw(modules, sles12, "FW_ROUTE") == "IPv4,IPv6"  # beyond yesno: SuSEfirewall2's own
    assert _fw(modules, sles12, "FW_MASQUERADE") == "yes"
    ret = states.docker_host.forwarding(name="f", ipv4=False, ipv6=False, root=root)
    assert ret.result is True
    assert _fw(modules, sles12, "FW_ROUTE") == "no"
    assert modules.sysconfig.get("/etc/sysconfig/sysctl", "IP_FORWARD", root=root) == "no"
    assert "net.ipv4.ip_forward = 0\n" in (sles12.root / PERSISTENT).read_text()
    # FW_MASQUERADE is left as it is when not asked for.
    assert _fw(modules, sles12, "FW_MASQUERADE") == "yes"


@pytest.mark.parametrize(
    "start, ipv4, ipv6, fw_route",
    # SuSEfirewall2.sysconfig: "IPv4" and/or "IPv6", "yes" is treated like "IPv4",
    # "defaults to no if not set".
    [
        ("", True, True, "IPv4,IPv6"),
        ("", True, False, "yes"),
        ("", False, True, "IPv6"),
        ("IPv4,IPv6", False, False, "no"),
    ],
)
def test_fw_route_routes_exactly_the_families_asked_for(
    states, modules, sles12, bash, start, ipv4, ipv6, fw_route
):
    root = str(sles12.root)
    path = sles12.root / "etc/sysconfig/SuSEfirewall2"
    modules.sysconfig.update(
        "SuSEfirewall2", {"FW_ROUTE": start}, root=root, types={"FW_ROUTE": "string"}
    )
    before = bash(path)
    ret = states.docker_host.forwarding(name="f", ipv4=ipv4, ipv6=ipv6, root=root)
    assert ret.result is True, ret.comment
    assert ret.changes["firewall"] == {"FW_ROUTE": {"old": start, "new": fw_route}}
    assert bash(path) == {**before, "FW_ROUTE": fw_route}
    text = (sles12.root / PERSISTENT).read_text()
    assert f"net.ipv4.ip_forward = {int(ipv4)}\n" in text
    assert f"net.ipv6.conf.all.forwarding = {int(ipv6)}\n" in text
    again = states.docker_host.forwarding(name="f", ipv4=ipv4, ipv6=ipv6, root=root)
    assert again.result is True and again.changes == {}


def test_an_equivalent_fw_route_is_left_as_written(states, modules, sles12):
    root = str(sles12.root)
    modules.sysconfig.update(
        "SuSEfirewall2", {"FW_ROUTE": "IPv4"}, root=root, types={"FW_ROUTE": "string"}
    )
    ret = states.docker_host.forwarding(name="f", root=root)
    assert "firewall" not in ret.changes
    assert _fw(modules, sles12, "FW_ROUTE") == "IPv4"


def test_a_later_file_that_would_undo_it_is_refused(states, sles12):
    (sles12.root / "etc/sysctl.conf").write_text("net.ipv4.ip_forward = 0\n")
    before = (sles12.root / "etc/sysconfig/SuSEfirewall2").read_bytes()
    ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    assert ret.result is False
    assert "/etc/sysctl.conf line 1 sets net.ipv4.ip_forward = 0" in ret.comment
    assert not (sles12.root / PERSISTENT).exists()
    assert (sles12.root / "etc/sysconfig/SuSEfirewall2").read_bytes() == before


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"firewall": "SuSEfirewall2"}, "firewall SuSEfirewall2 is not installed"),
        ({"firewall": "firewalld"}, "firewall firewalld is not installed"),
        ({"firewall": "iptables"}, "firewall must be one of"),
        ({"ipv4": "yes"}, "ipv4 must be true or false"),
    ],
)
def test_bad_arguments_and_missing_firewalls(states, tmp_path, arguments, words):
    tree = hosttrees.Tree(tmp_path / "empty-root")
    ret = states.docker_host.forwarding(name="f", root=str(tree.root), **arguments)
    assert ret.result is False
    assert words in ret.comment
    assert not (tree.root / PERSISTENT).exists()


def test_firewall_none_touches_no_firewall(states, sles12):
    before = (sles12.root / "etc/sysconfig/SuSEfirewall2").read_bytes()
    ret = states.docker_host.forwarding(name="f", firewall="none", root=str(sles12.root))
    assert ret.result is True and "firewall" not in ret.changes
    assert (sles12.root / "etc/sysconfig/SuSEfirewall2").read_bytes() == before


def test_ipv6_left_alone_keeps_its_routing(states, modules, sles12):
    root = str(sles12.root)
    modules.sysconfig.update(
        "SuSEfirewall2", {"FW_ROUTE": "IPv6"}, root=root, types={"FW_ROUTE": "string"}
    )
    states.docker_host.forwarding(name="f", root=root)
    assert _fw(modules, sles12, "FW_ROUTE") == "IPv4,IPv6"


def test_an_empty_ip_forward_is_left_alone(states, modules, sles12):
    root = str(sles12.root)
    modules.sysconfig.set("/etc/sysconfig/sysctl", "IP_FORWARD", "", root=root)
    ret = states.docker_host.forwarding(name="f", root=root)
    assert "legacy" not in ret.changes


@pytest.mark.parametrize(
    "where, line",
    [
        ("/etc/sysctl.d/99-local.conf", "net.ipv4.conf.all.forwarding = 0"),
        ("/lib/sysctl.d/99-old.conf", "net.ipv4.ip_forward = 0"),
        ("/usr/lib/sysctl.d/95-vendor.conf", "net/ipv4/ip_forward=0"),
    ],
)
def test_every_later_file_is_seen(states, sles12, where, line):
    sles12.write(where, line + "\n")
    ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    assert ret.result is False
    assert f"{where} line 1" in ret.comment


def test_links_in_an_image_root_stay_in_the_image(states, sles12):
    # Debian and SUSE ship 99-sysctl.conf -> /etc/sysctl.conf: the image's, not the host's.
    sles12.link("/etc/sysctl.d/99-sysctl.conf", "/etc/sysctl.conf")
    (sles12.root / "etc/sysctl.conf").write_text("net.ipv4.ip_forward = 1\n")
    ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    assert ret.result is True, ret.comment


def test_contradictions_and_missing_roots_are_refused(states, tmp_path):
    ret = states.docker_host.forwarding(name="f", ipv4=False, masquerade=True, root=str(tmp_path))
    assert ret.result is False and "masquerade: true needs ipv4: true" in ret.comment
    ret = states.docker_host.forwarding(name="f", root=str(tmp_path / "nonexistent"))
    assert ret.result is False and "does not exist" in ret.comment
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_a_layer_that_fails_late_says_what_was_changed(states, sles12):
    """Makes the image's /etc/sysctl.d immutable (chattr +i); undone afterwards."""
    import subprocess

    directory = sles12.root / "etc/sysctl.d"
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["chattr", "+i", str(directory)], check=True)
    try:
        ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)
    assert ret.result is False
    assert "persistent could not be changed" in ret.comment
    assert "already changed: legacy, firewall" in ret.comment
    assert set(ret.changes) == {"legacy", "firewall"}
    assert "Nothing was changed" not in ret.comment
