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

This module owns forwarding end to end: ``plan`` reads every layer and
says what must change, ``apply`` is the only writer of those layers, and
the ``docker_host.forwarding`` state only passes its arguments between them.
The rules themselves (``_runtime_plan``, ``_legacy_plan``,
``_susefirewall2_plan``, ``_firewalld_plan``, ``fw_route``) take plain data
and touch nothing, so that they are tested on tables of cases.

Why the persistent file is written here and not with ``sysctl.persist``:
that function rewrites the file in place and always changes the running
kernel too, which an image root being built must not see.
"""

import contextlib
import glob
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

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
FIREWALLS = ("auto", "SuSEfirewall2", "firewalld", "none")
SUSEFIREWALL2_FILE = "/etc/sysconfig/SuSEfirewall2"
FIREWALLD_BINARY = "/usr/sbin/firewalld"
# What shows that a firewall is installed (in an image root, not yet enabled).
INSTALLED = {"SuSEfirewall2": SUSEFIREWALL2_FILE, "firewalld": FIREWALLD_BINARY}
# Docker Engine 20.10+ puts its bridge into firewalld's zone "docker" (target
# ACCEPT) when it starts while firewalld runs, at runtime only: a firewalld
# started after dockerd has docker0 in no zone and drops what containers send.
DOCKER_ZONE, BRIDGE = "docker", "docker0"
# Old SLES applies these from /etc/sysconfig/sysctl at boot, after the sysctl files.
LEGACY_FILE = "/etc/sysconfig/sysctl"
LEGACY = {"ipv4": "IP_FORWARD", "ipv6": "IPV6_FORWARD"}
_ASSIGNMENT = re.compile(r"^\s*-?\s*([\w./*-]+)\s*=\s*(.*?)\s*$")


def __virtual__():
    return __virtualname__


def _path(path, root):
    return __salt__["sysconfig.resolve"](path, root=root)


def _live(root):
    return __salt__["sysconfig.image_root"](root) is None


def runtime(root=None):
    """
    Return the running kernel's forwarding switches (``{"ipv4": "1", "ipv6": "0"}``),
    or ``None`` under an alternative root, which no kernel runs. A kernel
    without IPv6 (``ipv6.disable=1``) has no ``ipv6`` switch.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.runtime
    """
    if not _live(root):
        return None
    return {
        family: str(__salt__["sysctl.get"](key)).strip()
        for family, key in KEYS.items()
        if os.path.exists("/proc/sys/" + key.replace(".", "/"))
    }


def _persistent_text(wanted):
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
    return __salt__["docker_host_files.read_text"](_path(PERSISTENT_FILE, root))


def _real(name, root):
    """The file the boot reads for ``name``: every link followed, inside the root
    for an image root (an absolute link there points into the image)."""
    if _live(root):
        return os.path.realpath(name)
    return __salt__["sysconfig.resolve"](name, root=root)


def _settings(root, after=""):
    """The settings of forwarding keys in the files the boot applies, in the
    order it applies them, from the sysctl file named after ``after`` on:
    ``[{file, line, key, value}]``."""
    by_name = {}
    for directory in SYSCTL_DIRS:
        for path in glob.glob(os.path.join(_path(directory, root), "*.conf")):
            name = os.path.basename(path)
            by_name.setdefault(name, os.path.join(directory, name))
    files = [by_name[name] for name in sorted(by_name) if name > after]
    files.append("/etc/sysctl.conf")
    watched = {key for keys in ALIASES.values() for key in keys}
    found, seen = [], set()
    for shown in files:
        real = _real(shown, root)
        if real in seen:
            continue  # 99-sysctl.conf is often a link to /etc/sysctl.conf
        seen.add(real)
        try:
            text = __salt__["docker_host_files.read_text"](real)
        except CommandExecutionError:
            continue  # what the boot cannot read either sets nothing
        lines = (text or "").splitlines()
        for number, line in enumerate(lines, 1):
            # A comment (# or ;) never matches: neither is a key's character.
            match = _ASSIGNMENT.match(line)
            if match and match.group(1).replace("/", ".") in watched:
                found.append(
                    {"file": shown, "line": number, "key": match.group(1), "value": match.group(2)}
                )
    return found


def later_settings(root=None):
    """
    Return the settings of forwarding keys that the boot applies after the
    persistent file, which would override it: ``[{file, line, key, value}]``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.later_settings
    """
    return _settings(root, after=os.path.basename(PERSISTENT_FILE))


def at_boot(root=None):
    """
    Return forwarding as the boot sets it, from the files alone: for each
    family, ``{"on": bool, "seen": where}`` from the last setting the boot
    applies (the sysctl files in systemd-sysctl's order, ``/etc/sysctl.conf``,
    then old SLES' ``IP_FORWARD`` and ``IPV6_FORWARD`` in
    ``/etc/sysconfig/sysctl``); the kernel's default, off, when nothing sets
    it. This is what an image root's forwarding will be when it boots.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.at_boot root=/srv/image-root
    """
    state = {family: {"on": False, "seen": "the kernel's default"} for family in KEYS}
    for setting in _settings(root):
        for family, names in ALIASES.items():
            if setting["key"].replace("/", ".") in names:
                state[family] = {
                    "on": setting["value"] == "1",
                    "seen": f"{setting['file']} line {setting['line']}: "
                    f"{setting['key']} = {setting['value']}",
                }
    if __salt__["docker_host.exists"](LEGACY_FILE, root=root):
        items = __salt__["sysconfig.items"](LEGACY_FILE, root=root)
        for family, name in LEGACY.items():
            # Empty leaves the setting to the sysctl files.
            if items.get(name) in ("yes", "no"):
                state[family] = {
                    "on": items[name] == "yes",
                    "seen": f'{LEGACY_FILE}: {name}="{items[name]}"',
                }
    return state


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


# --------------------------------------------------------------------------
# The rules, on plain data
# --------------------------------------------------------------------------


def fw_route(ipv4, ipv6):
    """
    Return the ``FW_ROUTE`` value that SuSEfirewall2 reads as routing exactly
    these families (``yes`` is IPv4 alone, as the file's own comment says).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.fw_route True False
    """
    if ipv4 and ipv6:
        return "IPv4,IPv6"
    if ipv4:
        return "yes"
    return "IPv6" if ipv6 else "no"


def fw_routes(value):
    """
    Return ``(IPv4, IPv6)``: which families SuSEfirewall2 routes with this
    ``FW_ROUTE``. It takes ``yes`` or a comma list, spelled exactly so.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.fw_routes IPv4,IPv6
    """
    items = value.split(",") if value else ()
    return value == "yes" or "IPv4" in items, "IPv6" in items


def _runtime_plan(current, wanted):
    """``{family: {old, new}}`` for the kernel switches that differ from ``wanted``."""
    plan = {}
    for family, want in wanted.items():
        value = "1" if want else "0"
        if current[family] != value:
            plan[family] = {"old": current[family], "new": value}
    return plan


def _legacy_plan(items, wanted):
    """The ``/etc/sysconfig/sysctl`` values to change: only a variable that says the
    opposite of ``wanted`` (empty means "leave it alone" to the boot scripts)."""
    plan = {}
    for family, want in wanted.items():
        against = "no" if want else "yes"
        if items.get(LEGACY[family]) == against:
            plan[LEGACY[family]] = "yes" if want else "no"
    return plan


def _susefirewall2_plan(route, ipv4, ipv6, masquerade):
    """The SuSEfirewall2 values to set: ``FW_ROUTE`` when it routes other families
    than wanted (``ipv6`` None keeps what it routes), ``FW_MASQUERADE`` when given."""
    values = {}
    routes = fw_routes(route)
    wanted_routes = (ipv4, routes[1] if ipv6 is None else ipv6)
    if routes != wanted_routes:
        values["FW_ROUTE"] = fw_route(*wanted_routes)
    if masquerade is not None:
        values["FW_MASQUERADE"] = "yes" if masquerade else "no"
    return values


def _firewalld_plan(zone, masquerading, ipv4):
    """Masquerading in firewalld's ``zone``, runtime and permanent, as ``ipv4`` wants;
    ``masquerading`` is ``{permanent: bool}``."""
    plan = {}
    for permanent in (False, True):
        label = f"masquerade in zone {zone} ({'permanent' if permanent else 'runtime'})"
        if masquerading[permanent] != ipv4:
            plan[label] = {
                "old": masquerading[permanent],
                "new": ipv4,
                "permanent": permanent,
                "zone": zone,
            }
    return plan


def _docker_zone_plan(permanent_zones, runtime_zones, bound):
    """docker0 in firewalld's docker zone, runtime and permanent, where the zone
    exists; ``bound`` is ``{permanent: bool}``."""
    plan = {}
    for permanent, zones in ((False, runtime_zones), (True, permanent_zones)):
        if DOCKER_ZONE in zones and not bound[permanent]:
            label = f"{BRIDGE} in zone {DOCKER_ZONE} ({'permanent' if permanent else 'runtime'})"
            plan[label] = {
                "old": False,
                "new": True,
                "permanent": permanent,
                "zone": DOCKER_ZONE,
                "interface": BRIDGE,
            }
    return plan


def _check_arguments(ipv4, ipv6, firewall, masquerade, release_firewall):
    problems = []
    if not isinstance(ipv4, bool):
        problems.append(f"ipv4 must be true or false, not {ipv4!r}")
    if ipv6 is not None and not isinstance(ipv6, bool):
        problems.append(f"ipv6 must be true, false or null, not {ipv6!r}")
    if firewall not in FIREWALLS:
        problems.append(f"firewall must be one of {', '.join(FIREWALLS)}, not {firewall!r}")
    if masquerade is not None and not isinstance(masquerade, bool):
        problems.append(f"masquerade must be true, false or null, not {masquerade!r}")
    if masquerade and ipv4 is False:
        problems.append("masquerade: true needs ipv4: true (SuSEfirewall2 masquerades routed IPv4)")
    if release_firewall is not None and release_firewall not in INSTALLED:
        problems.append(
            f"release_firewall must be one of {', '.join(INSTALLED)} or null, "
            f"not {release_firewall!r}"
        )
    if problems:
        raise SaltInvocationError("; ".join(problems))


# --------------------------------------------------------------------------
# Plan and apply
# --------------------------------------------------------------------------


def _chosen_firewall(firewall, root, release_firewall=None):
    """The firewall to configure (or None); refuse one that is not installed.

    ``auto`` is the firewall the host enables. An image root being built has
    its firewall installed but usually not enabled yet: there, ``auto`` is the
    release's firewall when it is installed."""
    if firewall == "none":
        return None
    if firewall == "auto":
        enabled = (
            __salt__["docker_host_facts.collect"](root=root).get("network", {}).get("firewall")
        )
        if enabled or root is None or release_firewall is None:
            return enabled
        installed = __salt__["docker_host.exists"](INSTALLED[release_firewall], root=root)
        return release_firewall if installed else None
    if firewall == "SuSEfirewall2":
        if not __salt__["docker_host.exists"](SUSEFIREWALL2_FILE, root=root):
            raise CommandExecutionError(
                f"firewall SuSEfirewall2 is not installed here (no {SUSEFIREWALL2_FILE}): "
                "install it, or give firewall: auto or none"
            )
        return firewall
    if not __salt__["docker_host.exists"](FIREWALLD_BINARY, root=root):
        raise CommandExecutionError(
            f"firewall firewalld is not installed here (no {FIREWALLD_BINARY}): install it, "
            "or give firewall: auto or none"
        )
    if _live(root) and "firewalld.default_zone" not in __salt__:
        raise CommandExecutionError(
            "firewalld is installed, but firewall-cmd is not: install firewalld fully"
        )
    return firewall


def plan(ipv4=True, ipv6=None, firewall="auto", masquerade=None, root=None, release_firewall=None):
    """
    Read every forwarding layer and return what must change for these
    settings (the arguments of the ``docker_host.forwarding`` state); change
    nothing. ``apply`` carries the plan out.

    The plan's ``changes`` has one entry per layer that differs: ``runtime``
    (the running kernel; never under an image root), ``persistent`` (this
    module's file in ``/etc/sysctl.d``), ``legacy`` (old SLES'
    ``/etc/sysconfig/sysctl``) and ``firewall`` (SuSEfirewall2's
    ``FW_ROUTE`` and ``FW_MASQUERADE``, or firewalld's masquerading); its
    ``notes`` say what an administrator must know (a restart, an image root),
    and its ``comment`` says it all in a sentence.

    A setting the boot applies after the persistent file and that disagrees
    is refused with its file and line, as is a firewall that is not
    installed. ``release_firewall`` (``SuSEfirewall2`` or ``firewalld``, the
    firewall the release ships) is what ``firewall: auto`` configures in an
    image root where it is installed but no firewall is enabled yet.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.plan ipv6=True
        salt '*' docker_forwarding.plan firewall=none root=/srv/image-root
    """
    _check_arguments(ipv4, ipv6, firewall, masquerade, release_firewall)
    root = __salt__["sysconfig.image_root"](root)  # refuses a root that is no path
    if root is not None and not os.path.isdir(root):
        raise CommandExecutionError(f"root {root} does not exist")
    wanted = {"ipv4": ipv4} if ipv6 is None else {"ipv4": ipv4, "ipv6": ipv6}
    result = {
        "root": root,
        "wanted": wanted,
        "changes": {},
        "notes": [],
        "runtime": {},
        "persistent": None,
        "legacy": {},
        "susefirewall2": {},
        "firewalld": {},
    }
    _plan_kernel(result)
    _plan_persistent(result)
    _plan_legacy(result)
    chosen = _chosen_firewall(firewall, root, release_firewall)
    if chosen == "SuSEfirewall2":
        _plan_susefirewall2(result, ipv6, masquerade)
    elif chosen == "firewalld":
        _plan_firewalld(result)
    if not ipv4:  # on this host, or when the image boots
        result["notes"].append(
            "dockerd switches IPv4 forwarding on when it starts, unless its ip-forward "
            "option is false (docker_host.daemon_configured)."
        )
    changes = result["changes"]
    said = (
        f"{', '.join(changes)} would change." if changes else "Forwarding is already as specified."
    )
    result["comment"] = " ".join([said, *result["notes"]])
    return result


# Each _plan_* reads one layer and adds what must change to the plan.


def _plan_kernel(result):
    root, wanted = result["root"], result["wanted"]
    if root is not None:
        result["notes"].append(
            f"{root} is an image root, not a running system: the running kernel was left alone."
        )
        return
    current = runtime()
    if "ipv6" in wanted and "ipv6" not in current:
        raise CommandExecutionError(
            "ipv6 was asked for, but this kernel has no IPv6 (/proc/sys/net/ipv6): "
            "give ipv6: null, or boot it without ipv6.disable=1"
        )
    result["runtime"] = _runtime_plan(current, wanted)
    if result["runtime"]:
        result["changes"]["runtime"] = {
            KEYS[family]: change for family, change in result["runtime"].items()
        }


def _plan_persistent(result):
    """The persistent file, refused when a file the boot applies later disagrees."""
    root, wanted = result["root"], result["wanted"]
    text, old_text = _persistent_text(wanted), read_persistent(root)
    if old_text != text:
        result["persistent"] = text
        result["changes"]["persistent"] = {"file": PERSISTENT_FILE, "old": old_text, "new": text}
    overriding = overriding_settings(wanted, root)
    if overriding:
        raise CommandExecutionError(
            "; ".join(
                f"{s['file']} line {s['line']} sets {s['key']} = {s['value']}, and the boot "
                "applies it after this state's file"
                for s in overriding
            )
            + ": remove that line, or make it agree"
        )


def _plan_legacy(result):
    """Old SLES: /etc/sysconfig/sysctl's IP_FORWARD is applied at boot too."""
    root = result["root"]
    if not __salt__["docker_host.exists"](LEGACY_FILE, root=root):
        return
    legacy = _legacy_plan(__salt__["sysconfig.items"](LEGACY_FILE, root=root), result["wanted"])
    if not legacy:
        return
    # The prediction reads the file again: what it says is what the plan holds to,
    # and apply writes only while the file still says it.
    predicted = __salt__["sysconfig.update"](LEGACY_FILE, legacy, root=root, test=True)
    legacy = {key: value for key, value in legacy.items() if key in predicted["changes"]}
    if legacy:
        result["legacy"] = legacy
        result["changes"]["legacy"] = predicted["changes"]
        result["notes"].append(
            f"{LEGACY_FILE} set {', '.join(legacy)} against it, and old SLES applies "
            "that at boot after the sysctl files."
        )


def _plan_susefirewall2(result, ipv6, masquerade):
    root = result["root"]
    route = __salt__["sysconfig.get"](SUSEFIREWALL2_FILE, "FW_ROUTE", root=root)
    values = _susefirewall2_plan(route, result["wanted"]["ipv4"], ipv6, masquerade)
    if not values:
        return
    predicted = __salt__["sysconfig.update"](
        SUSEFIREWALL2_FILE, values, root=root, test=True, types={"FW_ROUTE": "string"}
    )
    if predicted["changes"]:
        result["changes"]["firewall"] = predicted["changes"]
        result["notes"].append("SuSEfirewall2 reads it when it starts: restart SuSEfirewall2.")
    result["susefirewall2"] = {k: v for k, v in values.items() if k in predicted["changes"]}


def _plan_firewalld(result):
    if result["root"] is not None:
        result["notes"].append(
            f"firewalld is not running under the image root {result['root']}: its "
            "masquerading is set when this state runs on the booted system."
        )
        return
    _plan_running_firewalld(result)


def _plan_running_firewalld(result):
    """Read the running firewalld's default zone and its masquerading."""
    ipv4 = result["wanted"]["ipv4"]
    try:
        zone = __salt__["firewalld.default_zone"]()
        masquerading = {
            permanent: bool(__salt__["firewalld.get_masquerade"](zone, permanent=permanent))
            for permanent in (False, True)
        }
    except CommandExecutionError as err:
        raise CommandExecutionError(
            f"firewalld does not answer ({err}): start it, or give firewall: none"
        ) from err
    result["firewalld"] = _firewalld_plan(zone, masquerading, ipv4)
    if ipv4:
        result["firewalld"].update(_plan_docker_zone(result))
    if result["firewalld"]:
        result["changes"]["firewall"] = {
            label: {"old": c["old"], "new": c["new"]} for label, c in result["firewalld"].items()
        }


def _plan_docker_zone(result):
    """docker0 bound to the docker zone for good, so that containers keep the
    network when firewalld starts after dockerd (a restart, a boot order)."""
    zones = {
        permanent: __salt__["firewalld.get_zones"](permanent=permanent)
        for permanent in (False, True)
    }
    if DOCKER_ZONE not in zones[True]:
        result["notes"].append(
            f"firewalld has no zone {DOCKER_ZONE} yet: dockerd makes it when it starts while "
            f"firewalld runs; apply this state again then, so that {BRIDGE} stays in it."
        )
        return {}
    bound = {
        permanent: DOCKER_ZONE in zones[permanent]
        and BRIDGE in __salt__["firewalld.get_interfaces"](DOCKER_ZONE, permanent=permanent)
        for permanent in (False, True)
    }
    return _docker_zone_plan(zones[True], zones[False], bound)


# The writers, one per layer of a plan; apply calls each with the whole plan.


def _changed_after_plan(path):
    return CommandExecutionError(
        f"{path} changed after the plan was made: plan again. Nothing was written to it"
    )


def _found(changes):
    """What a sysconfig file's variables held when the plan read them (``""``: unset)."""
    return {key: change["old"] or "" for key, change in changes.items()}


def _recording(path, variables, root):
    """What a write of forwarding's files does is recorded, so that
    ``docker_host.clean`` can take it back (``docker_host_record``)."""
    return __salt__["docker_host_record.recording"]("forwarding", {path: variables}, root=root)


def _write_legacy(planned):
    with _recording(LEGACY_FILE, list(planned["legacy"]), planned["root"]):
        conflicts = __salt__["sysconfig.update"](
            LEGACY_FILE,
            planned["legacy"],
            root=planned["root"],
            expect=_found(planned["changes"]["legacy"]),
        )["conflicts"]
    if conflicts:
        raise _changed_after_plan(LEGACY_FILE)


def _write_susefirewall2(planned):
    with _recording(SUSEFIREWALL2_FILE, list(planned["susefirewall2"]), planned["root"]):
        conflicts = __salt__["sysconfig.update"](
            SUSEFIREWALL2_FILE,
            planned["susefirewall2"],
            root=planned["root"],
            types={"FW_ROUTE": "string"},
            expect=_found(planned["changes"]["firewall"]),
        )["conflicts"]
    if conflicts:
        raise _changed_after_plan(SUSEFIREWALL2_FILE)


def _set_firewalld(planned):
    """The running firewalld's masquerading and the bridge's zone, runtime and
    permanent."""
    for change in planned["firewalld"].values():
        if "interface" in change:
            __salt__["firewalld.add_interface"](
                change["zone"], change["interface"], permanent=change["permanent"]
            )
            continue
        action = "firewalld.add_masquerade" if change["new"] else "firewalld.remove_masquerade"
        __salt__[action](change["zone"], permanent=change["permanent"])


def _write_persistent(planned):
    """The persistent file, atomically (temporary file, fsync, rename), 0644, only
    while it holds what the plan read."""
    path = _path(PERSISTENT_FILE, planned["root"])
    old = planned["changes"]["persistent"]["old"]
    with _recording(PERSISTENT_FILE, [], planned["root"]):
        wrote = __salt__["docker_host_files.write_atomic"](
            path,
            planned["persistent"],
            mode=0o644,
            root=planned["root"],
            expect=False if old is None else old,
        )
    if not wrote:
        raise _changed_after_plan(PERSISTENT_FILE)


def _stale_files(planned):
    """The files of a plan that no longer hold what the plan read. One that cannot be
    read now is left to its writer, whose error says which layer failed."""
    root, changes, stale = planned["root"], planned["changes"], []
    with contextlib.suppress(CommandExecutionError):
        if planned["persistent"] and read_persistent(root) != changes["persistent"]["old"]:
            stale.append(PERSISTENT_FILE)
    for key, path, label in (
        ("legacy", LEGACY_FILE, "legacy"),
        ("susefirewall2", SUSEFIREWALL2_FILE, "firewall"),
    ):
        if not planned[key]:
            continue
        try:
            now = __salt__["sysconfig.items"](path, root=root)
        except CommandExecutionError:
            continue
        if any(now.get(name, "") != value for name, value in _found(changes[label]).items()):
            stale.append(path)
    return stale


def _set_kernel(planned):
    """The running kernel's switches (Salt's ``sysctl.assign``)."""
    for family, change in planned["runtime"].items():
        __salt__["sysctl.assign"](KEYS[family], change["new"])


# The layers in the order apply writes them: what the boot reads last goes
# first, and the running kernel last, once nothing would switch it back. Each
# is (the plan's key, the key of changes it reports, its writer).
LAYERS = (
    ("legacy", "legacy", _write_legacy),
    ("susefirewall2", "firewall", _write_susefirewall2),
    ("firewalld", "firewall", _set_firewalld),
    ("persistent", "persistent", _write_persistent),
    ("runtime", "runtime", _set_kernel),
)


def apply(planned):
    """
    Carry out a plan from ``plan``: this is the only writer of forwarding's
    layers. Return ``{"result", "changes", "comment"}``: ``changes`` holds the
    layers that were changed. A file that no longer holds what the plan read
    is not written over (another writer changed it since): nothing is
    written, plan again. When a layer fails, the ones before it stay changed
    and the comment names both; on the live system the running kernel is
    read back afterwards.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_forwarding.plan ipv6=True | jq -c .local)
        salt-call docker_forwarding.apply "$plan"
    """
    changes, done = planned["changes"], {}
    stale = _stale_files(planned)
    if stale:
        # Written now, the plan would undo what was changed since.
        return {
            "result": False,
            "changes": {},
            "comment": f"{' and '.join(stale)} changed after the plan was made: plan again. "
            "Nothing was written",
        }
    for key, layer, write in LAYERS:
        if not planned[key]:
            continue
        try:
            write(planned)
        except (CommandExecutionError, SaltInvocationError, OSError) as err:
            return {
                "result": False,
                "changes": done,
                "comment": f"{layer} could not be changed ({err}); already changed: "
                f"{', '.join(done) or 'nothing'}",
            }
        done[layer] = changes[layer]
    if planned["root"] is None:
        now = runtime()
        wrong = [f for f, want in planned["wanted"].items() if now[f] != ("1" if want else "0")]
        if wrong:
            return {
                "result": False,
                "changes": changes,
                "comment": f"the kernel still reports other values for {', '.join(wrong)} "
                "forwarding after the change",
            }
    return {
        "result": True,
        "changes": changes,
        "comment": " ".join([f"{', '.join(changes)} changed.", *planned["notes"]]),
    }


def clean_plan(root=None):
    """
    Return what taking back this extension's forwarding files would change
    (the ``forwarding`` part of ``docker_host.clean``): its sysctl.d file
    goes, ``IP_FORWARD`` and SuSEfirewall2's ``FW_ROUTE`` and
    ``FW_MASQUERADE`` get their earlier values, each while it still holds
    what was written (``docker_host_record.plan_restore``). The running
    kernel and firewalld are left as they are: containers that run keep their
    network until the next boot. Change nothing.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_forwarding.clean_plan
    """
    planned = __salt__["docker_host_record.plan_restore"]("forwarding", root=root)
    planned["comment"] = (
        f"{', '.join(planned['changes'])} would be put back as before suse-docker-host; "
        "the running kernel keeps forwarding until the next boot."
        if planned["changes"]
        else "Forwarding's files hold none of suse-docker-host's changes."
    )
    return planned


def clean_apply(planned):
    """
    Carry out a plan from ``clean_plan``. Return ``{"result", "changes",
    "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_forwarding.clean_plan | jq -c .local)
        salt-call docker_forwarding.clean_apply "$plan"
    """
    return __salt__["docker_host_record.apply_restore"](planned)
