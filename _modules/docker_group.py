"""
Who may use Docker: the group that owns the Docker socket, and its members.

Membership of that group is root-equivalent: the socket lets its users start
containers that mount the host's file system. The changes themselves go
through Salt's ``group`` and ``user`` modules; this module adds what they do
not offer: name checks, and which members still run processes without the
group (they get it only at their next login).

This module owns group membership end to end: ``plan`` reads the group and
says what must change, ``apply`` is the only writer (through Salt's
``group`` module, and ``docker_daemon.set_socket_group`` for the socket),
and the ``docker_host.users`` state passes its arguments between them.

:depends: Salt's ``group`` and ``user`` modules.
:configuration: none; functions take ``root`` for an alternative root.
"""

import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_group"

# shadow-utils' default NAME_REGEX, with its 32-character limit.
_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,30}\$?\Z")
# Users may come from LDAP or AD (john.doe, JDoe): a member's name only has
# to be one /etc/group can hold and a command line cannot mistake for an
# option; whether the user exists is checked on its own.
_MEMBER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,255}\$?\Z")


def __virtual__():
    return __virtualname__


def invalid_names(names, members=False):
    """
    Return the names that are not valid group names (shadow-utils' default
    rule), or, with ``members``, not valid names of existing users (which
    may also hold dots, capitals and @, as directory users do).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_group.invalid_names '["alice", "Bad Name"]'
        salt '*' docker_group.invalid_names '["john.doe"]' members=True
    """
    rule = _MEMBER if members else _NAME
    return [name for name in names if not isinstance(name, str) or not rule.match(name)]


def missing_users(users, root=None):
    """
    Return the users that do not exist (on this host, or under ``root``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_group.missing_users '["alice", "bob"]'
    """
    return [user for user in users if not __salt__["user.info"](user, root=root)]


def needs_relogin(users, gid):
    """
    Return those of ``users`` that run processes without group ``gid`` in their
    supplementary groups: they get the group only when they log in again.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_group.needs_relogin '["alice"]' 478
    """
    uids = {}
    for user in users:
        info = __salt__["user.info"](user)
        if info:
            uids[str(info["uid"])] = user
    waiting = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
                status = handle.read()
        except OSError:
            continue  # the process ended meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = fields.get("Uid", "").split()
        if not uid or uid[0] not in uids:
            continue
        if str(gid) not in fields.get("Groups", "").split():
            waiting.add(uids[uid[0]])
    return sorted(waiting)


ROOT_EQUIVALENT = (
    "Membership of {group} is root-equivalent: its members control this host through "
    "the Docker socket."
)


def _check_arguments(group, users, exclusive, gid):
    if not isinstance(users, list):
        raise SaltInvocationError(f"users must be a list of user names, not {users!r}")
    problems = []
    if not isinstance(exclusive, bool):
        problems.append(f"exclusive must be true or false, not {exclusive!r}")
    if gid is not None and (isinstance(gid, bool) or not isinstance(gid, int) or gid < 0):
        problems.append(f"gid must be a whole number, not {gid!r}")
    invalid = invalid_names([group]) + invalid_names(users, members=True)
    if invalid:
        problems.append(f"not valid user or group names: {', '.join(map(repr, invalid))}")
    if problems:
        raise SaltInvocationError("; ".join(problems))


def _members_plan(current, users, exclusive):
    """``(members, added, removed)``: the members wanted, in a stable order (the
    current ones first, unless ``exclusive``), and the difference."""
    members = list(dict.fromkeys(users if exclusive else current + users))
    added = [user for user in members if user not in current]
    removed = [user for user in current if user not in members]
    return members, added, removed


# The account files of a root: Salt's user and group modules read them from this
# host, gpasswd and groupadd --root from inside the root (chrooted).
_ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/gshadow")


def _check_one_view(root):
    """Refuse an image root whose account files are links that lead elsewhere from
    this host than from inside the root: what is planned would be read from one
    file and written to another."""
    image = __salt__["sysconfig.image_root"](root)
    if image is None:
        return
    for name in _ACCOUNT_FILES:
        from_host = os.path.realpath(os.path.join(os.path.abspath(image), name.lstrip("/")))
        from_root = os.path.realpath(__salt__["sysconfig.resolve"](name, root=image))
        if from_host != from_root:
            raise CommandExecutionError(
                f"{image}{name} is a link that leads to {from_host} from this host but to "
                f"{from_root} inside the root: Salt's group and user modules would read one "
                "and gpasswd would change the other. Make it a file, or a link that stays "
                "inside the root"
            )


def plan(
    group="docker", users=None, exclusive=False, gid=None, root=None, socket=True, package=None
):
    """
    Read ``group`` and return what must change for it to have ``users`` as
    members (the arguments of the ``docker_host.users`` state); change
    nothing. ``apply`` carries the plan out.

    ``package`` names the package that creates the group when it is installed
    (SUSE's docker package does, from its sysusers file), and that is
    installed before the group is managed: while it is not installed, a
    missing group is left to it, so that a test=True run before the package's
    install predicts what the real run does.

    Every user must exist, and an existing group must have ``gid`` when it
    is given: otherwise the plan is refused, naming them. With ``socket``,
    a group other than ``docker`` also becomes the socket's group. The
    plan's ``changes`` has ``group`` (it is created), ``added``,
    ``removed`` and ``socket group``; its ``comment`` says it in a sentence.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_group.plan users='["alice", "bob"]'
        salt '*' docker_group.plan ops users='["alice"]' exclusive=True root=/srv/image-root
        salt '*' docker_group.plan users='["alice"]' package=docker
    """
    users = [] if users is None else users
    _check_arguments(group, users, exclusive, gid)
    _check_one_view(root)
    missing = missing_users(users, root=root)
    if missing:
        raise CommandExecutionError(
            f"these users do not exist: {', '.join(missing)}. Create them first (user.present)"
        )
    info = __salt__["group.info"](group, root=root) or {}
    if info and gid is not None and info.get("gid") != gid:
        raise CommandExecutionError(
            f"group {group} exists with gid {info.get('gid')}, not {gid}: files already carry "
            "the old id; change it by hand"
        )
    members, added, removed = _members_plan(list(info.get("members") or []), users, exclusive)
    changes = {}
    if not info:
        # The package creates the group at install: until then, it is the package's to make.
        left_to_package = package and not __salt__["docker_package.installed"](package, root=root)
        if not left_to_package:
            changes["group"] = {"old": None, "new": {"name": group, "gid": gid, "system": True}}
    if added:
        changes["added"] = added
    if removed:
        changes["removed"] = removed
    if socket and group != "docker":
        old = __salt__["docker_daemon.socket_group"](root=root)
        if old != group:
            changes["socket group"] = {"old": old, "new": group}
    warning = ROOT_EQUIVALENT.format(group=group)
    if changes:
        gain = f" {', '.join(added)} gain it." if added else ""
        comment = f"{', '.join(changes)} would change.{gain} {warning}"
    else:
        comment = f"{group} already as specified: {', '.join(members) or 'no members'}. {warning}"
    return {
        "group": group,
        "gid": gid,
        "root": root,
        "members": members,
        "changes": changes,
        "comment": comment,
    }


def _members_now(group, root):
    """The group's members, sorted; ``None`` when there is no such group."""
    info = __salt__["group.info"](group, root=root)
    return sorted(info.get("members") or []) if info else None


def _members_read(planned):
    """The members the plan found, sorted; ``None`` when it found no group."""
    changes = planned["changes"]
    if "group" in changes:
        return None
    kept = set(planned["members"]) - set(changes.get("added", []))
    return sorted(kept | set(changes.get("removed", [])))


def _relogin_note(planned, after):
    """On the live system, the sentence that names the members a plan added who still
    run processes without the group (``after``: the group read back); empty
    otherwise (an image runs nothing)."""
    group, gid, added = planned["group"], after["gid"], planned["changes"].get("added")
    if not added or __salt__["sysconfig.image_root"](planned["root"]) is not None:
        return ""
    waiting = needs_relogin(added, gid)
    if not waiting:
        return ""
    return (
        f" {', '.join(waiting)} still run processes without {group}: they can use "
        "Docker after they log in again."
    )


def _record(planned, now):
    """Record what this apply did to the group, so that ``docker_host.clean`` can
    take back just that: whether it created the group, and over every apply, the
    members it added and those it removed (a member added by hand in between is
    never one of them)."""
    group, root = planned["group"], planned["root"]
    read = _members_read(planned) or []
    added = {user for user in now if user not in read}
    removed = {user for user in read if user not in now}
    if not added and not removed and "group" not in planned["changes"]:
        return
    key = f"group:{group}"
    entry = __salt__["docker_host_record.get"](key, root=root) or {
        "concern": "users",
        "created": False,
        "added": [],
        "removed": [],
    }
    entry["created"] = entry["created"] or "group" in planned["changes"]
    # A member this extension removed and adds again, or added and removes
    # again, is as it was before: it leaves the record.
    was_added, was_removed = set(entry["added"]), set(entry["removed"])
    entry["added"] = sorted((was_added - removed) | (added - was_removed))
    entry["removed"] = sorted((was_removed - added) | (removed - was_added))
    idle = not entry["created"] and not entry["added"] and not entry["removed"]
    __salt__["docker_host_record.put"](key, None if idle else entry, root=root)


def clean_plan(group="docker", root=None):
    """
    Return what taking back this extension's changes to ``group`` would change
    (the ``users`` part of ``docker_host.clean``): the members it added leave
    the group, the members it removed come back (those that still exist), and
    a group it created is deleted once it has no members left. A member added
    or removed by hand is left as it is. Change nothing.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_group.clean_plan
        salt '*' docker_group.clean_plan docker root=/srv/image-root
    """
    entry = __salt__["docker_host_record.get"](f"group:{group}", root=root)
    plan = {"root": root, "group": group, "changes": {}, "members": None, "delete": False}
    current = _members_now(group, root)
    if entry is None or current is None:
        plan["comment"] = f"suse-docker-host changed nothing of the group {group} here."
        return plan
    leave = [user for user in entry["added"] if user in current]
    back = [
        user
        for user in entry["removed"]
        if user not in current and not missing_users([user], root=root)
    ]
    members = sorted((set(current) - set(leave)) | set(back))
    changes = {}
    if leave:
        changes["removed"] = leave
    if back:
        changes["added"] = back
    plan["delete"] = entry["created"] and not members
    if plan["delete"]:
        changes["group"] = {"old": group, "new": None}
    plan.update(changes=changes, members=members, read=current)
    gone = sorted(set(entry["removed"]) - set(back) - set(current))
    said = (
        f"{group}: {', '.join(f'{key} {value}' for key, value in changes.items())}."
        if changes
        else f"The group {group} holds none of suse-docker-host's changes."
    )
    if gone:
        said += f" Not put back, as they no longer exist: {', '.join(gone)}."
    plan["comment"] = said
    return plan


def clean_apply(planned):
    """
    Carry out a plan from ``clean_plan`` (under the lock of ``/etc/group``, and
    only while the group still has the members the plan read), then forget the
    group's record. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_group.clean_plan | jq -c .local)
        salt-call docker_group.clean_apply "$plan"
    """
    group, root, changes = planned["group"], planned["root"], planned["changes"]
    group_file = __salt__["sysconfig.resolve"]("/etc/group", root=root)
    with __salt__["docker_host_files.locked"](group_file, root=root):
        if _members_now(group, root) != planned["read"]:
            raise CommandExecutionError(
                f"group {group} changed after the plan was made: plan again. Nothing was written"
            )
        if "added" in changes or "removed" in changes:
            __salt__["group.members"](group, ",".join(planned["members"]), root=root)
        if planned["delete"] and not __salt__["group.delete"](group, root=root):
            raise CommandExecutionError(f"groupdel could not delete {group}")
        __salt__["docker_host_record.put"](f"group:{group}", None, root=root)
    now = _members_now(group, root)
    wanted = None if planned["delete"] else planned["members"]
    if now != wanted:
        return {
            "result": False,
            "changes": changes,
            "comment": f"{group} should now be {wanted if wanted is not None else 'gone'}, "
            f"but reads back as {now if now is not None else 'gone'}",
        }
    return {"result": True, "changes": changes, "comment": planned["comment"]}


def _made(changes, read, now):
    """The changes really made, when the members read back are not the planned ones:
    the group and the socket's group as planned, the members as they now differ from
    those the plan read."""
    made = {key: changes[key] for key in ("group", "socket group") if key in changes}
    added = [user for user in now if user not in read]
    removed = [user for user in read if user not in now]
    if added:
        made["added"] = added
    if removed:
        made["removed"] = removed
    return made


def apply(planned):
    """
    Carry out a plan from ``plan``: create the group, set its members, make it
    the socket's group; then read the members back. A group whose members
    changed since the plan was made is not written over (the change would
    drop them): plan again. Return ``{"result",
    "changes", "comment"}``; the comment names who gained the group and which
    of them still run processes without it (they get it at their next login).

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_group.plan users='["alice"]' | jq -c .local)
        salt-call docker_group.apply "$plan"
    """
    group, root, changes = planned["group"], planned["root"], planned["changes"]
    members = planned["members"]
    group_file = __salt__["sysconfig.resolve"]("/etc/group", root=root)
    # gpasswd sets the whole list of members: two appliers that read the same
    # list would each drop the other's member. Under the lock, the second finds
    # the group changed since its plan, and writes nothing.
    with __salt__["docker_host_files.locked"](group_file, root=root):
        if _members_now(group, root) != _members_read(planned):
            raise CommandExecutionError(
                f"group {group} changed after the plan was made: plan again. Nothing was written"
            )
        if "group" in changes and not __salt__["group.add"](
            group, gid=planned["gid"], system=True, root=root
        ):
            raise CommandExecutionError(f"groupadd could not create {group}")
        if "added" in changes or "removed" in changes:
            __salt__["group.members"](group, ",".join(members), root=root)
        _record(planned, _members_now(group, root) or [])
    if "socket group" in changes:
        __salt__["docker_daemon.set_socket_group"](group, root=root)
    after = __salt__["group.info"](group, root=root) or {}
    now = list(after.get("members") or [])
    if sorted(now) != sorted(members):
        return {
            "result": False,
            "changes": _made(changes, _members_read(planned) or [], now),
            "comment": f"{group} should now have members {', '.join(members) or 'none'}, "
            f"but has {', '.join(now) or 'none'} (a user removed since the plan, or "
            "another program at work): plan again",
        }
    added = changes.get("added", [])
    said = f"{', '.join(changes)} changed."
    if added:
        said += f" {', '.join(added)} gained it."
    said += _relogin_note(planned, after)
    return {
        "result": True,
        "changes": changes,
        "comment": f"{said} {ROOT_EQUIVALENT.format(group=group)}",
    }
