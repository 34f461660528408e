"""
IP forwarding for a Docker host on SUSE: the kernel, its persistent
configuration, and the firewall that would otherwise switch it off.

Containers reach other networks only when the host forwards packets. On SUSE
that takes more than the sysctl: SuSEfirewall2 switches forwarding off when
it starts unless ``FW_ROUTE`` says otherwise, and old SLES releases still
apply ``IP_FORWARD`` from ``/etc/sysconfig/sysctl`` at boot.

:depends: the ``sysconfig`` module of this extension; Salt's ``sysctl``
    module for the running kernel.
:configuration: none; every function takes ``root`` for an alternative root.

Why the persistent file is written here and not with ``sysctl.persist``:
that function rewrites the file in place and always changes the running
kernel too, which an image root being built must not see.
"""

import glob
import os
import re

from salt.exceptions import CommandExecutionError

__virtualname__ = "docker_forwarding"

PERSISTENT_FILE = "/etc/sysctl.d/90-docker-host-forwarding.conf"
KEYS = {"ipv4": "net.ipv4.ip_forward", "ipv6": "net.ipv6.conf.all.forwarding"}
# The order in which systemd-sysctl and "sysctl --system" apply the files:
# by file name across these directories (the first directory wins a name),
# then /etc/sysctl.conf.
SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
# Settings that also switch a family's forwarding, besides KEYS.
ALIASES = {
    "ipv4": ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"),
    "ipv6": ("net.ipv6.conf.all.forwarding",),
}
_ASSIGNMENT = re.compile(r"^\s*-?\s*([\w./*-]+)\s*=\s*(.*?)\s*$")


def __virtual__():
    return __virtualname__


def _path(path, root):
    return __salt__["sysconfig.resolve"](path, root=root)


def _live(root):
    return root in (None, "", "/")


def runtime(root=None):
    """
    Return the running kernel's forwarding switches (``{"ipv4": "1", "ipv6": "0"}``),
    or ``None`` under an alternative root, which no kernel runs.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.runtime
    """
    if not _live(root):
        return None
    return {family: str(__salt__["sysctl.get"](key)).strip() for family, key in KEYS.items()}


def set_runtime(family, enabled):
    """
    Switch forwarding for ``ipv4`` or ``ipv6`` in the running kernel (Salt's
    ``sysctl.assign``); return the old value.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.set_runtime ipv4 True
    """
    key = KEYS[family]
    old = str(__salt__["sysctl.get"](key)).strip()
    __salt__["sysctl.assign"](key, "1" if enabled else "0")
    return old


def persistent_text(wanted):
    """The content of the persistent file for ``{"ipv4": bool, "ipv6": bool}``."""
    lines = [
        "# Managed by Salt (docker_host.forwarding): containers reach other networks",
        "# only while the host forwards packets.",
    ]
    for family in ("ipv4", "ipv6"):
        if family in wanted:
            lines.append(f"{KEYS[family]} = {1 if wanted[family] else 0}")
    return "\n".join(lines) + "\n"


def read_persistent(root=None):
    """
    Return the persistent file's content, or ``None`` when there is none.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.read_persistent
    """
    try:
        with open(_path(PERSISTENT_FILE, root), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CommandExecutionError(f"cannot read {PERSISTENT_FILE}: {err.strerror}") from err


def write_persistent(text, root=None):
    """
    Write the persistent file atomically (temporary file, fsync, rename), 0644.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.write_persistent 'net.ipv4.ip_forward = 1'
    """
    path = _path(PERSISTENT_FILE, root)
    return __salt__["docker_host_files.write_atomic"](path, text, mode=0o644)


def _inside(path, root):
    """The file ``path`` (already under ``root``) really is, links resolved inside
    the root (an absolute link in an image root points into the image)."""
    if _live(root):
        return os.path.realpath(path)
    base = os.path.abspath(root)
    return __salt__["sysconfig.resolve"]("/" + os.path.relpath(path, base), root=root)


def later_settings(root=None):
    """
    Return the settings of forwarding keys that the boot applies after the
    persistent file, which would override it: ``[{file, line, key, value}]``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.later_settings
    """
    ours = os.path.basename(PERSISTENT_FILE)
    by_name = {}
    for directory in SYSCTL_DIRS:
        for path in glob.glob(os.path.join(_path(directory, root), "*.conf")):
            by_name.setdefault(os.path.basename(path), (directory, path))
    later = [by_name[name] for name in sorted(by_name) if name > ours]
    later.append(("/etc", _path("/etc/sysctl.conf", root)))
    watched = {key for keys in ALIASES.values() for key in keys}
    found, seen = [], set()
    for directory, path in later:
        real = _inside(path, root)
        if real in seen:
            continue  # 99-sysctl.conf is often a link to /etc/sysctl.conf
        seen.add(real)
        try:
            with open(real, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        shown = os.path.join(directory, os.path.basename(path))
        for number, line in enumerate(lines, 1):
            # A comment (# or ;) never matches: neither is a key's character.
            match = _ASSIGNMENT.match(line)
            if match and match.group(1).replace("/", ".") in watched:
                found.append(
                    {"file": shown, "line": number, "key": match.group(1), "value": match.group(2)}
                )
    return found


def overriding_settings(wanted, root=None):
    """
    Return the later settings that disagree with ``wanted`` (``{"ipv4": bool, ...}``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.overriding_settings '{"ipv4": true}'
    """
    return [
        setting
        for setting in later_settings(root)
        for family, want in wanted.items()
        if setting["key"].replace("/", ".") in ALIASES[family]
        and setting["value"] != str(int(want))
    ]


def keys():
    """
    Return the sysctl keys for each family.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.keys
    """
    return dict(KEYS)


def persistent_file():
    """
    Return the path of the persistent file (under the root, when given).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.persistent_file
    """
    return PERSISTENT_FILE
