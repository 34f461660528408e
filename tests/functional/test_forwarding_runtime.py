"""docker_forwarding's running-kernel functions, in a network namespace of the test's
own (one thread's): the switches they read and set are that namespace's, never this
machine's. A new network namespace starts with forwarding off."""

import subprocess

import pytest
from salt.exceptions import CommandExecutionError

from tests import netns


def _switches():
    switches = {}
    for family, path in (
        ("ipv4", "/proc/sys/net/ipv4/ip_forward"),
        ("ipv6", "/proc/sys/net/ipv6/conf/all/forwarding"),
    ):
        with open(path, encoding="utf-8") as handle:
            switches[family] = handle.read().strip()
    return switches


def test_the_keys_are_the_kernels_forwarding_switches(modules):
    assert modules.docker_forwarding.keys() == {
        "ipv4": "net.ipv4.ip_forward",
        "ipv6": "net.ipv6.conf.all.forwarding",
    }


def _kernel_plan(wanted, current):
    """A plan, as docker_forwarding.plan returns it, that changes only the kernel."""
    runtime = {
        family: {"old": current[family], "new": "1" if want else "0"}
        for family, want in wanted.items()
        if current[family] != ("1" if want else "0")
    }
    keys = {"ipv4": "net.ipv4.ip_forward", "ipv6": "net.ipv6.conf.all.forwarding"}
    return {
        "root": None,
        "wanted": wanted,
        "changes": {"runtime": {keys[f]: c for f, c in runtime.items()}} if runtime else {},
        "notes": [],
        "runtime": runtime,
        "persistent": None,
        "legacy": {},
        "susefirewall2": {},
        "firewalld": {},
    }


@pytest.mark.skip_if_not_root
def test_runtime_reads_and_apply_switches_each_family(modules):
    forwarding = modules.docker_forwarding

    def work():
        seen = [forwarding.runtime(), _switches()]
        seen.append(forwarding.apply(_kernel_plan({"ipv4": True}, seen[0]))["result"])
        seen += [forwarding.runtime(), _switches()]
        plan = _kernel_plan({"ipv4": False, "ipv6": True}, seen[-1])
        seen.append(forwarding.apply(plan))
        seen += [forwarding.runtime(), _switches()]
        return seen

    seen = netns.in_namespaces_of_its_own(work)
    assert seen == [
        {"ipv4": "0", "ipv6": "0"},
        {"ipv4": "0", "ipv6": "0"},
        True,
        {"ipv4": "1", "ipv6": "0"},
        {"ipv4": "1", "ipv6": "0"},
        {
            "result": True,
            "changes": {
                "runtime": {
                    "net.ipv4.ip_forward": {"old": "1", "new": "0"},
                    "net.ipv6.conf.all.forwarding": {"old": "0", "new": "1"},
                }
            },
            "comment": "runtime changed.",
        },
        {"ipv4": "0", "ipv6": "1"},
        {"ipv4": "0", "ipv6": "1"},
    ]


def test_an_image_root_has_no_running_kernel(modules, tmp_path):
    assert modules.docker_forwarding.runtime(root=str(tmp_path)) is None
    assert modules.docker_forwarding.runtime(root="/") is not None


@pytest.mark.skip_if_not_root
def test_plan_on_this_host_reads_the_running_kernel_and_changes_nothing(modules):
    """In a new network namespace both switches are off: a plan for both on says so
    per family and sysctl key, and the kernel is left as it was."""
    forwarding = modules.docker_forwarding

    def work():
        planned = forwarding.plan(ipv4=True, ipv6=True, firewall="none")
        return planned, _switches()

    planned, after = netns.in_namespaces_of_its_own(work)
    assert planned["root"] is None
    assert planned["runtime"] == {
        "ipv4": {"old": "0", "new": "1"},
        "ipv6": {"old": "0", "new": "1"},
    }
    assert planned["changes"]["runtime"] == {
        "net.ipv4.ip_forward": {"old": "0", "new": "1"},
        "net.ipv6.conf.all.forwarding": {"old": "0", "new": "1"},
    }
    assert after == {"ipv4": "0", "ipv6": "0"}


@pytest.mark.skip_if_not_root
def test_a_kernel_switched_back_after_the_plan_fails_the_read_back(modules):
    """The plan saw IPv4 forwarding on; something switched it off before apply ran:
    apply reads the kernel back and says which family is wrong."""
    forwarding = modules.docker_forwarding

    def work():
        with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="utf-8") as handle:
            handle.write("1\n")
        planned = _kernel_plan({"ipv4": True, "ipv6": False}, forwarding.runtime())
        with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="utf-8") as handle:
            handle.write("0\n")
        return planned, forwarding.apply(planned)

    planned, applied = netns.in_namespaces_of_its_own(work)
    assert planned["runtime"] == {}
    assert applied == {
        "result": False,
        "changes": {},
        "comment": "the kernel still reports other values for ipv4 forwarding after the change",
    }


@pytest.mark.skip_if_not_root
def test_a_kernel_without_ipv6_has_no_ipv6_switch_and_refuses_ipv6(modules, tmp_path):
    """A kernel booted with ipv6.disable=1 has no /proc/sys/net/ipv6: here an empty
    directory mounted over it, in namespaces of the test's own. IPv4 alone is planned
    as usual; asking for IPv6 is refused with the way out."""
    forwarding = modules.docker_forwarding
    empty = tmp_path / "no-ipv6"
    empty.mkdir()

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["mount", "--bind", str(empty), "/proc/sys/net/ipv6"], check=True)

    def work():
        seen = [forwarding.runtime(), forwarding.plan(firewall="none")["runtime"]]
        try:
            forwarding.plan(ipv6=True, firewall="none")
        except CommandExecutionError as err:
            seen.append(str(err))
        return seen

    seen = netns.in_namespaces_of_its_own(
        work, netns.CLONE_NEWNET | netns.CLONE_NEWNS, prepare=prepare
    )
    assert seen == [
        {"ipv4": "0"},
        {"ipv4": {"old": "0", "new": "1"}},
        "ipv6 was asked for, but this kernel has no IPv6 (/proc/sys/net/ipv6): give ipv6: "
        "null, or boot it without ipv6.disable=1",
    ]


@pytest.mark.skip_if_not_root
def test_every_family_switched_back_after_the_plan_is_named(modules):
    forwarding = modules.docker_forwarding

    def work():
        for path in ("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("1\n")
        planned = _kernel_plan({"ipv4": True, "ipv6": True}, forwarding.runtime())
        for path in ("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("0\n")
        return forwarding.apply(planned)

    assert netns.in_namespaces_of_its_own(work)["comment"] == (
        "the kernel still reports other values for ipv4, ipv6 forwarding after the change"
    )
