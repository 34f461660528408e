"""Parallel writers of the daemon's configuration lose nothing: real processes, each
setting its own dockerd option over and over in DOCKER_OPTS or daemon.json of one root.
A writer whose file changed between its read and its write plans again (the minion
runs module calls in parallel; only state runs queue behind each other)."""

import subprocess
import sys
import textwrap
import threading

import pytest

from tests import hosttrees
from tests.conftest import REPO_ROOT

# A separate Python process with the extension's modules wired as Salt's loader
# wires them, for the functions this write path calls.
WORKER = textwrap.dedent(
    """
    import os, sys, types
    def load(name):
        path = os.path.join(sys.argv[1], name + ".py")
        module = types.ModuleType(name)
        with open(path, encoding="utf-8") as handle:
            exec(compile(handle.read(), path, "exec"), module.__dict__)
        return module
    files, sysconfig, daemon = load("docker_host_files"), load("sysconfig"), load("docker_daemon")
    record = load("docker_host_record")
    functions = {
        "docker_host_files.replace": files.replace,
        "docker_host_files.read_text": files.read_text,
        "docker_host_files.write_atomic": files.write_atomic,
        "docker_host_files.missing_directories": files.missing_directories,
        "docker_host_files.remove": files.remove,
        "docker_host_files.remove_empty_directory": files.remove_empty_directory,
        "docker_host_record.recording": record.recording,
        "sysconfig.items": sysconfig.items,
        "sysconfig.get": sysconfig.get,
        "sysconfig.set": sysconfig.set_,
        "sysconfig.resolve": sysconfig.resolve,
        "sysconfig.image_root": sysconfig.image_root,
    }
    for module in (files, sysconfig, daemon, record):
        module.__salt__ = functions
    root, where, key, count = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    write = daemon.set_docker_opts if where == "DOCKER_OPTS" else daemon.set_daemon_json
    for number in range(1, count + 1):
        write({key: number}, root=root)
    """
)
# Ten options, one for each writer.
KEYS = [
    "cpu-rt-period",
    "cpu-rt-runtime",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "mtu",
    "network-control-plane-mtu",
    "oom-score-adjust",
    "shutdown-timeout",
    "containerd-namespace",
]
WRITES = 20


@pytest.mark.own_process
@pytest.mark.parametrize("where", ["DOCKER_OPTS", "daemon.json"])
def test_ten_parallel_writers_keep_every_option(modules, tmp_path, where):
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.write("/etc/docker/daemon.json", "{}\n")
    command = [sys.executable, "-B", "-c", WORKER, str(REPO_ROOT / "_modules"), str(tree.root)]
    workers = [
        subprocess.Popen([*command, where, key, str(WRITES)], stderr=subprocess.PIPE, text=True)
        for key in KEYS
    ]
    for worker in workers:
        assert worker.wait(timeout=300) == 0, worker.stderr.read()
    options = modules.docker_daemon.options(root=str(tree.root))
    kept = options["flags"] if where == "DOCKER_OPTS" else options["daemon_json"]
    assert {key: kept.get(key) for key in KEYS} == dict.fromkeys(
        KEYS, str(WRITES) if where == "DOCKER_OPTS" else WRITES
    )
    # Each writer recorded its writes (docker_host_record): taking them back
    # gives the file's first text, or, where the writers' records crossed,
    # names the file and leaves it; never another text.
    path = "/etc/sysconfig/docker" if where == "DOCKER_OPTS" else "/etc/docker/daemon.json"
    plan = modules.docker_host_record.plan_restore("daemon", root=str(tree.root))
    if path in plan["changes"]:
        assert modules.docker_host_record.apply_restore(plan)["result"] is True
        first = (hosttrees.SUSE_FIXTURES / "docker/sysconfig.docker").read_text()
        assert (tree.root / path.lstrip("/")).read_text() == (
            first if where == "DOCKER_OPTS" else "{}\n"
        )
    else:
        assert plan["left"] in ([path], [f"{path} DOCKER_OPTS"])


@pytest.mark.parametrize("where", ["DOCKER_OPTS", "daemon.json"])
def test_ten_threads_of_one_minion_keep_every_option(modules, tmp_path, where):
    """The same race in one process, as the minion runs module calls in threads:
    each call reads, plans and writes while the others do."""
    tree = hosttrees.Tree(tmp_path / "root")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.write("/etc/docker/daemon.json", "{}\n")
    root = str(tree.root)
    write = (
        modules.docker_daemon.set_docker_opts
        if where == "DOCKER_OPTS"
        else modules.docker_daemon.set_daemon_json
    )
    failures = []

    def writer(key):
        try:
            for number in range(1, WRITES + 1):
                write({key: number}, root=root)
        except Exception as err:  # reported by the test's own thread
            failures.append(err)

    threads = [threading.Thread(target=writer, args=(key,)) for key in KEYS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    options = modules.docker_daemon.options(root=root)
    kept = options["flags"] if where == "DOCKER_OPTS" else options["daemon_json"]
    assert {key: kept.get(key) for key in KEYS} == dict.fromkeys(
        KEYS, str(WRITES) if where == "DOCKER_OPTS" else WRITES
    )
