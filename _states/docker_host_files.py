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

__virtualname__ = "docker_host_files"


def __virtual__():
    return __virtualname__


def _in_root(path, root):
    if root in (None, "", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


def _id(kind, name, root):
    """The uid or gid of ``name`` in ``root``'s own user and group files."""
    root = None if root in (None, "", "/") else root
    info = __salt__[f"{kind}.info"](name, root=root)
    return (info or {}).get("uid" if kind == "user" else "gid")


def permissions(name, user="root", group="root", mode="0644", root=None):
    """
    ``name`` is owned by ``user``:``group`` and has no permission bit beyond
    ``mode``. A path that does not exist is left alone (the Docker socket
    exists only while the daemon runs).

    root
        Work on an image root: the path and the user and group names are
        those of the root.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    problems = []
    if not isinstance(mode, str) or not (
        3 <= len(mode) <= 4 and all(c in "01234567" for c in mode)
    ):
        problems.append(f"mode must be an octal string like '0644', not {mode!r}")
    if not os.path.isabs(str(name)):
        problems.append(f"{name!r} is not an absolute path")
    if problems:
        ret.update(result=False, comment="; ".join(problems) + ". Nothing was changed.")
        return ret
    path = _in_root(name, root)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        ret["comment"] = f"{path} does not exist; nothing to do."
        return ret
    except OSError as err:
        ret.update(
            result=False, comment=f"cannot read {path}: {err.strerror}. Nothing was changed."
        )
        return ret
    if stat.S_ISLNK(st.st_mode):
        ret["comment"] = f"{path} is a symbolic link; its target is managed on its own."
        return ret
    uid, gid = _id("user", user, root), _id("group", group, root)
    where = f" under {root}" if root not in (None, "", "/") else ""
    missing = [f"user {user}" if uid is None else "", f"group {group}" if gid is None else ""]
    missing = [item for item in missing if item]
    if missing:
        ret.update(
            result=False,
            comment=f"{' and '.join(missing)} do not exist{where}: create them, or name others. "
            "Nothing was changed.",
        )
        return ret
    old_mode = stat.S_IMODE(st.st_mode)
    new_mode = old_mode & int(mode, 8)
    changes = {}
    if (st.st_uid, st.st_gid) != (uid, gid):
        changes["owner"] = {
            "old": f"{st.st_uid}:{st.st_gid}",
            "new": f"{uid}:{gid} ({user}:{group})",
        }
    if new_mode != old_mode:
        changes["mode"] = {"old": f"{old_mode:04o}", "new": f"{new_mode:04o}"}
    if not changes:
        ret["comment"] = f"{path} is {user}:{group}, mode {old_mode:04o}."
        return ret
    if __opts__["test"]:
        ret.update(result=None, changes=changes, comment=f"{path} would be tightened.")
        return ret
    try:
        if "owner" in changes:
            os.chown(path, uid, gid, follow_symlinks=False)
        # chown clears setuid/setgid bits: set the mode after it.
        os.chmod(path, new_mode)
    except OSError as err:
        ret.update(
            result=False,
            comment=f"cannot change {path}: {err.strerror}. Changed so far: {sorted(changes)}",
        )
        return ret
    ret.update(changes=changes, comment=f"{path} was tightened.")
    return ret
