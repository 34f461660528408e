"""
Benchmark the sysconfig module on SUSE's 35 KB SuSEfirewall2 sysconfig.

In-process, median (and 90th percentile) of many runs:

- parse: the text to bash's view of every variable (what ``items`` does
  after reading the file);
- items: reading the file and parsing it;
- describe: the metadata of all variables;
- set: one variable changed (lock, parse, type check, write, fsync, rename);
- set, unchanged: the same value again (nothing written).

Run with ``make bench``.
"""

import importlib.util
import os
import pathlib
import shutil
import sys
import tempfile

from timing import measure

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = pathlib.Path(
    os.environ.get("SUSE_FIXTURES", REPO_ROOT.parent / "shared" / "fixtures" / "suse")
)
SOURCE = FIXTURES / "susefirewall2" / "SuSEfirewall2.sysconfig"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / f"_modules/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_module():
    module = _load("sysconfig")
    # Its writes go through the extension's one writer, as under Salt's loader.
    files = _load("docker_host_files")
    module.__salt__ = {"docker_host_files.replace": files.replace}
    files.__salt__ = {"sysconfig.image_root": module.image_root}
    return module


def main():
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} not found: put shared/ beside the repository or set SUSE_FIXTURES")
    sysconfig = load_module()
    work = pathlib.Path(tempfile.mkdtemp(prefix="sysconfig-bench-"))
    try:
        path = work / "SuSEfirewall2"
        shutil.copy(SOURCE, path)
        text = path.read_text()
        flip = {"value": False}

        def change():
            flip["value"] = not flip["value"]
            sysconfig.set_(str(path), "FW_ROUTE", "yes" if flip["value"] else "no")

        rows = [
            ("parse", lambda: sysconfig._parse(text), 2000),
            ("items (read + parse)", lambda: sysconfig.items(str(path)), 2000),
            (
                "describe (all variables)",
                lambda: sysconfig._describe_all(text, sysconfig._parse(text)),
                500,
            ),
            ("set (value changes)", change, 300),
            ("set (value unchanged)", lambda: sysconfig.set_(str(path), "FW_ROUTE", "no"), 300),
        ]
        print(f"file: {SOURCE.name}, {len(text.encode())} bytes, {text.count(chr(10))} lines")
        print(f"{'operation':<28}{'median ms':>12}{'p90 ms':>10}{'runs':>8}")
        for label, function, runs in rows:
            median, p90 = measure(function, runs)
            print(f"{label:<28}{median:>12.3f}{p90:>10.3f}{runs:>8}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
