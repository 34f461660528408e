"""docker_forwarding's running-kernel functions, in a network namespace of the test's
own (one thread's): the switches they read and set are that namespace's, never this
machine's. A new network namespace starts with forwarding off."""

import pytest

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


@pytest.mark.skip_if_not_root
def test_runtime_reads_and_set_runtime_switches_each_family(modules):
    forwarding = modules.docker_forwarding

    def work():
        seen = [forwarding.runtime(), _switches()]
        seen.append(forwarding.set_runtime("ipv4", True))
        seen += [forwarding.runtime(), _switches()]
        seen.append(forwarding.set_runtime("ipv6", True))
        seen.append(forwarding.set_runtime("ipv4", False))
        seen += [forwarding.runtime(), _switches()]
        return seen

    seen = netns.in_namespaces_of_its_own(work)
    assert seen == [
        {"ipv4": "0", "ipv6": "0"},
        {"ipv4": "0", "ipv6": "0"},
        "0",  # set_runtime returns the old value
        {"ipv4": "1", "ipv6": "0"},
        {"ipv4": "1", "ipv6": "0"},
        "0",
        "1",
        {"ipv4": "0", "ipv6": "1"},
        {"ipv4": "0", "ipv6": "1"},
    ]


def test_an_image_root_has_no_running_kernel(modules, tmp_path):
    assert modules.docker_forwarding.runtime(root=str(tmp_path)) is None
    assert modules.docker_forwarding.runtime(root="/") is not None
