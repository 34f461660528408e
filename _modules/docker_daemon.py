"""
Read and change the Docker daemon's configuration on SUSE.

SUSE's ``docker.service`` starts ``dockerd ... $DOCKER_OPTS`` with
``EnvironmentFile=/etc/sysconfig/docker``; dockerd also reads
``/etc/docker/daemon.json``, and refuses to start when a directive is set in
both. This module reads both the way they are really read, and edits them so
that what it writes starts:

- ``DOCKER_OPTS`` is split the way systemd splits an unquoted ``$VAR`` in
  ``ExecStart=`` (at whitespace; quotes and backslashes are honoured and
  removed, as systemd 252 does), and its flags are parsed the way dockerd's
  flag library does (``--name=value``, ``--name value``, ``-s value``,
  ``-svalue``, booleans as ``--name`` or ``--name=false``). Every flag is
  named by its ``daemon.json`` key (``-H`` is ``hosts``, ``-g`` is
  ``data-root``), so that the two files can be compared.
- Values written to ``DOCKER_OPTS`` never hold whitespace, quotes or
  backslashes, so every systemd version splits them the same; such values
  belong in ``daemon.json``.
- ``daemon.json`` is written atomically (temporary file, fsync, rename),
  ``root:root`` and never looser than ``0644`` (CIS Docker Benchmark 3.17,
  3.18), keys in their existing order.

:depends: the ``sysconfig`` module of this extension.
:configuration: none; every function takes ``root`` for an alternative root.

Why it is written by hand: no library knows dockerd's flags, their
``daemon.json`` names and systemd's splitting together.
"""

import contextlib
import difflib
import json
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_daemon"

SYSCONFIG = "/etc/sysconfig/docker"
DAEMON_JSON = "/etc/docker/daemon.json"

# dockerd's flags: long name -> (kind, daemon.json key). Kinds: "string",
# "int", "bool", "list" (repeatable), "map" (repeatable key=value).
FLAGS = {
    "add-runtime": ("list", "runtimes"),
    "allow-direct-routing": ("bool", "allow-direct-routing"),
    "allow-nondistributable-artifacts": ("list", "allow-nondistributable-artifacts"),
    "api-cors-header": ("string", "api-cors-header"),
    "authorization-plugin": ("list", "authorization-plugins"),
    "bip": ("string", "bip"),
    "bridge": ("string", "bridge"),
    "cdi-spec-dir": ("list", "cdi-spec-dirs"),
    "cgroup-parent": ("string", "cgroup-parent"),
    "config-file": ("string", None),
    "containerd": ("string", "containerd"),
    "containerd-namespace": ("string", "containerd-namespace"),
    "containerd-plugins-namespace": ("string", "containerd-plugins-namespace"),
    "cpu-rt-period": ("int", "cpu-rt-period"),
    "cpu-rt-runtime": ("int", "cpu-rt-runtime"),
    "cri-containerd": ("bool", "cri-containerd"),
    "data-root": ("string", "data-root"),
    "debug": ("bool", "debug"),
    "default-address-pool": ("list", "default-address-pools"),
    "default-cgroupns-mode": ("string", "default-cgroupns-mode"),
    "default-gateway": ("string", "default-gateway"),
    "default-gateway-v6": ("string", "default-gateway-v6"),
    "default-ipc-mode": ("string", "default-ipc-mode"),
    "default-network-opt": ("map", "default-network-opts"),
    "default-runtime": ("string", "default-runtime"),
    "default-shm-size": ("string", "default-shm-size"),
    "default-ulimit": ("list", "default-ulimits"),
    "dns": ("list", "dns"),
    "dns-opt": ("list", "dns-opts"),
    "dns-search": ("list", "dns-search"),
    "exec-opt": ("list", "exec-opts"),
    "exec-root": ("string", "exec-root"),
    "experimental": ("bool", "experimental"),
    "feature": ("map", "features"),
    "firewall-backend": ("string", "firewall-backend"),
    "fixed-cidr": ("string", "fixed-cidr"),
    "fixed-cidr-v6": ("string", "fixed-cidr-v6"),
    "group": ("string", "group"),
    "host": ("list", "hosts"),
    "host-gateway-ip": ("string", "host-gateway-ip"),
    "http-proxy": ("string", "http-proxy"),
    "https-proxy": ("string", "https-proxy"),
    "icc": ("bool", "icc"),
    "init": ("bool", "init"),
    "init-path": ("string", "init-path"),
    "insecure-registry": ("list", "insecure-registries"),
    "ip": ("string", "ip"),
    "ip-forward": ("bool", "ip-forward"),
    "ip-forward-no-drop": ("bool", "ip-forward-no-drop"),
    "ip-masq": ("bool", "ip-masq"),
    "ip6tables": ("bool", "ip6tables"),
    "iptables": ("bool", "iptables"),
    "ipv6": ("bool", "ipv6"),
    "label": ("list", "labels"),
    "live-restore": ("bool", "live-restore"),
    "log-driver": ("string", "log-driver"),
    "log-format": ("string", "log-format"),
    "log-level": ("string", "log-level"),
    "log-opt": ("map", "log-opts"),
    "max-concurrent-downloads": ("int", "max-concurrent-downloads"),
    "max-concurrent-uploads": ("int", "max-concurrent-uploads"),
    "max-download-attempts": ("int", "max-download-attempts"),
    "metrics-addr": ("string", "metrics-addr"),
    "mtu": ("int", "mtu"),
    "network-control-plane-mtu": ("int", "network-control-plane-mtu"),
    "no-new-privileges": ("bool", "no-new-privileges"),
    "no-proxy": ("string", "no-proxy"),
    "node-generic-resource": ("list", "node-generic-resources"),
    "oom-score-adjust": ("int", "oom-score-adjust"),
    "pidfile": ("string", "pidfile"),
    "raw-logs": ("bool", "raw-logs"),
    "registry-mirror": ("list", "registry-mirrors"),
    "rootless": ("bool", "rootless"),
    "seccomp-profile": ("string", "seccomp-profile"),
    "selinux-enabled": ("bool", "selinux-enabled"),
    "shutdown-timeout": ("int", "shutdown-timeout"),
    "storage-driver": ("string", "storage-driver"),
    "storage-opt": ("list", "storage-opts"),
    "swarm-default-advertise-addr": ("string", "swarm-default-advertise-addr"),
    "tls": ("bool", "tls"),
    "tlscacert": ("string", "tlscacert"),
    "tlscert": ("string", "tlscert"),
    "tlskey": ("string", "tlskey"),
    "tlsverify": ("bool", "tlsverify"),
    "userland-proxy": ("bool", "userland-proxy"),
    "userland-proxy-path": ("string", "userland-proxy-path"),
    "userns-remap": ("string", "userns-remap"),
    "validate": ("bool", None),
}
SHORTHANDS = {
    "b": "bridge",
    "D": "debug",
    "G": "group",
    "H": "host",
    "l": "log-level",
    "p": "pidfile",
    "s": "storage-driver",
    "g": "data-root",
}
# Spellings dockerd no longer takes, and the release that removed them.
REMOVED = {"graph": ("data-root", 23), "g": ("data-root", 23)}
FLAGS_BY_KEY = {key: name for name, (_, key) in FLAGS.items() if key}
FLAGS_WITH_KEYS = sorted(name for name, (_, key) in FLAGS.items() if key)
# Legacy daemon.json keys and their current names.
JSON_ALIASES = {"graph": "data-root"}

_SYSTEMD_WHITESPACE = " \t\n\r"
# What Go's strconv.ParseBool takes, which dockerd's flags use.
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_UNSAFE_IN_DOCKER_OPTS = re.compile(r"[\s'\"\\]")


def __virtual__():
    return __virtualname__


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _split_spans(value):
    """Split as systemd does; return [(word, start, end)] with offsets into ``value``."""
    words, index, length = [], 0, len(value)
    while True:
        while index < length and value[index] in _SYSTEMD_WHITESPACE:
            index += 1
        if index >= length:
            return words
        start, word, quote = index, [], None
        while index < length:
            char = value[index]
            if char == "\\":
                if index + 1 < length:
                    word.append(value[index + 1])
                index += 2
                continue
            if quote:
                if char == quote:
                    quote = None
                else:
                    word.append(char)
            elif char in _SYSTEMD_WHITESPACE:
                break
            elif char in "'\"":
                quote = char
            else:
                word.append(char)
            index += 1
        words.append(("".join(word), start, min(index, length)))


def split_like_systemd(value):
    """
    Split ``value`` into arguments the way systemd expands ``$VAR`` in ``ExecStart=``.

    At whitespace; single and double quotes group and are removed; a
    backslash keeps the next character and is removed; an unterminated quote
    runs to the end.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.split_like_systemd '--label "a b" -s btrfs'
    """
    return [word for word, _, _ in _split_spans(value or "")]


def _flag(name):
    """Return (long name, kind, key, removed) for a flag name without dashes, or None."""
    removed = REMOVED.get(name)
    long_name = removed[0] if removed else SHORTHANDS.get(name, name)
    if long_name not in FLAGS:
        return None
    kind, key = FLAGS[long_name]
    return long_name, kind, key, removed


def parse_args(args):
    """
    Parse dockerd arguments as its flag library does: what dockerd would
    read from them.

    Return ``{"flags": {key: value}, "unknown": [...], "removed": [...],
    "spelling": {key: [flag as written]}}``; list and map flags collect every
    occurrence in a list, booleans become ``True``/``False``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.parse_args '["-s", "btrfs", "--log-level=warn", "-D"]'
    """
    flags, unknown, removed, spelling = {}, [], [], {}
    index = 0

    def store(written, name, found, value):
        if found is None:
            unknown.append(written)
            return
        long_name, kind, key, gone = found
        key = key or long_name
        if gone:
            flag = f"-{name}" if len(name) == 1 else f"--{name}"
            removed.append({"flag": flag, "use": f"--{long_name}", "removed_in": gone[1]})
        if kind == "bool":
            if value is None or value in _GO_TRUE:
                value = True
            elif value in _GO_FALSE:
                value = False
            else:
                unknown.append(written)
                return
        if kind in ("list", "map"):
            flags.setdefault(key, []).append(value)
        else:
            flags[key] = value
        spelling.setdefault(key, []).append(written)

    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            # The flag library ends the flags here; what follows is a
            # positional argument, which dockerd refuses.
            unknown.extend(args[index - 1 :])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            # Two dashes name a long flag; "--D" is no flag at all.
            found = _flag(name) if len(name) > 1 else None
            if found and found[1] != "bool" and not eq:
                if index >= len(args):
                    unknown.append(arg)
                    break
                value = args[index]
                index += 1
                store(f"{arg} {value}", name, found, value)
            else:
                store(arg, name, found, value if eq else None)
        elif arg.startswith("-") and len(arg) > 1:
            # Shorthands: "-D", "-s overlay2", "-soverlay2", "-s=overlay2", "-Ds x".
            position = 1
            while position < len(arg):
                name = arg[position]
                found = _flag(name)
                if found is None:
                    unknown.append(arg)
                    break
                if found[1] == "bool":
                    if arg[position + 1 : position + 2] == "=":
                        store(arg, name, found, arg[position + 2 :])
                        break
                    store(f"-{name}", name, found, None)
                    position += 1
                    continue
                rest = arg[position + 1 :]
                if rest.startswith("="):
                    rest = rest[1:]
                if not rest:
                    if index >= len(args):
                        unknown.append(arg)
                        break
                    rest = args[index]
                    index += 1
                    store(f"{arg} {rest}", name, found, rest)
                else:
                    store(arg, name, found, rest)
                break
        else:
            unknown.append(arg)
    # dockerd refuses the old and the new name of data-root together.
    written = spelling.get("data-root", [])
    if any(w.startswith(("-g", "--graph")) for w in written) and any(
        w.startswith("--data-root") for w in written
    ):
        unknown.append("--graph (or -g) together with --data-root")
    return {"flags": flags, "unknown": unknown, "removed": removed, "spelling": spelling}


def _path(path, root):
    return __salt__["sysconfig.resolve"](path, root=root)


def parse_daemon_json(text):
    """
    Read the text of a daemon.json as dockerd reads it. Return ``(settings,
    problem)``: ``settings`` by their current names (``graph`` is
    ``data-root``), or ``None`` when dockerd could not read the file at all;
    ``problem`` says what dockerd would refuse, or is ``None``. An empty file
    holds no settings.

    The docker_host grain reads daemon.json through this too (it loads this
    file by path, without ``__salt__``, so this function must not use it).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.parse_daemon_json '{"graph": "/srv/docker"}'
    """
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as err:
        return None, f"is not valid JSON ({err}); dockerd would not start"
    if not isinstance(data, dict):
        return None, f"must hold a JSON object, not {type(data).__name__}"
    settings = {JSON_ALIASES.get(key, key): value for key, value in data.items()}
    if "graph" in data and "data-root" in data:
        return settings, "sets both graph and data-root, and dockerd refuses that: keep data-root"
    return settings, None


def _read_daemon_json(root):
    """Return the parsed daemon.json (``None`` when there is none)."""
    path = _path(DAEMON_JSON, root)
    return _parsed_daemon_json(path, __salt__["docker_host_files.read_text"](path))


def _parsed_daemon_json(path, text):
    if text is None:
        return None
    settings, problem = parse_daemon_json(text)
    if problem:
        # Text that is no JSON at all is the one an administrator may think
        # a write would repair: say that nothing will touch it.
        left = ". Fix it by hand: it was left untouched" if "valid JSON" in problem else ""
        raise CommandExecutionError(f"{path} {problem}{left}")
    return settings


def _docker_opts(root):
    """DOCKER_OPTS as bash reads it, or None when there is no /etc/sysconfig/docker."""
    if not os.path.exists(_path(SYSCONFIG, root)):
        return None
    return __salt__["sysconfig.get"](SYSCONFIG, "DOCKER_OPTS", default="", root=root)


def options(root=None):
    """
    Return the daemon's effective configuration, from DOCKER_OPTS and daemon.json.

    ``docker_opts`` (the raw value) and ``args`` (as systemd splits it);
    ``flags`` (from DOCKER_OPTS, by daemon.json key; repeated flags as
    lists); ``daemon_json``; ``effective`` (both merged); ``sources`` (where
    each key came from); ``conflicts`` (keys set in both: dockerd refuses to
    start); ``unknown`` (arguments dockerd would not take); ``removed``
    (spellings current engines no longer take).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.options
        salt '*' docker_daemon.options root=/srv/kiwi/image-root
    """
    return _configuration(root)


def _configuration(root):
    raw = _docker_opts(root)
    args = split_like_systemd(raw)
    parsed = parse_args(args)
    from_json = _read_daemon_json(root)
    effective, sources = {}, {}
    for key, value in (from_json or {}).items():
        effective[key], sources[key] = value, "daemon.json"
    for key, value in parsed["flags"].items():
        effective[key], sources[key] = value, "DOCKER_OPTS"
    return {
        "docker_opts": raw,
        "args": args,
        "flags": parsed["flags"],
        "daemon_json": from_json,
        "effective": effective,
        "sources": sources,
        "conflicts": sorted(set(parsed["flags"]) & _directives(from_json)),
        "unknown": parsed["unknown"],
        "removed": parsed["removed"],
    }


def _directives(daemon_json):
    """The directives a daemon.json sets, as dockerd compares them with its flags:
    proxies' keys each on their own; runtimes, which it merges, not at all."""
    found = set(daemon_json or {}) - MERGED_KEYS
    proxies = (daemon_json or {}).get("proxies")
    if isinstance(proxies, dict):
        found |= set(proxies)
    return found


def socket_group(root=None):
    """
    Return the group of the daemon's socket as configured: its ``group``
    option from DOCKER_OPTS or daemon.json, else ``docker``, dockerd's default.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.socket_group
        salt '*' docker_daemon.socket_group root=/srv/kiwi/image-root
    """
    return _socket_group_of(_configuration(root))


def _socket_group_of(configuration):
    return configuration["effective"].get("group", "docker")


def set_socket_group(group, root=None):
    """
    Make ``group`` the group of the daemon's socket: its ``group`` option, in
    the file that holds it already (daemon.json when only it does, or when
    there is no ``/etc/sysconfig/docker``; DOCKER_OPTS otherwise).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.set_socket_group ops
    """
    current = _configuration(root)
    in_json = "group" in (current["daemon_json"] or {}) and "group" not in current["flags"]
    if in_json or current["docker_opts"] is None:
        return set_daemon_json({"group": group}, root=root)
    return set_docker_opts({"group": group}, root=root)


# --------------------------------------------------------------------------
# Writing DOCKER_OPTS
# --------------------------------------------------------------------------


def normalize_key(name):
    """
    Return the daemon.json key for a flag or key name (``-s``, ``--storage-driver``,
    ``storage_driver``, ``storage-driver``), or raise ``SaltInvocationError``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.normalize_key -H
    """
    text = str(name).strip().lstrip("-").replace("_", "-")
    if text in FLAGS_BY_KEY:
        return text
    found = _flag(text)
    if found is None or found[2] is None:
        match = difflib.get_close_matches(text, [*FLAGS_BY_KEY, *FLAGS_WITH_KEYS], n=1, cutoff=0.75)
        hint = f"did you mean {match[0]}?" if match else "see 'dockerd --help' for the names"
        raise SaltInvocationError(f"{name!r} is not a dockerd option: {hint}")
    if found[3]:
        raise SaltInvocationError(
            f"{name!r} was removed in Docker Engine {found[3][1]}: use {found[0]!r}"
        )
    return found[2]


def _render_flag(key, value):
    """Render one option as DOCKER_OPTS flags; refuse what systemd may split."""
    long_name = FLAGS_BY_KEY[key]
    kind = FLAGS[long_name][0]
    if kind == "map" and isinstance(value, dict):
        value = [f"{k}={v}" for k, v in value.items()]
    values = value if isinstance(value, list) else [value]
    if kind not in ("list", "map") and len(values) != 1:
        raise SaltInvocationError(f"{key} takes one value, not a list: {value!r}")
    rendered = []
    for item in values:
        if kind == "bool":
            if not isinstance(item, bool):
                raise SaltInvocationError(f"{key} is a boolean; got {item!r}")
            rendered.append(f"--{long_name}" if item else f"--{long_name}=false")
            continue
        if isinstance(item, (dict, list)) or item is None:
            raise SaltInvocationError(
                f"{key}={item!r} cannot be written as a flag; put it in daemon_json"
            )
        text = str(item)
        if not text or _UNSAFE_IN_DOCKER_OPTS.search(text):
            raise SaltInvocationError(
                f"{key}={text!r}: systemd splits DOCKER_OPTS at whitespace (and older "
                "versions do not honour quotes), so a value that is empty or holds "
                "whitespace, quotes or backslashes cannot go there; put it in daemon_json"
            )
        rendered.append(f"--{long_name}={text}")
    return rendered


def _pieces(raw):
    """Cut DOCKER_OPTS into pieces: one flag with its value, as written."""
    spans = _split_spans(raw or "")
    args = [word for word, _, _ in spans]
    pieces, index = [], 0
    while index < len(spans):
        width = 2 if _takes_next(args, index) else 1
        parsed = parse_args(args[index : index + width])
        text = raw[spans[index][1] : spans[index + width - 1][2]]
        pieces.append((parsed["flags"], text))
        index += width
    return pieces


def _plan_docker_opts(current, wanted, exclusive=False):
    """Return the new DOCKER_OPTS for ``wanted`` (``{key: value}``; ``None`` removes).

    Options set by hand are kept as written unless ``exclusive``; an option
    that already has the wanted value is kept as written too (``-s btrfs``
    stays); a changed option takes the place of the first one it replaces; a
    new one is appended.
    """
    normalized = {
        key: None if value is None else parse_args(_render_flag(key, value))["flags"][key]
        for key, value in wanted.items()
    }
    current_flags = parse_args(split_like_systemd(current))["flags"]

    def stays(key):
        """The key's value does not change: its pieces may stay as written."""
        if key in wanted:
            return normalized[key] is not None and current_flags.get(key) == normalized[key]
        return not exclusive

    # Keys already as wanted count as placed: they are where they were.
    result, placed = [], {key for key in wanted if stays(key)}
    for flags, text in _pieces(current):
        if all(stays(key) for key in flags) if flags else not exclusive:
            result.append(text)  # as written, a combined shorthand (-Ds btrfs) too
            continue
        # A piece that changes: each key that stays keeps this piece's own values
        # (a repeatable flag may have others elsewhere); a changed key is written
        # whole where it first appeared.
        for key in flags:
            if stays(key):
                result.extend(_render_flag(key, flags[key]))
            elif key in wanted and key not in placed:
                placed.add(key)
                if normalized[key] is not None:
                    result.extend(_render_flag(key, wanted[key]))
    for key, value in wanted.items():
        if key not in placed and value is not None:
            result.extend(_render_flag(key, value))
    return " ".join(result)


def _takes_next(args, index):
    """Whether the flag at ``args[index]`` takes the next argument as its value."""
    arg = args[index]
    if index + 1 >= len(args):
        return False
    if arg.startswith("--"):
        name, eq, _ = arg[2:].partition("=")
        found = _flag(name)
        return bool(found) and found[1] != "bool" and not eq
    if arg.startswith("-") and len(arg) > 1:
        for position in range(1, len(arg)):
            found = _flag(arg[position])
            if found is None:
                return False
            if found[1] != "bool":
                return position == len(arg) - 1
    return False


def set_docker_opts(options, exclusive=False, root=None, test=False):
    """
    Set daemon options in DOCKER_OPTS (``/etc/sysconfig/docker``).

    options
        ``{key: value}`` by daemon.json key or flag name (``storage-driver``,
        ``-s``, ``hosts``); lists for repeatable flags; ``True``/``False`` for
        booleans; ``None`` removes the option.

    exclusive
        Own the whole of DOCKER_OPTS: options not listed are removed.

    Options set by hand are kept (unless ``exclusive``). Returns the
    ``sysconfig.set`` result: ``old``, ``new``, ``changed``, ``diff``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.set_docker_opts '{"storage-driver": "btrfs"}'
        salt '*' docker_daemon.set_docker_opts '{"log-level": "warn"}' exclusive=True test=True
    """
    wanted = {normalize_key(key): value for key, value in (options or {}).items()}
    for _ in range(_ATTEMPTS):
        current = _docker_opts(root)
        if current is None:
            raise CommandExecutionError(
                f"{_path(SYSCONFIG, root)} does not exist: install the docker package, which "
                "creates it"
            )
        new = _plan_docker_opts(current, wanted, exclusive=exclusive)
        # Written only if DOCKER_OPTS still holds what the new value was made from:
        # a parallel writer's options are never lost, this call plans again.
        with _recording({SYSCONFIG: ["DOCKER_OPTS"]}, root, test):
            result = __salt__["sysconfig.set"](
                SYSCONFIG, "DOCKER_OPTS", new, root=root, test=test, expect=current
            )
        if not result.pop("conflict"):
            return result
    raise _kept_changing("DOCKER_OPTS", _path(SYSCONFIG, root))


def remove_docker_opts(keys, root=None, test=False):
    """
    Remove daemon options from DOCKER_OPTS, in every spelling (``-s``,
    ``--storage-driver=…``, ``--storage-driver …``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.remove_docker_opts '["storage-driver", "-g"]'
    """
    if isinstance(keys, str):
        keys = [keys]
    return set_docker_opts(dict.fromkeys(keys), root=root, test=test)


# --------------------------------------------------------------------------
# Writing daemon.json
# --------------------------------------------------------------------------


# How often a read-modify-write starts over when another writer changed the
# file between its read and its write.
_ATTEMPTS = 100


def _kept_changing(label, path):
    return CommandExecutionError(
        f"{label} in {path} kept changing while it was written ({_ATTEMPTS} tries): another "
        "program writes it all the time. Nothing was written"
    )


def _plan_daemon_json(current, wanted, exclusive=False):
    """Return the new daemon.json mapping (existing key order kept, new keys last)."""
    result = {} if exclusive else dict(current or {})
    for key, value in wanted.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _json_text(data):
    return json.dumps(data, indent=2) + "\n"


def set_daemon_json(settings, exclusive=False, root=None, test=False):
    """
    Set keys in ``/etc/docker/daemon.json``; ``None`` removes a key.

    An existing file that is not valid JSON is an error, and is left
    untouched. The file is written atomically, ``0644 root:root``.
    Returns ``file``, ``old``, ``new`` (the mappings), ``changed``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.set_daemon_json '{"log-level": "warn", "live-restore": true}'
    """
    if not isinstance(settings, dict):
        raise SaltInvocationError(f"settings must be a mapping, not {type(settings).__name__}")
    for key in settings:
        if not isinstance(key, str) or not key:
            raise SaltInvocationError(f"{key!r} is not a daemon.json key")
    return _change_daemon_json(
        root, lambda current: _plan_daemon_json(current, settings, exclusive=exclusive), test
    )


_ANY = object()


def _recording(files, root, test=False):
    """What a write of the daemon's files does is recorded, so that
    ``docker_host.clean`` can take it back (``docker_host_record``)."""
    if test:
        return contextlib.nullcontext()
    return __salt__["docker_host_record.recording"]("daemon", files, root=root)


def _change_daemon_json(root, change, test=False, expect=_ANY):
    """Read daemon.json, make ``change(current)`` of it, write it only if the file
    still holds what was read (else start over); with ``expect``, only if it holds
    that mapping (``None``: no file)."""
    path = _path(DAEMON_JSON, root)
    for _ in range(_ATTEMPTS):
        text = __salt__["docker_host_files.read_text"](path)
        current = _parsed_daemon_json(path, text)
        if expect is not _ANY and current != expect:
            raise CommandExecutionError(
                "daemon.json changed after the plan was made: plan again. Nothing was written"
            )
        new = change(current)
        changed = new != current and not (current is None and not new)
        result = {"file": path, "old": current, "new": new, "changed": changed}
        if not changed or test:
            return result
        # CIS Docker Benchmark 3.17/3.18: root:root, and never looser than 0644.
        with _recording({DAEMON_JSON: []}, root):
            wrote = __salt__["docker_host_files.write_atomic"](
                path, _json_text(new), mode=0o644, expect=False if text is None else text, root=root
            )
        if wrote:
            return result
    raise _kept_changing("daemon.json", path)


def remove_daemon_json(keys, root=None, test=False):
    """
    Remove keys from ``/etc/docker/daemon.json``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.remove_daemon_json '["storage-driver"]'
    """
    if isinstance(keys, str):
        keys = [keys]
    return set_daemon_json(dict.fromkeys(keys), root=root, test=test)


# daemon.json keys that have no flag.
JSON_ONLY_KEYS = {"builder", "proxies"}
KNOWN_JSON_KEYS = set(FLAGS_BY_KEY) | JSON_ONLY_KEYS


DEFAULT_URL = "unix:///run/docker.sock"


def daemon_url(address=None):
    """
    Return the address of the Docker daemon: ``address`` when given, else
    ``DOCKER_HOST``, else the minion option ``docker.url`` (the one Salt's own
    docker module uses), else ``unix:///run/docker.sock``. Every module of
    this extension that talks to the daemon asks this.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.daemon_url
    """
    return address or os.environ.get("DOCKER_HOST") or __opts__.get("docker.url") or DEFAULT_URL


def engine_major(version):
    """
    Return the major release of a Docker Engine version (``25`` for
    ``25.0.5``, ``20`` for ``20.10.24+dfsg1``), or ``None`` when it has none.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.engine_major 25.0.5
    """
    try:
        return int(str(version).split(".", 1)[0])
    except (TypeError, ValueError):
        return None


def engine_version(url=None):  # pragma: no mutate block (a mutant could start dockerd itself)
    """
    Return the Docker engine's version: from the daemon when it answers at
    ``url`` (default: ``DOCKER_HOST``, the minion option ``docker.url``, the
    default socket), else from ``dockerd --version``; ``None`` when neither
    tells.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.engine_version
    """
    address = daemon_url(url)
    try:
        import docker  # noqa: PLC0415  (only this function needs docker-py)

        client = docker.DockerClient(base_url=address, timeout=3)
        try:
            return client.version().get("Version")
        finally:
            client.close()
    except Exception:  # pylint: disable=broad-except
        pass
    result = __salt__["cmd.run_all"](
        ["dockerd", "--version"], python_shell=False, ignore_retcode=True, output_loglevel="quiet"
    )
    match = re.search(r"version\s+([0-9][^\s,]*)", result.get("stdout") or "")
    return match.group(1) if match else None


# The packages that install dockerd: SUSE's, Debian's, Docker's own, Fedora's.
ENGINE_PACKAGES = ("docker", "docker.io", "docker-ce", "moby-engine")
DPKG_STATUS = "/var/lib/dpkg/status"
# Where the rpm database lives: usrmerged SUSE releases, then the classic place.
RPM_DATABASES = ("/usr/lib/sysimage/rpm", "/var/lib/rpm")


def _dpkg_engine(text):
    """(package, upstream version) of the installed engine in dpkg's status
    file text (``5:24.0.7-1~debian.12`` gives ``24.0.7``), or None."""
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
        if fields.get("Package") in ENGINE_PACKAGES and fields.get("Status", "").endswith(
            " installed"
        ):
            version = re.sub(r"^\d+:", "", fields.get("Version", ""))
            if version:
                return fields["Package"], version.rsplit("-", 1)[0]
    return None


def installed_engine(root):
    """
    Return the Docker Engine installed in the image under ``root``, from the
    image's package database, without running anything of the image:
    ``{"version": "24.0.7_ce", "seen": "..."}``, or ``{"version": None,
    "seen": why}`` when it cannot be told. dpkg's status file is read as a
    file; an rpm database is read with this machine's ``rpm --root``, which
    reads every database format rpm has (SUSE's ndb and sqlite included).
    This host's engine is ``engine_version``'s.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.installed_engine /srv/image-root
    """
    image = __salt__["sysconfig.image_root"](root)
    if image is None:
        raise SaltInvocationError(
            "installed_engine reads an image root; this host's is engine_version"
        )
    status = __salt__["docker_host_files.read_text"](_path(DPKG_STATUS, image))
    found = _dpkg_engine(status) if status else None
    if found:
        return {"version": found[1], "seen": f"the image's dpkg status: {found[0]} {found[1]}"}
    database = next((path for path in RPM_DATABASES if os.path.isdir(_path(path, image))), None)
    if database is None:
        return {
            "version": None,
            "seen": f"the image has no docker package in {DPKG_STATUS} and no rpm database",
        }
    try:
        result = __salt__["cmd.run_all"](
            [
                "rpm",
                f"--root={image}",
                f"--dbpath={database}",
                "-q",
                "--qf",
                "%{NAME} %{VERSION}\\n",
                *ENGINE_PACKAGES,
            ],
            python_shell=False,
            ignore_retcode=True,
            output_loglevel="quiet",
        )
    except CommandExecutionError as err:
        return {"version": None, "seen": f"the image's rpm database cannot be read here: {err}"}
    for line in (result.get("stdout") or "").splitlines():
        name, _, version = line.partition(" ")
        if name in ENGINE_PACKAGES and version and " " not in version:
            return {"version": version, "seen": f"the image's rpm database: {name} {version}"}
    return {"version": None, "seen": "the image's package databases hold no docker package"}


def image_count(data_root=None, driver=None, root=None):
    """
    Count the images dockerd keeps under ``data_root`` for ``driver`` (every
    driver when not given), from the image store on disk; the daemon need not
    run.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.image_count /var/lib/docker overlay2
    """
    base = _path(os.path.join(data_root or "/var/lib/docker", "image"), root)
    try:
        drivers = [driver] if driver else os.listdir(base)
    except OSError:
        return 0
    count = 0
    for name in drivers:
        try:
            count += len(os.listdir(os.path.join(base, name, "imagedb", "content", "sha256")))
        except OSError:
            continue
    return count


def known_json_keys():
    """
    Return the keys dockerd takes in daemon.json.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.known_json_keys
    """
    return sorted(KNOWN_JSON_KEYS)


# Keys dockerd merges from both places instead of refusing them twice.
MERGED_KEYS = {"runtimes"}
# Runtimes SUSE's docker.service defines itself (--add-runtime in ExecStart=).
UNIT_RUNTIMES = {"oci"}
# daemon.json keys whose JSON form is not the flag's.
_JSON_FORMS = {
    "runtimes": dict,
    "default-ulimits": dict,
    "default-address-pools": list,
    "log-opts": dict,
    "default-network-opts": dict,
    "features": dict,
    "builder": dict,
    "proxies": dict,
}
_CHOICES = {
    "log-level": {"debug", "info", "warn", "error", "fatal"},
    "default-cgroupns-mode": {"host", "private"},
    "default-ipc-mode": {"shareable", "private"},
}
_WHOLE = re.compile(r"-?[0-9]+")
_ABSOLUTE = {"data-root", "exec-root", "pidfile", "init-path", "userland-proxy-path"}


def _kind(key):
    name = FLAGS_BY_KEY.get(key)
    return FLAGS[name][0] if name else None


def _check_text(key, text):
    if key in _CHOICES and text not in _CHOICES[key]:
        return f"must be one of {', '.join(sorted(_CHOICES[key]))}, not {text!r}"
    if key in _ABSOLUTE and not text.startswith("/"):
        return f"must be an absolute path, not {text!r}"
    if key == "exec-opts" and text.startswith("native.cgroupdriver="):
        driver = text.split("=", 1)[1]
        if driver not in ("cgroupfs", "systemd"):
            return f"native.cgroupdriver must be cgroupfs or systemd, not {driver!r}"
    if key == "runtimes":
        name = text.split("=", 1)[0]
        if name in UNIT_RUNTIMES:
            return f"runtime {name!r} is defined by SUSE's docker.service already"
    return None


def validate(key, value, target):
    """
    Return why ``value`` cannot be ``key`` in ``target`` (``DOCKER_OPTS`` or
    ``daemon.json``), or None: the types and values dockerd takes (the
    values' own syntax is ``docker_daemon_values``').

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.validate mtu 1500 daemon.json
        salt '*' docker_daemon.validate registry-mirrors '["mirror.example.com"]' daemon.json
    """
    if value is None:
        return None
    if target == "daemon.json" and key in PROXY_FLAGS:
        return (
            "belongs under proxies in daemon.json ({proxies: {"
            f"{key}: ...}}}}, read by Engine 23 and later); dockerd refuses it at the top"
        )
    return _form_problem(key, value, target) or __salt__["docker_daemon_values.problem"](key, value)


# The proxy's flags (Engine 23 and later); daemon.json nests them under proxies.
PROXY_FLAGS = ("http-proxy", "https-proxy", "no-proxy")


def _form_problem(key, value, target):
    """Why ``value`` is not of the kind and form ``key`` takes in ``target``."""
    if key in JSON_ONLY_KEYS:
        if target == "DOCKER_OPTS":
            return "has no flag: put it in daemon_json"
        return None if isinstance(value, dict) else "must be a mapping"
    kind = _kind(key)
    if kind is None:
        return "is not a dockerd option"
    json_form = _JSON_FORMS.get(key) if target == "daemon.json" else None
    if json_form is dict:
        if not isinstance(value, dict):
            return "must be a mapping in daemon.json"
        if key == "runtimes":
            clash = set(value) & UNIT_RUNTIMES
            if clash:
                return f"runtime {sorted(clash)[0]!r} is defined by SUSE's docker.service already"
        if key == "log-opts" and not all(isinstance(v, str) for v in value.values()):
            return 'takes string values only (quote numbers: max-file: "3")'
        # dockerd reads it as map[string]map[string]string: options by network driver.
        if key == "default-network-opts" and not all(
            isinstance(opts, dict) and all(isinstance(v, str) for v in opts.values())
            for opts in value.values()
        ):
            return (
                "maps each network driver to its options, string values only "
                '(bridge: {com.docker.network.driver.mtu: "1450"})'
            )
        return None
    if json_form is list:
        return None if isinstance(value, list) else "must be a list in daemon.json"
    if kind == "bool":
        return None if isinstance(value, bool) else f"is a switch: true or false, not {value!r}"
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            # In DOCKER_OPTS a number may be written as text: ASCII digits only.
            if target == "DOCKER_OPTS" and isinstance(value, str) and _WHOLE.fullmatch(value):
                return None
            return f"is a whole number, not {value!r}"
        return None
    if kind in ("list", "map"):
        # A map in daemon.json returned above (every map option is in _JSON_FORMS).
        if kind == "map" and isinstance(value, dict):
            items = [f"{k}={v}" for k, v in value.items()]
        elif isinstance(value, list):
            items = value
        elif target == "DOCKER_OPTS" and isinstance(value, str):
            items = [value]
        else:
            return "must be a list"
        for item in items:
            if not isinstance(item, str):
                return f"takes strings, not {item!r}"
            why = _check_text(key, item)
            if why:
                return why
        return None
    if not isinstance(value, str):
        return f"takes a string, not {value!r}"
    return _check_text(key, value)


# Flags that came after Docker Engine 20.10: only for these is dockerd asked.
NEWER_KEYS = {
    "allow-direct-routing",
    "cdi-spec-dirs",
    "default-network-opts",
    "features",
    "firewall-backend",
    "http-proxy",
    "https-proxy",
    "no-proxy",
    "ip-forward-no-drop",
    "log-format",
}


def unsupported_keys(keys):
    """
    Return those of ``keys`` this host's dockerd does not take. Only keys that
    came after Docker Engine 20.10 are looked up (``dockerd --help``); none
    are refused when there is no dockerd to ask.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.unsupported_keys '["http-proxy", "debug"]'
    """
    newer = sorted(set(keys) & NEWER_KEYS)
    if not newer:
        return []
    supported = supported_keys()
    if supported is None:
        return []
    return [key for key in newer if key not in supported]


def supported_keys():  # pragma: no mutate block (a mutant could start dockerd itself)
    """
    Return the daemon.json names of the flags this host's dockerd takes (from
    ``dockerd --help``), or None when there is no dockerd to ask.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.supported_keys
    """
    if "docker_daemon.supported_keys" not in __context__:
        result = __salt__["cmd.run_all"](
            ["dockerd", "--help"],
            python_shell=False,
            ignore_retcode=True,
            output_loglevel="quiet",
        )
        names = set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", result.get("stdout") or "", re.M))
        keys = {FLAGS[name][1] for name in names if name in FLAGS and FLAGS[name][1]}
        __context__["docker_daemon.supported_keys"] = sorted(keys) if keys else None
    return __context__["docker_daemon.supported_keys"]


def merged_keys():
    """
    Return the daemon.json keys dockerd merges from flags and file instead of
    refusing them twice.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.merged_keys
    """
    return sorted(MERGED_KEYS)


# --------------------------------------------------------------------------
# Plan and apply a wanted configuration
# --------------------------------------------------------------------------


def _check_driver(driver, data_root, root):
    """Return the driver to configure (``auto`` resolved) and a warning (or "");
    refuse one that cannot run under ``data_root`` (the wanted one, else the
    configured one) on this host, or in the image under ``root``."""
    image = __salt__["sysconfig.image_root"](root)
    storage = __salt__["docker_host_facts.collect"](root=image, data_root=data_root)["storage"]
    drivers = storage.get("drivers") or {}
    where = "on this host" if image is None else f"in the image under {image}"
    if driver == "auto":
        if not storage.get("fstype"):
            raise CommandExecutionError(
                f"storage_driver auto needs the data-root's filesystem, which cannot be seen "
                f"{where} ({storage['unknown']['filesystem']}): name the driver "
                "(docker_host:daemon:storage_driver)"
            )
        if storage.get("recommended") is None:
            raise CommandExecutionError(
                f"storage_driver auto cannot choose {where}: "
                f"{storage['unknown']['recommended']}: name the driver "
                "(docker_host:daemon:storage_driver)"
            )
        return storage["recommended"], ""
    if driver not in drivers:
        raise CommandExecutionError(
            f"storage_driver {driver!r} is not a storage driver; use one of "
            f"{', '.join(_drivers_to_offer(drivers, image))}, or auto"
        )
    verdict = drivers[driver]
    if verdict["supported"] is None:
        # What cannot be known before the image boots is the administrator's to say.
        return driver, (
            f" storage_driver {driver} could not be checked {where} ({verdict['reason']}): "
            "it is configured as given."
        )
    if not verdict["supported"]:
        instead = (
            f"Use {storage['recommended']} (or storage_driver: auto)"
            if storage.get("recommended")
            else "Name a driver that works there"
        )
        raise CommandExecutionError(
            f"storage_driver {driver} cannot run {where}: {verdict['reason']}. {instead}"
        )
    removed_in = verdict.get("removed_in")
    if removed_in and image is None:
        version = engine_version()
        major = engine_major(version)
        if major is not None and major >= removed_in:
            raise CommandExecutionError(
                f"storage_driver {driver} was removed in Docker Engine {removed_in}; this "
                f"engine is {version}. Use {storage['recommended']}"
            )
    elif removed_in:
        engine = installed_engine(image)
        major = engine_major(engine["version"])
        if major is not None and major >= removed_in:
            raise CommandExecutionError(
                f"storage_driver {driver} was removed in Docker Engine {removed_in}; the "
                f"image's engine is {engine['version']} ({engine['seen']}). Use "
                f"{storage['recommended'] or 'another driver'}"
            )
        if major is None:
            return driver, (
                f" storage_driver {driver} was removed in Docker Engine {removed_in}, and "
                f"the image's engine version is not known ({engine['seen']}): it is "
                "configured as given."
            )
    return driver, ""


def _drivers_to_offer(drivers, image):
    """The drivers that work under the data-root and that the target's engine still
    has (one whose release is not known has none of those its successors removed)."""
    version = engine_version() if image is None else installed_engine(image)["version"]
    major = engine_major(version)
    kept = [
        name
        for name, verdict in drivers.items()
        if not verdict.get("removed_in") or (major is not None and major < verdict["removed_in"])
    ]
    working = [name for name in kept if drivers[name]["supported"] is not False]
    return sorted(working or kept)


def _wanted(storage_driver, data_root, options, daemon_json, current, root=None):
    """Split the wanted settings between DOCKER_OPTS and daemon.json.

    Return (for DOCKER_OPTS, for daemon.json); a key written to one file is
    removed from the other (``None``), except the keys dockerd merges.
    """
    problems, in_opts, in_json = _settings(options, daemon_json)
    keys = set(in_opts) | {k for k, v in in_json.items() if v is not None}
    image = __salt__["sysconfig.image_root"](root)
    if image is None:
        # Only this host's dockerd can be asked; an image's engine is its own.
        _check_supported(keys, problems)
    if "proxies" in keys:
        _check_proxies_supported(image, problems)

    for key, value in (("storage-driver", storage_driver), ("data-root", data_root)):
        if value is None:
            continue
        if in_opts.get(key) is not None or in_json.get(key) is not None:
            problems.append(f"{key} given twice: as its own argument and in options/daemon_json")
            continue
        lives_in_json = key in (current["daemon_json"] or {}) and key not in current["flags"]
        (in_json if lives_in_json else in_opts)[key] = value
    if problems:
        raise CommandExecutionError("; ".join(problems))

    merged = merged_keys()
    for key, value in in_opts.items():
        if value is not None and key in (current["daemon_json"] or {}) and key not in merged:
            in_json.setdefault(key, None)
    for key, value in in_json.items():
        if value is not None and key in current["flags"] and key not in merged:
            in_opts.setdefault(key, None)
    return in_opts, in_json


def check_settings(options=None, daemon_json=None, tls=None, insecure_tcp_api=False):
    """
    Return what dockerd would refuse in ``options`` (flags for DOCKER_OPTS,
    by name) and ``daemon_json`` (its keys), whatever the host: a name it
    does not know, a value of the wrong kind or form, a directive given in
    both; and a ``tcp://`` host without TLS client verification (from these
    settings or ``tls``) unless ``insecure_tcp_api``. One message per
    problem; an empty list when there is none. The ``docker_host`` pillar
    check asks this before any state runs, and ``plan`` refuses the same.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.check_settings options='{"log-level": "loud"}'
        salt '*' docker_daemon.check_settings options='{"host": ["tcp://0.0.0.0:2375"]}'
    """
    problems, in_opts, in_json = _settings(options, daemon_json)
    given = {**in_json, **in_opts}
    if tls is not None:
        named = sorted(key for key in TLS_KEYS if given.get(key) is not None)
        if named:
            problems.append(f"tls and {', '.join(named)} both configure TLS: give it once, in tls")
        given.update({key: True for key in TLS_KEYS})
    where = "options:host" if in_opts.get("hosts") else "daemon_json:hosts"
    plain = _plain_tcp_problem(given, insecure_tcp_api)
    if plain:
        problems.append(f"{where} {plain}")
    return problems


# The settings that make dockerd verify its TCP clients (dockerd --tlsverify).
TLS_KEYS = ("tlsverify", "tlscacert", "tlscert", "tlskey")


def tcp_hosts(hosts):
    """
    Return those of dockerd's ``hosts`` (a list, or one address) that listen
    on TCP: all but ``unix://`` and ``fd://`` (``-H :2375`` is TCP too).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.tcp_hosts '["unix:///run/docker.sock", "tcp://0.0.0.0:2376"]'
    """
    items = hosts if isinstance(hosts, list) else [hosts] if hosts else []
    return [
        host
        for host in items
        if isinstance(host, str) and host and not host.startswith(("unix://", "fd://"))
    ]


def _plain_tcp_problem(settings, insecure):
    """Why ``settings`` open the API to anyone who reaches a TCP port, or None."""
    tcp = tcp_hosts(settings.get("hosts"))
    if not tcp or insecure:
        return None
    if settings.get("tlsverify") is True and all(settings.get(key) for key in TLS_KEYS[1:]):
        return None
    return (
        f"{', '.join(tcp)} opens the Docker API over TCP without TLS client verification: "
        "root on this host for anyone who can reach the port (CIS Docker Benchmark 2.7). "
        "Give docker_host:daemon:tls (the CA, the server's certificate and key), or set "
        "docker_host:daemon:insecure_tcp_api: true to accept it"
    )


def _settings(options, daemon_json):
    """(problems, for DOCKER_OPTS, for daemon.json): the settings by their
    daemon.json names, ``None`` where a key is removed."""
    problems = []
    in_opts, in_json = {}, {}
    for name, given in (options or {}).items():
        try:
            key = normalize_key(name)
        except SaltInvocationError as err:
            problems.append(f"options:{name} {_without_prefix(str(err), repr(name))}")
            continue
        # Nothing left of a repeatable flag: remove it.
        value = None if given in ([], {}) else given
        why = validate(key, value, "DOCKER_OPTS")
        if why:
            problems.append(f"options:{name} {why}")
        elif value is not None:
            try:
                _render_flag(key, value)  # what systemd would split is refused there
            except SaltInvocationError as err:
                problems.append(f"options:{name}{_without_prefix(str(err), key, ' ')}")
        in_opts[key] = value
    known = known_json_keys()
    for given, value in (daemon_json or {}).items():
        key = JSON_ALIASES.get(given, given)
        if key not in known:
            problems.append(
                f"daemon_json:{given} is not a daemon.json key, and dockerd refuses unknown "
                f"keys: {_json_key_hint(given)}"
            )
            continue
        why = validate(key, value, "daemon.json")
        if why:
            problems.append(f"daemon_json:{given} {why}")
            continue
        in_json[key] = value
    both = sorted(k for k in set(in_opts) & set(in_json) if None not in (in_opts[k], in_json[k]))
    both += sorted(set(in_opts) & set(in_json.get("proxies") or {}) - set(both))
    if both:
        problems.append(
            f"{', '.join(both)} given in both options and daemon_json: dockerd refuses a "
            "directive set twice; give each in one place"
        )
    given = {**in_json, **in_opts}
    if given.get("log-opts"):
        # Without log-driver, the driver is the files' (known to the plan only).
        why = __salt__["docker_daemon_values.log_opts_problem"](
            given.get("log-driver"), _as_mapping(given["log-opts"])
        )
        if why:
            problems.append(why)
    return problems, in_opts, in_json


def _without_prefix(message, prefix, joint=""):
    """``message`` without the name it starts with, to follow the pillar key."""
    return message[len(prefix) :].lstrip() if message.startswith(prefix) else joint + message


def _as_mapping(value):
    """A map option's value as a mapping (DOCKER_OPTS gives ["key=value", ...])."""
    if isinstance(value, dict):
        return value
    items = value if isinstance(value, list) else [value]
    return dict(str(item).partition("=")[::2] for item in items)


def _json_key_hint(given):
    """What the daemon.json key ``given`` is probably meant to be."""
    name = str(given).strip().lstrip("-").replace("_", "-")
    found = _flag(name)
    if found and found[2] and found[2] != given and not found[3]:
        return (
            f"did you mean {found[2]}? ({name} is the flag's name; daemon.json calls it {found[2]})"
        )
    match = difflib.get_close_matches(name, known_json_keys(), n=1, cutoff=0.75)
    if match:
        return f"did you mean {match[0]}?"
    return "'salt-call docker_daemon.known_json_keys' lists them"


def _check_supported(keys, problems):
    """Refuse options this host's dockerd does not know (the flag table is newer)."""
    unknown = unsupported_keys(sorted(keys))
    if unknown:
        version = engine_version() or "unknown"
        problems.append(
            f"this host's dockerd (Engine {version}) does not know {', '.join(unknown)}: it "
            "would refuse to start"
        )


# The release that added daemon.json's proxies (and the --http-proxy flags).
PROXIES_SINCE = 23


def engine_reads_proxies(root=None):
    """
    Whether the target's engine reads daemon.json's ``proxies`` (Engine 23 and
    later): this host's dockerd (its ``--help``), or the engine an image
    root's package installs. ``None`` when it cannot be known.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.engine_reads_proxies
        salt '*' docker_daemon.engine_reads_proxies root=/srv/image-root
    """
    image = __salt__["sysconfig.image_root"](root)
    if image is None:
        supported = supported_keys()
        return None if supported is None else "http-proxy" in supported
    major = engine_major(installed_engine(image)["version"])
    return None if major is None else major >= PROXIES_SINCE


def _check_proxies_supported(image, problems):
    """Refuse daemon.json's proxies for an engine older than Engine 23, which
    refuses the key: such an engine reads its proxy from its environment only."""
    if engine_reads_proxies(image) is False:
        version = engine_version() if image is None else installed_engine(image)["version"]
        where = "this host's dockerd" if image is None else "the image's engine"
        problems.append(
            f"daemon_json:proxies is read by Engine {PROXIES_SINCE} and later, and "
            f"{where} is {version or 'unknown'}, which refuses it: give the daemon's proxy in "
            "docker_host:proxy, which puts it where the engine reads it (a systemd drop-in "
            "for docker.service)"
        )


def _images_warning(current, new_effective, root):
    old_driver = current["effective"].get("storage-driver")
    old_root = current["effective"].get("data-root") or "/var/lib/docker"
    new_driver = new_effective.get("storage-driver")
    new_root = new_effective.get("data-root") or "/var/lib/docker"
    if (old_driver, old_root) == (new_driver, new_root):
        return ""
    if old_driver is None and old_root == new_root:
        # No driver was configured: dockerd chose one, and the images of the
        # new driver stay visible. Only the other drivers' images go.
        count = image_count(old_root, root=root) - __salt__["docker_daemon.image_count"](
            old_root, new_driver, root=root
        )
    else:
        count = image_count(old_root, old_driver, root=root)
    if not count:
        return ""
    return (
        f" Warning: {old_root} holds {count} image(s) of the "
        f"{old_driver or 'previous'} storage driver; with the new "
        f"{'storage driver' if old_driver != new_driver else 'data-root'} dockerd no "
        "longer sees them: pull or load them again (or docker save them first)."
    )


def _check_effective(old, new, in_opts, in_json, root):
    """Refuse a new configuration dockerd would not run, whichever file holds what;
    return a warning about it, or ""."""
    driver, data_root = new.get("storage-driver"), new.get("data-root")
    warning = ""
    if (driver, data_root) != (old.get("storage-driver"), old.get("data-root")) and driver:
        warning = _check_driver(driver, data_root or "/var/lib/docker", root)[1]
    managed = {k for k, v in {**in_opts, **in_json}.items() if v is not None}
    opts = _as_mapping(new["log-opts"]) if new.get("log-opts") else {}
    why = __salt__["docker_daemon_values.log_opts_problem"](
        new.get("log-driver") or "json-file", opts
    )
    judged = (new.get("log-driver") or "json-file") in __salt__[
        "docker_daemon_values.log_drivers_with_fixed_options"
    ]()
    if (
        new.get("log-driver") != old.get("log-driver")
        and opts
        and "log-opts" not in managed
        and (why or not judged)
    ):
        raise CommandExecutionError(
            f"log-driver changes to {new.get('log-driver') or 'the default'}, but the "
            f"log-opts already set ({', '.join(sorted(new['log-opts']))}) belong to "
            f"{old.get('log-driver') or 'the default driver'}, and dockerd refuses options "
            "its driver does not know: set log-opts for the new driver too (or null to "
            "remove them)"
        )
    if why:
        raise CommandExecutionError(f"{why}: dockerd would refuse to start")
    return warning


def _check_arguments(storage_driver, data_root, options, daemon_json, exclusive):
    problems = []
    if storage_driver is not None and not isinstance(storage_driver, str):
        problems.append(f"storage_driver must be a name or auto, not {storage_driver!r}")
    if data_root is not None and (not isinstance(data_root, str) or not data_root.startswith("/")):
        problems.append(f"data_root must be an absolute path, not {data_root!r}")
    for label, value in (("options", options), ("daemon_json", daemon_json)):
        if value is not None and not isinstance(value, dict):
            problems.append(f"{label} must be a mapping, not {type(value).__name__} {value!r}")
    if not isinstance(exclusive, bool):
        problems.append(f"exclusive must be true or false, not {exclusive!r}")
    if problems:
        raise SaltInvocationError("; ".join(problems))


def plan(
    storage_driver=None,
    data_root=None,
    options=None,
    daemon_json=None,
    exclusive=False,
    root=None,
    socket_group=None,
    package=None,
    tls=None,
    insecure_tcp_api=False,
    proxy=None,
):
    """
    Read DOCKER_OPTS and daemon.json and return what must change for the
    daemon to run with these settings (the arguments of the
    ``docker_host.daemon_configured`` state); change nothing. ``apply``
    carries the plan out.

    ``package`` names the package that creates both files and that is
    installed before them (the formula's ``docker``). While it is not
    installed and /etc/sysconfig/docker does not exist, the files' changes
    cannot be known: the plan is ``pending`` (no changes), and says so.

    ``tls`` (``{ca, cert, key}``: PEM text or paths on the minion) gives
    dockerd ``tlsverify`` and its files (``docker_tls.plan``; the changes
    name them by fingerprint, under ``TLS files``). A ``tcp://`` host
    without TLS client verification is refused unless ``insecure_tcp_api``.

    ``proxy`` (``system``: SUSE's /etc/sysconfig/proxy; a mapping of
    ``http_proxy``, ``https_proxy``, ``no_proxy``; ``none``) goes where the
    target engine reads it (``docker_proxy.plan``): daemon.json's
    ``proxies`` from Engine 23, else a systemd drop-in for docker.service.

    Nothing is planned that dockerd would refuse: an unknown option or key,
    a value of the wrong kind, a directive left in both files, a storage
    driver this host or engine cannot run, log options of another log
    driver. A refusal names every problem at once. The plan's ``changes``
    has ``DOCKER_OPTS`` and ``daemon.json`` (``old``, ``new``); its
    ``comment`` says it in a sentence, with a warning when images would no
    longer be seen.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.plan storage_driver=auto options='{"log-level": "warn"}'
        salt '*' docker_daemon.plan daemon_json='{"live-restore": true}' root=/srv/image-root
        salt '*' docker_daemon.plan storage_driver=btrfs package=docker
    """
    _check_arguments(storage_driver, data_root, options, daemon_json, exclusive)
    current = _configuration(root)
    if (
        package
        and current["docker_opts"] is None
        and not __salt__["docker_package.installed"](package, root=root)
    ):
        return {
            "root": root,
            "changes": {},
            "pending": True,
            "comment": f"/etc/sysconfig/docker and /etc/docker/daemon.json come with the "
            f"{package} package, which is not installed yet: their changes are known once it "
            "is, and the run that installs it reports them",
        }
    tls_plan = None
    if tls is not None:
        named = sorted(
            key
            for key in TLS_KEYS
            if (options or {}).get(key) is not None or (daemon_json or {}).get(key) is not None
        )
        if named:
            raise SaltInvocationError(
                f"tls and {', '.join(named)} both configure TLS: give it once, in tls"
            )
        tls_plan = __salt__["docker_tls.plan"](tls, root=root)
        daemon_json = {**(daemon_json or {}), **tls_plan["settings"]}
    proxy_plan = None
    if proxy is not None:
        if (daemon_json or {}).get("proxies") is not None or any(
            (options or {}).get(flag) is not None for flag in PROXY_FLAGS
        ):
            raise SaltInvocationError(
                "proxy and daemon_json:proxies (or a proxy option) both configure the "
                "daemon's proxy: give it once, in docker_host:proxy"
            )
        reads = engine_reads_proxies(root)
        proxy_plan = __salt__["docker_proxy.plan"](proxy, reads is True, root=root)
        # daemon.json's proxies are the proxy's when the engine reads them; an
        # older engine refuses the key, so it goes.
        daemon_json = {**(daemon_json or {}), "proxies": proxy_plan["proxies"]}
    options = _with_socket_group(options, socket_group, current)
    if storage_driver is not None:
        # None: the facts judge the data-root the files configure now.
        wanted_root = (
            data_root or (options or {}).get("data-root") or (daemon_json or {}).get("data-root")
        )
        storage_driver, driver_warning = _check_driver(storage_driver, wanted_root, root)
    else:
        driver_warning = ""
    in_opts, in_json = _wanted(storage_driver, data_root, options, daemon_json, current, root)
    kept = _security_kept(current, in_opts, in_json) if exclusive else {}
    new_opts, new_json = _new_files(current, in_opts, in_json, exclusive)
    flags = _flags_dockerd_would_start_with(new_opts, new_json)
    new_effective = {**(new_json or {}), **flags}
    # The same driver checked twice gives the same warning once.
    effective_warning = _check_effective(
        current["effective"], new_effective, in_opts, in_json, root
    )
    driver_warning = driver_warning or effective_warning
    plain = _plain_tcp_problem(new_effective, insecure_tcp_api)
    if plain:
        raise CommandExecutionError(f"hosts {plain}")

    changes = {}
    if tls_plan and tls_plan["changes"]:
        changes["TLS files"] = tls_plan["changes"]
    if proxy_plan:
        changes.update(proxy_plan["changes"])
    if (new_opts or "") != (current["docker_opts"] or ""):
        changes["DOCKER_OPTS"] = {"old": current["docker_opts"], "new": new_opts}
    if new_json != current["daemon_json"] and not (current["daemon_json"] is None and not new_json):
        changes["daemon.json"] = {"old": current["daemon_json"], "new": new_json}
    for label, keys in kept.items():
        if label in changes:
            changes[label]["kept"] = {key: new_effective[key] for key in keys}
    # userns-remap needs the remap user's subordinate IDs, or dockerd will not start.
    userns = __salt__["docker_userns.plan"](new_effective.get("userns-remap"), root=root)
    if userns["changes"]:
        changes["subordinate ids"] = userns["changes"]
    warning = (_images_warning(current, new_effective, root) if changes else "") + driver_warning
    # A key moving from one file to the other leaves its old file first, so
    # that dockerd never finds it in both, even between the two writes.
    moves_to_opts = set(flags) & set(current["daemon_json"] or {})
    order = ["daemon.json", "DOCKER_OPTS"] if moves_to_opts else ["DOCKER_OPTS", "daemon.json"]
    note = _kept_note(kept) if changes else ""
    if changes:
        comment = f"{' and '.join(changes)} would change." + note + warning
    else:
        comment = "The Docker daemon's configuration is already as specified." + driver_warning
    return {
        "root": root,
        "changes": changes,
        **({"tls_files": tls_plan["files"]} if tls_plan and tls_plan["files"] else {}),
        **({"proxy": proxy_plan} if proxy_plan and proxy_plan["changes"] else {}),
        "order": [label for label in order if label in changes],
        "effective": new_effective,
        "warning": note + warning,
        "comment": comment,
    }


# Security settings a package ships (SUSE's daemon.json has selinux-enabled:
# true) that exclusive keeps unless the pillar names them: their secure values.
SECURITY_SETTINGS = {"selinux-enabled": True, "no-new-privileges": True, "icc": False}


def _security_kept(current, in_opts, in_json):
    """Add to ``in_opts``/``in_json`` the security settings the files hold with their
    secure values and the pillar does not name, where they are; return them by file."""
    named = set(in_opts) | set(in_json)
    kept = {}
    for key, secure in SECURITY_SETTINGS.items():
        if key in named:
            continue
        if current["flags"].get(key) is secure:
            in_opts[key] = secure
            kept.setdefault("DOCKER_OPTS", []).append(key)
        elif (current["daemon_json"] or {}).get(key) is secure:
            in_json[key] = secure
            kept.setdefault("daemon.json", []).append(key)
    return kept


def _kept_note(kept):
    keys = sorted(key for keys in kept.values() for key in keys)
    if not keys:
        return ""
    return (
        f" exclusive keeps {', '.join(keys)}, security settings the files hold: to change "
        "or remove one, name it in the pillar (null removes it)."
    )


def _with_socket_group(options, group, current):
    """``options`` with the socket's ``group`` when it must be written: always for a
    group other than docker (so that ``exclusive`` keeps it), and for docker when
    the files name another one."""
    if group is None:
        return options
    if not isinstance(group, str) or __salt__["docker_group.invalid_names"]([group]):
        raise SaltInvocationError(f"socket_group must be a valid group name, not {group!r}")
    if group == "docker" and _socket_group_of(current) == "docker":
        return options
    return {**(options or {}), "group": group}


def _new_files(current, in_opts, in_json, exclusive):
    """The new DOCKER_OPTS and daemon.json for what goes to each."""
    new_opts = current["docker_opts"]
    if in_opts or (exclusive and current["docker_opts"]):
        if current["docker_opts"] is None:
            raise CommandExecutionError(
                "/etc/sysconfig/docker does not exist: install the docker package first "
                "(it creates the file), e.g. with a require on pkg: docker"
            )
        new_opts = _plan_docker_opts(current["docker_opts"], in_opts, exclusive=exclusive)
    new_json = current["daemon_json"]
    if in_json or (exclusive and current["daemon_json"]):
        new_json = _plan_daemon_json(current["daemon_json"], in_json, exclusive=exclusive)
    return new_opts, new_json


def _flags_dockerd_would_start_with(new_opts, new_json):
    """What dockerd would read from the new files: refuse anything it would not
    start with (an argument it does not take, a directive in both files)."""
    parsed = parse_args(split_like_systemd(new_opts))
    if parsed["unknown"]:
        raise CommandExecutionError(
            f"DOCKER_OPTS would hold {', '.join(parsed['unknown'])}, which dockerd does not "
            "take: remove it, or manage DOCKER_OPTS with exclusive: true"
        )
    conflicts = sorted(set(parsed["flags"]) & _directives(new_json))
    if conflicts:
        raise CommandExecutionError(
            f"{', '.join(conflicts)} would be set both in DOCKER_OPTS and in daemon.json, "
            "and dockerd refuses to start then: manage them with this state (it keeps each "
            "in one place) or remove one by hand"
        )
    return parsed["flags"]


def _write(label, change, root):
    """Write one file of a plan, ``daemon.json`` (a mapping) or ``DOCKER_OPTS``
    (text), only if it still holds ``change["old"]``."""
    if label == "daemon.json":
        _change_daemon_json(root, lambda _: change["new"] or {}, expect=change["old"])
        return
    with _recording({SYSCONFIG: ["DOCKER_OPTS"]}, root):
        conflict = __salt__["sysconfig.set"](
            SYSCONFIG, "DOCKER_OPTS", change["new"] or "", root=root, expect=change["old"] or ""
        )["conflict"]
    if conflict:
        raise CommandExecutionError(
            "DOCKER_OPTS changed after the plan was made: plan again. Nothing was written"
        )


def apply(planned, tls=None):
    """
    Carry out a plan from ``plan``: the only writer of DOCKER_OPTS and
    daemon.json for a planned configuration. A file that no longer holds
    what the plan found is not written over: plan again. The files are
    written in the plan's order; when one cannot be written, the one written
    before it is put back, so that the two files always agree, and the
    error says so. TLS files come first, from ``tls`` (the same settings the
    plan was made with: their text is never part of a plan). Then the
    configuration is read back. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_daemon.plan options='{"debug": true}' | jq -c .local)
        salt-call docker_daemon.apply "$plan"
    """
    root, changes = planned["root"], planned["changes"]
    if not changes:
        return {"result": True, "changes": {}, "comment": planned["comment"]}
    where = " and ".join(changes)
    now = _configuration(root)
    found = {"DOCKER_OPTS": now["docker_opts"], "daemon.json": now["daemon_json"]}
    stale = [label for label in planned["order"] if found[label] != changes[label]["old"]]
    if stale:
        # Written now, the plan would undo what was changed since.
        raise CommandExecutionError(
            f"{' and '.join(stale)} changed after the plan was made: plan again. "
            "Nothing was written"
        )

    if "TLS files" in changes:
        # Before the configuration that names them: a restart never finds
        # tlsverify without its files.
        if tls is None:
            raise SaltInvocationError("the plan writes TLS files: give apply the same tls")
        __salt__["docker_tls.apply"](
            {"root": root, "changes": changes["TLS files"], "files": planned["tls_files"]}, tls
        )
    if "proxy" in planned:
        __salt__["docker_proxy.apply"](planned["proxy"])
    if "subordinate ids" in changes:
        # Before the configuration that needs them: a restart never finds
        # userns-remap without them.
        __salt__["docker_userns.apply"]({"root": root, "changes": changes["subordinate ids"]})
    written = []
    for label in planned["order"]:
        try:
            _write(label, changes[label], root)
        except (CommandExecutionError, SaltInvocationError, OSError) as err:
            # Put back what was written, so that the two files still agree.
            for done in written:
                back = changes[done]
                _write(done, {"old": back["new"], "new": back["old"]}, root)
            raise CommandExecutionError(
                f"{label} could not be written ({err})"
                + (f"; {', '.join(written)} was put back as it was" if written else "")
            ) from err
        written.append(label)

    after = _configuration(root)
    if after["conflicts"] or after["effective"] != planned["effective"]:
        return {
            "result": False,
            "changes": changes,
            "comment": f"Wrote {where}, but reading back shows another configuration; "
            "another program may have changed the files.",
        }
    return {"result": True, "changes": changes, "comment": f"{where} changed." + planned["warning"]}


# --------------------------------------------------------------------------
# Taking the configuration back down
# --------------------------------------------------------------------------


def clean_plan(root=None):
    """
    Return what taking back this extension's changes to the daemon's
    configuration would change (the ``daemon`` part of ``docker_host.clean``):
    DOCKER_OPTS, daemon.json, the TLS files and the proxy's drop-in, each as
    it was before this extension first wrote it, while it still holds what it
    wrote (``docker_host_record.plan_restore``). What was changed by hand
    since is in ``left``. The subordinate ids of ``userns-remap`` stay. Change
    nothing.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_daemon.clean_plan
        salt '*' docker_daemon.clean_plan root=/srv/image-root
    """
    planned = __salt__["docker_host_record.plan_restore"]("daemon", root=root)
    planned["comment"] = (
        f"{', '.join(planned['changes'])} would be put back as before suse-docker-host."
        if planned["changes"]
        else "The daemon's files hold none of suse-docker-host's changes."
    )
    return planned


def clean_apply(planned):
    """
    Carry out a plan from ``clean_plan``; on a running systemd, reload its
    units when the proxy's drop-in went back, as a restart needs. Return
    ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_daemon.clean_plan | jq -c .local)
        salt-call docker_daemon.clean_apply "$plan"
    """
    done = __salt__["docker_host_record.apply_restore"](planned)
    if (
        any("/docker.service.d/" in path for path in planned["changes"])
        and __salt__["sysconfig.image_root"](planned["root"]) is None
        and os.path.isdir("/run/systemd/system")
        and "service.systemctl_reload" in __salt__
    ):
        __salt__["service.systemctl_reload"]()
    return done
