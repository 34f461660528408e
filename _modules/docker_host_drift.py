"""
Drift of a Docker host from what the docker_host formula configured: the
rules of the ``docker_host`` beacon, callable on their own.

For each concern, a verdict: the sorted list of what differs from what the
formula made (empty: as configured).

``forwarding``
    ``/proc/sys/net/ipv4/ip_forward`` (and IPv6's switch, when ``ipv6`` is
    given) against ``ipv4``/``ipv6``; the formula's sysctl.d file, and the
    ``IP_FORWARD`` and ``FW_ROUTE`` files, against what it last wrote.
``daemon``
    ``/etc/sysconfig/docker``, ``/etc/docker/daemon.json``, the TLS files and
    the proxy's drop-in against what the formula last wrote (its record,
    ``/var/lib/suse-docker-host/record.json``); a file the formula never had
    to write against what it held when it was first looked at.
``socket``
    ``/run/docker.sock``: owner root, group ``group``, mode 0660.
``service``
    dockerd runs (``/run/docker.pid`` names a ``dockerd`` process) and the
    unit is enabled (its link in ``multi-user.target.wants``).
``users``
    ``members`` are in ``group`` (``/etc/group``); with ``exclusive``, nobody
    else is.

What is wanted comes from the configuration given (``ipv4``, ``ipv6``,
``group``, ``members``, ``exclusive``, ``service``), and for what it does not
give, from this minion's pillar ``docker_host:``, with the formula's
defaults. Only files, ``/proc`` and ``/sys`` are read, never a program: the
beacon runs this at every interval on every minion. What is read is cached
by the file's inode, size and times, so that a converged host costs a few
``stat`` calls and small reads (``make bench`` measures it).

``root`` (default ``/``) reads another tree instead of this host's: the
tests give it a tree of their own.

:depends: nothing beyond Python; the record is read as JSON.
"""

import hashlib
import json
import os
import stat
import time

__virtualname__ = "docker_host_drift"

CONCERNS = ("forwarding", "daemon", "socket", "service", "users")
# The formula's SLS that repairs each concern.
REPAIRS = {
    "forwarding": "forwarding",
    "daemon": "daemon",
    "socket": "permissions",
    "service": "service",
    "users": "users",
}
SWITCHES = {
    "ipv4": "/proc/sys/net/ipv4/ip_forward",
    "ipv6": "/proc/sys/net/ipv6/conf/all/forwarding",
}
RECORD = "/var/lib/suse-docker-host/record.json"
DAEMON_FILES = ("/etc/sysconfig/docker", "/etc/docker/daemon.json")
SOCKET = "/run/docker.sock"
PID_FILE = "/run/docker.pid"
KEYS = {
    "interval",
    "concerns",
    "ipv4",
    "ipv6",
    "group",
    "members",
    "exclusive",
    "service",
    "sls",
    "root",
    "repeat",
    # Salt's own options of every beacon, and the name Salt adds.
    "disable_during_state_run",
    "run_once",
    "beacon_module",
    "enabled",
    "_beacon_name",
}

# Between intervals: each concern's last verdict, each file's digest by its
# stat, the files' first digests, the record as last parsed.
_VERDICTS = {}
_DIGESTS = {}
_FIRST = {}
_RECORD = {}


def __virtual__():
    return __virtualname__


def as_mapping(config):
    """
    The beacon's configuration as one mapping: Salt keeps it as a list of
    one-key mappings (``[{"interval": 10}, {"concerns": [...]}]``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_drift.as_mapping '[{"interval": 10}, {"concerns": ["users"]}]'
    """
    merged = {}
    for item in config if isinstance(config, list) else [config]:
        if isinstance(item, dict):
            merged.update(item)
    return merged


def problems(config):
    """
    Return what is wrong with a ``docker_host`` beacon configuration (pillar
    ``beacons:docker_host``, a list of mappings), each naming the key and what
    it must be; ``[]`` when it is valid. The beacon's ``validate`` asks this.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_drift.problems '[{"interval": 10}, {"concerns": ["users"]}]'
    """
    where = "beacons:docker_host"
    if not isinstance(config, list) or not all(isinstance(item, dict) for item in config):
        return [f"{where} must be a list of mappings (- interval: 10), not {config!r}"]
    given = as_mapping(config)
    found = [
        f"{where}:{key} is not a key of the docker_host beacon (known: "
        f"{', '.join(sorted(key for key in KEYS if not key.startswith('_')))})"
        for key in sorted(set(given) - KEYS)
    ]
    for key, default in (("interval", 10), ("repeat", 300)):
        value = given.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            found.append(f"{where}:{key} must be a number of seconds above 0, not {value!r}")
    concerns = given.get("concerns", list(CONCERNS))
    if not isinstance(concerns, list) or not concerns or not set(concerns) <= set(CONCERNS):
        found.append(
            f"{where}:concerns must be a list of some of {', '.join(CONCERNS)}, not {concerns!r}"
        )
    for key in ("ipv4", "ipv6", "exclusive"):
        if given.get(key) is not None and not isinstance(given[key], bool):
            found.append(f"{where}:{key} must be true or false, not {given[key]!r}")
    members = given.get("members", [])
    if not isinstance(members, list) or not all(isinstance(user, str) for user in members):
        found.append(f"{where}:members must be a list of user names, not {members!r}")
    for key in ("group", "service", "sls", "root"):
        if key in given and (not isinstance(given[key], str) or not given[key]):
            found.append(f"{where}:{key} must be a name, not {given[key]!r}")
    return found


def _wanted(config):
    """What is wanted: the configuration's keys, else the minion's pillar
    ``docker_host:``, else the formula's defaults."""
    pillar = (__opts__.get("pillar") or {}).get("docker_host") or {}
    users = pillar.get("users") or {}
    forwarding = pillar.get("forwarding") or {}
    service = pillar.get("service") or {}
    derived = {
        "ipv4": forwarding.get("ipv4", True),
        "ipv6": forwarding.get("ipv6"),
        "group": users.get("group", "docker"),
        "members": users.get("members", []),
        "exclusive": users.get("exclusive", False),
        "service": service.get("name", "docker"),
        "sls": "docker_host",
        "root": "/",
        "concerns": list(CONCERNS),
        "repeat": 300,
    }
    return {
        **derived,
        **{key: value for key, value in config.items() if value is not None or key == "ipv6"},
    }


def _at(root, path):
    return path if root == "/" else os.path.join(root, path.lstrip("/"))


def _small(path):
    """A small file's text, or ``None`` when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(65536).decode("utf-8", "surrogateescape")
    except OSError:
        return None


def _digest(path):
    """The SHA-256 of a file's text, ``None`` for no file; recomputed only when
    the file's inode, size or modification time changed."""
    try:
        st = os.stat(path)
    except OSError:
        _DIGESTS.pop(path, None)
        return None
    key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = _DIGESTS.get(path)
    if known and known[0] == key:
        return known[1]
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
    _DIGESTS[path] = (key, digest)
    return digest


def _record(root):
    """The formula's record's entries (``{}`` when there is none or it cannot be
    read), parsed again only when the file changed."""
    path = _at(root, RECORD)
    try:
        st = os.stat(path)
    except OSError:
        return {}
    key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
    if _RECORD.get("key") != key:
        try:
            with open(path, encoding="utf-8") as handle:
                entries = json.load(handle).get("entries", {})
        except (OSError, ValueError, AttributeError):
            entries = {}
        _RECORD.update(key=key, entries=entries if isinstance(entries, dict) else {})
    return _RECORD["entries"]


def _files_drift(root, concern, always=()):
    """The files the formula wrote for ``concern`` (and ``always``) that hold
    something else now."""
    recorded = {
        key[len("file:") :]: entry.get("after")
        for key, entry in _record(root).items()
        if key.startswith("file:") and isinstance(entry, dict) and entry.get("concern") == concern
    }
    differs = []
    for path in sorted(set(recorded) | set(always)):
        now = _digest(_at(root, path))
        wanted = recorded[path] if path in recorded else _FIRST.setdefault((root, path), now)
        if now != wanted:
            differs.append(
                f"{path} was changed since docker_host wrote it"
                if path in recorded
                else f"{path} was changed"
            )
    return differs


def _forwarding(config, root):
    differs = []
    for family, path in SWITCHES.items():
        wanted = config.get(family)
        if wanted is None:
            continue
        now = (_small(_at(root, path)) or "").strip()
        expected = "1" if wanted else "0"
        if now != expected:
            differs.append(f"{path} is {now or 'unreadable'}, not {expected}")
    return differs + _files_drift(root, "forwarding")


def _group_entry(root, group):
    """``(gid, members)`` of ``group`` in the tree's /etc/group, or ``None``."""
    for line in (_small(_at(root, "/etc/group")) or "").splitlines():
        fields = line.split(":")
        if len(fields) == 4 and fields[0] == group:
            try:
                gid = int(fields[2])
            except ValueError:
                return None
            return gid, [member for member in fields[3].split(",") if member]
    return None


def _socket(config, root):
    group = config.get("group", "docker")
    try:
        st = os.lstat(_at(root, SOCKET))
    except OSError:
        return []  # no socket: the service's verdict says why
    differs = []
    if not stat.S_ISSOCK(st.st_mode):
        return [f"{SOCKET} is not a socket"]
    entry = _group_entry(root, group)
    if st.st_uid != 0:
        differs.append(f"{SOCKET} is owned by uid {st.st_uid}, not root")
    if entry is None or st.st_gid != entry[0]:
        differs.append(f"{SOCKET} has gid {st.st_gid}, not the group {group}")
    if stat.S_IMODE(st.st_mode) != 0o660:
        differs.append(f"{SOCKET} has mode {stat.S_IMODE(st.st_mode):04o}, not 0660")
    return differs


def _service(config, root):
    name = config.get("service", "docker")
    unit = name if "." in name else f"{name}.service"
    differs = []
    pid = (_small(_at(root, PID_FILE)) or "").strip()
    comm = (_small(_at(root, f"/proc/{pid}/comm")) or "").strip() if pid.isdigit() else ""
    if comm != "dockerd":
        differs.append("dockerd is not running")
    wants = _at(root, f"/etc/systemd/system/multi-user.target.wants/{unit}")
    if not os.path.lexists(wants):
        differs.append(f"{unit} is not enabled")
    return differs


def _users(config, root):
    group = config.get("group", "docker")
    entry = _group_entry(root, group)
    if entry is None:
        return [f"the group {group} does not exist"]
    members = set(entry[1])
    wanted = set(config.get("members", []))
    differs = [f"{user} is not a member of {group}" for user in sorted(wanted - members)]
    if config.get("exclusive"):
        differs += [f"{user} is a member of {group}" for user in sorted(members - wanted)]
    return differs


_CHECKS = {
    "forwarding": _forwarding,
    "daemon": lambda config, root: _files_drift(root, "daemon", DAEMON_FILES),
    "socket": _socket,
    "service": _service,
    "users": _users,
}


def verdicts(config=None):
    """
    Return each watched concern's verdict now: ``{concern: [what differs]}``,
    an empty list where the host is as the formula configured it. ``config``
    as the beacon's (a mapping or Salt's list of mappings).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_drift.verdicts
        salt '*' docker_host_drift.verdicts '{"concerns": ["forwarding", "users"]}'
    """
    config = _wanted(as_mapping(config or {}))
    return {
        concern: sorted(_CHECKS[concern](config, config["root"])) for concern in config["concerns"]
    }


def changes(config=None):
    """
    Return the events for the concerns whose verdict changed since this was
    last called in this process (the beacon calls it at each interval): for
    each, ``tag`` (``drift/<concern>`` or ``converged/<concern>``),
    ``concern``, ``differs``, ``sls`` (the formula's SLS that repairs it) and
    ``repeat``. A concern that is as configured the first time it is looked
    at gives no event. A drift that lasts ``repeat`` seconds (default 300)
    with the same differences is reported again, with ``repeat`` true: a
    repair that was undone while it ran (a setting that flaps) is then
    tried again.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_drift.changes
    """
    config = _wanted(as_mapping(config or {}))
    events = []
    now = time.monotonic()
    for concern, differs in verdicts(config).items():
        key = (config["root"], concern)
        known, said = _VERDICTS.get(key, ([], now))
        repeat = bool(differs) and known == differs and now - said >= config["repeat"]
        if known == differs and not repeat:
            continue
        _VERDICTS[key] = (differs, now)
        events.append(
            {
                "tag": f"{'drift' if differs else 'converged'}/{concern}",
                "concern": concern,
                "differs": differs,
                "sls": f"{config['sls']}.{REPAIRS[concern]}",
                "repeat": repeat,
            }
        )
    return events
