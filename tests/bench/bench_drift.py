"""
Benchmark the docker_host beacon's work at each interval (docker_host_drift),
in-process through Salt's loaders, median and 90th percentile of many runs:

- a converged host, every concern watched, caches warm (every interval after
  the first): the cost the beacon adds to a minion, which issue 19 holds to
  at most 1 ms;
- the same with the caches cold (the first interval after a minion start);
- the beacon through Salt's beacon loader, as the minion calls it.

The host is a tree of the test's own (tests/hosttrees.py) with the formula's
record, a real unix socket, dockerd's pid file, the enabled unit and the
docker group. Run with ``make bench``.
"""

import os
import pathlib
import sys
import tempfile

import salt.config
import salt.loader
from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests import hosttrees  # noqa: E402


def minion_opts(work):
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "root_dir": str(work),
            "cachedir": str(work / "cache"),
            "pki_dir": str(work / "pki"),
            "file_client": "local",
            "module_dirs": [str(REPO_ROOT)],
            "log_level": "quiet",
        }
    )
    return opts


def converged_host(root, functions):
    tree = hosttrees.Tree(root)
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    tree.write("/proc/sys/net/ipv4/ip_forward", "1\n")
    tree.write("/etc/group", "root:x:0:\nusers:x:100:\ndocker:x:475:operator\n")
    tree.write("/run/docker.pid", "4242")
    tree.write("/proc/4242/comm", "dockerd\n")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "docker.service").symlink_to("/usr/lib/systemd/system/docker.service")
    server = hosttrees.bind_unix_socket(str(root / "run/docker.sock"))
    os.chown(root / "run/docker.sock", 0, 475)
    os.chmod(root / "run/docker.sock", 0o660)
    functions["docker_daemon.set_docker_opts"]({"log-level": "warn"}, root=str(root))
    functions["docker_daemon.set_daemon_json"]({"live-restore": True}, root=str(root))
    return server


def main():
    with tempfile.TemporaryDirectory() as name:
        work = pathlib.Path(name)
        opts = minion_opts(work)
        functions = salt.loader.minion_mods(opts)
        root = work / "root"
        server = converged_host(root, functions)
        config = {"root": str(root), "members": ["operator"], "ipv4": True}
        drift = sys.modules[functions["docker_host_drift.changes"].__module__]
        assert functions["docker_host_drift.changes"](config) == []

        def cold():
            for cache in (drift._DIGESTS, drift._RECORD):
                cache.clear()

        beacons = salt.loader.beacons(opts, functions)
        as_listed = [{key: value} for key, value in config.items()]
        rows = [
            ("converged, warm", lambda: functions["docker_host_drift.changes"](config), 2000, None),
            ("converged, cold", lambda: functions["docker_host_drift.changes"](config), 500, cold),
            ("the beacon, warm", lambda: beacons["docker_host.beacon"](as_listed), 2000, None),
        ]
        print(f"python {sys.version.split()[0]}, salt {salt.version.__version__}")
        print(f"{'docker_host beacon':<24}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
        for label, function, runs, before in rows:
            median, p90 = measure(function, runs, before)
            print(f"{label:<24}{median:>12.3f}{p90:>10.3f}{runs:>8}")
        server.close()


if __name__ == "__main__":
    main()
