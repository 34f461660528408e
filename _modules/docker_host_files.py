"""
The Docker host's files: the one writer of every file this extension
writes (``replace``: sysconfig edits, ``/etc/docker/daemon.json``, its
sysctl.d file; ``write_atomic`` for the files it owns whole), the lock its
writers of a directory take (``locked``, also held around the group
membership changes that gpasswd writes), and the owner
and mode of every file the CIS Docker Benchmark names (``plan_permissions``,
``apply_permissions``).

A temporary file beside the target, with the final owner, mode and extended
attributes before any content, fsync, rename, fsync of the directory: a
crash leaves the old file or the new one, never a mix, and no reader ever
sees a looser mode. Written here because ``salt.utils.atomicfile`` leaves
its temporary file behind when the rename fails, and neither it nor
``file.managed`` keeps extended attributes or treats a mode as a maximum.

Permissions are changed here and not with Salt's ``file`` states: those set
an exact mode, which would loosen a file an administrator made stricter, and
resolve owner names on the host, which gives the wrong ids inside an image
root whose ``/etc/passwd`` differs. The mode here is a maximum: only
permission bits are removed, and names resolve in the root worked on.

:depends: Salt's ``user`` and ``group`` modules for owner names.
"""

import contextlib
import errno
import fcntl
import os
import secrets
import stat

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host_files"


def __virtual__():
    return __virtualname__


def _make_directories(directory):
    """Make the missing directories of ``directory``, each 0755 whatever the umask:
    os.makedirs gives its mode to the last one only, and the umask takes from it."""
    missing = []
    while not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for made in reversed(missing):
        try:
            os.mkdir(made, 0o755)
        except FileExistsError:
            continue  # a parallel writer made it first, and set its mode
        os.chmod(made, 0o755)


_ACCESS_ACL = "system.posix_acl_access"


def _copy_xattrs_in(dir_fd, base, fd, follow):
    """Keep SELinux labels and ACLs on the replacement file, and give it no ACL the
    file did not have: made in a directory with a default ACL, it took that one."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        source = os.open(base, flags, dir_fd=dir_fd)
    except OSError:
        return
    try:
        names = os.listxattr(source)
        if _ACCESS_ACL not in names:
            with contextlib.suppress(OSError):
                os.removexattr(fd, _ACCESS_ACL)
        for attr in names:
            with contextlib.suppress(OSError):
                os.setxattr(fd, attr, os.getxattr(source, attr))
    except OSError:
        return
    finally:
        os.close(source)


def replace(path, text, mode=None, uid=None, gid=None, expect=None, root=None):
    """
    Replace the file ``path`` with ``text`` atomically: a temporary file in
    the same directory, with its final owner, mode and extended attributes
    before any content, fsync, rename over ``path``, fsync of the directory.
    A crash leaves the old file or the new one, never a mix. This is the one
    writer of every file this extension writes whole or edits.

    An existing file keeps its owner, group, mode and extended attributes
    (ACLs, the SELinux label); ``uid`` and ``gid`` replace the owner when
    given, and ``mode`` is a maximum: bits beyond it are removed, none are
    added. A new file gets ``mode`` (0644 when not given) and ``uid``:``gid``
    (the writer's when not given). ``text`` is written as UTF-8; bytes a
    file held that are not UTF-8 (read with ``surrogateescape``) are written
    back as they were.

    Under an image ``root``, ``path`` is where the file is on this host, its
    links already resolved inside the root (``sysconfig.resolve``): every
    directory is then opened from the root one at a time, never through a
    link, and the file is made and renamed in that one directory, so that a
    directory swapped for a link meanwhile cannot lead the write out of the
    root (the write fails instead).

    Writers of one directory take turns (an exclusive lock on the
    directory), so that ``expect`` can make a read-modify-write safe: the
    text the file must still hold (``False``: there must be no file), else
    nothing is written and ``False`` is returned. Temporary files that a
    killed writer of the same file left behind are removed.

    The error is the system's OSError, its ``filename`` the directory when
    the temporary file could not be made: each caller says what it means for
    its file (``write_atomic`` says it for files this extension owns whole).
    No temporary file is left behind, except where the directory refuses its
    removal too (append-only). Returns ``True`` when the file was written.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.replace /etc/docker/daemon.json '{}' mode=0o644 uid=0 gid=0
    """
    directory, base = os.path.split(path)
    image = __salt__["sysconfig.image_root"](root)
    dir_fd = _open_directory(directory, image)
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        if expect is not None and _read_text_in(dir_fd, base, path) != (
            None if expect is False else expect
        ):
            return False
        _remove_leftovers(dir_fd, base)
        _replace_in(dir_fd, path, text, mode, uid, gid, follow=image is None)
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)  # the lock goes with it
    return True


@contextlib.contextmanager
def locked(path, root=None):
    """
    Hold, for a ``with`` block, the lock that every write of a file in
    ``path``'s directory takes (``replace`` takes it for each write). It is
    for a file another program writes, such as ``/etc/group`` (gpasswd):
    read it, check that it still holds what a plan read, and change it, all
    in the block, and no other writer of this extension changes it between
    the check and the change. Under an image ``root``, the directory is
    opened from the root without following a link, as for a write.

    A context manager for other modules (``with
    __salt__["docker_host_files.locked"](path, root=root):``); there is
    nothing to call from the command line.
    """
    dir_fd = _open_directory(os.path.dirname(path), __salt__["sysconfig.image_root"](root))
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(dir_fd)  # the lock goes with it


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _open_directory(directory, image, make=False):
    """A descriptor of ``directory``. Under an ``image`` root, opened from the root one
    component at a time without following a link; missing ones made 0755 when
    ``make`` (os.makedirs gives its mode to the last one only, and the umask takes
    from it)."""
    if image is None:
        if make:
            _make_directories(directory)
        try:
            return os.open(directory, _DIRECTORY)
        except OSError as err:
            err.filename = directory
            raise
    top = os.path.abspath(image)
    inside = os.path.relpath(directory, top)
    if inside == os.pardir or inside.startswith(os.pardir + os.sep):
        raise OSError(errno.EXDEV, f"it is not under the image root {top}", directory)
    fd = os.open(top, _DIRECTORY)
    here = top
    try:
        for part in [] if inside == os.curdir else inside.split(os.sep):
            here = os.path.join(here, part)
            found = _open_component(fd, part, make)
            os.close(fd)
            fd = found
    except OSError as err:
        os.close(fd)
        err.filename = here
        raise
    return fd


def _open_component(dir_fd, name, make):
    """The directory ``name`` in ``dir_fd``, never through a link. The entry itself is
    opened first (O_PATH, which a link allows): its type says whether it is a link,
    which a failed open of a directory cannot tell once the link is gone again."""
    try:
        entry = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        made = False
    except FileNotFoundError:
        if not make:
            raise
        try:
            os.mkdir(name, 0o755, dir_fd=dir_fd)
            made = True
        except FileExistsError:
            made = False  # a parallel writer made it first, and set its mode
        entry = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        kind = stat.S_IFMT(os.fstat(entry).st_mode)
        if kind == stat.S_IFLNK:
            raise OSError(
                errno.ELOOP,
                "a directory there was replaced by a symbolic link after the path was "
                "resolved; the write does not follow it",
            )
        if kind != stat.S_IFDIR:
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        found = os.open(".", _DIRECTORY, dir_fd=entry)  # the very directory held
    finally:
        os.close(entry)
    if made:
        os.fchmod(found, 0o755)
    return found


_TEMPORARY = ".salt-tmp"


def _remove_leftovers(dir_fd, base):
    """Remove the temporary files of ``base`` that a killed writer left: every writer
    of ``base`` holds the directory's lock while its temporary file exists."""
    prefix = f".{base}."
    for name in os.listdir(dir_fd):
        if name.startswith(prefix) and name.endswith(_TEMPORARY):
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=dir_fd)


def _replace_in(dir_fd, path, text, mode, uid, gid, follow):
    """Write ``text`` to a new file in the directory ``dir_fd`` and rename it over the
    file's name there; every step relative to ``dir_fd``. ``follow``: a link at the
    name lends its target's owner, mode and attributes (on the live system)."""
    base = os.path.basename(path)
    try:
        st = os.stat(base, dir_fd=dir_fd, follow_symlinks=follow)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        st = None  # not a file to take after: the rename will say what it is
    if st is None:
        final_mode = 0o644 if mode is None else mode
    else:
        final_mode = stat.S_IMODE(st.st_mode) & (0o7777 if mode is None else mode)
    fd, tmp = _make_temporary(dir_fd, base, os.path.dirname(path))
    try:
        try:
            made = os.fstat(fd)
            owner = (
                made.st_uid if uid is None and st is None else st.st_uid if uid is None else uid,
                made.st_gid if gid is None and st is None else st.st_gid if gid is None else gid,
            )
            # Compared with the new file itself, not the writer's ids: in a
            # setgid directory it takes the directory's group.
            if (made.st_uid, made.st_gid) != owner:
                os.fchown(fd, *owner)
            # After the chown, which clears setuid and setgid.
            os.fchmod(fd, final_mode)
            if st is not None:
                _copy_xattrs_in(dir_fd, base, fd, follow)
            data = memoryview(text.encode("utf-8", "surrogateescape"))
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, base, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _make_temporary(dir_fd, base, directory):
    """A new file ``.<base>.<random>.salt-tmp`` in ``dir_fd``, 0600: (fd, name)."""
    while True:
        name = f".{base}.{secrets.token_hex(4)}{_TEMPORARY}"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            return os.open(name, flags, 0o600, dir_fd=dir_fd), name
        except FileExistsError:
            continue
        except OSError as err:
            err.filename = directory
            raise


def read_text(path):
    """
    Return the text of the regular file ``path`` (bytes that are not UTF-8
    survive a round trip), or ``None`` when there is none. Anything else at
    the path (a FIFO, a socket, a device, a directory) is refused before it
    is opened for reading, and the file is opened without blocking, so that
    nothing put in a file's place can hold the minion. This is the reader of
    every file this extension reads whole (``sysconfig`` has its own, for the
    grain, which loads it without ``__salt__``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.read_text /etc/docker/daemon.json
    """
    directory, base = os.path.split(path)
    try:
        dir_fd = os.open(directory, _DIRECTORY)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CommandExecutionError(f"cannot read {path}: {err.strerror}") from err
    try:
        return _read_text_in(dir_fd, base, path)
    finally:
        os.close(dir_fd)


def _read_text_in(dir_fd, base, path):
    """``read_text`` of the file ``base`` in the directory ``dir_fd``."""
    # A file a writer renames into place between the stat and the open is read in
    # the next turn: each turn looks at one file, and only a regular one is opened.
    while True:
        try:
            st = os.stat(base, dir_fd=dir_fd)
            if not stat.S_ISREG(st.st_mode):
                raise CommandExecutionError(f"{path} is {_kind(st.st_mode)}, not a regular file")
            fd = os.open(base, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise CommandExecutionError(f"cannot read {path}: {err.strerror}") from err
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
                continue
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks).decode("utf-8", "surrogateescape")
        except OSError as err:
            raise CommandExecutionError(f"cannot read {path}: {err.strerror}") from err
        finally:
            os.close(fd)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode):
    return next((name for test, name in _KINDS if test(mode)), "of another kind")


def write_atomic(path, text, mode=0o644, uid=0, gid=0, expect=None, root=None):
    """
    Replace ``path``, a file this extension owns whole (daemon.json, its
    sysctl.d file), with ``text``, owned ``uid:gid`` and never looser than
    ``mode``; the missing directories are made 0755. ``replace`` does the
    write (``expect`` as there; returns whether it wrote); an error says the
    file was left as it was.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.write_atomic /etc/docker/daemon.json '{}'
    """
    try:
        os.close(
            _open_directory(
                os.path.dirname(path), __salt__["sysconfig.image_root"](root), make=True
            )
        )
        return replace(path, text, mode=mode, uid=uid, gid=gid, expect=expect, root=root)
    except OSError as err:
        raise CommandExecutionError(
            f"cannot write {path}: {err.strerror}; it was left as it was"
        ) from err


def remove(path, expect=None, root=None):
    """
    Remove the file ``path`` (where it is on this host, as for ``replace``),
    under the lock its directory's writers take, and only while it holds
    ``expect`` (its text) when that is given: a file changed since it was read
    is kept, and ``False`` returned. A file that is already gone counts as
    removed. The directory is synced after the removal.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.remove /etc/sysctl.d/90-docker-host-forwarding.conf
    """
    directory, base = os.path.split(path)
    try:
        dir_fd = _open_directory(directory, __salt__["sysconfig.image_root"](root))
    except FileNotFoundError:
        return expect is None
    except OSError as err:
        raise CommandExecutionError(f"cannot remove {path}: {err.strerror}") from err
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        if expect is not None and _read_text_in(dir_fd, base, path) != expect:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(base, dir_fd=dir_fd)
        os.fsync(dir_fd)
    except OSError as err:
        raise CommandExecutionError(f"cannot remove {path}: {err.strerror}") from err
    finally:
        os.close(dir_fd)
    return True


def remove_empty_directory(path, root=None):
    """
    Remove the directory ``path`` when it is empty; one that holds anything, or
    is gone, is left. Return whether it was removed.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.remove_empty_directory /etc/docker/tls
    """
    parent, base = os.path.split(path.rstrip("/"))
    try:
        dir_fd = _open_directory(parent, __salt__["sysconfig.image_root"](root))
    except OSError:
        return False
    try:
        os.rmdir(base, dir_fd=dir_fd)
        os.fsync(dir_fd)
    except OSError:
        return False  # not empty, gone, or not a directory: left as it is
    finally:
        os.close(dir_fd)
    return True


def missing_directories(path, root=None):
    """
    Return the directories above ``path`` (an absolute path on the target) that
    do not exist yet, the outermost first: those a write of ``path`` makes.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.missing_directories /etc/docker/tls/ca.pem
    """
    missing = []
    directory = os.path.dirname(path)
    while directory != "/" and not os.path.isdir(
        __salt__["sysconfig.resolve"](directory, root=root)
    ):
        missing.append(directory)
        directory = os.path.dirname(directory)
    return missing[::-1]


def _live(root):
    return __salt__["sysconfig.image_root"](root) is None


def _uid(name, root):
    """The uid of ``name`` in ``root``'s own /etc/passwd, or None."""
    return (__salt__["user.info"](name, root=None if _live(root) else root) or {}).get("uid")


def _gid(name, root):
    """The gid of ``name`` in ``root``'s own /etc/group, or None."""
    return (__salt__["group.info"](name, root=None if _live(root) else root) or {}).get("gid")


def _name(path, number, root):
    """The name of uid or gid ``number`` in ``root``'s own /etc/passwd or /etc/group
    (``path``), else the number."""
    try:
        # Links resolved inside the root, the last one too: open() would follow
        # an absolute link out of an image root.
        text = read_text(__salt__["sysconfig.resolve"](path, root=root)) or ""
    except CommandExecutionError:
        text = ""
    # A name that is not UTF-8 is shown with U+FFFD, as the tools show it.
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[2] == str(number):
            return fields[0]
    return str(number)


def _check_permission_arguments(name, mode):
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
        raise SaltInvocationError("; ".join(problems))


def plan_permissions(name, user="root", group="root", mode="0644", root=None):
    """
    Return what must change for ``name`` to be owned by ``user``:``group``
    with no permission bit beyond ``mode`` (the arguments of the
    ``docker_host_files.permissions`` state); change nothing.
    ``apply_permissions`` carries the plan out.

    A path that does not exist, and a symbolic link, have nothing to change.
    ``changes`` names owners as ``user:group``; a user or group that does not
    exist (yet) is in ``missing``, and ``apply_permissions`` refuses the plan.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.plan_permissions /etc/docker/daemon.json
        salt '*' docker_host_files.plan_permissions /etc/sysconfig/docker mode=0600 root=/srv/image
    """
    _check_permission_arguments(name, mode)
    planned = {"name": name, "root": root, "changes": {}, "missing": []}
    try:
        path = __salt__["sysconfig.resolve"](name, root=root, follow_last=False)
        st = os.lstat(path)
    except FileNotFoundError:
        return {**planned, "comment": f"{name} does not exist; nothing to do."}
    except (OSError, CommandExecutionError, SaltInvocationError) as err:
        raise CommandExecutionError(f"cannot read {name}: {err}") from err
    if stat.S_ISLNK(st.st_mode):
        return {
            **planned,
            "comment": f"{name} is a symbolic link; its target is managed on its own.",
        }
    uid, gid = _uid(user, root), _gid(group, root)
    missing = [f"user {user}"] if uid is None else []
    missing += [f"group {group}"] if gid is None else []
    where = "" if _live(root) else f" under {root}"
    old_mode = stat.S_IMODE(st.st_mode)
    new_mode = old_mode & int(mode, 8)
    changes = planned["changes"]
    if (st.st_uid, st.st_gid) != (uid, gid):
        changes["owner"] = {
            "old": f"{_name('/etc/passwd', st.st_uid, root)}:"
            f"{_name('/etc/group', st.st_gid, root)}",
            "new": f"{user}:{group}",
        }
    if new_mode != old_mode:
        changes["mode"] = {"old": f"{old_mode:04o}", "new": f"{new_mode:04o}"}
    if not changes:
        comment = f"{name} is {user}:{group}, mode {old_mode:04o}."
    else:
        note = f" ({' and '.join(missing)} must exist by then{where})" if missing else ""
        comment = f"{name} would be tightened{note}."
    planned.update(
        path=path,
        inode=[st.st_dev, st.st_ino],
        found=[st.st_uid, st.st_gid, old_mode],
        uid=uid,
        gid=gid,
        mode=new_mode,
        missing=missing,
        where=where,
        comment=comment,
    )
    return planned


def apply_permissions(planned):
    """
    Carry out a plan from ``plan_permissions``: chown, then chmod (chown
    clears the setuid and setgid bits), on the file that was planned: a path
    that is no longer that file (a symbolic link or another file put in its
    place), or a file whose owner or mode changed since the plan (the planned
    mode could give back a bit taken away meanwhile), is refused, and nothing
    changes. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_host_files.plan_permissions /etc/docker | jq -c .local)
        salt-call docker_host_files.apply_permissions "$plan"
    """
    name, missing = planned["name"], planned["missing"]
    if missing:
        one = len(missing) == 1
        return {
            "result": False,
            "changes": {},
            "comment": f"{' and '.join(missing)} {'does' if one else 'do'} not "
            f"exist{planned['where']}: create {'it' if one else 'them'}, or name others. "
            "Nothing was changed.",
        }
    try:
        # Appliers of this extension take turns: the check below and the
        # change are one step for them.
        with locked(planned["path"], root=planned["root"]):
            return _apply_permissions_to(planned)
    except OSError as err:
        return _not_changed(name, err.strerror)


def _apply_permissions_to(planned):
    name, changes = planned["name"], planned["changes"]
    fd = os.open(planned["path"], os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISLNK(st.st_mode) or [st.st_dev, st.st_ino] != planned["inode"]:
            return _not_changed(name, "it was replaced after it was planned; plan it again")
        if [st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)] != planned["found"]:
            # The planned mode was computed from the old one: set now, it could
            # give back a bit that was taken away since.
            return _not_changed(
                name, "its owner or mode changed after it was planned; plan it again"
            )
        # The file the descriptor holds, whatever is at the path by now (a
        # descriptor opened with O_PATH cannot be given to fchown or fchmod).
        held = f"/proc/self/fd/{fd}"
        if "owner" in changes:
            os.chown(held, planned["uid"], planned["gid"])
        os.chmod(held, planned["mode"])
    finally:
        os.close(fd)
    return {"result": True, "changes": changes, "comment": f"{name} was tightened."}


def _not_changed(name, why):
    return {
        "result": False,
        "changes": {},
        "comment": f"cannot change {name}: {why}. Changed so far: nothing",
    }
