"""
The docker package: whether it is installed, on this host or in an image
root (asked of Salt's ``pkg.version``, rpm on SUSE), for the plans that
leave to the package what it creates at install (the docker group,
/etc/sysconfig/docker, /etc/docker/daemon.json); and its lock, so that an
unattended ``zypper up`` does not move the engine (``hold_plan`` /
``hold_apply``, through Salt's ``pkg.list_locks``, ``pkg.hold`` and
``pkg.unhold``: zypper's locks in ``/etc/zypp/locks``, under ``root`` too).

CLI Example:

.. code-block:: bash

    salt '*' docker_package.installed docker
    salt '*' docker_package.hold_plan docker version=24.0.7_ce hold=True
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_package"


def __virtual__():
    return __virtualname__


def installed(name, root=None):
    """
    ``True`` when the package ``name`` is installed (under ``root``, when
    given: on SUSE, where zypper looks into it). Where the answer cannot come
    from the root, or the package module fails, ``False``: the caller then
    plans as if nothing came with the package.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_package.installed docker
        salt '*' docker_package.installed docker root=/srv/image-root
    """
    options = {}
    if root:
        # zypper (rpm --root) looks into the root; other package modules
        # answer for this host whatever root they are given.
        if __grains__.get("os_family") != "Suse":
            return False
        options["root"] = root
    try:
        # zypper answers {} for a package that is not installed.
        return bool(__salt__["pkg.version"](name, **options))
    except (CommandExecutionError, TypeError, KeyError):
        return False


def _lock(name, root):
    """The lock of ``name``: ``None``, or its version (``""`` for a lock of every
    version), as zypper keeps it."""
    options = {"root": root} if root else {}
    locks = __salt__["pkg.list_locks"](**options)
    if name not in locks or locks[name].get("type", "package") != "package":
        return None
    return locks[name].get("version", "").lstrip("= ").strip()


def _described(lock):
    if lock is None:
        return "not held"
    return f"held at {lock}" if lock else "held (every version)"


def hold_plan(name, version=None, hold=True, root=None):
    """
    Return what must change for the package ``name`` to be held (``hold``
    true: at ``version`` when given, else at every version) or not held
    (``hold`` false), under ``root`` when given; change nothing. The plan's
    ``changes`` are ``{name: {"old": "not held", "new": "held at 24.0.7_ce"}}``.
    Only zypper keeps locks here: another package manager is refused.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_package.hold_plan docker version=24.0.7_ce
        salt '*' docker_package.hold_plan docker hold=False root=/srv/image-root
    """
    if not isinstance(hold, bool):
        raise SaltInvocationError(f"hold must be true or false, not {hold!r}")
    if "pkg.list_locks" not in __salt__:
        raise CommandExecutionError(
            "package:hold needs zypper's locks (SUSE): this minion's package manager has none"
        )
    if version is not None and str(version)[:1] in "<>=~!":
        raise SaltInvocationError(
            f"package:hold holds one version: give package:version as a version, not {version!r}"
        )
    current = _lock(name, root)
    wanted = ("" if version is None else str(version)) if hold else None
    changes = {}
    if current != wanted:
        changes[name] = {"old": _described(current), "new": _described(wanted)}
    return {
        "root": root,
        "name": name,
        "current": current,
        "wanted": wanted,
        "changes": changes,
        "comment": f"{name} would be {_described(wanted)}."
        if changes
        else f"{name} is {_described(current)}, as specified.",
    }


def hold_apply(planned):
    """
    Carry out a plan from ``hold_plan``: remove the lock that differs, add the
    wanted one (``pkg.unhold``, ``pkg.hold``), read it back. Return ``{"result",
    "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_package.hold_plan docker | jq -c .local)
        salt-call docker_package.hold_apply "$plan"
    """
    name, root, changes = planned["name"], planned["root"], planned["changes"]
    if not changes:
        return {"result": True, "changes": {}, "comment": planned["comment"]}
    options = {"root": root} if root else {}
    if _lock(name, root) != planned["current"]:
        raise CommandExecutionError(
            f"the lock of {name} changed after the plan was made: plan again"
        )
    if planned["current"] is not None:
        __salt__["pkg.unhold"](pkgs=[name], **options)
    if planned["wanted"] is not None:
        target = {name: planned["wanted"]} if planned["wanted"] else name
        __salt__["pkg.hold"](pkgs=[target], **options)
    after = _lock(name, root)
    if not planned.get("cleaning"):
        # Recorded, so that docker_host.clean can put the earlier lock back.
        __salt__["docker_host_record.note_value"](
            "package", f"lock:{name}", planned["current"], after, root=root
        )
    if after != planned["wanted"]:
        return {
            "result": False,
            "changes": changes,
            "comment": f"{name} should be {_described(planned['wanted'])}, but zypper's locks "
            f"say {_described(after)}",
        }
    return {"result": True, "changes": changes, "comment": f"{name} is {_described(after)}."}


def clean_plan(name="docker", root=None):
    """
    Return what taking back this extension's lock of the package ``name`` would
    change (the ``package`` part of ``docker_host.clean``): the lock it set
    goes back to what zypper had before (no lock, or the earlier one), while
    it is still the lock it set. A lock changed by hand since is left, and
    named. Change nothing.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_package.clean_plan
        salt '*' docker_package.clean_plan docker root=/srv/image-root
    """
    key = f"lock:{name}"
    entry = __salt__["docker_host_record.get"](key, root=root)
    plan = {"root": root, "name": name, "changes": {}, "left": [], "cleaning": True}
    if entry is None:
        plan["comment"] = f"suse-docker-host set no lock of {name} here."
        return plan
    if "pkg.list_locks" not in __salt__:
        raise CommandExecutionError(f"{name}'s lock cannot be read: this minion has no zypper")
    current = _lock(name, root)
    plan.update(current=current, wanted=entry["before"])
    if current == entry["before"]:
        plan["comment"] = f"{name} is {_described(current)}, as before suse-docker-host."
        plan["forget"] = True
    elif current != entry["after"] or entry["between"]:
        plan["left"] = [f"the lock of {name} ({_described(current)}, changed by hand since)"]
        plan["comment"] = f"The lock of {name} was changed by hand since: left as it is."
    else:
        plan["changes"] = {name: {"old": _described(current), "new": _described(entry["before"])}}
        plan["comment"] = f"{name} would be {_described(entry['before'])}, as before."
    return plan


def clean_apply(planned):
    """
    Carry out a plan from ``clean_plan`` (through ``hold_apply``), then forget
    the lock's record. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_package.clean_plan | jq -c .local)
        salt-call docker_package.clean_apply "$plan"
    """
    done = hold_apply(planned) if planned["changes"] else {"result": True, "changes": {}}
    if done["result"]:
        __salt__["docker_host_record.put"](f"lock:{planned['name']}", None, root=planned["root"])
        done["comment"] = planned["comment"].replace("would be", "is")
    return done
