"""
Benchmark the docker_host formula the way administrators run it.

1. An idempotent ``salt-call --local state.apply docker_host`` on a converged
   sandbox root (pillar-example's dev profile), side by side with the same end
   state written with Salt's core states only (``core_equivalent.sls``, written
   into the benchmark's temporary directory). Both are timed as whole
   salt-call processes, median and 90th percentile of 7 runs each, and as
   in-process ``state.apply`` calls; the ratio formula/core has a target of at
   most 1.0.
2. Highstate from one salt-master to 1, 3 and 10 salt-minions, each with a
   sandbox root of its own: the wall time of the ``salt`` command for the
   converging highstate and for a converged one (median of 3), and that time
   per minion.

Every state works on sandbox roots under a temporary directory: the package is
not installed, the service is only enabled inside the root and forwarding is
only written to the root's sysctl.d, so nothing on this machine changes.

Run with ``make bench``.
"""

import contextlib
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import salt.client
import salt.config
import yaml
from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests import hosttrees  # noqa: E402

BIN = pathlib.Path(sys.executable).parent
# The formula is served from a clone of the repository, as the README tells
# administrators to: not from this working tree, whose virtualenv's thousands
# of files every highstate's saltutil.sync_all would list to each minion.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)
PROFILE = REPO_ROOT / "pillar-example" / "docker_host" / "dev.sls"
# The dev profile's docker group members: they must exist in each root.
USERS = ["alice", "bob"]
PROCESS_RUNS = 7
IN_PROCESS_RUNS = 10
MINION_COUNTS = (1, 3, 10)
CONVERGED_HIGHSTATES = 3


class BenchError(RuntimeError):
    """Salt did not do what the benchmark needs before it can time anything."""


def percentiles(samples):
    """Median and 90th percentile, in ms, as timing.measure reports them."""
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def sandbox_pillar(root):
    """The formula on an image root: no package repository here, so no package."""
    return {"docker_host": {"root": str(root), "package": {"install": False}}}


def write_yaml(path, data, header=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(data, default_flow_style=False, sort_keys=False))


def state_results(label, ret):
    """The state results of one minion's return; a render error is a list of strings."""
    if not isinstance(ret, dict) or not ret:
        raise BenchError(f"{label}: no state results: {ret}")
    failed = {key: state["comment"] for key, state in ret.items() if state["result"] is not True}
    if failed:
        raise BenchError(f"{label}: states failed: {failed}")
    return ret


def changed(ret):
    return {key: state["changes"] for key, state in ret.items() if state["changes"]}


def require_converged(label, ret):
    changes = changed(state_results(label, ret))
    if changes:
        raise BenchError(f"{label}: the converged run made changes: {changes}")


# 1. salt-call --local: the formula and its core-state equivalent


def minion_config(work, file_roots):
    config = work / "conf"
    config.mkdir()
    text = yaml.safe_dump(
        {
            "id": "bench",
            "file_client": "local",
            "root_dir": str(work / "salt"),
            "module_dirs": [str(REPO_ROOT)],
            "file_roots": {"base": [str(path) for path in file_roots]},
            "pillar_roots": {"base": [str(work / "pillar")]},
        }
    )
    (config / "minion").write_text(text)
    return config


def salt_call(config, *arguments):
    command = [
        str(BIN / "salt-call"),
        "--local",
        f"--config-dir={config}",
        "--out=json",
        *arguments,
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    try:
        ret = json.loads(result.stdout)["local"]
    except (ValueError, KeyError, TypeError) as err:
        raise BenchError(f"salt-call {arguments}: {result.stdout}{result.stderr}") from err
    return ret, elapsed


def core_equivalent(root):
    """The converged root's end state, declared with Salt's core states only.

    The values are read from the files the formula wrote, so that on the
    converged root this SLS has nothing to change either.
    """
    sysconfig = root / "etc/sysconfig/docker"
    (opts_line,) = [
        line for line in sysconfig.read_text().splitlines() if line.startswith("DOCKER_OPTS=")
    ]
    group_line = {}
    for name in ("group", "gshadow"):
        (group_line[name],) = [
            line
            for line in (root / "etc" / name).read_text().splitlines()
            if line.startswith("docker:")
        ]
    wants = root / "etc/systemd/system/multi-user.target.wants/docker.service"
    forwarding = root / "etc/sysctl.d/90-docker-host-forwarding.conf"
    daemon_json = root / "etc/docker/daemon.json"
    states = {
        "docker-opts": {
            "file.keyvalue": [
                {"name": str(sysconfig)},
                {"key": "DOCKER_OPTS"},
                # The value as the file has it, quotes included: file.keyvalue
                # compares and writes the text after the separator.
                {"value": opts_line.split("=", 1)[1]},
            ]
        },
        "docker-daemon-json": {
            "file.serialize": [
                {"name": str(daemon_json)},
                {"serializer": "json"},
                {"dataset": json.loads(daemon_json.read_text())},
            ]
        },
        # sysctl.present cannot stand in here: given config=<root>/etc/sysctl.d/...,
        # sysctl.persist still compares the value with the running kernel and
        # runs ``sysctl -w`` when they differ, which would change this machine.
        # The persistent file is what the formula manages under a root.
        "docker-forwarding": {
            "file.managed": [{"name": str(forwarding)}, {"contents": forwarding.read_text()}]
        },
        # group.present has no root argument: it reads and changes this
        # machine's /etc/group (groupadd, gpasswd). The root's group database
        # is edited as text instead.
        **{
            f"docker-{name}": {
                "file.replace": [
                    {"name": str(root / "etc" / name)},
                    {"pattern": "^docker:.*$"},
                    {"repl": line},
                    {"append_if_not_found": True},
                ]
            }
            for name, line in group_line.items()
        },
        "docker-enabled": {
            "file.symlink": [{"name": str(wants)}, {"target": str(wants.readlink())}]
        },
    }
    return states


def bench_salt_call(work, clone):
    root = hosttrees.suse_docker_root(work / "root", users=USERS).root
    (work / "pillar" / "docker_host").mkdir(parents=True)
    shutil.copy(PROFILE, work / "pillar" / "docker_host" / "dev.sls")
    write_yaml(work / "pillar" / "top.sls", {"base": {"*": ["docker_host.dev", "sandbox"]}})
    write_yaml(work / "pillar" / "sandbox.sls", sandbox_pillar(root))
    core = work / "core"
    config = minion_config(work, [clone, core])

    first, _ = salt_call(config, "state.apply", "docker_host")
    if not changed(state_results("first formula run", first)):
        raise BenchError("the first formula run changed nothing: the root was not SUSE's")
    write_yaml(
        core / "core_equivalent.sls",
        core_equivalent(root),
        header=(
            "# docker_host's end state on this root, with Salt's core states only.\n"
            "# sysctl.present and group.present cannot work on a root: see\n"
            "# core_equivalent() in tests/bench/bench_formula.py.\n"
        ),
    )

    formula = ("state.apply", "docker_host")
    equivalent = ("state.apply", "core_equivalent")
    for label, arguments in (("formula", formula), ("core states", equivalent)):
        ret, _ = salt_call(config, *arguments)
        require_converged(f"{label}, converged root", ret)

    # Alternate the two, so that a slower or faster spell of the machine
    # weighs on both alike.
    samples = {formula: [], equivalent: []}
    for _ in range(PROCESS_RUNS):
        for arguments, times in samples.items():
            ret, elapsed = salt_call(config, *arguments)
            require_converged(" ".join(arguments), ret)
            times.append(elapsed * 1000)

    # In-process: salt-call's own start-up (imports, grains, loader) left out.
    opts = salt.config.minion_config(str(config / "minion"))
    opts["log_level"] = "quiet"
    caller = salt.client.Caller(mopts=opts)
    for arguments in (formula, equivalent):
        require_converged(f"{arguments[1]}, in-process", caller.cmd(*arguments))
    in_process = {
        arguments: measure(lambda arguments=arguments: caller.cmd(*arguments), IN_PROCESS_RUNS)
        for arguments in (formula, equivalent)
    }

    rows = []
    for where, figures, runs in (
        ("salt-call", {key: percentiles(value) for key, value in samples.items()}, PROCESS_RUNS),
        ("in-process", in_process, IN_PROCESS_RUNS),
    ):
        rows.append((f"docker_host formula, {where}", *figures[formula], runs))
        rows.append((f"core states only, {where}", *figures[equivalent], runs))
        rows.append((f"ratio formula/core, {where}", figures[formula][0] / figures[equivalent][0]))
    print("Idempotent state.apply on a converged root (dev profile), target ratio <= 1.0")
    print(f"{'run':<40}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
    for row in rows:
        if len(row) == 2:
            print(f"{row[0]:<40}{row[1]:>12.2f}")
        else:
            print(f"{row[0]:<40}{row[1]:>12.1f}{row[2]:>10.1f}{row[3]:>8}")


# 2. Highstate from one master to 1, 3 and 10 minions


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daemon_config(base, settings):
    """A daemon's directories, all under ``base``, and its settings."""
    return {
        "root_dir": str(base),
        "pki_dir": str(base / "pki"),
        "cachedir": str(base / "cache"),
        "sock_dir": str(base / "sock"),
        "pidfile": str(base / "salt.pid"),
        "log_file": str(base / "log"),
        "user": pwd.getpwuid(os.getuid()).pw_name,
        **settings,
    }


class Daemons:
    """Salt daemons run in the foreground, each in a process group of its own,
    so that stopping one also stops the processes it forked."""

    def __init__(self):
        self.processes = []

    def start(self, command, stderr_path):
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
            )
        self.processes.append(process)
        return process

    def stop(self):
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            # Whatever of the group is left, the daemon's forks included.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes = []


def salt_command(master_config, targets, *arguments, timeout=300):
    command = [
        str(BIN / "salt"),
        f"--config-dir={master_config}",
        "--out=json",
        "--static",
        f"--timeout={timeout}",
        "-L",
        ",".join(targets),
        *arguments,
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    try:
        ret = json.loads(result.stdout) if result.stdout.strip() else {}
    except ValueError as err:
        raise BenchError(f"salt {arguments}: {result.stdout}{result.stderr}") from err
    return ret, elapsed


def wait_for_minions(master_config, minion_ids, daemons, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in daemons.processes:
            if process.poll() is not None:
                raise BenchError(f"a salt daemon exited: {process.args}")
        ret, _ = salt_command(master_config, minion_ids, "test.ping", timeout=5)
        if all(ret.get(minion_id) is True for minion_id in minion_ids):
            return
        time.sleep(1)
    raise BenchError(f"minions did not answer test.ping in {timeout} s: {ret}")


def highstate(master_config, minion_ids):
    ret, elapsed = salt_command(master_config, minion_ids, "state.highstate")
    missing = set(minion_ids) - set(ret)
    if missing:
        raise BenchError(f"no highstate return from {sorted(missing)}")
    return ret, elapsed


def bench_highstate(work, clone):
    minion_ids = [f"bench-{number:02}" for number in range(1, max(MINION_COUNTS) + 1)]
    roots = {minion_id: work / "roots" / minion_id for minion_id in minion_ids}

    # The administrator's trees: the repository's clone and a state top file on the
    # master's file_roots, pillar-example's dev profile for every minion and
    # a sandbox root of its own for each.
    states = work / "states"
    write_yaml(states / "top.sls", {"base": {"*": ["docker_host"]}})
    pillar = work / "pillar"
    (pillar / "docker_host").mkdir(parents=True)
    shutil.copy(PROFILE, pillar / "docker_host" / "dev.sls")
    top = {"*": ["docker_host.dev"]}
    for minion_id, root in roots.items():
        write_yaml(pillar / "sandbox" / f"{minion_id}.sls", sandbox_pillar(root))
        top[minion_id] = [f"sandbox.{minion_id}"]
    write_yaml(pillar / "top.sls", {"base": top})

    publish_port, ret_port = free_port(), free_port()
    master_dir = work / "master"
    write_yaml(
        master_dir / "conf" / "master",
        daemon_config(
            master_dir,
            {
                "id": "bench-master",
                "interface": "127.0.0.1",
                "publish_port": publish_port,
                "ret_port": ret_port,
                "auto_accept": True,
                "key_logfile": str(master_dir / "key.log"),
                "file_roots": {"base": [str(clone), str(states)]},
                "pillar_roots": {"base": [str(pillar)]},
            },
        ),
    )
    master_config = master_dir / "conf"

    daemons = Daemons()
    try:
        daemons.start(
            [str(BIN / "salt-master"), f"--config-dir={master_config}", "--log-level=error"],
            master_dir / "stderr",
        )
        deadline = time.monotonic() + 60
        while not (master_dir / "pki" / "master.pub").exists():
            if time.monotonic() > deadline:
                raise BenchError("the salt-master did not start")
            time.sleep(0.2)
        # Ten minions stay up throughout: each count targets the first N of
        # them with a -L list, so the master is the same warm one every time.
        for minion_id in minion_ids:
            minion_dir = work / "minions" / minion_id
            write_yaml(
                minion_dir / "conf" / "minion",
                daemon_config(
                    minion_dir,
                    {
                        "id": minion_id,
                        "master": "127.0.0.1",
                        "master_port": ret_port,
                        "acceptance_wait_time": 1,
                    },
                ),
            )
            daemons.start(
                [
                    str(BIN / "salt-minion"),
                    f"--config-dir={minion_dir / 'conf'}",
                    "--log-level=error",
                ],
                minion_dir / "stderr",
            )
        wait_for_minions(master_config, minion_ids, daemons)
        ret, _ = salt_command(master_config, minion_ids, "saltutil.sync_all")
        if set(ret) != set(minion_ids):
            raise BenchError(f"saltutil.sync_all did not return from every minion: {ret}")

        rows = []
        for count in MINION_COUNTS:
            targets = minion_ids[:count]
            # Fresh roots, as SUSE's package leaves them, for the converging run.
            for minion_id in targets:
                shutil.rmtree(roots[minion_id], ignore_errors=True)
                hosttrees.suse_docker_root(roots[minion_id], users=USERS)
            ret, converging = highstate(master_config, targets)
            for minion_id in targets:
                if not changed(state_results(f"{minion_id}, converging", ret[minion_id])):
                    raise BenchError(f"{minion_id}: the converging highstate changed nothing")
            converged = []
            for _ in range(CONVERGED_HIGHSTATES):
                ret, elapsed = highstate(master_config, targets)
                for minion_id in targets:
                    require_converged(f"{minion_id}, highstate", ret[minion_id])
                converged.append(elapsed)
            rows.append(("converging", count, converging, 1))
            rows.append(("converged", count, statistics.median(converged), len(converged)))
    finally:
        daemons.stop()

    print("state.highstate from one master, wall time of the salt command (median of runs)")
    print(f"{'highstate':<16}{'minions':>8}{'wall s':>10}{'per minion s':>14}{'runs':>6}")
    for kind in ("converging", "converged"):
        for label, count, wall, runs in rows:
            if label == kind:
                print(f"{label:<16}{count:>8}{wall:>10.2f}{wall / count:>14.2f}{runs:>6}")


def main():
    # A minion caches the bytecode of the modules it loads, the synced
    # extension's as much as Salt's own (which pip compiled at install). With
    # PYTHONDONTWRITEBYTECODE set, as on some build machines, every salt-call
    # would compile this extension's modules anew while Salt's come from
    # their .pyc: a cost no administrator's minion pays after its first run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fb-") as directory:
        work = pathlib.Path(directory)
        clone = work / "suse-docker-host"
        shutil.copytree(REPO_ROOT, clone, ignore=NOT_IN_A_CLONE)
        (work / "call").mkdir()
        (work / "highstate").mkdir()
        bench_salt_call(work / "call", clone)
        print()
        bench_highstate(work / "highstate", clone)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
