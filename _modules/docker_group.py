"""
Who may use Docker: the group that owns the Docker socket, and its members.

Membership of that group is root-equivalent: the socket lets its users start
containers that mount the host's file system. The changes themselves go
through Salt's ``group`` and ``user`` modules; this module adds what they do
not offer: name checks, and which members still run processes without the
group (they get it only at their next login).

:depends: Salt's ``group`` and ``user`` modules.
:configuration: none; functions take ``root`` for an alternative root.
"""

import os
import re

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
