"""
Write whole files atomically, for the files this extension owns outright
(``/etc/docker/daemon.json``, its sysctl.d file).

A temporary file beside the target, with the final mode and owner before any
content, fsync, rename, fsync of the directory: a crash leaves the old file
or the new one, never a mix, and no reader ever sees a looser mode. Written
here because ``salt.utils.atomicfile`` leaves its temporary file behind when
the rename fails and keeps the old file's mode.

:depends: nothing beyond Python.
"""

import contextlib
import os
import tempfile

from salt.exceptions import CommandExecutionError

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
        os.mkdir(made, 0o755)
        os.chmod(made, 0o755)


def write_atomic(path, text, mode=0o644, uid=0, gid=0):
    """
    Replace ``path`` with ``text``, owned ``uid:gid`` with ``mode``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_files.write_atomic /etc/docker/daemon.json '{}'
    """
    directory = os.path.dirname(path)
    try:
        _make_directories(directory)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".salt-tmp", dir=directory
        )
        try:
            try:
                os.fchmod(fd, mode)
                os.fchown(fd, uid, gid)
                data = memoryview(text.encode())
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as err:
        raise CommandExecutionError(
            f"cannot write {path}: {err.strerror}; it was left as it was"
        ) from err
    return path
