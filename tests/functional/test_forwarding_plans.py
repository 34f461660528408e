"""docker_forwarding's readers and writer called on their own (as ``salt-call
docker_forwarding.*`` does): which later sysctl files it reports and how it
names them, the files read as UTF-8 whatever the locale, the persistent file's
round trip and its errors, and the spellings of "no alternative root".

Reading the running kernel happens in a network namespace of the test's own
(tests/netns.py), never this machine's."""

import os
import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from tests import hangs, hosttrees, locales, netns

PERSISTENT = "/etc/sysctl.d/90-docker-host-forwarding.conf"
# Where systemd-sysctl reads sysctl.d files (sysctl.d(5)), then /etc/sysctl.conf.
BOOT_FILES = (
    "/etc/sysctl.d/",
    "/run/sysctl.d/",
    "/usr/local/lib/sysctl.d/",
    "/usr/lib/sysctl.d/",
    "/lib/sysctl.d/",
    "/etc/sysctl.conf",
)
WATCHED = {"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding"}


@pytest.fixture
def image(tmp_path):
    """An image root with SUSE's vendor sysctl files (both sort before the state's)."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("sysctl/50-default.conf", "/usr/lib/sysctl.d/50-default.conf")
    tree.copy("sysctl/51-network.conf", "/usr/lib/sysctl.d/51-network.conf")
    return tree


def test_a_file_linked_under_two_names_is_reported_once_and_later_files_still_are(modules, image):
    """/etc/sysctl.conf reached by the vendor's 99-sysctl.conf link (absolute: it points
    into the image) and an admin's 99-local.conf link is one file, reported under the
    name the boot reads it first by; the files that sort after it are still read."""
    image.write("/etc/sysctl.conf", "# local settings\nnet.ipv4.ip_forward = 0\n")
    image.link("/etc/sysctl.d/99-local.conf", "../sysctl.conf")
    image.link("/usr/lib/sysctl.d/99-sysctl.conf", "/etc/sysctl.conf")
    image.write("/run/sysctl.d/99-zz-runtime.conf", "net.ipv6.conf.all.forwarding=0\n")
    root = str(image.root)

    ipv4 = {
        "file": "/etc/sysctl.d/99-local.conf",
        "line": 2,
        "key": "net.ipv4.ip_forward",
        "value": "0",
    }
    ipv6 = {
        "file": "/run/sysctl.d/99-zz-runtime.conf",
        "line": 1,
        "key": "net.ipv6.conf.all.forwarding",
        "value": "0",
    }
    assert modules.docker_forwarding.later_settings(root=root) == [ipv4, ipv6]
    assert modules.docker_forwarding.overriding_settings({"ipv4": True}, root=root) == [ipv4]
    assert modules.docker_forwarding.overriding_settings(
        {"ipv4": False, "ipv6": True}, root=root
    ) == [ipv6]


def test_sysctl_files_are_read_as_utf8_whatever_the_locale_and_bad_bytes_do_not_stop_it(
    modules, image
):
    """A Latin-1 comment (not UTF-8) is no reason to stop reading; the setting is shown
    as the file writes it, whatever the minion's locale."""
    image.write(
        "/etc/sysctl.d/99-lab.conf",
        "# Réseau du labo\n".encode()
        + b"# r\xe9seau (Latin-1)\n"
        + "net.ipv4.ip_forward = 0 # coupé à la main\n".encode(),
    )
    with locales.ascii_ctype():
        found = modules.docker_forwarding.later_settings(root=str(image.root))
    assert found == [
        {
            "file": "/etc/sysctl.d/99-lab.conf",
            "line": 3,
            "key": "net.ipv4.ip_forward",
            "value": "0 # coupé à la main",
        }
    ]


def test_the_persistent_file_reads_back_what_was_written_whatever_the_locale(modules, image):
    root = str(image.root)
    forwarding = modules.docker_forwarding
    assert forwarding.read_persistent(root=root) is None
    applied = forwarding.apply(forwarding.plan(firewall="none", root=root))
    assert applied["result"] is True, applied
    path = image.root / PERSISTENT.lstrip("/")
    written = (
        "# Managed by Salt (docker_host.forwarding): containers reach other networks\n"
        "# only while the host forwards packets.\n"
        "net.ipv4.ip_forward = 1\n"
    )
    assert path.read_bytes() == written.encode()
    assert os.stat(path).st_mode & 0o7777 == 0o644
    path.write_text(written + "# géré par Salt\n", encoding="utf-8")  # an administrator's note
    with locales.ascii_ctype():
        assert forwarding.read_persistent(root=root) == written + "# géré par Salt\n"
        planned = forwarding.plan(firewall="none", root=root)
    assert planned["changes"]["persistent"]["old"] == written + "# géré par Salt\n"
    assert planned["persistent"] == written


@pytest.mark.parametrize("make, kind", [(pathlib.Path.mkdir, "a directory"), (os.mkfifo, "a FIFO")])
def test_a_persistent_file_that_is_no_file_is_named_and_never_waited_on(modules, image, make, kind):
    path = image.root / PERSISTENT.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    with hangs.fails_if_blocked(), pytest.raises(CommandExecutionError) as raised:
        modules.docker_forwarding.read_persistent(root=str(image.root))
    assert str(raised.value) == f"{path} is {kind}, not a regular file"


def test_later_settings_without_a_root_reads_this_machine_the_same_for_every_spelling(
    modules, image
):
    """No root, "" and "/" all mean the running system (only read here, never changed);
    an empty image root has no later settings."""
    forwarding = modules.docker_forwarding
    live = forwarding.later_settings()
    assert forwarding.later_settings(root="/") == live
    assert forwarding.later_settings(root="") == live
    for setting in live:
        assert setting["file"].startswith(BOOT_FILES)
        assert setting["key"].replace("/", ".") in WATCHED
        assert setting["line"] >= 1
    assert forwarding.later_settings(root=str(image.root)) == []


@pytest.mark.skip_if_not_root
def test_runtime_reads_the_running_kernel_for_every_spelling_of_no_root(modules, image):
    """runtime() with no root, "" or "/" reads the running kernel (here, a network
    namespace of the test's own, IPv4 forwarding switched on in it); an image root has
    none."""
    forwarding = modules.docker_forwarding

    def work():
        with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="utf-8") as handle:
            handle.write("1\n")
        return [forwarding.runtime(root=root) for root in (None, "", "/", str(image.root))]

    assert netns.in_namespaces_of_its_own(work) == [
        {"ipv4": "1", "ipv6": "0"},
        {"ipv4": "1", "ipv6": "0"},
        {"ipv4": "1", "ipv6": "0"},
        None,
    ]


def test_a_firewalld_that_does_not_answer_fails_the_plan_and_says_what_to_do(
    modules, monkeypatch, tmp_path
):
    """firewalld installed on this host but not running (no system bus to ask it):
    the plan fails with firewall-cmd's own words and the two ways out. Only read."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_forwarding.plan(firewall="firewalld")
    message = str(raised.value)
    assert message.startswith("firewalld does not answer (")
    assert "no-bus" in message
    assert message.endswith("): start it, or give firewall: none")
