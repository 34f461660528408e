"""
Benchmark how long ``docker_host.image_present`` takes to fail when the
registry cannot be reached, in-process through Salt's loader, against a
private dockerd of the benchmark's own (needs root and dockerd):

- a loopback port that accepts connections and never answers, with
  ``timeout=5``: the module's deadline ends the wait (dockerd itself would
  wait 25 s: 10 s for a TLS handshake, then 15 s for plain HTTP);
- a loopback port where nothing listens (127.0.0.1:1): dockerd's connection
  is refused at once.

Run with ``make bench``.
"""

import contextlib
import logging
import os
import pathlib
import socket
import sys
import tempfile
import threading

import salt.config
import salt.loader
from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests import dockerd  # noqa: E402


@contextlib.contextmanager
def silent_port():
    """A loopback port that accepts every connection and says nothing; yield its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for connection in held:
            connection.close()


def main():
    # Salt logs every failing state as an error; here each failure is the point.
    logging.disable(logging.ERROR)
    with (
        tempfile.TemporaryDirectory(prefix="images-bench-") as directory,
        silent_port() as port,
    ):
        work = pathlib.Path(directory)
        with dockerd.private_dockerd(work / "d", storage_driver="vfs") as url:
            os.environ["DOCKER_HOST"] = url
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

            def fails(name, timeout):
                def run():
                    (state,) = modules["state.single"](
                        "docker_host.image_present", name=name, timeout=timeout
                    ).values()
                    assert state["result"] is False, state

                return run

            rows = [
                ("silent registry, timeout=5", fails(f"127.0.0.1:{port}/base:1", 5), 5),
                ("refused port, timeout=30", fails("127.0.0.1:1/base:1", 30), 20),
            ]
            print(f"{'image_present fails':<32}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
            for label, function, runs in rows:
                median, p90 = measure(function, runs)
                print(f"{label:<32}{median:>12.3f}{p90:>10.3f}{runs:>8}")


if __name__ == "__main__":
    main()
