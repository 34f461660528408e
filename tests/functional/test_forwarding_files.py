"""The sysctl files of forwarding through Salt's loader: the persistent file the state
writes, byte for byte, and what systemd-sysctl (the boot's reader) makes of it; and which
settings of the files the boot applies later ``docker_forwarding.later_settings`` reports
(forwarding keys only, comments and other settings passed over, a file that cannot be
read or decoded no reason to stop reading the others).

systemd-sysctl sets the switches in a network namespace of the test's own
(tests/netns.py), never this machine's."""

import subprocess

import pytest

from tests import hosttrees, netns

PERSISTENT = "/etc/sysctl.d/90-docker-host-forwarding.conf"
HEADER = (
    "# Managed by Salt (docker_host.forwarding): containers reach other networks\n"
    "# only while the host forwards packets.\n"
)
SYSTEMD_SYSCTL = "/usr/lib/systemd/systemd-sysctl"
SWITCHES = {
    "ipv4": "/proc/sys/net/ipv4/ip_forward",
    "ipv6": "/proc/sys/net/ipv6/conf/all/forwarding",
}
IPV4_ON, IPV4_OFF = "net.ipv4.ip_forward = 1\n", "net.ipv4.ip_forward = 0\n"
IPV6_ON, IPV6_OFF = "net.ipv6.conf.all.forwarding = 1\n", "net.ipv6.conf.all.forwarding = 0\n"
WANTED = [
    pytest.param({"ipv4": True}, IPV4_ON, id="ipv4 on"),
    pytest.param({"ipv4": False}, IPV4_OFF, id="ipv4 off"),
    pytest.param({"ipv4": True, "ipv6": True}, IPV4_ON + IPV6_ON, id="both on"),
    pytest.param({"ipv4": True, "ipv6": False}, IPV4_ON + IPV6_OFF, id="ipv4 on, ipv6 off"),
    pytest.param({"ipv4": False, "ipv6": True}, IPV4_OFF + IPV6_ON, id="ipv4 off, ipv6 on"),
]


@pytest.fixture
def image(tmp_path):
    """An image root with SUSE's vendor sysctl files (both sort before the state's)."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("sysctl/50-default.conf", "/usr/lib/sysctl.d/50-default.conf")
    tree.copy("sysctl/51-network.conf", "/usr/lib/sysctl.d/51-network.conf")
    return tree


def _persistent_file(states, image, wanted):
    ret = states.docker_host.forwarding(name="f", firewall="none", root=str(image.root), **wanted)
    assert ret.result is True, ret.comment
    return image.root / PERSISTENT.lstrip("/")


@pytest.mark.parametrize("wanted, settings", WANTED)
def test_the_persistent_file_holds_a_header_and_one_line_a_family_asked_for(
    states, image, wanted, settings
):
    """A family not asked for (IPv6 by default) has no line: it is left as it is."""
    path = _persistent_file(states, image, wanted)
    assert path.read_bytes() == (HEADER + settings).encode()


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("wanted, settings", WANTED)
def test_systemd_sysctl_applies_the_persistent_file_without_a_complaint(
    states, image, wanted, settings
):
    """Every line is a comment or an assignment systemd-sysctl takes (it exits non-zero on
    a line that is neither), and the switches end as asked, from the opposite value."""
    path = _persistent_file(states, image, wanted)

    def work():
        for family, want in wanted.items():
            with open(SWITCHES[family], "w", encoding="utf-8") as handle:
                handle.write("0\n" if want else "1\n")
        applied = subprocess.run(
            [SYSTEMD_SYSCTL, str(path)], check=False, capture_output=True, text=True
        )
        switches = {}
        for family in wanted:
            with open(SWITCHES[family], encoding="utf-8") as handle:
                switches[family] = handle.read().strip()
        return applied, switches

    applied, switches = netns.in_namespaces_of_its_own(work)
    assert (applied.returncode, applied.stderr) == (0, "")
    assert switches == {family: str(int(want)) for family, want in wanted.items()}


def test_only_forwarding_settings_are_reported(modules, image):
    """Blank lines, comments (``#`` or ``;``, indented or not) and other keys are passed
    over; each forwarding setting is reported as written, with its line."""
    image.write(
        "/etc/sysctl.d/99-lab.conf",
        "\n"
        "# Docker hosts of the lab\n"
        "kernel.sysrq = 1\n"
        "\n"
        "   # net.ipv4.ip_forward = 1\n"
        "; net.ipv6.conf.all.forwarding = 1\n"
        "net.ipv4.conf.all.rp_filter = 2\n"
        "net.ipv4.conf.all.forwarding=0\n"
        "\tnet/ipv6/conf/all/forwarding = 0\n"
        "    \n",
    )
    assert modules.docker_forwarding.later_settings(root=str(image.root)) == [
        {
            "file": "/etc/sysctl.d/99-lab.conf",
            "line": 8,
            "key": "net.ipv4.conf.all.forwarding",
            "value": "0",
        },
        {
            "file": "/etc/sysctl.d/99-lab.conf",
            "line": 9,
            "key": "net/ipv6/conf/all/forwarding",
            "value": "0",
        },
    ]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda image, path: image.link(path, "/usr/lib/sysctl.d/95-removed.conf"),
            id="a link to a file that is gone",
        ),
        pytest.param(lambda image, path: (image.root / path.lstrip("/")).mkdir(), id="a directory"),
        pytest.param(
            lambda image, path: image.write(path, b"# r\xe9seau du labo\nkernel.sysrq = 1\n"),
            id="Latin-1, not UTF-8",
        ),
    ],
)
def test_a_later_file_that_cannot_be_read_does_not_hide_the_files_after_it(modules, image, make):
    """A file that cannot be read, or holds bytes that are not UTF-8, is no reason to
    stop: the files after it are read too, down to /etc/sysctl.conf, applied last."""
    (image.root / "etc/sysctl.d").mkdir(parents=True)
    make(image, "/etc/sysctl.d/95-x.conf")
    image.write("/etc/sysctl.conf", "# local settings\nnet.ipv4.ip_forward = 0\n")
    assert modules.docker_forwarding.later_settings(root=str(image.root)) == [
        {"file": "/etc/sysctl.conf", "line": 2, "key": "net.ipv4.ip_forward", "value": "0"}
    ]
