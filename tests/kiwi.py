"""KIWI (``kiwi-ng``), SUSE's image builder, run for real on the descriptions in
kiwi/: its downloads cached between runs, nothing of it left on this machine.

Builds use the descriptions' Debian profile, from Debian's archive with apt:
SUSE's repositories cannot be reached from the machines the tests run on (the
Leap profile, which users build, differs only in its repository and package
names). KIWI runs from the virtualenv ``make test`` installs (tests/kiwi.txt).
"""

import contextlib
import hashlib
import os
import pathlib
import shutil
import subprocess

from tests.conftest import REPO_ROOT

CACHE = pathlib.Path.home() / ".cache" / "suse-docker-host"
KIWI_NG = pathlib.Path(os.environ.get("KIWI_NG", CACHE / "kiwi" / "bin" / "kiwi-ng"))
DOWNLOADS = CACHE / "kiwi-downloads"
PROFILE = "Debian"
# Container archives uncompressed (xz alone takes a minute on two cores);
# the oem type's dracut module has no Debian package, and no disk is built.
RUNTIME_CONFIG = REPO_ROOT / "tests" / "kiwi-runtime.yml"

# What KIWI's apt builds write outside their own directories: the status file
# apt is pointed at, skopeo's blob cache, and the machine's apt logs (apt-get
# runs with Dir "/" while it bootstraps).
STATUS_FILE = pathlib.Path("/var/lib/dpkg/status.kiwi")
CONTAINERS = pathlib.Path("/var/lib/containers")
APT_LOGS = pathlib.Path("/var/log/apt")


def downloads_for(description):
    """The shared cache of packages for ``description``: keyed by its
    config.kiwi, the profile and KIWI's own version; caches of older keys of
    the same description are removed."""
    kiwi_file = pathlib.Path(description) / "config.kiwi"
    key = hashlib.sha256(
        kiwi_file.read_bytes()
        + PROFILE.encode()
        + (KIWI_NG.parent.parent / "pyvenv.cfg").read_bytes()
    ).hexdigest()[:16]
    name = pathlib.Path(description).name
    for old in DOWNLOADS.glob(f"{name}-*"):
        if old.name != f"{name}-{key}":
            shutil.rmtree(old, ignore_errors=True)
    return DOWNLOADS / f"{name}-{key}"


def _mounts_under(path):
    prefix = os.path.realpath(path) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        return [line.split()[4] for line in table if (line.split()[4] + "/").startswith(prefix)]


@contextlib.contextmanager
def _leaves_nothing(work):
    """Restore what a KIWI run changes outside ``work``: see STATUS_FILE."""
    had_status, had_containers = STATUS_FILE.exists(), CONTAINERS.exists()
    logs = {path: path.read_bytes() for path in APT_LOGS.glob("*") if path.is_file()}
    try:
        yield
    finally:
        for mount in reversed(_mounts_under(work)):
            subprocess.run(["umount", "--lazy", mount], check=False)
        if not had_status:
            STATUS_FILE.unlink(missing_ok=True)
        if not had_containers:
            shutil.rmtree(CONTAINERS, ignore_errors=True)
        for path in APT_LOGS.glob("*"):
            if path not in logs and path.is_file():
                path.unlink()
        for path, data in logs.items():
            if path.read_bytes() != data:
                path.write_bytes(data)


def kiwi_ng(work, description, *command):
    """Run ``kiwi-ng`` on ``description`` (a copy, under ``work``) with the
    tests' runtime configuration and the description's cached downloads; its
    temporary files under ``work``. Raise with the end of its log if it fails."""
    if not KIWI_NG.exists():
        raise RuntimeError(f"{KIWI_NG} is not installed: make test installs it (tests/kiwi.txt)")
    temp, log = work / "kiwi-tmp", work / "kiwi.log"
    temp.mkdir(parents=True, exist_ok=True)
    cache = downloads_for(description)
    cache.mkdir(parents=True, exist_ok=True)
    with _leaves_nothing(work):
        result = subprocess.run(
            [
                str(KIWI_NG),
                f"--config={RUNTIME_CONFIG}",
                f"--profile={PROFILE}",
                f"--shared-cache-dir={cache}",
                f"--temp-dir={temp}",
                f"--logfile={log}",
                *command,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"kiwi-ng {' '.join(command)} failed:\n{log.read_text()[-3000:]}")
    return result


def description_copy(work, name, overlay=None):
    """kiwi/``name`` copied under ``work``, with ``overlay`` ({path in the
    image: source file}) added as the Debian profile's overlay files."""
    copy = work / name
    shutil.copytree(REPO_ROOT / "kiwi" / name, copy)
    for path, source in (overlay or {}).items():
        target = copy / PROFILE / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return copy
