"""
Benchmark the docker_host grain and docker_host.check on this machine.

In-process, median and 90th percentile of many runs:

- the grain, cold: the kernel config read and decompressed every time, as at
  a minion's start;
- the grain, warm: as on every later refresh in the same minion;
- docker_host.check without the daemon query, through Salt's loader;
- for scale, Salt's core grains, collected once per run.

Run with ``make bench``.
"""

import importlib.util
import pathlib
import statistics
import sys
import tempfile
import time

import salt.config
import salt.loader

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def measure(function, runs, before=None):
    function()
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter_ns()
        function()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


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


def main():
    spec = importlib.util.spec_from_file_location("grain", REPO_ROOT / "_grains/docker_host.py")
    grain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grain)

    with tempfile.TemporaryDirectory(prefix="docker-host-bench-") as work:
        opts = minion_opts(pathlib.Path(work))
        opts["grains"] = salt.loader.grains(opts)
        modules = salt.loader.minion_mods(opts)
        check = modules["docker_host.check"]
        rows = [
            ("grain, cold", grain.docker_host, 300, grain._CONFIG_CACHE.clear),
            ("grain, warm", grain.docker_host, 1000, None),
            ("check, no daemon", lambda: check(daemon=False), 200, None),
            ("Salt core grains", lambda: salt.loader.grains(opts, force_refresh=True), 10, None),
        ]
        print(f"python {sys.version.split()[0]}, salt {salt.version.__version__}")
        print(f"{'operation':<24}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
        for label, function, runs, before in rows:
            median, p90 = measure(function, runs, before)
            print(f"{label:<24}{median:>12.3f}{p90:>10.3f}{runs:>8}")


if __name__ == "__main__":
    main()
