"""What the three readers of a sysconfig file see in it: bash, systemd and YaST."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SYSTEMD = "/lib/systemd/systemd"


def _nul_separated(data):
    text = data.decode("utf-8", "surrogateescape")
    return dict(item.split("=", 1) for item in text.split("\0") if item)


def bash_sees(path):
    """Return the variables that sourcing ``path`` sets, as bash itself reports them."""

    def env_of(script, *args):
        return _nul_separated(
            subprocess.run(
                ["env", "-i", "bash", "--noprofile", "--norc", "-c", script, "bash", *args],
                capture_output=True,
                check=True,
            ).stdout
        )

    before = env_of("env -0")
    after = env_of('set -a; . "$1"; env -0', str(path))
    return {key: value for key, value in after.items() if key != "_" and before.get(key) != value}


# systemd runs here without being PID 1: a user manager started by hand, in a
# private mount namespace where /run/systemd/system exists (the "booted with
# systemd" marker), with its own D-Bus session bus. systemd-run then starts a
# transient service with EnvironmentFile=, and the service prints its
# environment. Everything lives in a temporary directory and goes with it.
_SYSTEMD_SCRIPT = r"""
set -eu
base=$1 file=$2
mkdir -p "$base/fakerun/system" "$base/run" "$base/config/systemd/user" "$base/home"
chmod 700 "$base/run"
mount --bind "$base/fakerun" /run/systemd
printf '[Unit]\nWants=dbus.socket\nAfter=dbus.socket\n' > "$base/config/systemd/user/probe.target"
env -i HOME="$base/home" XDG_RUNTIME_DIR="$base/run" XDG_CONFIG_HOME="$base/config" \
    XDG_DATA_HOME="$base/home/data" XDG_STATE_HOME="$base/home/state" \
    XDG_CACHE_HOME="$base/home/cache" \
    SYSTEMD_BIN --user --unit=probe.target </dev/null >"$base/manager.log" 2>&1 &
manager=$!
trap 'kill $manager 2>/dev/null; wait $manager 2>/dev/null || true' EXIT
export XDG_RUNTIME_DIR="$base/run"
unset DBUS_SESSION_BUS_ADDRESS
for _ in $(seq 200); do [ -S "$base/run/bus" ] && break; sleep 0.05; done
systemd-run --user --quiet --wait --pipe -p EnvironmentFile="$file" \
    -p Environment=SYSCONFIG_READER_MARK=1 /usr/bin/env -0 </dev/null
"""


# The same user manager, with a unit whose ExecStart= has an unquoted $VAR:
# systemd expands and splits it, and the program records the arguments it got.
_SYSTEMD_ARGV_SCRIPT = r"""
set -eu
base=$1 file=$2 variable=$3 python=$4
program="import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))"
mkdir -p "$base/fakerun/system" "$base/run" "$base/config/systemd/user" "$base/home"
chmod 700 "$base/run"
mount --bind "$base/fakerun" /run/systemd
printf '[Unit]\nWants=dbus.socket\nAfter=dbus.socket\n' > "$base/config/systemd/user/probe.target"
cat > "$base/config/systemd/user/argv.service" <<UNIT
[Service]
Type=oneshot
EnvironmentFile=$file
ExecStart=$python -c "$program" $base/argv.json \$$variable
UNIT
env -i HOME="$base/home" XDG_RUNTIME_DIR="$base/run" XDG_CONFIG_HOME="$base/config" \
    SYSTEMD_BIN --user --unit=probe.target </dev/null >"$base/manager.log" 2>&1 &
manager=$!
trap 'kill $manager 2>/dev/null; wait $manager 2>/dev/null || true' EXIT
export XDG_RUNTIME_DIR="$base/run"
unset DBUS_SESSION_BUS_ADDRESS
for _ in $(seq 200); do [ -S "$base/run/bus" ] && break; sleep 0.05; done
systemctl --user start argv.service
"""


def systemd_argv(path, variable="DOCKER_OPTS"):
    """Return the arguments systemd makes of ``$variable`` in ExecStart=, with
    ``EnvironmentFile=path``: SUSE's docker.service starts dockerd this way."""
    base = tempfile.mkdtemp(prefix="systemd-argv-")
    try:
        result = subprocess.run(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "bash",
                "-c",
                _SYSTEMD_ARGV_SCRIPT.replace("SYSTEMD_BIN", SYSTEMD),
                "argv",
                base,
                os.path.abspath(path),
                variable,
                sys.executable,
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )
        argv = pathlib.Path(base, "argv.json")
        if result.returncode != 0 or not argv.exists():
            log = pathlib.Path(base, "manager.log")
            raise RuntimeError(
                f"systemctl start failed ({result.returncode}): {result.stderr.decode()} "
                f"{log.read_text() if log.exists() else ''}"
            )
        return json.loads(argv.read_text())
    finally:
        shutil.rmtree(base, ignore_errors=True)


def systemd_unavailable():
    """Return why a real systemd cannot read files here, or None."""
    if os.geteuid() != 0:
        return "needs root (a private mount namespace)"
    for program in (SYSTEMD, "systemd-run", "unshare", "dbus-daemon"):
        if not (os.path.exists(program) or shutil.which(program)):
            return f"{program} is not installed"
    return None


def systemd_sees(path):
    """Return what a service with ``EnvironmentFile=path`` gets from the file.

    The manager's own variables are left out by name: only variables a test
    file sets are compared, and none of those use these names.
    """
    base = tempfile.mkdtemp(prefix="systemd-reader-")
    try:
        result = subprocess.run(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "bash",
                "-c",
                _SYSTEMD_SCRIPT.replace("SYSTEMD_BIN", SYSTEMD),
                "reader",
                base,
                os.path.abspath(path),
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0:
            log = pathlib.Path(base, "manager.log")
            manager_log = log.read_text() if log.exists() else ""
            raise RuntimeError(
                f"systemd-run failed ({result.returncode}): {result.stderr.decode()} {manager_log}"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    seen = _nul_separated(result.stdout)
    assert seen.pop("SYSCONFIG_READER_MARK") == "1"
    manager_own = {
        "PATH",
        "HOME",
        "LANG",
        "USER",
        "LOGNAME",
        "SHELL",
        "INVOCATION_ID",
        "MANAGERPID",
        "SYSTEMD_EXEC_PID",
        "DBUS_SESSION_BUS_ADDRESS",
        "QT_ACCESSIBILITY",
        "JOURNAL_STREAM",
    }
    return {
        key: value
        for key, value in seen.items()
        if key not in manager_own and not key.startswith("XDG_")
    }


# YaST cannot run here. Its sysconfig agent (yast-core agent-ini, the
# SysConfigFile template in IniAgent.cc) reads a line with three POSIX
# regular expressions, first match wins, and takes the text between the
# quotes verbatim; this model applies the same three rules.
_YAST_RULES = [
    re.compile(r"([A-Za-z0-9_]+)[ \t]*=[ \t]*\"([^\"]*)\""),
    re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*'([^']*)'"),
    re.compile(r"([A-Za-z0-9_]+)[ \t]*=[ \t]*([^\"]*[^ \t\"]|)[ \t]*$"),
]


def yast_sees(path):
    """Return the variables YaST's sysconfig agent reads from ``path`` (a model)."""
    seen = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle.read().split("\n"):
            if re.match(r"[ \t]*(#|$)", line):
                continue
            for rule in _YAST_RULES:
                match = rule.search(line)
                if match:
                    seen[match.group(1)] = match.group(2)
                    break
    return seen
