"""
Declare a SUSE Docker host.

``docker_host.daemon_configured``: the Docker daemon's configuration, in
``/etc/sysconfig/docker`` (``DOCKER_OPTS``) and ``/etc/docker/daemon.json``,
correct by construction: nothing is written that dockerd would refuse, and a
directive is never left in both files.

.. code-block:: yaml

    docker-daemon-configured:
      docker_host.daemon_configured:
        - storage_driver: auto
        - data_root: /var/lib/docker
        - options:
            log-level: warn
        - daemon_json:
            live-restore: true
            log-opts:
              max-size: 10m

    docker-service:
      service.running:
        - name: docker
        - enable: true
        - watch:
          - docker_host: docker-daemon-configured
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host"

# Where SUSE keeps the storage driver and data-root (README_SUSE: DOCKER_OPTS).
_SUSE_FLAG_KEYS = ("storage-driver", "data-root")


def __virtual__():
    if "docker_daemon.options" not in __salt__:
        return (False, "the docker_daemon execution module is not available")
    return __virtualname__


class _Refused(Exception):
    """The wanted configuration cannot be written: the message says why."""


def _check_driver(driver, data_root, root):
    """Return the driver to configure (``auto`` resolved); refuse one that cannot run
    under ``data_root`` (the wanted one, else the configured one)."""
    facts = __salt__["docker_host.facts"](root=root, data_root=data_root)
    storage = facts.get("storage", {})
    drivers = storage.get("drivers") or {}
    if driver == "auto":
        if not storage.get("fstype"):
            where = f"under {root}" if root not in (None, "", "/") else "on this host"
            raise _Refused(
                f"storage_driver auto needs the data-root's filesystem, which cannot be seen "
                f"{where} ({(storage.get('unknown') or {}).get('filesystem', 'no mount table')}"
                "): name the driver"
            )
        return storage["recommended"]
    if driver not in drivers:
        raise _Refused(
            f"storage_driver {driver!r} is not a storage driver; use one of "
            f"{', '.join(sorted(drivers))}, or auto"
        )
    verdict = drivers[driver]
    if not verdict["supported"]:
        raise _Refused(
            f"storage_driver {driver} cannot run on this host: {verdict['reason']}. Use "
            f"{storage['recommended']} (or storage_driver: auto)"
        )
    removed_in = verdict.get("removed_in")
    if removed_in and root in (None, "", "/"):
        version = __salt__["docker_daemon.engine_version"]()
        major = _major(version)
        if major is not None and major >= removed_in:
            raise _Refused(
                f"storage_driver {driver} was removed in Docker Engine {removed_in}; this "
                f"engine is {version}. Use {storage['recommended']}"
            )
    return driver


def _major(version):
    try:
        return int(str(version).split(".", 1)[0])
    except (TypeError, ValueError):
        return None


def _wanted(storage_driver, data_root, options, daemon_json, current):
    """Split the wanted settings between DOCKER_OPTS and daemon.json.

    Return (for DOCKER_OPTS, for daemon.json); a key written to one file is
    removed from the other (``None``), except the keys dockerd merges.
    """
    daemon = "docker_daemon."
    problems = []
    in_opts, in_json = {}, {}
    for name, given in (options or {}).items():
        try:
            key = __salt__[daemon + "normalize_key"](name)
        except SaltInvocationError as err:
            problems.append(f"options: {err}")
            continue
        # Nothing left of a repeatable flag: remove it.
        value = None if given in ([], {}) else given
        why = __salt__[daemon + "validate"](key, value, "DOCKER_OPTS")
        if why:
            problems.append(f"options: {key} {why}")
        in_opts[key] = value
    known = __salt__[daemon + "known_json_keys"]()
    for given, value in (daemon_json or {}).items():
        key = "data-root" if given == "graph" else given
        if key not in known:
            problems.append(
                f"daemon_json: {key!r} is not a daemon.json key; dockerd refuses unknown keys"
            )
            continue
        why = __salt__[daemon + "validate"](key, value, "daemon.json")
        if why:
            problems.append(f"daemon_json: {key} {why}")
        in_json[key] = value
    both = sorted(k for k in set(in_opts) & set(in_json) if None not in (in_opts[k], in_json[k]))
    if both:
        problems.append(
            f"{', '.join(both)} given in both options and daemon_json: dockerd refuses a "
            "directive set twice; give each in one place"
        )
    _check_supported(set(in_opts) | {k for k, v in in_json.items() if v is not None}, problems)

    for key, value in (("storage-driver", storage_driver), ("data-root", data_root)):
        if value is None:
            continue
        if in_opts.get(key) is not None or in_json.get(key) is not None:
            problems.append(f"{key} given twice: as its own argument and in options/daemon_json")
            continue
        lives_in_json = key in (current["daemon_json"] or {}) and key not in current["flags"]
        (in_json if lives_in_json else in_opts)[key] = value
    if problems:
        raise _Refused("; ".join(problems))

    merged = __salt__[daemon + "merged_keys"]()
    for key, value in in_opts.items():
        if value is not None and key in (current["daemon_json"] or {}) and key not in merged:
            in_json.setdefault(key, None)
    for key, value in in_json.items():
        if value is not None and key in current["flags"] and key not in merged:
            in_opts.setdefault(key, None)
    return in_opts, in_json


def _check_supported(keys, problems):
    """Refuse options this host's dockerd does not know (the flag table is newer)."""
    unknown = __salt__["docker_daemon.unsupported_keys"](sorted(keys))
    if unknown:
        version = __salt__["docker_daemon.engine_version"]() or "unknown"
        problems.append(
            f"this host's dockerd (Engine {version}) does not know {', '.join(unknown)}: it "
            "would refuse to start"
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
        count = __salt__["docker_daemon.image_count"](old_root, root=root) - __salt__[
            "docker_daemon.image_count"
        ](old_root, new_driver, root=root)
    else:
        count = __salt__["docker_daemon.image_count"](old_root, old_driver, root=root)
    if not count:
        return ""
    return (
        f" Warning: {old_root} holds {count} image(s) of the "
        f"{old_driver or 'previous'} storage driver; with the new "
        f"{'storage driver' if old_driver != new_driver else 'data-root'} dockerd no "
        "longer sees them: pull or load them again (or docker save them first)."
    )


def daemon_configured(
    name,
    storage_driver=None,
    data_root=None,
    options=None,
    daemon_json=None,
    exclusive=False,
    root=None,
    socket_group=None,
):
    """
    Configure the Docker daemon through DOCKER_OPTS and daemon.json.

    name
        A label for the state; not used otherwise.

    storage_driver
        ``btrfs``, ``overlay2``, ``devicemapper``, ``zfs`` or ``vfs``, or
        ``auto`` for what the ``docker_host`` grain recommends for the
        data-root's filesystem. A driver the host or engine cannot run is
        refused, with the reason.

    data_root
        The absolute path of Docker's data-root.

    options
        dockerd flags for DOCKER_OPTS, by name (``log-level``, ``-H``,
        ``hosts``): ``{name: value}``, lists for repeatable flags, booleans
        for switches. A value with whitespace, quotes or backslashes is
        refused: systemd would split it; put it in ``daemon_json``.

    daemon_json
        Keys for ``/etc/docker/daemon.json``.

    exclusive
        Own the whole configuration: options and keys not listed are removed
        from both files. By default, what the administrator set by hand stays.

    root
        Configure this alternative root directory (an image root) instead of
        ``/``.

    socket_group
        The group of the daemon's socket (its ``group`` option), when this
        state owns it: another group than ``docker`` is set, and a hand-set
        one is put back to ``docker``. ``None`` leaves it to ``options``.

    ``storage_driver`` and ``data_root`` go to DOCKER_OPTS, where SUSE keeps
    them, unless daemon.json already holds them. A directive this state
    writes to one file is removed from the other, since dockerd refuses to
    start with a directive in both.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        ret.update(
            _daemon_configured(
                storage_driver,
                data_root,
                _with_socket_group(options, socket_group, root),
                daemon_json,
                exclusive,
                root,
            )
        )
    except (_Refused, CommandExecutionError, SaltInvocationError, OSError) as err:
        ret["result"] = False
        ret["comment"] = f"{err}. Nothing was changed."
    return ret


def _with_socket_group(options, group, root):
    """``options`` with the socket's ``group`` when it must be written: always for a
    group other than docker (so that ``exclusive`` keeps it), and for docker when
    the files name another one."""
    if group is None:
        return options
    if not isinstance(group, str) or __salt__["docker_group.invalid_names"]([group]):
        raise _Refused(f"socket_group must be a valid group name, not {group!r}")
    current = __salt__["docker_daemon.socket_group"](root=root)
    if group == "docker" and current == "docker":
        return options
    return {**(options or {}), "group": group}


def _check_effective(old, new, in_opts, in_json, root):
    """Refuse a new configuration dockerd would not run, whichever file holds what."""
    driver, data_root = new.get("storage-driver"), new.get("data-root")
    if (driver, data_root) != (old.get("storage-driver"), old.get("data-root")) and driver:
        _check_driver(driver, data_root or "/var/lib/docker", root)
    managed = {k for k, v in {**in_opts, **in_json}.items() if v is not None}
    if (
        new.get("log-driver") != old.get("log-driver")
        and new.get("log-opts")
        and "log-opts" not in managed
    ):
        raise _Refused(
            f"log-driver changes to {new.get('log-driver') or 'the default'}, but the "
            f"log-opts already set ({', '.join(sorted(new['log-opts']))}) belong to "
            f"{old.get('log-driver') or 'the default driver'}, and dockerd refuses options "
            "its driver does not know: set log-opts for the new driver too (or null to "
            "remove them)"
        )


def _validate_arguments(storage_driver, data_root, options, daemon_json, exclusive):
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
        raise _Refused("; ".join(problems))


def _daemon_configured(storage_driver, data_root, options, daemon_json, exclusive, root):
    _validate_arguments(storage_driver, data_root, options, daemon_json, exclusive)
    current = __salt__["docker_daemon.options"](root=root)
    if storage_driver is not None:
        wanted_root = (
            data_root
            or (options or {}).get("data-root")
            or (daemon_json or {}).get("data-root")
            or current["effective"].get("data-root")
        )
        storage_driver = _check_driver(storage_driver, wanted_root, root)
    in_opts, in_json = _wanted(storage_driver, data_root, options, daemon_json, current)

    new_opts = current["docker_opts"]
    if in_opts or (exclusive and current["docker_opts"]):
        if current["docker_opts"] is None:
            raise _Refused(
                "/etc/sysconfig/docker does not exist: install the docker package first "
                "(it creates the file), e.g. with a require on pkg: docker"
            )
        new_opts = __salt__["docker_daemon.plan_docker_opts"](
            current["docker_opts"], in_opts, exclusive=exclusive
        )
    new_json = current["daemon_json"]
    if in_json or (exclusive and current["daemon_json"]):
        new_json = __salt__["docker_daemon.plan_daemon_json"](
            current["daemon_json"], in_json, exclusive=exclusive
        )

    # What dockerd would then read: refuse anything it would not start with.
    parsed = __salt__["docker_daemon.parse_args"](
        __salt__["docker_daemon.split_like_systemd"](new_opts)
    )
    if parsed["unknown"]:
        raise _Refused(
            f"DOCKER_OPTS would hold {', '.join(parsed['unknown'])}, which dockerd does not "
            "take: remove it, or manage DOCKER_OPTS with exclusive: true"
        )
    merged = __salt__["docker_daemon.merged_keys"]()
    conflicts = sorted(k for k in set(parsed["flags"]) & set(new_json or {}) if k not in merged)
    if conflicts:
        raise _Refused(
            f"{', '.join(conflicts)} would be set both in DOCKER_OPTS and in daemon.json, "
            "and dockerd refuses to start then: manage them with this state (it keeps each "
            "in one place) or remove one by hand"
        )
    new_effective = {**(new_json or {}), **parsed["flags"]}
    _check_effective(current["effective"], new_effective, in_opts, in_json, root)

    changes = {}
    if (new_opts or "") != (current["docker_opts"] or ""):
        changes["DOCKER_OPTS"] = {"old": current["docker_opts"], "new": new_opts}
    if new_json != current["daemon_json"] and not (current["daemon_json"] is None and not new_json):
        changes["daemon.json"] = {"old": current["daemon_json"], "new": new_json}
    warning = _images_warning(current, new_effective, root) if changes else ""

    if not changes:
        return {"comment": "The Docker daemon's configuration is already as specified."}
    where = " and ".join(changes)
    if __opts__["test"]:
        return {
            "result": None,
            "changes": changes,
            "comment": f"{where} would change." + warning,
        }

    # A key moving from one file to the other leaves its old file first, so
    # that dockerd never finds it in both, even between the two writes.
    moves_to_opts = set(parsed["flags"]) & set(current["daemon_json"] or {})
    order = ("daemon.json", "DOCKER_OPTS") if moves_to_opts else ("DOCKER_OPTS", "daemon.json")

    def write(label, docker_opts, daemon_json):
        if label == "daemon.json":
            __salt__["docker_daemon.set_daemon_json"](daemon_json or {}, exclusive=True, root=root)
        else:
            __salt__["sysconfig.set"](
                "/etc/sysconfig/docker", "DOCKER_OPTS", docker_opts or "", root=root
            )

    written = []
    for label in (label for label in order if label in changes):
        try:
            write(label, new_opts, new_json)
        except (CommandExecutionError, SaltInvocationError, OSError) as err:
            # Put back what was written, so that the two files still agree.
            for done in written:
                write(done, current["docker_opts"], current["daemon_json"])
            raise _Refused(
                f"{label} could not be written ({err})"
                + (f"; {', '.join(written)} was put back as it was" if written else "")
            ) from err
        written.append(label)

    after = __salt__["docker_daemon.options"](root=root)
    if after["conflicts"] or after["effective"] != new_effective:
        return {
            "result": False,
            "changes": changes,
            "comment": f"{where} were written, but reading them back shows another "
            "configuration; another program may have changed them.",
        }
    return {"changes": changes, "comment": f"{where} changed." + warning}


# --------------------------------------------------------------------------
# Forwarding
# --------------------------------------------------------------------------


def forwarding(name, ipv4=True, ipv6=None, firewall="auto", masquerade=None, root=None):
    """
    Make the host forward packets for containers, now and after a reboot, and
    keep its firewall from switching that off.

    name
        A label for the state; not used otherwise.

    ipv4
        Forward IPv4; ``False`` switches it off (disabling is symmetric).

    ipv6
        Forward IPv6 when ``True``, switch it off when ``False``; left as it
        is when not given.

    firewall
        ``auto`` (what the ``docker_host`` grain sees), ``SuSEfirewall2``,
        ``firewalld`` or ``none`` (no firewall is touched). A firewall named
        here that is not installed fails the state.

    masquerade
        SuSEfirewall2's ``FW_MASQUERADE``, only when given.

    root
        Configure this alternative root directory (an image root): only files
        under it change, and the running kernel is left alone.

    The layers, each in ``changes`` under its name: ``runtime`` (the running
    kernel, through Salt's ``sysctl``), ``persistent`` (a file of its own in
    ``/etc/sysctl.d``), ``legacy`` (old SLES' ``IP_FORWARD`` in
    ``/etc/sysconfig/sysctl``, which would undo it at boot), ``firewall``
    (``FW_ROUTE`` when SuSEfirewall2 is the firewall; with firewalld,
    masquerading in its default zone, runtime and permanent, through Salt's
    ``firewalld`` module).
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        planned = __salt__["docker_forwarding.plan"](
            ipv4=ipv4, ipv6=ipv6, firewall=firewall, masquerade=masquerade, root=root
        )
    except (CommandExecutionError, SaltInvocationError, OSError) as err:
        ret.update(result=False, comment=f"{err}. Nothing was changed.")
        return ret
    ret.update(changes=planned["changes"], comment=planned["comment"])
    if planned["changes"] and __opts__["test"]:
        ret["result"] = None
    elif planned["changes"]:
        ret.update(__salt__["docker_forwarding.apply"](planned))
    return ret


# --------------------------------------------------------------------------
# Who may use Docker
# --------------------------------------------------------------------------


def users(name="docker", users=None, exclusive=False, gid=None, root=None, socket=True):
    """
    Declare who may use Docker: the members of the group that owns its socket.

    name
        The group: ``docker`` by default. Another name also becomes the
        socket's group, through the daemon's ``group`` option.

    users
        The users to be members. Every one must exist; otherwise the state
        fails naming all the missing ones, and nothing changes.

    exclusive
        Remove every other member.

    gid
        The group's id when it has to be created (a system group otherwise).

    root
        Work on an image root: its ``/etc/group`` and ``/etc/gshadow``, never
        the host's.

    socket
        Make a group other than ``docker`` the socket's group. ``False`` when
        ``daemon_configured`` sets the daemon's ``group`` option itself (the
        formula does), so that the two states never both change it.

    Membership is root-equivalent; the comment always says so, names who
    gained it, and which of them still run processes without the group (they
    get it when they log in again).
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        planned = __salt__["docker_group.plan"](
            name, users=users, exclusive=exclusive, gid=gid, root=root, socket=socket
        )
    except (CommandExecutionError, SaltInvocationError, OSError) as err:
        ret.update(result=False, comment=f"{err}. Nothing was changed.")
        return ret
    ret.update(changes=planned["changes"], comment=planned["comment"])
    if planned["changes"] and __opts__["test"]:
        ret["result"] = None
    elif planned["changes"]:
        try:
            ret.update(__salt__["docker_group.apply"](planned))
        except (CommandExecutionError, SaltInvocationError, OSError) as err:
            ret.update(result=False, changes={}, comment=f"{err}. Nothing was changed.")
    return ret


# --------------------------------------------------------------------------
# Base images
# --------------------------------------------------------------------------


_NO_DOCKER_PY = (
    "docker-py is not installed in the Python Salt runs from on this minion: "
    "install it (pip install docker, or the python3-docker package). Nothing was changed."
)


def image_loaded(name, source, url=None):
    """
    The image in a docker-archive tarball (as KIWI builds them: plain, .gz or
    .xz) is on this host, tagged ``name``.

    source
        A local path, or a ``salt://`` URL (fetched with ``cp.cache_file``).

    url
        The daemon's address; default: ``DOCKER_HOST``, the minion option
        ``docker.url``, or the default socket.

    Idempotent by image ID: when ``name`` already points at the archive's
    image, nothing is loaded; when it points at another one, the tag moves,
    and ``changes`` shows the old and new IDs.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if "docker_images.normalize" not in __salt__:
        ret.update(result=False, comment=_NO_DOCKER_PY)
        return ret
    try:
        path = source
        if str(source).startswith("salt://"):
            path = __salt__["cp.cache_file"](source, saltenv=__env__)
            if not path:
                raise _Refused(f"{source} could not be fetched from the master")
        full = __salt__["docker_images.normalize"](name)
        wanted = __salt__["docker_images.archive_image_id"](path)
        current = __salt__["docker_images.image_id"](full, url=url)
        if current == wanted:
            ret["comment"] = f"{name} is already {wanted}."
            return ret
        change = {"old": current, "new": wanted}
        if __opts__["test"]:
            ret.update(
                result=None,
                changes={"image": change},
                comment=f"{source} would be loaded as {name}.",
            )
            return ret
        __salt__["docker_images.load_image"](path, name, url=url)
        ret["changes"] = {"image": change}
        ret["comment"] = f"{source} was loaded as {name}."
    except (_Refused, CommandExecutionError, SaltInvocationError, OSError) as err:
        ret.update(result=False, changes={}, comment=f"{err}. Nothing was changed.")
    return ret


def image_present(name, force=False, auth=None, url=None, timeout=60):
    """
    The image ``name`` is on this host: pulled through docker-py when missing,
    or, with ``force``, whenever the registry serves another manifest than the
    one the local image came from (the tag follows the registry).

    auth
        Registry credentials, ``{"username": ..., "password": ...}``, e.g.
        from pillar; they never appear in a return, a log or an error.

    timeout
        Seconds before an unreachable registry fails the state.

    ``changes`` names the manifest digests, old and new; ``test=True`` asks the
    registry for the digest (nothing is pulled), so it predicts exactly that.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if "docker_images.normalize" not in __salt__:
        ret.update(result=False, comment=_NO_DOCKER_PY)
        return ret
    try:
        current = __salt__["docker_images.image_id"](
            __salt__["docker_images.normalize"](name), url=url
        )
        if current and not force:
            ret["comment"] = f"{name} is present ({current})."
            return ret
        remote = __salt__["docker_images.registry_digest"](
            name, auth=auth, url=url, timeout=timeout
        )
        local = __salt__["docker_images.local_digest"](name, url=url) if current else None
        if current and local == remote:
            ret["comment"] = f"{name} is what the registry serves ({remote})."
            return ret
        change = {"digest": {"old": local, "new": remote}}
        if __opts__["test"]:
            ret.update(result=None, comment=f"{name} would be pulled.", changes=change)
            return ret
        pulled = __salt__["docker_images.pull_image"](name, auth=auth, url=url, timeout=timeout)
        ret["changes"] = {"digest": {"old": local, "new": pulled["digest"]}}
        ret["comment"] = f"{name} was pulled ({pulled['id']})."
    except (CommandExecutionError, SaltInvocationError, OSError) as err:
        ret.update(result=False, changes={}, comment=f"{err}. Nothing was changed.")
    return ret
