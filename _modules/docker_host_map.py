"""
The docker_host formula's map: the data its SLS files render from.

``data`` merges, each layer over the last, the defaults of the pillar
schema (``docker_host_pillar.defaults``), the formula's OS maps
(``osfamilymap.yaml`` by the grain ``os_family``, ``osmap.yaml`` by
``osfullname``, ``osfingermap.yaml`` by ``osfinger``) and pillar
``docker_host:`` when it is valid. From the merged data it derives what the
SLS files need: which concern renders a state, what each state requires,
the socket's group and the files whose permissions are enforced.

Why Python and not a ``map.jinja``: Salt compiles a Jinja template anew for
every SLS that imports it, so a map imported by eight SLS files costs eight
compilations in every run, on every minion. Here the merge runs once per
state run: its result is kept in ``__context__``, which Salt makes anew for
each state run, and the formula's SLS files (Python, ``#!py``) only read it.
Reading the map probes nothing on the host: ``auto`` values are resolved by
the states when they run.

:depends: nothing beyond Python.
:configuration: reads pillar ``docker_host`` and the grains ``os_family``,
    ``osfullname`` and ``osfinger``.
"""

import os

import salt.utils.yaml
from salt.exceptions import CommandExecutionError

__virtualname__ = "docker_host_map"

# The OS maps, each chosen by one grain, in the order they are merged.
OS_MAPS = (
    ("osfamilymap.yaml", "os_family"),
    ("osmap.yaml", "osfullname"),
    ("osfingermap.yaml", "osfinger"),
)

# What each concern's states require, by concern; the service's own list
# depends on the target (see _needs).
_NEEDS = {
    "package": ["pillar"],
    "users": ["pillar", "package"],
    "daemon": ["pillar", "package", "users"],
    "forwarding": ["pillar"],
    "permissions": ["pillar", "package", "users", "daemon"],
    "images": ["pillar", "service"],
}

_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


def __virtual__():
    return __virtualname__


def data(tplroot="docker_host", saltenv="base"):
    """
    Return the formula's map for this minion: ``docker_host`` (the merged
    data), ``pillar_problems`` (what is wrong with pillar ``docker_host:``, or
    what cannot be applied on this minion; nothing renders then, and a
    wrong pillar is not merged), ``setup_problems`` (the latter alone),
    ``root`` (the image root, or None for the running system), ``requisite``
    (each concern's state as a requisite, or None when the concern renders
    nothing), ``requires`` (each concern's requisites), ``socket_group`` and
    ``permissions``.

    ``tplroot`` is the formula's directory on the fileserver, dotted as in SLS
    names (``docker_host``, or ``formulas.docker_host`` for a formula kept in
    a subdirectory), ``saltenv`` the environment its OS maps are read from.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_map.data
        salt '*' docker_host_map.data saltenv=prod
    """
    kept = __context__.setdefault("docker_host_map.data", {})
    key = f"{tplroot}:{saltenv}"
    if key not in kept:
        pillar = _plain(__pillar__.get("docker_host", {}))
        grains = _target_grains(pillar.get("root"))
        layers = [__salt__["docker_host_pillar.defaults"]()]
        layers += [_os_layer(tplroot, saltenv, name, grains.get(grain)) for name, grain in OS_MAPS]
        problems = __salt__["docker_host_pillar.problems_in"](pillar)
        beacon = (__pillar__.get("beacons") or {}).get("docker_host")
        # The drift beacon's configuration is checked with the rest: Salt
        # itself only logs a beacon it refuses.
        drift = [] if beacon is None else __salt__["docker_host_drift.problems"](_plain(beacon))
        kept[key] = _derive(tplroot, layers, pillar, problems, drift)
    return kept[key]


def _plain(value):
    """``value`` as plain dicts and lists, the keys of every dict sorted.

    Salt 3008 keeps pillar in containers that mask their values when
    printed, and its ``pillar.get`` masks the values it returns outside
    templates: the states' arguments must be the values themselves. Sorted,
    the arguments do not depend on the order in which pillar files were
    written or merged, so neither do the files the states write."""
    if isinstance(value, dict):
        return {key: _plain(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# An image's os-release ID, as Salt's grains name the distribution
# (os_family, osfullname); osfinger adds the major release.
_IMAGE_OS = {
    "sles": ("Suse", "SLES"),
    "sles_sap": ("Suse", "SLES_SAP"),
    "sled": ("Suse", "SLED"),
    "opensuse-leap": ("Suse", "Leap"),
    "opensuse": ("Suse", "Leap"),  # Leap 42's os-release
    "opensuse-tumbleweed": ("Suse", "openSUSE Tumbleweed"),
}


def _target_grains(root):
    """The grains the OS maps are chosen by: this minion's, or for an image
    root the image's own, from its os-release (the build host's release is
    not the image's). An image of another distribution, or without an
    os-release, gets no OS layer."""
    if not isinstance(root, str) or __salt__["sysconfig.image_root"](root) is None:
        return {grain: __grains__.get(grain) for _, grain in OS_MAPS}
    release = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            release = __salt__["sysconfig.items"](path, root=root)
            break
        except CommandExecutionError:
            continue
    family, name = _IMAGE_OS.get(release.get("ID"), (None, None))
    major = (release.get("VERSION_ID") or "").split(".")[0]
    return {
        "os_family": family,
        "osfullname": name,
        "osfinger": f"{name}-{major}" if name and major else None,
    }


def _os_layer(tplroot, saltenv, name, value):
    """The entry of one OS map that ``value`` (of its grain) selects, or {}."""
    source = f"salt://{tplroot.replace('.', '/')}/{name}"
    text = __salt__["cp.get_file_str"](source, saltenv=saltenv)
    if text is False:
        raise CommandExecutionError(
            f"{source} is not on the fileserver in saltenv {saltenv}: serve the whole "
            "docker_host directory of suse-docker-host from file_roots"
        )
    table = salt.utils.yaml.safe_load(text) or {}
    return table.get(value) or {} if value is not None else {}


def _derive(tplroot, layers, pillar, pillar_problems, drift_problems=()):
    """The map from its layers (defaults first), pillar ``docker_host:``, the
    problems the schema found in it and those of pillar ``beacons:docker_host``
    (setup problems: the pillar state names them); see ``data``."""
    docker_host = layers[0]
    for layer in [*layers[1:], {} if pillar_problems else pillar]:
        docker_host = __salt__["slsutil.merge"](docker_host, layer)
    docker_host = _plain(docker_host)
    # '' and '/' both mean the running system.
    root = docker_host["root"] if docker_host["root"] not in ("", "/") else None
    setup_problems = [
        *drift_problems,
        *([] if pillar_problems else _setup_problems(docker_host, root)),
    ]
    valid = not pillar_problems and not setup_problems
    requisite = _requisites(tplroot, docker_host, root) if valid else dict.fromkeys(_CONCERNS)
    requisite["pillar"] = {"docker_host_pillar": "docker-host-pillar-valid"}
    socket_group = __salt__["docker_host_pillar.socket_group"](docker_host) if valid else None
    return {
        "docker_host": docker_host,
        "pillar_problems": [*pillar_problems, *setup_problems],
        "setup_problems": setup_problems,
        "root": root,
        "requisite": requisite,
        "requires": _requires(requisite, docker_host, root),
        "socket_group": socket_group,
        "permissions": _permissions(docker_host, socket_group) if valid else [],
    }


_CONCERNS = ("package", "users", "daemon", "forwarding", "permissions", "service")


def kiwi_build_root():
    """
    Return the file that shows this minion's / to be an image KIWI is
    building (salt-call run in its ``config.sh``, or in a chroot of a
    prepared root), or None. ``/.kconfig`` is there while KIWI's scripts
    run; ``/image/config.xml`` with ``/.profile`` from ``kiwi-ng system
    prepare`` until ``system create``. Seen from inside, such an image's
    /proc, /sys and mounts are the build host's. The minion option
    docker_host.root names where this system's / is seen.

    CLI Example:

    .. code-block:: bash

        salt-call docker_host_map.kiwi_build_root
    """
    top = __opts__.get("docker_host.root") or "/"
    for markers in (("/.kconfig",), ("/image/config.xml", "/.profile")):
        if all(os.path.exists(os.path.join(top, marker.lstrip("/"))) for marker in markers):
            return markers[0]
    return None


def _setup_problems(docker_host, root):
    """A valid pillar that cannot be applied on this minion."""
    package = docker_host["package"]
    marker = None if root else kiwi_build_root()
    if marker:
        # Its /proc, /sys and mounts are the build host's: the states would
        # judge the build host and switch its kernel's forwarding.
        return [
            f"/ is an image that KIWI is building ({marker} is there), seen from inside: "
            "its /proc, /sys and mounts are the build host's, which the formula would judge "
            "and change. Apply the formula from outside instead, between kiwi-ng system "
            "prepare and system create, with docker_host:root set to the image root "
            "(README: Inside a KIWI image build)"
        ]
    if root and package["install"] and __grains__.get("os_family") != "Suse":
        return [
            f"docker_host:package:install is true with docker_host:root set: installing "
            f"{package['name']} into the image root {root} needs zypper (a SUSE build "
            "host); set docker_host:package:install to false and install it with the "
            "image's package list"
        ]
    return []


def _requisites(tplroot, docker_host, root):
    """Each concern's state as a requisite ({module: ID}), or None when the
    concern renders nothing: requisites only ever name states that exist."""
    permissions = docker_host["permissions"]
    service = (
        {"docker_host_service": "docker-host-service-enabled"}
        if root
        else {"docker_host_service": "docker-host-service-running"}
    )
    return {
        "package": {"docker_host_package": "docker-host-package-installed"}
        if docker_host["package"]["install"]
        else None,
        "users": {"docker_host": "docker-host-users"} if docker_host["users"]["manage"] else None,
        "daemon": {"docker_host": "docker-host-daemon-configured"}
        if docker_host["daemon"]["manage"]
        else None,
        "forwarding": {"docker_host": "docker-host-forwarding-enabled"}
        if docker_host["forwarding"]["manage"]
        else None,
        # The permissions are required as a whole SLS: one state per file.
        "permissions": {"sls": f"{tplroot}.permissions"}
        if permissions["enforce"] and any(permissions["paths"].values())
        else None,
        "service": service if docker_host["service"]["manage"] else None,
    }


def _needs(docker_host, root):
    """The order of the concerns: the package, the group (which the daemon's
    configuration may name), the daemon's configuration, forwarding; files'
    permissions after what makes them; the service last. On the running
    system the service watches the package and the daemon's configuration,
    and the users state only when it, not the daemon's configuration, sets a
    socket group other than docker: members joining or leaving need no
    restart. In an image root the service is only enabled, after everything."""
    needs = dict(_NEEDS)
    if root:
        needs["service"] = ["pillar", "package", "users", "daemon", "forwarding", "permissions"]
        needs["service_watch"] = []
    else:
        needs["service"] = ["pillar", "users", "forwarding", "permissions"]
        by_users = not docker_host["daemon"]["manage"] and docker_host["users"]["group"] != "docker"
        needs["service_watch"] = ["package", "daemon"] + (["users"] if by_users else [])
    return needs


def _requires(requisite, docker_host, root):
    """Each concern's requisites: those of the states it needs that render."""
    return {
        concern: [requisite[name] for name in names if requisite[name]]
        for concern, names in _needs(docker_host, root).items()
    }


def _permissions(docker_host, socket_group):
    """The files of CIS Docker Benchmark section 3 (null drops one), sorted by
    path; the socket belongs to the socket's group."""
    files = []
    for path, spec in sorted(docker_host["permissions"]["paths"].items()):
        if not spec:
            continue
        group = spec.get("group", "root")
        if path in _SOCKETS and group == "docker":
            group = socket_group
        files.append(
            {
                "path": path,
                "user": spec.get("user", "root"),
                "group": group,
                "mode": spec.get("mode", "0644"),
            }
        )
    return files
