"""A writer killed at a random moment, 200 times for each kind of file the extension
writes (a sysconfig file, daemon.json, the forwarding sysctl file): the file always
holds one whole version, byte for byte, never a mix and never nothing; no temporary
file is ever at the file's own name; and the next write removes whatever temporary
file the killed one left behind (a call that finds nothing to change writes
nothing, and leaves the directory as it is).

The writer is a child forked from this process that writes the file's two versions
in turn until it is killed after a random pause (a fixed seed, so that a failure can
be replayed). A fork, not a new interpreter: 600 kills take seconds, and make mutate
sees the writer's code. The pauses span a few writes, measured first, so that the
kills fall on every step of a write; how many caught a temporary file is printed
(pytest -s), and at least one must have, or the kills missed the writes.
"""

import os
import random
import signal
import time
import traceback

import pytest

KILLS = 200
SEED = 14


def _sysconfig(modules, root, n):
    modules.sysconfig.set(
        "docker", "DOCKER_OPTS", ("--debug", "--log-level=warn")[n % 2], root=root
    )


def _daemon_json(modules, root, n):
    modules.docker_daemon.set_daemon_json({"live-restore": bool(n % 2), "debug": True}, root=root)


def _forwarding(modules, root, n):
    applied = modules.docker_forwarding.apply(
        modules.docker_forwarding.plan(ipv4=bool(n % 2), firewall="none", root=root)
    )
    assert applied["result"], applied["comment"]


# Each writer: the file it writes, relative to the root, and the n-th write.
WRITERS = {
    "sysconfig": ("etc/sysconfig/docker", _sysconfig),
    "daemon.json": ("etc/docker/daemon.json", _daemon_json),
    "forwarding": ("etc/sysctl.d/90-docker-host-forwarding.conf", _forwarding),
}


def _temporary_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".salt-tmp"))


def _write_until_killed(write, modules, root, errors):
    """Fork a child that writes the two versions in turn until it is killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child never returns)
        try:
            n = 0
            while True:
                write(modules, root, n)
                n += 1
        except BaseException:
            errors.write_text(traceback.format_exc())
        finally:
            os._exit(1)
    return pid


@pytest.mark.skip_if_not_root  # the writers chown their files to root
@pytest.mark.parametrize("writer", WRITERS)
def test_a_writer_killed_at_random_leaves_a_whole_version_and_the_next_write_cleans_up(
    modules, sandbox_root, tmp_path, writer
):
    relative, write = WRITERS[writer]
    root, target = str(sandbox_root), sandbox_root / relative
    versions = []
    for n in (0, 1):
        write(modules, root, n)
        versions.append(target.read_bytes())
    assert versions[0] != versions[1]

    started = time.perf_counter()
    for n in range(20):
        write(modules, root, n)
    one_write = (time.perf_counter() - started) / 20

    errors = tmp_path / "writer-error.txt"
    chance = random.Random(f"{SEED}-{writer}")
    caught = 0
    for kill in range(KILLS):
        pid = _write_until_killed(write, modules, root, errors)
        time.sleep(chance.uniform(0, 4 * one_write))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"kill {kill}: the writer stopped by itself:\n" + (
            errors.read_text() if errors.exists() else f"status {status}"
        )

        held = target.read_bytes()
        assert held in versions, f"kill {kill}: {target} holds a mix"
        caught += bool(_temporary_files(target.parent))

        # The next write that changes the file (one that finds nothing to
        # change writes nothing, and leaves the directory alone).
        other = 1 - versions.index(held)
        write(modules, root, other)
        assert target.read_bytes() == versions[other]
        assert _temporary_files(target.parent) == [], f"kill {kill}: left behind"

    print(f"{writer}: {KILLS} kills, {caught} while a temporary file existed")
    assert caught, "no kill fell inside a write: the pauses missed them"
