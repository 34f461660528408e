"""
The subordinate user and group IDs that dockerd's ``userns-remap`` maps
containers to: ``/etc/subuid`` and ``/etc/subgid`` ranges for the remap user.

dockerd refuses to start with ``userns-remap`` when its user has no ranges
("Can't create ID mappings: no subuid ranges found for user"). With
``userns-remap: default`` dockerd creates the user ``dockremap`` and its ranges
itself, but only when the user does not exist: SUSE's docker package creates
``dockremap`` at install (its sysusers file), without ranges, so on SUSE the
ranges must be added. They are added with ``usermod --add-subuids`` and
``--add-subgids`` (shadow's own writer of these files; Salt has no module
for them), in a free range of 65536 IDs from 100000 up, as useradd chooses.

CLI Example:

.. code-block:: bash

    salt '*' docker_userns.plan default
"""

import os

from salt.exceptions import CommandExecutionError

__virtualname__ = "docker_userns"

# useradd's defaults (login.defs SUB_UID_MIN, SUB_UID_COUNT).
FIRST, COUNT = 100000, 65536
FILES = {"subuid": "/etc/subuid", "subgid": "/etc/subgid"}


def __virtual__():
    return __virtualname__


def remap_user(value):
    """The user that ``userns-remap`` names: ``default`` is ``dockremap``;
    ``user:group`` names ``user``. ``None`` for no remapping.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_userns.remap_user default
    """
    if not value or not isinstance(value, str):
        return None
    user = value.split(":", 1)[0]
    return "dockremap" if user == "default" else user


def _ranges(kind, root):
    """The ranges in /etc/subuid or /etc/subgid: [(owner, start, count)]."""
    path = __salt__["sysconfig.resolve"](FILES[kind], root=root)
    found = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return found
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found.append((parts[0], int(parts[1]), int(parts[2])))
    return found


def _account(user, root):
    """The user's passwd entry under ``root``: (name, uid), or None."""
    path = __salt__["sysconfig.resolve"]("/etc/passwd", root=root)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(":")
            if len(parts) > 2 and (parts[0] == user or (user.isdigit() and parts[2] == user)):
                return parts[0], parts[2]
    return None


def plan(userns_remap, root=None):
    """
    What must change for dockerd to start with ``userns-remap`` set to
    ``userns_remap``: ``{"changes": {...}, ...}``, with ``subuid`` and
    ``subgid`` (``old`` None, ``new`` ``"user:start:count"``) when the remap
    user exists without ranges. A user that does not exist is left to dockerd
    for ``default`` (dockerd creates ``dockremap`` and its ranges); another is refused.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_userns.plan default
        salt '*' docker_userns.plan default root=/srv/image-root
    """
    user = remap_user(userns_remap)
    planned = {"user": user, "root": root, "changes": {}}
    if user is None:
        return planned
    account = _account(user, root)
    if account is None:
        if user == "dockremap":
            return planned
        raise CommandExecutionError(
            f"userns-remap names the user {user}, which does not exist: create it, or use "
            "userns-remap: default"
        )
    name, uid = account
    for kind in FILES:
        ranges = _ranges(kind, root)
        if any(owner in (name, uid) for owner, _, _ in ranges):
            continue
        start = max([FIRST] + [first + count for _, first, count in ranges])
        planned["changes"][kind] = {"old": None, "new": f"{name}:{start}:{COUNT}"}
    return planned


def apply(planned):
    """
    Add the ranges of a plan from ``plan`` with ``usermod``, then read them
    back. Return the changes made.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_userns.plan default | jq -c .local)
        salt-call docker_userns.apply "$plan"
    """
    changes = planned["changes"]
    if not changes:
        return {}
    user = next(iter(changes.values()))["new"].split(":")[0]
    for kind in changes:
        # usermod adds to the files but does not create them (shadow ships them).
        path = __salt__["sysconfig.resolve"](FILES[kind], root=planned["root"])
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    command = ["usermod"]
    if planned["root"]:
        command += ["--root", planned["root"]]
    for kind, flag in (("subuid", "--add-subuids"), ("subgid", "--add-subgids")):
        if kind in changes:
            _, start, count = changes[kind]["new"].rsplit(":", 2)
            command += [flag, f"{start}-{int(start) + int(count) - 1}"]
    command.append(user)
    done = __salt__["cmd.run_all"](command, python_shell=False, ignore_retcode=True)
    if done["retcode"] != 0:
        raise CommandExecutionError(
            f"usermod could not add the subordinate IDs of {user}: "
            f"{done['stderr'].strip() or done['stdout'].strip()}"
        )
    for kind, change in changes.items():
        owner, start, count = change["new"].rsplit(":", 2)
        if (owner, int(start), int(count)) not in _ranges(kind, planned["root"]):
            raise CommandExecutionError(
                f"{FILES[kind]} does not hold {change['new']} after usermod added it"
            )
    return changes
