"""
Owner and mode of the Docker host's files, as the CIS Docker Benchmark
(section 3) wants them: the mode is a maximum, never a value to reach.

Salt's ``file`` states set an exact mode, which would loosen a file an
administrator made stricter, and resolve owner names on the host, which gives
the wrong ids inside an image root whose ``/etc/passwd`` differs. This state
only removes permission bits and resolves names in the root it works on.

.. code-block:: yaml

    docker-host-daemon-json-permissions:
      docker_host_files.permissions:
        - name: /etc/docker/daemon.json
        - user: root
        - group: root
        - mode: "0644"
"""

import os
import stat

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host_files"


def __virtual__():
    return __virtualname__


def _live(root):
    return root in (None, "", "/")


def _in_root(path, root):
    """Where ``path`` is: its directory resolved inside ``root`` (links never lead
    out of an image root); the last component itself is not followed."""
    if _live(root):
        return path
    directory = __salt__["sysconfig.resolve"](os.path.dirname(path), root=root)
    return os.path.join(directory, os.path.basename(path))


def _id(kind, name, root):
    """The uid or gid of ``name`` in ``root``'s own user and group files."""
    info = __salt__[f"{kind}.info"](name, root=None if _live(root) else root)
    return (info or {}).get("uid" if kind == "user" else "gid")


def _name(kind, number, root):
    """The name of uid or gid ``number`` in ``root``'s own files, else the number."""
    path = "/etc/passwd" if kind == "user" else "/etc/group"
    try:
        with open(_in_root(path, root), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) > 2 and fields[2] == str(number):
                    return fields[0]
    except OSError:
        pass
    return str(number)


def permissions(name, user="root", group="root", mode="0644", root=None):
    """
    ``name`` is owned by ``user``:``group`` and has no permission bit beyond
    ``mode``. A path that does not exist is left alone (the Docker socket
    exists only while the daemon runs); a symbolic link is left alone (its
    target is a path of its own).

    root
        Work on an image root: the path, and the user and group names, are
        those of the root; a link inside it never leads out of it.

    ``changes`` names owners as ``user:group``; with ``test=True``, a user or
    group that does not exist yet (another state creates it) is predicted by
    name.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    problems = []
    if not isinstance(mode, str) or not (
        3 <= len(mode) <= 4 and all(c in "01234567" for c in mode)
    ):
        problems.append(f"mode must be an octal string like '0644', not {mode!r}")
    if not isinstance(name, str) or not os.path.isabs(name) or os.path.normpath(name) != name:
        problems.append(
            f"{name!r} is not a normalized absolute path (no '..', '.', '//' or trailing '/')"
        )
    if problems:
        ret.update(result=False, comment="; ".join(problems) + ". Nothing was changed.")
        return ret
    try:
        path = _in_root(name, root)
        st = os.lstat(path)
    except FileNotFoundError:
        ret["comment"] = f"{name} does not exist; nothing to do."
        return ret
    except (OSError, CommandExecutionError, SaltInvocationError) as err:
        ret.update(result=False, comment=f"cannot read {name}: {err}. Nothing was changed.")
        return ret
    if stat.S_ISLNK(st.st_mode):
        ret["comment"] = f"{name} is a symbolic link; its target is managed on its own."
        return ret
    uid, gid = _id("user", user, root), _id("group", group, root)
    missing = [f"user {user}" if uid is None else "", f"group {group}" if gid is None else ""]
    missing = [item for item in missing if item]
    where = "" if _live(root) else f" under {root}"
    old_mode = stat.S_IMODE(st.st_mode)
    new_mode = old_mode & int(mode, 8)
    changes = {}
    if (st.st_uid, st.st_gid) != (uid, gid):
        changes["owner"] = {
            "old": f"{_name('user', st.st_uid, root)}:{_name('group', st.st_gid, root)}",
            "new": f"{user}:{group}",
        }
    if new_mode != old_mode:
        changes["mode"] = {"old": f"{old_mode:04o}", "new": f"{new_mode:04o}"}
    if missing and not __opts__["test"]:
        ret.update(
            result=False,
            comment=f"{' and '.join(missing)} {'does' if len(missing) == 1 else 'do'} not "
            f"exist{where}: create {'it' if len(missing) == 1 else 'them'}, or name others. "
            "Nothing was changed.",
        )
        return ret
    if not changes:
        ret["comment"] = f"{name} is {user}:{group}, mode {old_mode:04o}."
        return ret
    if __opts__["test"]:
        note = f" ({' and '.join(missing)} must exist by then{where})" if missing else ""
        ret.update(result=None, changes=changes, comment=f"{name} would be tightened{note}.")
        return ret
    try:
        if "owner" in changes:
            os.chown(path, uid, gid, follow_symlinks=False)
        # chown clears setuid/setgid bits: set the mode after it.
        os.chmod(path, new_mode)
    except OSError as err:
        ret.update(
            result=False,
            comment=f"cannot change {name}: {err.strerror}. Changed so far: nothing",
        )
        return ret
    ret.update(changes=changes, comment=f"{name} was tightened.")
    return ret
