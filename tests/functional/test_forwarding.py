"""docker_host.forwarding on sandbox roots built from SUSE's own files."""

import os
import shutil
import subprocess

import pytest
from salt.exceptions import SaltInvocationError

from tests import hosttrees, inotify, netns

PERSISTENT = "etc/sysctl.d/90-docker-host-forwarding.conf"
# Where systemd-sysctl reads sysctl.d files, in its order (sysctl.d(5)).
SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)


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


SANDBOX_FILES = ("etc/sysconfig/SuSEfirewall2", "etc/sysconfig/sysctl")


@pytest.mark.parametrize(
    "where, line, shown, arguments",
    [
        (
            "/etc/sysctl.d/99-local.conf",
            "net.ipv4.conf.all.forwarding = 0",
            "net.ipv4.conf.all.forwarding = 0",
            {},
        ),
        ("/run/sysctl.d/95-runtime.conf", "net.ipv4.ip_forward=0", "net.ipv4.ip_forward = 0", {}),
        (
            "/usr/local/lib/sysctl.d/99-site.conf",
            "-net.ipv4.ip_forward = 0",  # "-": a failure to set it is not an error
            "net.ipv4.ip_forward = 0",
            {},
        ),
        (
            "/usr/lib/sysctl.d/95-vendor.conf",
            "net/ipv4/ip_forward=0",
            "net/ipv4/ip_forward = 0",
            {},
        ),
        ("/lib/sysctl.d/99-old.conf", "net.ipv4.ip_forward = 0", "net.ipv4.ip_forward = 0", {}),
        (
            "/run/sysctl.d/99-v6.conf",
            "net.ipv6.conf.all.forwarding = 0",
            "net.ipv6.conf.all.forwarding = 0",
            {"ipv6": True},
        ),
    ],
)
def test_every_later_file_is_seen(states, sles12, where, line, shown, arguments):
    """Each of systemd-sysctl's directories, named with file and line; nothing is written."""
    # A comment first: the line number counts every line of the file.
    sles12.write(where, "# set by hand\n" + line + "\n")
    root = str(sles12.root)
    before = {p: (sles12.root / p).read_bytes() for p in SANDBOX_FILES}
    ret = states.docker_host.forwarding(name="f", root=root, **arguments)
    assert ret.result is False
    assert ret.changes == {}
    assert ret.comment == (
        f"{where} line 2 sets {shown}, and the boot applies it after this state's file: "
        "remove that line, or make it agree. Nothing was changed."
    )
    assert not (sles12.root / PERSISTENT).exists()
    assert {p: (sles12.root / p).read_bytes() for p in SANDBOX_FILES} == before


@pytest.mark.parametrize("directory", SYSCTL_DIRS)
def test_a_file_the_boot_applies_earlier_is_not_refused(states, sles12, directory):
    """10-x.conf sorts before 90-docker-host-forwarding.conf: the state's file overrides it."""
    sles12.write(f"{directory}/10-x.conf", "net.ipv4.ip_forward = 0\n")
    ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    assert ret.result is True, ret.comment
    assert "net.ipv4.ip_forward = 1\n" in (sles12.root / PERSISTENT).read_text()


@pytest.mark.parametrize(
    "first, second",
    [
        ("/etc/sysctl.d", "/usr/lib/sysctl.d"),
        ("/etc/sysctl.d", "/run/sysctl.d"),
        ("/run/sysctl.d", "/usr/local/lib/sysctl.d"),
        ("/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d"),
        ("/usr/lib/sysctl.d", "/lib/sysctl.d"),
    ],
)
def test_of_two_files_with_one_name_the_first_directory_wins(states, sles12, first, second):
    """systemd-sysctl (sysctl.d(5)) applies only the first directory's file of a name:
    the other is not read at boot, and only the first can undo the state's file."""
    root = str(sles12.root)
    sles12.write(f"{first}/99-x.conf", "net.ipv4.ip_forward = 1\n")
    sles12.write(f"{second}/99-x.conf", "net.ipv4.ip_forward = 0\n")
    ret = states.docker_host.forwarding(name="f", root=root)
    assert ret.result is True, ret.comment

    sles12.write(f"{first}/99-x.conf", "net.ipv4.ip_forward = 0\n")
    sles12.write(f"{second}/99-x.conf", "net.ipv4.ip_forward = 1\n")
    ret = states.docker_host.forwarding(name="f", root=root)
    assert ret.result is False
    assert ret.comment == (
        f"{first}/99-x.conf line 1 sets net.ipv4.ip_forward = 0, and the boot applies it "
        "after this state's file: remove that line, or make it agree. Nothing was changed."
    )


def test_a_vendor_file_masked_by_a_link_to_dev_null_is_not_read(states, sles12):
    """sysctl.d(5): a link to /dev/null in /etc/sysctl.d disables the vendor's file."""
    sles12.write("/usr/lib/sysctl.d/99-vendor.conf", "net.ipv4.ip_forward = 0\n")
    sles12.link("/etc/sysctl.d/99-vendor.conf", "/dev/null")
    ret = states.docker_host.forwarding(name="f", root=str(sles12.root))
    assert ret.result is True, ret.comment


def test_links_in_an_image_root_stay_in_the_image(states, sles12, tmp_path):
    """Debian and SUSE ship 99-sysctl.conf -> /etc/sysctl.conf: in an image root, a link
    leads to the image's file of that path, never to the host's."""
    root = str(sles12.root)
    link = sles12.root / "etc/sysctl.d/99-x.conf"
    refused = (
        "/etc/sysctl.d/99-x.conf line 1 sets net.ipv4.ip_forward = 0, and the boot applies "
        "it after this state's file: remove that line, or make it agree. Nothing was changed."
    )

    # Only the image has the file: followed on the host, the link would lead nowhere.
    image_only = "/etc/docker-host-forwarding-image-only.conf"
    assert not os.path.lexists(image_only)
    sles12.link("/etc/sysctl.d/99-x.conf", image_only)
    sles12.write(image_only, "net.ipv4.ip_forward = 0\n")
    ret = states.docker_host.forwarding(name="f", root=root)
    assert ret.result is False
    assert ret.comment == refused

    # The converse: the host's file of that path turns forwarding off, the image's does
    # not; a relative link that climbs above the root stays at the image's top as well.
    host_file = tmp_path / "host-side.conf"  # outside the image root
    host_file.write_text("net.ipv4.ip_forward = 0\n")
    sles12.write(str(host_file), "net.ipv4.ip_forward = 1\n")
    for target in (str(host_file), "../" * 12 + str(host_file).lstrip("/")):
        link.unlink()
        link.symlink_to(target)
        assert os.path.realpath(link) == str(host_file)  # where the host would look
        ret = states.docker_host.forwarding(name="f", root=root)
        assert ret.result is True, ret.comment

    # And back to a file in the image that turns it off: refused again.
    sles12.write(str(host_file), "net.ipv4.ip_forward = 0\n")
    ret = states.docker_host.forwarding(name="f", root=root)
    assert ret.result is False
    assert ret.comment == refused


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


# /etc/sysconfig/sysctl of old SLES: both switches, "## Type: yesno".
OLD_SYSCONFIG_SYSCTL = """\
## Path:        System/Kernel
## Description:
## Type:        yesno
## Default:     no
#
# Runtime-configurable parameter: forward IP packets.
# Is this host a router? (yes/no)
#
IP_FORWARD="yes"

## Type:        yesno
## Default:     no
#
# Runtime-configurable parameter: forward IPv6 packets.
#
IPV6_FORWARD="{ipv6}"
"""


@pytest.mark.parametrize(
    "ipv6, start, end",
    [
        (True, "no", "yes"),
        (False, "yes", "no"),
        # An empty value is left alone: the boot scripts leave the sysctl alone then.
        (True, "", ""),
        (False, "", ""),
        # ipv6 not given: IPv6 is left as it is, IPV6_FORWARD too.
        (None, "no", "no"),
        (None, "yes", "yes"),
        (True, "yes", "yes"),
    ],
)
def test_ipv6_forward_of_old_sles_is_set_only_against_what_is_asked(
    states, sles12, bash, ipv6, start, end
):
    root = str(sles12.root)
    path = sles12.root / "etc/sysconfig/sysctl"
    path.write_text(OLD_SYSCONFIG_SYSCTL.format(ipv6=start))
    before_bytes = path.read_bytes()
    before = bash(path)
    assert before == {"IP_FORWARD": "yes", "IPV6_FORWARD": start}
    arguments = {} if ipv6 is None else {"ipv6": ipv6}

    predicted = states.docker_host.forwarding(name="f", root=root, test=True, **arguments)
    ret = states.docker_host.forwarding(name="f", root=root, **arguments)
    assert ret.result is True, ret.comment
    assert ret.changes == predicted.changes
    note = (
        "/etc/sysconfig/sysctl set IPV6_FORWARD against it, and old SLES applies that at "
        "boot after the sysctl files."
    )
    if end != start:
        assert ret.changes["legacy"] == {"IPV6_FORWARD": {"old": start, "new": end}}
        assert note in ret.comment
        assert bash(path) == {"IP_FORWARD": "yes", "IPV6_FORWARD": end}
    else:
        assert "legacy" not in ret.changes
        assert "IPV6_FORWARD" not in ret.comment
        assert path.read_bytes() == before_bytes
    again = states.docker_host.forwarding(name="f", root=root, **arguments)
    assert again.result is True and again.changes == {}


@pytest.fixture
def sles15_image(tmp_path):
    """SLES 15 with firewalld installed and enabled, as an image root."""
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    tree.write("/usr/sbin/firewalld", "")
    return tree


def _snapshot(directory):
    return {
        str(path.relative_to(directory)): path.read_bytes() if path.is_file() else None
        for path in sorted(directory.rglob("*"))
    }


@pytest.mark.parametrize("firewall", ["auto", "firewalld"])
def test_firewalld_in_an_image_root_is_left_for_the_booted_system(
    states, sles15_image, tmp_path, monkeypatch, firewall
):
    """No firewalld runs under an image root: masquerading is set when the state runs on
    the booted system, and the comment says so."""
    # Any firewall-cmd call would fail: the system bus it would ask is not there.
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    root = str(sles15_image.root)
    firewalld_before = _snapshot(sles15_image.root / "etc/firewalld")
    comment = (
        f"{root} is an image root, not a running system: the running kernel was left alone. "
        f"firewalld is not running under the image root {root}: its masquerading is set "
        "when this state runs on the booted system."
    )
    predicted = states.docker_host.forwarding(name="f", firewall=firewall, root=root, test=True)
    assert predicted.result is None, predicted.comment
    assert predicted.comment == "persistent would change. " + comment
    ret = states.docker_host.forwarding(name="f", firewall=firewall, root=root)
    assert ret.result is True, ret.comment
    assert ret.changes == predicted.changes
    assert set(ret.changes) == {"persistent"}
    assert ret.comment == "persistent changed. " + comment
    assert _snapshot(sles15_image.root / "etc/firewalld") == firewalld_before
    again = states.docker_host.forwarding(name="f", firewall=firewall, root=root)
    assert again.result is True and again.changes == {}
    assert again.comment == "Forwarding is already as specified. " + comment


RESTART = "SuSEfirewall2 reads it when it starts: restart SuSEfirewall2."


@pytest.mark.parametrize(
    "start, arguments, firewall_changes",
    [
        ("", {}, {"FW_ROUTE": {"old": "", "new": "yes"}}),
        ("yes", {"ipv4": False}, {"FW_ROUTE": {"old": "yes", "new": "no"}}),
        ("yes", {"masquerade": True}, {"FW_MASQUERADE": {"old": "", "new": "yes"}}),
        # FW_ROUTE as wanted already: nothing to restart for.
        ("yes", {}, None),
    ],
)
def test_the_comment_says_when_susefirewall2_must_be_restarted(
    states, modules, sles12, start, arguments, firewall_changes
):
    root = str(sles12.root)
    modules.sysconfig.update(
        "SuSEfirewall2", {"FW_ROUTE": start}, root=root, types={"FW_ROUTE": "string"}
    )
    predicted = states.docker_host.forwarding(name="f", root=root, test=True, **arguments)
    ret = states.docker_host.forwarding(name="f", root=root, **arguments)
    assert ret.result is True, ret.comment
    assert ret.changes == predicted.changes
    assert ret.changes.get("firewall") == firewall_changes
    for comment in (predicted.comment, ret.comment):
        assert (RESTART in comment) is (firewall_changes is not None)
    again = states.docker_host.forwarding(name="f", root=root, **arguments)
    assert again.changes == {} and RESTART not in again.comment


def test_layers_change_in_order_legacy_firewall_then_persistent(states, sles12):
    """The files that would undo forwarding at boot are replaced before the state's own."""
    root = sles12.root
    (root / "etc/sysctl.d").mkdir(parents=True, exist_ok=True)
    sysconfig, sysctl_d = root / "etc/sysconfig", root / "etc/sysctl.d"
    with inotify.renames_into(sysconfig, sysctl_d) as renamed:
        ret = states.docker_host.forwarding(name="f", root=str(root))
    assert ret.result is True, ret.comment
    assert set(ret.changes) == {"legacy", "firewall", "persistent"}
    assert renamed == [
        (sysconfig, "sysctl"),
        (sysconfig, "SuSEfirewall2"),
        (sysctl_d, "90-docker-host-forwarding.conf"),
    ]


# The running kernel, in a network namespace of the test's own.
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
DOCKERD_NOTE = (
    "dockerd switches IPv4 forwarding on when it starts, unless its ip-forward option is "
    "false (docker_host.daemon_configured)."
)


def _ip_forward(value=None):
    """Read (or set) IPv4 forwarding in the calling thread's network namespace."""
    if value is not None:
        with open(IP_FORWARD, "w") as handle:
            handle.write(f"{value}\n")
    with open(IP_FORWARD) as handle:
        return handle.read().strip()


def _in_a_network_of_its_own(sysctl_d, work):
    """Run ``work()`` in a thread with a network namespace of its own and a mount
    namespace where ``sysctl_d`` stands in for /etc/sysctl.d; return what it returns."""

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["mount", "--bind", str(sysctl_d), "/etc/sysctl.d"], check=True)

    return netns.in_namespaces_of_its_own(
        work, netns.CLONE_NEWNET | netns.CLONE_NEWNS, prepare=prepare
    )


def test_switching_ipv4_off_in_an_image_root_says_dockerd_switches_it_on(states, sles12):
    """The image's dockerd, when the image boots, switches it on as a host's does."""
    root = str(sles12.root)
    off = states.docker_host.forwarding(name="f", ipv4=False, firewall="none", root=root)
    assert off.result is True
    assert off.comment.endswith(DOCKERD_NOTE)
    again = states.docker_host.forwarding(name="f", ipv4=False, firewall="none", root=root)
    assert again.result is True and again.changes == {}
    assert again.comment.endswith(DOCKERD_NOTE)
    on = states.docker_host.forwarding(name="f", ipv4=True, firewall="none", root=root)
    assert on.result is True and DOCKERD_NOTE not in on.comment


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_switching_ipv4_off_on_a_live_host_says_dockerd_switches_it_on(states, tmp_path):
    """In a network namespace of the test's own, /etc/sysctl.d a directory of the test's."""
    sysctl_d = tmp_path / "sysctl.d"
    sysctl_d.mkdir()
    machine = _ip_forward()

    def work():
        _ip_forward(1)  # as dockerd leaves it
        predicted = states.docker_host.forwarding(name="f", ipv4=False, firewall="none", test=True)
        off = states.docker_host.forwarding(name="f", ipv4=False, firewall="none")
        after_off = _ip_forward()
        on = states.docker_host.forwarding(name="f", ipv4=True, firewall="none")
        return predicted, off, after_off, on, _ip_forward()

    predicted, off, after_off, on, after_on = _in_a_network_of_its_own(sysctl_d, work)
    assert predicted.result is None
    assert predicted.comment == "runtime, persistent would change. " + DOCKERD_NOTE
    assert off.result is True, off.comment
    assert off.changes == predicted.changes
    assert off.changes["runtime"] == {"net.ipv4.ip_forward": {"old": "1", "new": "0"}}
    assert off.comment == "runtime, persistent changed. " + DOCKERD_NOTE
    assert after_off == "0"
    # Switched on, there is nothing for dockerd to undo.
    assert on.result is True, on.comment
    assert on.changes["runtime"] == {"net.ipv4.ip_forward": {"old": "0", "new": "1"}}
    assert on.comment == "runtime, persistent changed."
    assert after_on == "1"
    assert (
        (sysctl_d / "90-docker-host-forwarding.conf")
        .read_text()
        .endswith("net.ipv4.ip_forward = 1\n")
    )
    assert _ip_forward() == machine


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_the_running_kernel_changes_only_after_the_persistent_file(states, tmp_path):
    """When the persistent file cannot be written (its directory mounted read-only), the
    running kernel has not been changed yet: runtime is the last layer."""
    sysctl_d = tmp_path / "sysctl.d"
    sysctl_d.mkdir()
    machine = _ip_forward()

    def work():
        _ip_forward(0)
        subprocess.run(["mount", "-o", "remount,bind,ro", "/etc/sysctl.d"], check=True)
        failed = states.docker_host.forwarding(name="f", firewall="none")
        after_failure = _ip_forward()
        subprocess.run(["mount", "-o", "remount,bind,rw", "/etc/sysctl.d"], check=True)
        applied = states.docker_host.forwarding(name="f", firewall="none")
        return failed, after_failure, applied, _ip_forward()

    failed, after_failure, applied, after = _in_a_network_of_its_own(sysctl_d, work)
    assert after_failure == "0"
    assert failed.result is False
    assert failed.comment.startswith("persistent could not be changed (")
    assert failed.comment.endswith("already changed: nothing")
    assert failed.changes == {}
    # The same state, with the file writable, does change the running kernel.
    assert applied.result is True, applied.comment
    assert set(applied.changes) == {"runtime", "persistent"}
    assert after == "1"
    assert _ip_forward() == machine


def test_the_comment_names_every_layer_and_every_note_in_order(states, sles12):
    """Old SLES' IP_FORWARD and IPV6_FORWARD both against what is wanted, FW_ROUTE routing
    nothing: the comment says which layers change, then what the administrator must know."""
    root = str(sles12.root)
    (sles12.root / "etc/sysconfig/sysctl").write_text(
        OLD_SYSCONFIG_SYSCTL.format(ipv6="no").replace('IP_FORWARD="yes"', 'IP_FORWARD="no"')
    )
    notes = (
        f"{root} is an image root, not a running system: the running kernel was left alone. "
        "/etc/sysconfig/sysctl set IP_FORWARD, IPV6_FORWARD against it, and old SLES applies "
        "that at boot after the sysctl files. "
        "SuSEfirewall2 reads it when it starts: restart SuSEfirewall2."
    )
    predicted = states.docker_host.forwarding(name="f", ipv6=True, root=root, test=True)
    assert predicted.comment == f"persistent, legacy, firewall would change. {notes}"
    ret = states.docker_host.forwarding(name="f", ipv6=True, root=root)
    assert ret.result is True
    assert ret.comment == f"persistent, legacy, firewall changed. {notes}"
    assert ret.changes["legacy"] == {
        "IP_FORWARD": {"old": "no", "new": "yes"},
        "IPV6_FORWARD": {"old": "no", "new": "yes"},
    }
    assert ret.changes["firewall"] == {"FW_ROUTE": {"old": "", "new": "IPv4,IPv6"}}


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"ipv6": "yes"}, "ipv6 must be true, false or null, not 'yes'"),
        (
            {"release_firewall": "ufw"},
            "release_firewall must be one of SuSEfirewall2, firewalld or null, not 'ufw'",
        ),
        ({"root": 5}, "root must be a path, not 5"),
    ],
)
def test_plan_refuses_each_argument_it_is_given_wrong(modules, arguments, message):
    with pytest.raises(SaltInvocationError) as refused:
        modules.docker_forwarding.plan(**arguments)
    assert str(refused.value) == message


def test_plan_without_a_firewall_configures_the_enabled_one(modules, sles12):
    planned = modules.docker_forwarding.plan(root=str(sles12.root))
    assert planned["susefirewall2"] == {"FW_ROUTE": "yes"}
    assert planned["changes"]["persistent"] == {
        "file": "/etc/sysctl.d/90-docker-host-forwarding.conf",
        "old": None,
        "new": "# Managed by Salt (docker_host.forwarding): containers reach other networks\n"
        "# only while the host forwards packets.\nnet.ipv4.ip_forward = 1\n",
    }


def test_auto_in_an_image_root_configures_the_release_firewall_installed_there(modules, tmp_path):
    """firewalld installed in the image but not enabled yet: auto configures it when it
    is the release's firewall (its masquerading waits for the booted system), and no
    firewall otherwise."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.write("/usr/sbin/firewalld", "")
    root = str(tree.root)
    waits = (
        f"firewalld is not running under the image root {root}: its masquerading is set "
        "when this state runs on the booted system."
    )
    release = modules.docker_forwarding.plan(root=root, release_firewall="firewalld")
    assert waits in release["notes"]
    other = modules.docker_forwarding.plan(root=root)
    assert waits not in other["notes"]


def test_a_layer_that_drifted_alone_is_the_only_one_changed(states, modules, sles12, bash):
    """After a converged run, FW_ROUTE set back by hand: the next run changes it, and
    neither the persistent file nor the other layers."""
    root = str(sles12.root)
    assert states.docker_host.forwarding(name="f", root=root).result is True
    persistent = (sles12.root / PERSISTENT).read_bytes()
    modules.sysconfig.update("SuSEfirewall2", {"FW_ROUTE": "no"}, root=root)
    ret = states.docker_host.forwarding(name="f", root=root)
    assert ret.result is True, ret.comment
    assert ret.changes == {"firewall": {"FW_ROUTE": {"old": "no", "new": "yes"}}}
    assert bash(sles12.root / "etc/sysconfig/SuSEfirewall2")["FW_ROUTE"] == "yes"
    assert (sles12.root / PERSISTENT).read_bytes() == persistent


def test_a_layer_that_cannot_be_written_says_what_was_changed_before_it(modules, sles12):
    """The plan is made, then /etc/sysctl.d becomes a file: the persistent layer fails
    after the legacy and firewall layers were changed, and the result says so."""
    forwarding, root = modules.docker_forwarding, str(sles12.root)
    planned = forwarding.plan(root=root)
    shutil.rmtree(sles12.root / "etc/sysctl.d", ignore_errors=True)
    (sles12.root / "etc/sysctl.d").write_text("")
    applied = forwarding.apply(planned)
    assert applied["result"] is False
    assert applied["changes"] == {
        "legacy": {"IP_FORWARD": {"old": "no", "new": "yes"}},
        "firewall": {"FW_ROUTE": {"old": "", "new": "yes"}},
    }
    assert applied["comment"].startswith("persistent could not be changed (")
    assert applied["comment"].endswith("); already changed: legacy, firewall")


def test_a_first_layer_that_cannot_be_written_says_nothing_was_changed(modules, sles12):
    forwarding, root = modules.docker_forwarding, str(sles12.root)
    planned = forwarding.plan(root=root)
    legacy = sles12.root / "etc/sysconfig/sysctl"
    legacy.unlink()
    legacy.mkdir()
    applied = forwarding.apply(planned)
    assert applied["result"] is False
    assert applied["changes"] == {}
    assert applied["comment"].startswith("legacy could not be changed (")
    assert applied["comment"].endswith("); already changed: nothing")
    assert not (sles12.root / PERSISTENT).exists()


def test_every_later_setting_against_it_is_named_at_once(states, sles12):
    sles12.write(
        "/etc/sysctl.d/99-local.conf",
        "net.ipv4.ip_forward = 0\nnet.ipv6.conf.all.forwarding = 0\n",
    )
    ret = states.docker_host.forwarding(name="f", ipv6=True, root=str(sles12.root))
    assert ret.result is False
    assert ret.comment.endswith(
        "/etc/sysctl.d/99-local.conf line 1 sets net.ipv4.ip_forward = 0, and the boot "
        "applies it after this state's file; /etc/sysctl.d/99-local.conf line 2 sets "
        "net.ipv6.conf.all.forwarding = 0, and the boot applies it after this state's "
        "file: remove that line, or make it agree. Nothing was changed."
    )
