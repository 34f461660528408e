"""Namespaces of a test's own, for one thread: the running kernel's network switches
(and, if asked, the mounts) of that thread and every program it starts, never this
process's. The namespaces end with the thread."""

import ctypes
import threading

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def in_namespaces_of_its_own(work, flags=CLONE_NEWNET, prepare=None):
    """Run ``prepare()`` then ``work()`` in a thread that unshared ``flags``; return
    what ``work`` returns, or raise what either raised."""
    done = {}

    def run():
        try:
            if _libc.unshare(flags) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            if prepare is not None:
                prepare()
            done["value"] = work()
        except BaseException as err:  # raised again in the test's own thread
            done["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in done:
        raise done["error"]
    return done["value"]
