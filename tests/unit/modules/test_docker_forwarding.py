"""docker_forwarding's rules on plain data: which layers change, to what, for every
combination of what is there and what is wanted. No loader, no files, no kernel."""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def forwarding():
    return _load("_modules/docker_forwarding.py")


# SuSEfirewall2's own comment on FW_ROUTE: "yes" routes IPv4; IPv6 must be named.
@pytest.mark.parametrize(
    "ipv4, ipv6, route",
    [(True, True, "IPv4,IPv6"), (True, False, "yes"), (False, True, "IPv6"), (False, False, "no")],
)
def test_fw_route_names_exactly_the_families(forwarding, ipv4, ipv6, route):
    assert forwarding.fw_route(ipv4, ipv6) == route
    assert forwarding.fw_routes(route) == (ipv4, ipv6)


@pytest.mark.parametrize(
    "route, routes",
    [
        ("", (False, False)),
        (None, (False, False)),
        ("yes", (True, False)),
        ("IPv4", (True, False)),
        ("IPv6,IPv4", (True, True)),
        ("ipv4", (False, False)),  # spelled otherwise, SuSEfirewall2 does not route it
        ("no", (False, False)),
    ],
)
def test_fw_routes_reads_as_susefirewall2_reads(forwarding, route, routes):
    assert forwarding.fw_routes(route) == routes


@pytest.mark.parametrize(
    "current, wanted, plan",
    [
        ({"ipv4": "1", "ipv6": "0"}, {"ipv4": True}, {}),
        ({"ipv4": "0", "ipv6": "0"}, {"ipv4": True}, {"ipv4": {"old": "0", "new": "1"}}),
        (
            {"ipv4": "1", "ipv6": "1"},
            {"ipv4": False, "ipv6": False},
            {"ipv4": {"old": "1", "new": "0"}, "ipv6": {"old": "1", "new": "0"}},
        ),
        ({"ipv4": "1", "ipv6": "1"}, {"ipv4": True, "ipv6": True}, {}),
    ],
)
def test_the_kernel_changes_only_where_it_differs(forwarding, current, wanted, plan):
    assert forwarding._runtime_plan(current, wanted) == plan


@pytest.mark.parametrize(
    "items, wanted, plan",
    [
        ({"IP_FORWARD": "no"}, {"ipv4": True}, {"IP_FORWARD": "yes"}),
        ({"IP_FORWARD": ""}, {"ipv4": True}, {}),  # empty: the boot leaves it alone
        ({"IP_FORWARD": "yes"}, {"ipv4": True}, {}),
        ({"IP_FORWARD": "yes"}, {"ipv4": False}, {"IP_FORWARD": "no"}),
        ({}, {"ipv4": True, "ipv6": True}, {}),
        ({"IPV6_FORWARD": "no"}, {"ipv4": True}, {}),  # ipv6 not asked for
        (
            {"IP_FORWARD": "no", "IPV6_FORWARD": "yes"},
            {"ipv4": True, "ipv6": False},
            {"IP_FORWARD": "yes", "IPV6_FORWARD": "no"},
        ),
    ],
)
def test_old_sles_sysconfig_changes_only_what_says_the_opposite(forwarding, items, wanted, plan):
    assert forwarding._legacy_plan(items, wanted) == plan


@pytest.mark.parametrize(
    "route, ipv4, ipv6, masquerade, values",
    [
        ("yes", True, None, None, {}),
        ("no", True, None, None, {"FW_ROUTE": "yes"}),
        ("IPv6", True, None, None, {"FW_ROUTE": "IPv4,IPv6"}),  # IPv6 kept as it was
        ("IPv4,IPv6", False, None, None, {"FW_ROUTE": "IPv6"}),
        ("", False, True, None, {"FW_ROUTE": "IPv6"}),  # IPv6 alone
        ("yes", True, True, None, {"FW_ROUTE": "IPv4,IPv6"}),
        ("IPv4,IPv6", True, False, None, {"FW_ROUTE": "yes"}),
        ("yes", True, None, True, {"FW_MASQUERADE": "yes"}),
        ("yes", True, None, False, {"FW_MASQUERADE": "no"}),
    ],
)
def test_susefirewall2_routes_exactly_what_is_wanted(
    forwarding, route, ipv4, ipv6, masquerade, values
):
    assert forwarding._susefirewall2_plan(route, ipv4, ipv6, masquerade) == values


def test_docker0_is_bound_to_the_docker_zone_where_the_zone_exists(forwarding):
    both = {"docker", "public"}
    assert forwarding._docker_zone_plan(both, both, {False: True, True: True}) == {}
    assert forwarding._docker_zone_plan(both, both, {False: True, True: False}) == {
        "docker0 in zone docker (permanent)": {
            "old": False,
            "new": True,
            "permanent": True,
            "zone": "docker",
            "interface": "docker0",
        }
    }
    assert forwarding._docker_zone_plan(both, both, {False: False, True: True}) == {
        "docker0 in zone docker (runtime)": {
            "old": False,
            "new": True,
            "permanent": False,
            "zone": "docker",
            "interface": "docker0",
        }
    }
    # Made permanent by dockerd, not yet in the runtime configuration: only
    # the permanent binding can be made.
    planned = forwarding._docker_zone_plan(both, {"public"}, {False: False, True: False})
    assert list(planned) == ["docker0 in zone docker (permanent)"]
    assert forwarding._docker_zone_plan({"public"}, {"public"}, {False: False, True: False}) == {}


def test_firewalld_masquerades_runtime_and_permanent_as_ipv4_wants(forwarding):
    assert forwarding._firewalld_plan("public", {False: True, True: True}, True) == {}
    assert forwarding._firewalld_plan("public", {False: False, True: True}, True) == {
        "masquerade in zone public (runtime)": {
            "old": False,
            "new": True,
            "permanent": False,
            "zone": "public",
        }
    }
    assert forwarding._firewalld_plan("dmz", {False: True, True: True}, False) == {
        "masquerade in zone dmz (runtime)": {
            "old": True,
            "new": False,
            "permanent": False,
            "zone": "dmz",
        },
        "masquerade in zone dmz (permanent)": {
            "old": True,
            "new": False,
            "permanent": True,
            "zone": "dmz",
        },
    }


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"ipv4": "yes"}, "ipv4 must be true or false, not 'yes'"),
        ({"ipv6": 1}, "ipv6 must be true, false or null, not 1"),
        (
            {"firewall": "ufw"},
            "firewall must be one of auto, SuSEfirewall2, firewalld, none, not 'ufw'",
        ),
        ({"masquerade": "no"}, "masquerade must be true, false or null, not 'no'"),
        (
            {"ipv4": False, "masquerade": True},
            "masquerade: true needs ipv4: true (SuSEfirewall2 masquerades routed IPv4)",
        ),
        (
            {"ipv4": None, "firewall": None},
            "ipv4 must be true or false, not None; firewall must be one of auto, "
            "SuSEfirewall2, firewalld, none, not None",
        ),
    ],
)
def test_every_wrong_argument_is_named_at_once(forwarding, arguments, message):
    given = {
        "ipv4": True,
        "ipv6": None,
        "firewall": "auto",
        "masquerade": None,
        "release_firewall": None,
    }
    with pytest.raises(SaltInvocationError) as refused:
        forwarding._check_arguments(**{**given, **arguments})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "root, enabled, installed, release, chosen",
    [
        (None, "firewalld", set(), "SuSEfirewall2", "firewalld"),  # the enabled one
        (None, None, {"/usr/sbin/firewalld"}, "firewalld", None),  # live: enabled only
        ("/image", "SuSEfirewall2", {"/usr/sbin/firewalld"}, "firewalld", "SuSEfirewall2"),
        ("/image", None, {"/usr/sbin/firewalld"}, "firewalld", "firewalld"),
        ("/image", None, {"/etc/sysconfig/SuSEfirewall2"}, "SuSEfirewall2", "SuSEfirewall2"),
        ("/image", None, {"/etc/sysconfig/SuSEfirewall2"}, "firewalld", None),  # not installed
        ("/image", None, {"/usr/sbin/firewalld"}, None, None),  # no release firewall given
    ],
)
def test_auto_is_the_enabled_firewall_or_in_an_image_the_releases_installed_one(
    forwarding, root, enabled, installed, release, chosen
):
    forwarding.__salt__ = {
        "docker_host_facts.collect": lambda root=None: {"network": {"firewall": enabled}},
        "docker_host.exists": lambda path, root=None: path in installed,
    }
    assert forwarding._chosen_firewall("auto", root, release) == chosen


def test_a_release_firewall_that_is_none_of_the_two_is_refused(forwarding):
    with pytest.raises(SaltInvocationError) as refused:
        forwarding._check_arguments(True, None, "auto", None, "ufw")
    assert str(refused.value) == (
        "release_firewall must be one of SuSEfirewall2, firewalld or null, not 'ufw'"
    )


def _choosing(forwarding, installed, enabled=None, firewall_cmd=True):
    """docker_forwarding with what _chosen_firewall asks its neighbours: the enabled
    firewall, and the files installed as ``(root, path)`` pairs (None: this host)."""
    image_root = _load("_modules/sysconfig.py").image_root
    forwarding.__salt__ = {
        "sysconfig.image_root": image_root,
        "docker_host_facts.collect": lambda root=None: {"network": {"firewall": enabled}},
        "docker_host.exists": lambda path, root=None: (image_root(root), path) in installed,
    }
    if firewall_cmd:
        forwarding.__salt__["firewalld.default_zone"] = None  # present, never called
    return forwarding


@pytest.mark.parametrize(
    "firewall, root, installed",
    [
        ("SuSEfirewall2", None, {(None, "/etc/sysconfig/SuSEfirewall2")}),
        ("SuSEfirewall2", "/image", {("/image", "/etc/sysconfig/SuSEfirewall2")}),
        ("firewalld", None, {(None, "/usr/sbin/firewalld")}),
        ("firewalld", "/image", {("/image", "/usr/sbin/firewalld")}),
    ],
)
def test_a_named_firewall_is_chosen_when_installed_in_the_target(
    forwarding, firewall, root, installed
):
    assert _choosing(forwarding, installed)._chosen_firewall(firewall, root) == firewall


@pytest.mark.parametrize(
    "firewall, root, installed, message",
    [
        (
            "SuSEfirewall2",
            "/image",
            {(None, "/etc/sysconfig/SuSEfirewall2")},  # on this host, not in the image
            "firewall SuSEfirewall2 is not installed here (no /etc/sysconfig/SuSEfirewall2): "
            "install it, or give firewall: auto or none",
        ),
        (
            "firewalld",
            "/image",
            {(None, "/usr/sbin/firewalld")},
            "firewall firewalld is not installed here (no /usr/sbin/firewalld): install it, "
            "or give firewall: auto or none",
        ),
        (
            "firewalld",
            None,
            {("/image", "/usr/sbin/firewalld")},  # in an image, not on this host
            "firewall firewalld is not installed here (no /usr/sbin/firewalld): install it, "
            "or give firewall: auto or none",
        ),
    ],
)
def test_a_named_firewall_missing_from_the_target_is_refused(
    forwarding, firewall, root, installed, message
):
    with pytest.raises(CommandExecutionError) as refused:
        _choosing(forwarding, installed)._chosen_firewall(firewall, root)
    assert str(refused.value) == message


def test_firewalld_without_firewall_cmd_is_refused_on_this_host_only(forwarding):
    """Salt's firewalld module loads only where firewall-cmd is; an image root's
    firewalld is configured when the image boots."""
    installed = {(None, "/usr/sbin/firewalld"), ("/image", "/usr/sbin/firewalld")}
    chooser = _choosing(forwarding, installed, firewall_cmd=False)
    with pytest.raises(CommandExecutionError) as refused:
        chooser._chosen_firewall("firewalld", None)
    assert str(refused.value) == (
        "firewalld is installed, but firewall-cmd is not: install firewalld fully"
    )
    assert chooser._chosen_firewall("firewalld", "/image") == "firewalld"
    assert _choosing(forwarding, installed)._chosen_firewall("firewalld", None) == "firewalld"


@pytest.mark.parametrize("facts", [{}, {"network": {}}])
def test_auto_without_a_firewall_in_the_facts_is_none(forwarding, facts):
    forwarding = _choosing(forwarding, set())
    forwarding.__salt__["docker_host_facts.collect"] = lambda root=None: facts
    assert forwarding._chosen_firewall("auto", None, "firewalld") is None


def test_auto_looks_for_the_release_firewall_in_the_image_not_on_this_host(forwarding):
    on_this_host = {(None, "/usr/sbin/firewalld")}
    in_the_image = {("/image", "/usr/sbin/firewalld")}
    assert (
        _choosing(forwarding, on_this_host)._chosen_firewall("auto", "/image", "firewalld") is None
    )
    assert (
        _choosing(forwarding, in_the_image)._chosen_firewall("auto", "/image", "firewalld")
        == "firewalld"
    )


def test_the_writers_go_from_what_the_boot_reads_last_to_the_running_kernel(forwarding):
    """Each layer of a plan has one writer; apply writes them in this order and reports
    SuSEfirewall2's and firewalld's changes both as the firewall."""
    assert [(key, layer, write.__name__) for key, layer, write in forwarding.LAYERS] == [
        ("legacy", "legacy", "_write_legacy"),
        ("susefirewall2", "firewall", "_write_susefirewall2"),
        ("firewalld", "firewall", "_set_firewalld"),
        ("persistent", "persistent", "_write_persistent"),
        ("runtime", "runtime", "_set_kernel"),
    ]
