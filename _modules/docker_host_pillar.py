"""
The ``docker_host:`` pillar of the docker_host formula: its keys, their types
and defaults, and a check of a pillar against them.

The formula validates pillar before it applies anything: an unknown key is
named with the closest valid one, a wrong type with the key, the type it must
have and the value it has. Salt has no schema check for pillar, and the
formula's keys are this project's own, so the schema is written here; it is
also what ``pillar-example/README.md`` documents, key by key.

:depends: nothing beyond Python.
:configuration: reads pillar ``docker_host`` when no data is given.
"""

import difflib
import os
import re

__virtualname__ = "docker_host_pillar"


def __virtual__():
    return __virtualname__


class _Key:
    """One pillar key: the kinds of value it takes, its default and what it does."""

    def __init__(self, kinds, default, doc, choices=None, items=None, check=None):
        self.kinds = kinds  # a tuple of "string", "boolean", "integer", "null", "mapping", "list"
        self.default = default
        self.doc = doc
        self.choices = choices
        self.items = items  # for lists: a _Key for strings, or a dict schema for mappings
        self.check = check  # value -> what is wrong with it, or None


# Checks of values: each returns what is wrong, or None. Values end up in state
# IDs, file paths and daemon arguments, so they are held to their real syntax.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An image reference as the Docker CLI accepts it: registry/repository[:tag].
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_IMAGE = re.compile(
    rf"(?:{_HOST}(?:\.{_HOST})*(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?\Z"
)


def _absolute(value):
    if not value or _CONTROL.search(value):
        return "must be an absolute path without control characters"
    if not value.startswith("/") or value.startswith("//") or os.path.normpath(value) != value:
        return (
            f"must be a normalized absolute path (no '..', '.', '//' or trailing '/'), "
            f"not {value!r}"
        )
    return None


def _root(value):
    if value in ("", "/"):
        return None
    wrong = _absolute(value)
    if wrong:
        return wrong
    if not os.path.isdir(value):
        return f"{value} is not a directory on this minion: create the image root first"
    if os.path.realpath(value) == "/":
        return f"{value} is this host's own root: leave root empty to configure the host"
    return None


def _account(value):
    # docker_group owns what a name may be: shadow-utils' default NAME_REGEX.
    if __salt__["docker_group.invalid_names"]([value]):
        return f"{value!r} is not a valid user or group name (lowercase, digits, _ and -)"
    return None


def _not_empty(value):
    if not value.strip() or _CONTROL.search(value):
        return "must be a non-empty name without control characters"
    return None


# A systemd unit name (systemd.unit(5)): letters, digits and ":-_.\\@", with an
# optional type suffix; never a leading "-", which systemctl would take as an option.
_UNIT = re.compile(r"[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]{0,255}\Z")
# An RPM package name: letters, digits and "._+-", never a leading "-" (zypper's option).
_PACKAGE = re.compile(r"[A-Za-z0-9._+][A-Za-z0-9._+-]*\Z")
# A version pkg.installed passes to zypper: an optional comparison, then
# [epoch:]version[-release], no whitespace.
_VERSION = re.compile(r"(?:[<>]=?|=)?[A-Za-z0-9_.+~^*][A-Za-z0-9_.+~^*:-]*\Z")


def _unit(value):
    if not _UNIT.match(value):
        return (
            f"must be a systemd unit name (letters, digits, ':-_.\\@', not starting with "
            f"'-'), not {value!r}"
        )
    return None


def _package(value):
    if not _PACKAGE.match(value):
        return (
            f"must be a package name (letters, digits, '._+-', not starting with '-'), "
            f"not {value!r}"
        )
    return None


def _version(value):
    if not _VERSION.match(value):
        return (
            f"must be a package version such as 24.0.7 or >=24.0 (no spaces, not starting "
            f"with '-'), not {value!r}"
        )
    return None


def _image(value):
    if "@" in value:
        return (
            f"{value!r} names an image by digest: give repository:tag (the formula tags "
            "what it loads and follows tags when it pulls)"
        )
    if not _IMAGE.match(value):
        return (
            f"{value!r} is not an image reference like registry.example.com/bci/base:15.6 "
            "(registry host and port, lowercase repository path, optional :tag)"
        )
    return None


def _member(value):
    # Existing users may be directory users (john.doe, JDoe, user@domain).
    if __salt__["docker_group.invalid_names"]([value], members=True):
        return f"{value!r} is not a user name /etc/group can hold"
    return None


def _between(low, high):
    def check(value):
        if value is not None and not low <= value <= high:
            return f"must be between {low} and {high}, not {value}"
        return None

    return check


def _string_keys(value, where=""):
    """Mappings handed to dockerd and the registry have string keys only (YAML reads
    an unquoted on, yes or 3 as something else)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has the key {key!r}{where}, which is {_described([_kind(key)])}: quote it"
            wrong = _string_keys(item, f" (under {key})")
            if wrong:
                return wrong
    if isinstance(value, list):
        for item in value:
            wrong = _string_keys(item, where)
            if wrong:
                return wrong
    return None


_MEMBER_LIST = _Key(("string",), None, "", check=_member)

# The Docker files of the CIS Docker Benchmark's section 3, where SUSE keeps them.
CIS_PATHS = {
    "/usr/lib/systemd/system/docker.service": {"user": "root", "group": "root", "mode": "0644"},
    "/usr/lib/systemd/system/docker.socket": {"user": "root", "group": "root", "mode": "0644"},
    "/etc/docker": {"user": "root", "group": "root", "mode": "0755"},
    "/etc/docker/daemon.json": {"user": "root", "group": "root", "mode": "0644"},
    "/etc/sysconfig/docker": {"user": "root", "group": "root", "mode": "0644"},
    "/var/run/docker.sock": {"user": "root", "group": "docker", "mode": "0660"},
    "/run/containerd/containerd.sock": {"user": "root", "group": "root", "mode": "0660"},
}

_IMAGE_LOAD = {
    "name": _Key(
        ("string",), None, "The tag the image gets, e.g. ``suse/sles15:latest``.", check=_image
    ),
    "source": _Key(
        ("string",),
        None,
        "The docker-archive tarball KIWI built (plain, .gz or .xz): a local path or a "
        "``salt://`` URL.",
        check=_not_empty,
    ),
}

_IMAGE_PULL = {
    "name": _Key(
        ("string",),
        None,
        "The image to pull, e.g. ``registry.suse.com/bci/bci-base:15.6``.",
        check=_image,
    ),
    "force": _Key(
        ("boolean",),
        False,
        "Ask the registry at every run and pull when it serves another manifest: the tag "
        "follows the registry.",
    ),
    "timeout": _Key(
        ("integer",),
        60,
        "Seconds before an unreachable registry fails the pull (1 to 86400).",
        check=_between(1, 86400),
    ),
    "auth": _Key(
        ("mapping", "null"),
        None,
        "Registry credentials ``{username: ..., password: ...}``; never shown in a return "
        "or a log.",
        check=_string_keys,
    ),
}

SCHEMA = {
    "root": _Key(
        ("string",),
        "",
        "Apply the whole formula to this image root (a KIWI build root) instead of the host: "
        "only files under it change; no package is installed on the host, the service is "
        "enabled inside the root and never started.",
        check=_root,
    ),
    "proxy": _Key(
        ("string", "mapping", "null"),
        None,
        "The Docker daemon's proxy: ``system`` (SUSE's ``/etc/sysconfig/proxy``: its "
        "``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY`` when ``PROXY_ENABLED`` is yes), "
        "``{http_proxy, https_proxy, no_proxy}``, or ``none``; null: as it is. Written where "
        "the engine reads it (daemon.json's ``proxies`` from Engine 23, else a systemd "
        "drop-in for docker.service) by the daemon state; the service restarts when it "
        "changes.",
    ),
    "package": {
        "install": _Key(
            ("boolean",),
            True,
            "Install the Docker package (``pkg.installed``; zypper on SUSE, into ``root`` when "
            "it is set). Off for hosts where Docker comes from elsewhere.",
        ),
        "name": _Key(
            ("string",), "docker", "The package's name (from the OS map).", check=_package
        ),
        "version": _Key(
            ("string", "null"),
            None,
            "A version to pin, as the package manager spells it.",
            check=_version,
        ),
        "hold": _Key(
            ("boolean", "null"),
            None,
            "``true``: a zypper lock holds the package (at ``version`` when given, else at "
            "every version), so that an unattended ``zypper up`` does not move the engine; "
            "``false``: no lock; null: as it is.",
        ),
    },
    "daemon": {
        "manage": _Key(
            ("boolean",), True, "Configure the daemon (``docker_host.daemon_configured``)."
        ),
        "storage_driver": _Key(
            ("string", "null"),
            None,
            "``btrfs``, ``overlay2``, ``devicemapper``, ``zfs``, ``vfs`` or ``auto`` (what the "
            "grain recommends for the data-root's filesystem); null leaves it as it is. A driver "
            "the host cannot run fails the state with the reason.",
        ),
        "data_root": _Key(
            ("string", "null"),
            None,
            "Docker's data-root, an absolute path; null: as it is.",
            check=_absolute,
        ),
        "options": _Key(
            ("mapping",),
            {},
            "dockerd flags for ``DOCKER_OPTS`` in ``/etc/sysconfig/docker``, by name "
            "(``log-level: warn``); lists for repeatable flags, booleans for switches. No "
            "whitespace or quotes in values (systemd would split them): use ``daemon_json``.",
            check=_string_keys,
        ),
        "daemon_json": _Key(
            ("mapping",),
            {},
            "Keys for ``/etc/docker/daemon.json``, as dockerd names them.",
            check=_string_keys,
        ),
        "exclusive": _Key(
            ("boolean",),
            False,
            "Own the daemon's whole configuration: options and keys not given are removed "
            "from both files. Security settings the files hold (SUSE's ``selinux-enabled: "
            "true``, ``no-new-privileges: true``, ``icc: false``) stay unless named here.",
        ),
        "tls": _Key(
            ("mapping", "null"),
            None,
            "TLS for a remote API: ``{ca, cert, key}``, each PEM text (written to "
            "``/etc/docker/tls``, root-owned, the key 0600) or the absolute path of a file on "
            "the minion. Gives dockerd ``tlsverify`` with ``tlscacert``, ``tlscert``, "
            "``tlskey``: only clients with a certificate of the CA get in. Shown by "
            "fingerprint only.",
        ),
        "insecure_tcp_api": _Key(
            ("boolean",),
            False,
            "Allow a ``tcp://`` host without TLS client verification: root on this host for "
            "anyone who can reach the port (CIS Docker Benchmark 2.7). Refused otherwise.",
        ),
    },
    "users": {
        "manage": _Key(("boolean",), True, "Manage the docker group (``docker_host.users``)."),
        "group": _Key(
            ("string",),
            "docker",
            "The group that owns the Docker socket. Another name also becomes the daemon's "
            "``group`` option (set it here, not in ``daemon``).",
            check=_account,
        ),
        "members": _Key(
            ("list",),
            [],
            "Users who may use Docker; each must exist. Membership is root-equivalent.",
            items=_MEMBER_LIST,
        ),
        "exclusive": _Key(("boolean",), False, "Remove every member not in ``members``."),
        "gid": _Key(
            ("integer", "null"),
            None,
            "The group's id, when it has to be created.",
            check=_between(0, 4294967294),
        ),
    },
    "forwarding": {
        "manage": _Key(
            ("boolean",),
            True,
            "Manage IP forwarding and the firewall (``docker_host.forwarding``).",
        ),
        "ipv4": _Key(("boolean",), True, "IPv4 forwarding, which containers need to reach out."),
        "ipv6": _Key(("boolean", "null"), None, "IPv6 forwarding; null leaves it as it is."),
        "firewall": _Key(
            ("string",),
            "auto",
            "``auto``: the firewall the host has enabled (in an image root: the release's "
            "firewall, when it is installed there); ``SuSEfirewall2``, ``firewalld`` or "
            "``none``.",
            choices=("auto", "SuSEfirewall2", "firewalld", "none"),
        ),
        "release_firewall": _Key(
            ("string",),
            "firewalld",
            "The firewall the release ships (from the OS map: SuSEfirewall2 on SLES 12, "
            "firewalld on SLES 15, Leap 15 and Tumbleweed); what ``auto`` picks in an image "
            "root where no firewall is enabled yet.",
            choices=("SuSEfirewall2", "firewalld"),
        ),
        "masquerade": _Key(
            ("boolean", "null"), None, "SuSEfirewall2's ``FW_MASQUERADE``; null: as it is."
        ),
    },
    "permissions": {
        "enforce": _Key(
            ("boolean",),
            False,
            "Tighten owner and mode of the files in ``paths`` (CIS Docker Benchmark, "
            "section 3). Modes are maxima: a stricter file stays as it is.",
        ),
        "paths": _Key(
            ("mapping",),
            CIS_PATHS,
            "``{path: {user: ..., group: ..., mode: '0644'}}``; paths that do not exist are "
            "left alone. The defaults list the Docker files of CIS section 3.",
        ),
    },
    "service": {
        "manage": _Key(
            ("boolean",),
            True,
            "Keep the service enabled and running, restarted when its configuration changes. "
            "Off for hosts without systemd; with ``root``, the service is enabled in the root.",
        ),
        "name": _Key(("string",), "docker", "The service's name (from the OS map).", check=_unit),
    },
    "images": {
        "url": _Key(
            ("string", "null"),
            None,
            "The daemon that gets the images; default: ``DOCKER_HOST``, the minion option "
            "``docker.url``, or the default socket. With ``root``, images are only loaded "
            "when this is set.",
        ),
        "load": _Key(
            ("list",),
            [],
            "Base images built with KIWI, loaded when the tag does not already point at them: "
            "a list of ``{name, source}``.",
            items=_IMAGE_LOAD,
        ),
        "pull": _Key(
            ("list",),
            [],
            "Images pulled from a registry when missing: a list of ``{name, force, timeout, "
            "auth}``.",
            items=_IMAGE_PULL,
        ),
    },
}

_PERMISSION = {
    "user": _Key(("string",), "root", "The owner.", check=_account),
    "group": _Key(("string",), "root", "The group.", check=_account),
    "mode": _Key(("string",), "0644", "The loosest mode allowed, in octal."),
}

_KIND_OF = (
    (bool, "boolean"),
    (int, "integer"),
    (str, "string"),
    (dict, "mapping"),
    (list, "list"),
    (type(None), "null"),
)


def _kind(value):
    for python_type, kind in _KIND_OF:
        if isinstance(value, python_type):
            return kind
    return type(value).__name__


_ARTICLE = {
    "boolean": "true or false",
    "integer": "a whole number",
    "string": "a string",
    "mapping": "a mapping",
    "list": "a list",
    "null": "null",
}


def _described(kinds):
    return " or ".join(_ARTICLE.get(kind, f"a {kind}") for kind in kinds)


def _closest(key, candidates, path):
    """The key ``key`` under ``path`` is unknown: where it probably belongs."""
    name = str(key).replace("-", "_")
    # The same name one level off: docker_host:data_root is docker_host:daemon:data_root.
    elsewhere = sorted(
        where
        for where in keys()
        if where.rsplit(":", 1)[1] == name and ":N:" not in where and where != f"{path}:{name}"
    )
    if elsewhere:
        return f"did you mean {' or '.join(elsewhere)}?"
    # A dockerd setting given where the daemon's keys are.
    if path in ("docker_host", "docker_host:daemon") and _dockerd_key(key):
        return (
            f"did you mean docker_host:daemon:daemon_json:{_dockerd_key(key)} (or "
            f"docker_host:daemon:options:{_dockerd_key(key)})? dockerd's own settings go there"
        )
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    if match:
        return f"did you mean {path}:{match[0]}?"
    return f"valid keys: {', '.join(sorted(candidates))}"


def _dockerd_key(key):
    """The daemon.json name of ``key`` when it is a dockerd setting, else None."""
    try:
        return __salt__["docker_daemon.normalize_key"](key)
    except Exception:  # pylint: disable=broad-except  # SaltInvocationError: not one
        return None


def _check(value, schema, path, problems):
    if not isinstance(value, dict):
        problems.append(
            f"{path} must be a mapping, not {_described([_kind(value)])} ({value!r}); "
            f"its keys are {', '.join(schema)}"
        )
        return
    for key, item in value.items():
        where = f"{path}:{key}"
        if key not in schema:
            problems.append(f"{where} is not a key of {path}: {_closest(key, schema, path)}")
        elif isinstance(schema[key], dict):
            _check(item, schema[key], where, problems)
        else:
            _check_leaf(item, schema[key], where, problems)


def _check_leaf(value, key, where, problems):
    kind = _kind(value)
    if kind not in key.kinds:
        problems.append(
            f"{where} must be {_described(key.kinds)}, not {_described([kind])} ({value!r})"
        )
        return
    if key.choices and value not in key.choices:
        problems.append(f"{where} must be one of {', '.join(key.choices)}, not {value!r}")
    elif key.check and value is not None:
        wrong = key.check(value)
        if wrong:
            problems.append(
                f"{where} {wrong}" if not wrong.startswith("'") else f"{where}: {wrong}"
            )
    if kind == "list" and key.items is not None:
        for index, item in enumerate(value):
            if isinstance(key.items, dict):
                _check(item, key.items, f"{where}:{index}", problems)
                missing = [
                    name
                    for name, spec in key.items.items()
                    if spec.default is None and "null" not in spec.kinds
                ]
                if isinstance(item, dict):
                    for name in missing:
                        if name not in item:
                            problems.append(f"{where}:{index} needs {name}")
            else:
                _check_leaf(item, key.items, f"{where}:{index}", problems)
    if where.endswith("permissions:paths") and kind == "mapping":
        for path, spec in value.items():
            wrong = _absolute(path) if isinstance(path, str) else "must be a string"
            if wrong:
                problems.append(f"{where}: the path {path!r} {wrong}")
                continue
            if spec is None:  # null drops a default path
                continue
            mode = spec.get("mode") if isinstance(spec, dict) else None
            if isinstance(mode, int) and not isinstance(mode, bool):
                problems.append(
                    f"{where}:{path}:mode must be a quoted octal string like '0644', not the "
                    f"number {mode!r} (YAML reads an unquoted 0644 as 420)"
                )
                continue
            _check(spec, _PERMISSION, f"{where}:{path}", problems)
            if isinstance(mode, str) and not _is_octal_mode(mode):
                problems.append(
                    f"{where}:{path}:mode must be an octal mode like '0644', not {mode!r}"
                )


def _is_octal_mode(mode):
    return 3 <= len(mode) <= 4 and all(c in "01234567" for c in mode)


def problems(data=None):
    """
    Check the ``docker_host`` pillar (or ``data``) and say what is wrong with
    it: a list with one message per problem, and the exit code 1 (with
    ``salt-call --retcode-passthrough``, to gate a CI pipeline); when it is
    valid, one line that says so, and the exit code 0.

    CLI Example:

    .. code-block:: bash

        salt-call --retcode-passthrough docker_host_pillar.problems
        salt '*' docker_host_pillar.problems '{"daemon": {"storage_drivr": "btrfs"}}'
    """
    if data is None:
        data = __pillar__.get("docker_host", {})
    found = problems_in(data)
    if found:
        __context__["retcode"] = 1
        return found
    return "The docker_host pillar is valid: no problems found."


def problems_in(data):
    """
    Return what is wrong with the ``docker_host`` pillar data ``data``, one
    message per problem; an empty list when it is valid. What the formula's
    map and its first state ask.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_pillar.problems_in '{"users": {"members": "alice"}}'
    """
    found = []
    _check(data, SCHEMA, "docker_host", found)
    if not found:
        _check_together(data, found)
    return found


# dockerd's spellings of its socket-group flag, as DOCKER_OPTS names may give it.
_GROUP_FLAGS = ("group", "-G", "G", "--group")


def socket_group(data):
    """
    Return the group of the Docker socket that the merged ``docker_host``
    data declares: ``users:group`` when the users are managed (the daemon
    state writes it into the daemon's options), else the group the daemon's
    own options or daemon_json name, else ``docker``. The formula gives the
    socket this group in its permissions.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_pillar.socket_group '{"users": {"group": "dockerusers"}}'
    """
    users, daemon = data.get("users") or {}, data.get("daemon") or {}
    if users.get("manage", True):
        return users.get("group", "docker")
    options = daemon.get("options") or {}
    named = [options[flag] for flag in _GROUP_FLAGS if isinstance(options.get(flag), str)]
    return named[0] if named else (daemon.get("daemon_json") or {}).get("group", "docker")


def _check_together(data, problems):
    """What only shows when keys are read together: one socket group named in two
    places, one image listed twice."""
    daemon, users = data.get("daemon") or {}, data.get("users") or {}
    package = data.get("package") or {}
    if package.get("hold") and str(package.get("version") or "")[:1] in tuple("<>=~!"):
        problems.append(
            f"docker_host:package:hold holds one version, and docker_host:package:version is "
            f"{package['version']!r}: give a version such as 24.0.7_ce, or no version to "
            "hold the installed one"
        )
    # What the daemon state would refuse whatever the host, refused here, before
    # any state has changed anything.
    if data.get("proxy") is not None and not daemon.get("manage", True):
        problems.append(
            "docker_host:proxy is applied by the daemon's state, and docker_host:daemon:manage "
            "is false: manage the daemon, or leave proxy null"
        )
    if data.get("proxy") is not None:
        # docker_proxy owns what the proxy setting may be.
        problems.extend(
            f"docker_host:{problem}" for problem in __salt__["docker_proxy.check"](data["proxy"])
        )
    if daemon.get("tls") is not None:
        # docker_tls owns what the TLS settings may be.
        problems.extend(
            f"docker_host:daemon:{problem}"
            for problem in __salt__["docker_tls.check"](daemon["tls"])
        )
    problems.extend(
        f"docker_host:daemon:{problem}"
        for problem in __salt__["docker_daemon.check_settings"](
            daemon.get("options"),
            daemon.get("daemon_json"),
            tls=daemon.get("tls"),
            insecure_tcp_api=daemon.get("insecure_tcp_api", False),
        )
    )
    if users.get("manage", True):
        group = users.get("group", "docker")
        named = [("options", key, value) for key, value in (daemon.get("options") or {}).items()]
        named += [("daemon_json", "group", (daemon.get("daemon_json") or {}).get("group"))]
        for where, key, value in named:
            if key in _GROUP_FLAGS and value is not None and value != group:
                problems.append(
                    f"docker_host:daemon:{where}:{key} is {value!r} but docker_host:users:group "
                    f"is {group!r}: name the socket's group once, in docker_host:users:group"
                )
    for kind in ("load", "pull"):
        seen = set()
        for index, item in enumerate((data.get("images") or {}).get(kind) or []):
            name = __salt__["docker_images.normalize"](item["name"])
            if name in seen:
                problems.append(
                    f"docker_host:images:{kind}:{index}:name {item.get('name')} is listed twice "
                    f"(as {name}): list it once"
                )
            seen.add(name)


def keys(schema=None, prefix="docker_host"):
    """
    Return every pillar key, as ``{"docker_host:daemon:data_root": {"type": ...,
    "default": ..., "doc": ...}}``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_pillar.keys
    """
    schema = SCHEMA if schema is None else schema
    found = {}
    for name, item in schema.items():
        path = f"{prefix}:{name}"
        if isinstance(item, dict):
            found.update(keys(item, path))
            continue
        found[path] = {"type": " or ".join(item.kinds), "default": item.default, "doc": item.doc}
        if isinstance(item.items, dict):
            found.update(keys(item.items, f"{path}:N"))
    return found


def defaults(schema=None):
    """
    Return the defaults of every key: the first layer of the formula's map
    (``docker_host_map.data``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_pillar.defaults
    """
    schema = SCHEMA if schema is None else schema
    return {
        name: defaults(item) if isinstance(item, dict) else item.default
        for name, item in schema.items()
    }
