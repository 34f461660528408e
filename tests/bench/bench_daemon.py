"""
Benchmark the daemon configuration, in-process, on SUSE's own files in a sandbox root.

- ``docker_host.daemon_options``: reading DOCKER_OPTS and daemon.json,
  splitting and parsing the flags;
- an idempotent ``state.single docker_host.daemon_configured`` (the
  configuration is already as specified): what every highstate pays;
- for scale, ``state.single`` of Salt's ``test.succeed_without_changes``.

Run with ``make bench``.
"""

import pathlib
import sys
import tempfile

import salt.config
import salt.loader
from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests import hosttrees  # noqa: E402


def main():
    with tempfile.TemporaryDirectory(prefix="daemon-bench-") as directory:
        work = pathlib.Path(directory)
        tree = hosttrees.sandbox_of_this_host(work / "root")
        tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
        opts = salt.config.minion_config(None)
        opts.update(
            root_dir=str(work),
            cachedir=str(work / "cache"),
            pki_dir=str(work / "pki"),
            file_client="local",
            module_dirs=[str(REPO_ROOT)],
            log_level="quiet",
        )
        opts["grains"] = salt.loader.grains(opts)
        modules = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
        root = str(tree.root)
        arguments = {
            "name": "docker",
            "storage_driver": "overlay2",
            "data_root": "/var/lib/docker",
            "options": {"log-level": "warn", "hosts": ["unix:///run/docker.sock"]},
            "daemon_json": {"live-restore": True, "userland-proxy": False},
            "root": root,
        }
        first = modules["state.single"]("docker_host.daemon_configured", **arguments)
        assert all(ret["result"] for ret in first.values()), first
        rows = [
            ("daemon_options", lambda: modules["docker_host.daemon_options"](root=root), 500),
            (
                "daemon_configured, no change",
                lambda: modules["state.single"]("docker_host.daemon_configured", **arguments),
                100,
            ),
            (
                "state.single's own cost",
                lambda: modules["state.single"]("test.succeed_without_changes", name="x"),
                100,
            ),
        ]
        print(f"{'operation':<32}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
        for label, function, runs in rows:
            median, p90 = measure(function, runs)
            print(f"{label:<32}{median:>12.3f}{p90:>10.3f}{runs:>8}")


if __name__ == "__main__":
    main()
