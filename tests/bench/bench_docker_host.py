"""
Benchmark the docker_host grain and docker_host.check on this machine.

In-process, median and 90th percentile of many runs:

- the grain, cold: the kernel config read and decompressed every time, as at
  a minion's start;
- the grain, warm: as on every later refresh in the same minion;
- docker_host.check without the daemon query, through Salt's loader;
- the grain on a SUSE-sized host: a 300 KB kernel config in /boot (SUSE's
  kernel-default config is about that size) and 1000 mounts (a host running
  a few hundred containers), cold and warm;
- the grain's first call in a fresh process, which also loads the
  extension's sysconfig and docker_daemon modules (once per minion start);
- for scale, Salt's core grains, collected once per run.

Run with ``make bench``.
"""

import gzip
import importlib.util
import pathlib
import statistics
import subprocess
import sys
import tempfile

import salt.config
import salt.loader
from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


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


def suse_sized_tree(base):
    """A host tree with a 300 KB kernel config and 1000 mounts, from this machine's."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests import hosttrees

    tree = hosttrees.btrfs_snapper(base)
    config = gzip.decompress(pathlib.Path("/proc/config.gz").read_bytes())
    tree.write("/boot/config-6.4.0-150600.21-default", config * 3)
    (base / "proc/config.gz").unlink()
    mounts = (base / "proc/self/mountinfo").read_text()
    extra = "".join(
        f"{1000 + n} 458 0:{100 + n} / /var/lib/docker/overlay2/{n:064x}/merged rw,relatime "
        f"- overlay overlay rw,lowerdir=/l{n},upperdir=/u{n},workdir=/w{n}\n"
        for n in range(1000 - mounts.count(chr(10)))
    )
    tree.write("/proc/self/mountinfo", mounts + extra)
    tree.docker_opts("--storage-driver=btrfs --log-level=warn")
    return tree


FIRST_CALL = """
import importlib.util, sys, time
import salt.exceptions
spec = importlib.util.spec_from_file_location("grain", sys.argv[1])
grain = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grain)
grain.__opts__ = {"docker_host.root": sys.argv[2]}  # the running system, seen at the tree
start = time.perf_counter_ns()
grain.docker_host()
print((time.perf_counter_ns() - start) / 1e6)
"""


def first_call(tree, runs=15):
    samples = sorted(
        float(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    FIRST_CALL,
                    str(REPO_ROOT / "_grains/docker_host.py"),
                    str(tree.root),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    )
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def main():
    spec = importlib.util.spec_from_file_location("grain", REPO_ROOT / "_grains/docker_host.py")
    grain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grain)

    with tempfile.TemporaryDirectory(prefix="docker-host-bench-") as work:
        opts = minion_opts(pathlib.Path(work))
        opts["grains"] = salt.loader.grains(opts)
        modules = salt.loader.minion_mods(opts)
        check = modules["docker_host.check"]
        tree = suse_sized_tree(pathlib.Path(work) / "suse")
        facts = grain._facts_module()
        # What the grain reads when the minion option docker_host.root names the tree.
        on_suse = lambda: facts._collect(str(tree.root))  # noqa: E731
        # The kernel configs the facts module keeps between calls in one process.
        configs = facts._CONFIG_CACHE
        rows = [
            ("grain, cold", grain.docker_host, 300, configs.clear),
            ("grain, warm", grain.docker_host, 1000, None),
            ("SUSE-sized, cold", on_suse, 300, configs.clear),
            ("SUSE-sized, warm", on_suse, 1000, None),
            ("check, no daemon", lambda: check(daemon=False), 200, None),
            ("Salt core grains", lambda: salt.loader.grains(opts, force_refresh=True), 10, None),
        ]
        print(f"python {sys.version.split()[0]}, salt {salt.version.__version__}")
        print(f"{'operation':<24}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
        for label, function, runs, before in rows:
            median, p90 = measure(function, runs, before)
            print(f"{label:<24}{median:>12.3f}{p90:>10.3f}{runs:>8}")
        median, p90 = first_call(tree)
        print(f"{'SUSE-sized, first call':<24}{median:>12.3f}{p90:>10.3f}{15:>8}")


if __name__ == "__main__":
    main()
