"""Functional tests: the extension's modules through Salt's own loader, in-process."""

import contextlib
import os
import subprocess

import pytest
from saltfactories.utils.functional import Loaders

from tests import hosttrees
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="package")
def minion_opts(salt_factories, tmp_path_factory):
    state_tree = tmp_path_factory.mktemp("state-tree")
    factory = salt_factories.salt_minion_daemon(
        "functional-minion",
        overrides={
            "file_client": "local",
            "file_roots": {"base": [str(state_tree)]},
            # module_dirs takes the repository's _modules, _states and _grains.
            "module_dirs": [str(REPO_ROOT)],
        },
    )
    return factory.config.copy()


@pytest.fixture(scope="package")
def loaders(minion_opts):
    return Loaders(minion_opts, loaded_base_name=f"{__name__}.loaded")


@pytest.fixture
def live_check(loaders):
    """``live_check(tree)``: docker_host.check of a running system whose / is
    seen at ``tree`` (the minion option docker_host.root). hosttrees' trees
    stand for running SUSE hosts; given as ``root=`` they would be judged as
    images, from their own files only."""
    import salt.loader

    def check_of(tree):
        opts = {**loaders.opts, "docker_host.root": str(tree.root)}
        return salt.loader.minion_mods(opts)["docker_host.check"]

    return check_of


@pytest.fixture(autouse=True)
def reset_loaders_state(loaders):
    try:
        yield
    finally:
        loaders.reset_state()


@pytest.fixture
def modules(loaders):
    return loaders.modules


@pytest.fixture
def states(loaders):
    return loaders.states


@pytest.fixture
def full_tmpfs():
    """Put files on a tiny tmpfs that is full (as root); unmount it afterwards.

    ``full_tmpfs(directory, {name: bytes}, lacking)`` mounts a 64 KiB tmpfs on
    ``directory``, writes the files, and leaves no room for one more: with
    ``lacking="space"`` a filler file takes every free block (a new file can
    be created, but not one byte written to it); with ``lacking="inode"``
    the filesystem has exactly as many inodes as it holds (no new file can
    be created). Both fail with ENOSPC, as a full disk does.
    """
    mounted = []

    def make(directory, files, lacking):
        # The root directory takes an inode of its own.
        inodes = 1 + len(files) if lacking == "inode" else 64
        directory.mkdir(parents=True, exist_ok=True)
        options = f"size=64k,nr_inodes={inodes},mode=0755"
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], check=True)
        mounted.append(directory)
        for name, data in files.items():
            (directory / name).write_bytes(data)
        if lacking == "space":
            filler = directory / "filler"
            with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * 4096)
        room = os.statvfs(directory)
        if lacking == "space":
            assert room.f_bfree == 0 and room.f_ffree > 0
        else:
            assert room.f_ffree == 0 and room.f_bfree > 0
        return directory

    try:
        yield make
    finally:
        for directory in reversed(mounted):
            subprocess.run(["umount", str(directory)], check=True)


@pytest.fixture
def suse_root(tmp_path):
    """An image root with SUSE's own /etc/sysconfig/docker and /etc/docker/daemon.json."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    return tree


@pytest.fixture
def suse_daemon_json():
    """What SUSE's docker package puts in /etc/docker/daemon.json, as settings."""
    return {
        "log-level": "warn",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "5"},
        "selinux-enabled": True,
    }
