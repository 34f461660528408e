"""Proof in a network namespace: the running kernel really forwards, and the persistent
file really brings it back after a reset, while the machine's own setting never moves."""

import subprocess
import time
import uuid

import pytest

from tests.dockerd import network_namespace
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

PERSISTENT = "90-docker-host-forwarding.conf"


@pytest.fixture
def netns():
    """A network namespace of the test's own; deleted afterwards, and the machine's
    /run/netns left as it was."""
    name = f"sdh-{uuid.uuid4().hex[:8]}"
    with network_namespace(name):
        yield name


def in_netns(netns, *command, check=True):
    return subprocess.run(
        ["ip", "netns", "exec", netns, *command], capture_output=True, text=True, check=check
    ).stdout.strip()


def query(netns, *command):
    """firewall-cmd --query-… answers yes (exit 0) or no (exit 1)."""
    return in_netns(netns, "firewall-cmd", *command, check=False)


def host_forwarding():
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        return handle.read().strip()


def test_forwarding_flips_and_survives_a_reset(netns, tmp_path):
    """Runs salt-call inside the namespace, in a mount namespace where the test's own
    directory stands in for /etc/sysctl.d: only the namespace and that directory change."""
    before = host_forwarding()
    in_netns(netns, "sysctl", "-w", "net.ipv4.ip_forward=0")  # as SuSEfirewall2 leaves it
    state = _apply_in(netns, tmp_path, firewall="none")
    sysctl_d = tmp_path / "sysctl.d"
    assert state["result"] is True, state["comment"]
    assert state["changes"]["runtime"] == {"net.ipv4.ip_forward": {"old": "0", "new": "1"}}
    assert state["changes"]["persistent"]["file"] == f"/etc/sysctl.d/{PERSISTENT}"
    assert in_netns(netns, "sysctl", "-n", "net.ipv4.ip_forward") == "1"

    # A reboot starts from 0; the persistent file brings forwarding back.
    in_netns(netns, "sysctl", "-w", "net.ipv4.ip_forward=0")
    in_netns(netns, "sysctl", "-p", str(sysctl_d / PERSISTENT))
    assert in_netns(netns, "sysctl", "-n", "net.ipv4.ip_forward") == "1"

    assert host_forwarding() == before


@pytest.fixture
def firewalld_netns(netns, tmp_path, monkeypatch):
    """A real firewalld in the test's network namespace, on a system bus of the test's own
    (DBUS_SYSTEM_BUS_ADDRESS; network namespaces do not separate D-Bus, so the machine's
    bus is never used), with its permanent configuration in a directory of the test's.
    Everything is stopped afterwards."""
    bus = f"unix:path={tmp_path / 'system_bus_socket'}"
    dbus = subprocess.run(
        ["dbus-daemon", "--system", f"--address={bus}", "--fork", "--print-pid", "--nopidfile"],
        capture_output=True,
        text=True,
        check=True,
    )
    dbus_pid = int(dbus.stdout.split()[0])
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus)
    config = tmp_path / "etc-firewalld"
    subprocess.run(["cp", "-a", "/etc/firewalld", str(config)], check=True)
    subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
    daemon = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            netns,
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            f"mount --bind {config} /etc/firewalld && exec firewalld --nofork --nopid",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if query(netns, "--state") == "running":
                break
            time.sleep(0.2)
        else:
            pytest.fail("firewalld did not start in the namespace")
        yield netns
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        subprocess.run(["kill", str(dbus_pid)], check=False)


def _apply_in(netns, tmp_path, **arguments):
    """salt-call inside the network namespace, in a mount namespace where the test's own
    directory stands in for /etc/sysctl.d: only the namespace and that directory change."""
    sysctl_d = tmp_path / "sysctl.d"
    sysctl_d.mkdir(exist_ok=True)
    prefix = [
        "ip",
        "netns",
        "exec",
        netns,
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        f'mount --bind {sysctl_d} /etc/sysctl.d && exec "$@"',
        "sh",
    ]
    return state_single(
        tmp_path, "docker_host.forwarding", {"name": "fwd", **arguments}, prefix=prefix
    )


def test_firewalld_masquerades_runtime_and_permanent(firewalld_netns, tmp_path):
    """firewalld runs only in the test's namespace: the machine's rules never change."""
    netns = firewalld_netns
    host_rules = subprocess.run(
        ["nft", "list", "ruleset"], capture_output=True, text=True, check=False
    ).stdout

    predicted = _apply_in(netns, tmp_path, firewall="firewalld", test=True)
    assert predicted["result"] is None
    assert query(netns, "--query-masquerade") == "no"
    state = _apply_in(netns, tmp_path, firewall="firewalld")
    assert state["result"] is True, state["comment"]
    assert state["changes"] == predicted["changes"]
    assert state["changes"]["firewall"] == {
        "masquerade in zone public (runtime)": {"old": False, "new": True},
        "masquerade in zone public (permanent)": {"old": False, "new": True},
    }
    assert query(netns, "--query-masquerade") == "yes"
    assert query(netns, "--permanent", "--query-masquerade") == "yes"

    again = _apply_in(netns, tmp_path, firewall="firewalld")
    assert again["result"] is True and again["changes"] == {}

    off = _apply_in(netns, tmp_path, firewall="firewalld", ipv4=False)
    assert off["result"] is True, off["comment"]
    assert query(netns, "--query-masquerade") == "no"
    assert query(netns, "--permanent", "--query-masquerade") == "no"
    assert in_netns(netns, "sysctl", "-n", "net.ipv4.ip_forward") == "0"

    after = subprocess.run(
        ["nft", "list", "ruleset"], capture_output=True, text=True, check=False
    ).stdout
    assert after == host_rules
