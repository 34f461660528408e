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
# systemd" marker), with its own D-Bus session bus. Everything lives in a
# temporary directory and goes with it. The script's last lines ($WORK) use
# the running manager; "$@" holds the caller's arguments.
_USER_MANAGER = r"""
set -eu
base=$1
shift
mkdir -p "$base/fakerun/system" "$base/run" "$base/config/systemd/user" "$base/home"
chmod 700 "$base/run"
mount --bind "$base/fakerun" /run/systemd
printf '[Unit]\nWants=dbus.socket\nAfter=dbus.socket\n' > "$base/config/systemd/user/probe.target"
PREPARE
env -i HOME="$base/home" XDG_RUNTIME_DIR="$base/run" XDG_CONFIG_HOME="$base/config" \
    XDG_DATA_HOME="$base/home/data" XDG_STATE_HOME="$base/home/state" \
    XDG_CACHE_HOME="$base/home/cache" \
    SYSTEMD_BIN --user --unit=probe.target </dev/null >"$base/manager.log" 2>&1 &
manager=$!
trap 'kill $manager 2>/dev/null; wait $manager 2>/dev/null || true' EXIT
export XDG_RUNTIME_DIR="$base/run"
unset DBUS_SESSION_BUS_ADDRESS
for _ in $(seq 200); do [ -S "$base/run/bus" ] && break; sleep 0.05; done
WORK
"""


def _with_user_manager(prefix, prepare, work, *args):
    """Run ``work`` (shell) against a private systemd user manager; return (result, base).

    The caller removes ``base`` once it has read what it needs from there.
    A hand-started manager very rarely loses its unit to a signal while
    starting (a few starts in a thousand here); a second try on a fresh
    manager tells that apart from a real failure, which fails again.
    """
    script = (
        _USER_MANAGER.replace("SYSTEMD_BIN", SYSTEMD)
        .replace("PREPARE", prepare)
        .replace("WORK", work)
    )
    for attempt in range(2):
        base = tempfile.mkdtemp(prefix=prefix)
        result = subprocess.run(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "bash",
                "-c",
                script,
                "systemd",
                base,
                *args,
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode == 0 or attempt == 1:
            break
        shutil.rmtree(base, ignore_errors=True)
    return result, base


def _failure(result, base, what):
    log = pathlib.Path(base, "manager.log")
    return RuntimeError(
        f"{what} failed ({result.returncode}): {result.stderr.decode()} "
        f"{log.read_text() if log.exists() else ''}"
    )


def systemd_argv(path, variable="DOCKER_OPTS", arguments=None):
    """Return the arguments systemd makes of ``$variable`` in ExecStart=, with
    ``EnvironmentFile=path``: SUSE's docker.service starts dockerd this way.

    A unit whose ExecStart= holds ``arguments`` (default: just an unquoted
    ``$variable``) runs a program that records the arguments it got.
    """
    prepare = r"""
file=$1 arguments=$2 python=$3
program="import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))"
cat > "$base/config/systemd/user/argv.service" <<UNIT
[Service]
Type=oneshot
EnvironmentFile=$file
ExecStart=$python -c "$program" $base/argv.json $arguments
UNIT
"""
    result, base = _with_user_manager(
        "systemd-argv-",
        prepare,
        "systemctl --user start argv.service",
        os.path.abspath(path),
        arguments or f"${variable}",
        sys.executable,
    )
    try:
        argv = pathlib.Path(base, "argv.json")
        if result.returncode != 0 or not argv.exists():
            raise _failure(result, base, "systemctl start")
        return json.loads(argv.read_text())
    finally:
        shutil.rmtree(base, ignore_errors=True)


def systemd_environment(drop_in):
    """Return the environment systemd gives a service with the drop-in file
    ``drop_in`` (its ``Environment=`` lines): what it sets beyond what the
    same service gets without it. SUSE's docker.service gets its proxy this way."""
    prepare = r"""
drop_in=$1 python=$2
program="import json, os, sys; open(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))"
mkdir -p "$base/config/systemd/user/env.service.d"
cp "$drop_in" "$base/config/systemd/user/env.service.d/"
for name in env bare; do
cat > "$base/config/systemd/user/$name.service" <<UNIT
[Service]
Type=oneshot
ExecStart=$python -c "$program" $base/$name.json
UNIT
done
"""
    result, base = _with_user_manager(
        "systemd-env-",
        prepare,
        "systemctl --user start env.service bare.service",
        os.path.abspath(drop_in),
        sys.executable,
    )
    try:
        seen, bare = pathlib.Path(base, "env.json"), pathlib.Path(base, "bare.json")
        if result.returncode != 0 or not seen.exists() or not bare.exists():
            raise _failure(result, base, "systemctl start")
        environment, without = json.loads(seen.read_text()), json.loads(bare.read_text())
    finally:
        shutil.rmtree(base, ignore_errors=True)
    # Each start has its own ids.
    changing = {"INVOCATION_ID", "SYSTEMD_EXEC_PID", "JOURNAL_STREAM"}
    return {
        name: value
        for name, value in environment.items()
        if without.get(name) != value and name not in changing
    }


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

    systemd-run starts a transient service that prints its environment. The
    manager's own variables are left out by name: only variables a test file
    sets are compared, and none of those use these names.
    """
    work = (
        'systemd-run --user --quiet --wait --pipe -p EnvironmentFile="$1" '
        "-p Environment=SYSCONFIG_READER_MARK=1 /usr/bin/env -0 </dev/null"
    )
    result, base = _with_user_manager("systemd-reader-", "", work, os.path.abspath(path))
    try:
        if result.returncode != 0:
            raise _failure(result, base, "systemd-run")
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
