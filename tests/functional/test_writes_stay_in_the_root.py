"""Writes under an image root never leave it. Another process, which can write inside
the root, exchanges a directory of the root with a link to a directory outside it
(renameat2 with RENAME_EXCHANGE, over and over) while the extension writes a file in
that directory: a write either lands in the root or fails, nothing outside the
root changes or appears, and nothing read outside ends up in the root's file."""

import collections
import os
import re
import subprocess
import sys
import textwrap

import pytest
from salt.exceptions import CommandExecutionError

from tests import hosttrees

SWAPPER = textwrap.dedent(
    """
    import ctypes, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    first, second, stop = (os.fsencode(path) for path in sys.argv[1:4])
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    while not os.path.exists(stop):
        for _ in range(50):
            if libc.renameat2(AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE) != 0:
                sys.exit(f"renameat2: {os.strerror(ctypes.get_errno())}")
    """
)
WRITES = 1500
# What a write that did not go through says: the link it would not follow, the path
# that (resolved inside the root) leads nowhere, the file that was not the one read.
REASONS = (
    "a directory there was replaced by a symbolic link after the path was resolved; "
    "the write does not follow it",
    "does not exist",
    "changed while it was being edited (by a program that does not take its lock, or a "
    "directory of the root was replaced by a link): nothing was written; run again",
    "changed after the plan was made: plan again. Nothing was written",
)


def _sysconfig_write(modules, root, number):
    modules.sysconfig.set("docker", "DOCKER_OPTS", f"--mtu={number}", root=root)


def _daemon_json_write(modules, root, number):
    modules.docker_daemon.set_daemon_json({"mtu": number}, root=root)


def _forwarding_write(modules, root, number):
    forwarding = modules.docker_forwarding
    applied = forwarding.apply(forwarding.plan(ipv4=number % 2 == 0, firewall="none", root=root))
    if not applied["result"]:
        raise CommandExecutionError(applied["comment"])


@pytest.mark.parametrize(
    "directory, name, write, outside_text",
    [
        ("etc/sysconfig", "docker", _sysconfig_write, 'DOCKER_OPTS=""\nOUTSIDE_MARKER=yes\n'),
        ("etc/docker", "daemon.json", _daemon_json_write, '{"outside-marker": true}\n'),
        (
            "etc/sysctl.d",
            "90-docker-host-forwarding.conf",
            _forwarding_write,
            "# outside-marker\nnet.ipv4.ip_forward = 1\n",
        ),
    ],
    ids=["sysconfig", "daemon.json", "forwarding"],
)
def test_a_directory_swapped_for_a_link_never_leads_a_write_out(
    modules, tmp_path, directory, name, write, outside_text
):
    tree = hosttrees.suse_docker_root(tmp_path / "root")
    tree.daemon_json({"debug": True})
    tree.write("/etc/sysctl.d/90-docker-host-forwarding.conf", "net.ipv4.ip_forward = 1\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    # The file outside has the name of the one inside, and a marker: a write made
    # from what it read there would carry the host's text into the image.
    (outside / name).write_text(outside_text)
    before = {entry.name: entry.read_bytes() for entry in outside.iterdir()}
    # The link an attacker inside the root prepared; the swapper exchanges it with
    # the real directory and back.
    link = tree.root / f"{directory}.swap"
    link.symlink_to(outside)
    stop = tmp_path / "stop"
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(tree.root / directory), str(link), str(stop)]
    )
    written, failures = 0, collections.Counter()
    try:
        for number in range(1, WRITES + 1):
            try:
                write(modules, str(tree.root), number)
                written += 1
            except CommandExecutionError as err:
                # The same failure names differing paths: count it by its words.
                failures[re.sub(r"/\S*", "PATH", str(err))] += 1
    finally:
        stop.touch()
        assert swapper.wait(timeout=60) == 0
    failed = sum(failures.values())
    print(f"{name}: {written} writes landed in the root, {failed} failed: {dict(failures)}")
    assert {entry.name: entry.read_bytes() for entry in outside.iterdir()} == before
    # The race really ran: both outcomes happened.
    assert written > 0 and failed > 0
    # Each failure says what happened, and that the write did not go through.
    for message in failures:
        assert any(reason in message for reason in REASONS), message
    if os.path.islink(tree.root / directory):  # put the real directory back in place
        os.rename(link, tmp_path / "swapped")
        os.rename(tree.root / directory, link)
        os.rename(tmp_path / "swapped", tree.root / directory)
    assert not (tree.root / directory).is_symlink()
    assert "OUTSIDE_MARKER" not in (tree.root / directory / name).read_text()
    assert "outside-marker" not in (tree.root / directory / name).read_text()
