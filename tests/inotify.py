"""The kernel's own account of which files were renamed into place, in order (inotify)."""

import contextlib
import ctypes
import os
import struct

IN_MOVED_TO = 0x00000080
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def renames_into(*directories):
    """Yield a list that, once the block ends, holds ``(directory, name)`` for every
    file renamed into one of ``directories`` meanwhile, in the order they happened."""
    fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    found, watches = [], {}
    try:
        for directory in directories:
            wd = _libc.inotify_add_watch(fd, os.fsencode(directory), IN_MOVED_TO)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory}")
            watches[wd] = directory
        yield found
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            data = b""
        offset = 0
        while offset < len(data):
            wd, _, _, length = _EVENT.unpack_from(data, offset)
            offset += _EVENT.size
            name = data[offset : offset + length].rstrip(b"\0").decode()
            offset += length
            found.append((watches[wd], name))
    finally:
        os.close(fd)
