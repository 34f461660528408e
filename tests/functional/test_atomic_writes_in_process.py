"""The atomic writers, seen from inside the test's own process: sysconfig's
writes and ``docker_host_files.write_atomic`` (daemon.json, the sysctl.d file).

What the README promises of every write, shown without killing or tracing a
process (tests/functional/test_*_write_safety.py do that): a temporary file
``.NAME.<random>.salt-tmp`` beside the file, renamed over it, so that a reader
of the old file reads it whole and the path holds a new inode; the mode and
owner asked for whatever the umask; a missing directory made 0755; a write
that fails (refused by the directory, or a directory in the file's place) is
a clear error that leaves the file as it was and no temporary file; bytes
that are not UTF-8 kept; an attribute the writer may not copy does not stop
the write. The kernel reports what happened in the directory (inotify).
"""

import contextlib
import ctypes
import os
import re
import stat
import struct
import subprocess
import threading

import pytest
from salt.exceptions import CommandExecutionError

_libc = ctypes.CDLL(None, use_errno=True)

# inotify(7): what a watcher of the directory sees happen to its entries.
_WATCHED = {
    0x00000002: "modify",
    0x00000040: "moved_from",
    0x00000080: "moved_to",
    0x00000100: "create",
    0x00000200: "delete",
}
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


@contextlib.contextmanager
def _directory_events(directory):
    """Yield a list that, once the block ends, holds ``(event, name)`` for each
    entry of ``directory`` created, modified, renamed or deleted meanwhile, in
    order; repeated modifications of one entry count once."""
    fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    events = []
    try:
        if _libc.inotify_add_watch(fd, os.fsencode(directory), sum(_WATCHED)) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory}")
        yield events
        with contextlib.suppress(BlockingIOError):
            data = os.read(fd, 1 << 16)
            offset = 0
            while offset < len(data):
                _, mask, _, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size
                name = data[offset : offset + length].rstrip(b"\0").decode()
                offset += length
                event = (_WATCHED[mask & sum(_WATCHED)], name)
                if not events or events[-1] != event or event[0] != "modify":
                    events.append(event)
    finally:
        os.close(fd)


def _temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".salt-tmp")]


def _tree(directory):
    """Every file and directory under ``directory``: its bytes, or None for a directory."""
    return {
        path.relative_to(directory): None if path.is_dir() else path.read_bytes()
        for path in directory.rglob("*")
    }


def _write_file(modules, path, text):
    modules.docker_host_files.write_atomic(str(path), text)


def _set_sysconfig(modules, path, text):
    modules.sysconfig.set(str(path), "DOCKER_OPTS", text)


# Each writer: the file it replaces, its bytes before, the write, and the
# bytes it must then hold.
WRITERS = {
    "write_atomic": (
        "etc/docker/daemon.json",
        b'{\n  "log-level": "warn"\n}\n',
        _write_file,
        '{\n  "live-restore": true\n}\n',
        b'{\n  "live-restore": true\n}\n',
    ),
    "sysconfig": (
        "etc/sysconfig/docker",
        b'## Type: string\nDOCKER_OPTS=""\n',
        _set_sysconfig,
        "--debug",
        b'## Type: string\nDOCKER_OPTS="--debug"\n',
    ),
}


@pytest.fixture
def target(tmp_path):
    """``target(writer)``: the writer's file, holding its old bytes, in a fresh tree."""

    def make(writer):
        relative, old, _, _, _ = WRITERS[writer]
        path = tmp_path / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(old)
        return path

    return make


@pytest.fixture
def umask():
    """``umask(mask)`` sets the process's umask until the test ends."""
    before = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(before)


@pytest.fixture
def file_flag(tmp_path):
    """``file_flag(path, "+a")``: chattr, undone when the test ends (as root)."""
    flagged = []

    def chattr(path, flag):
        subprocess.run(["chattr", flag, str(path)], check=True)
        flagged.append((path, flag.replace("+", "-")))

    try:
        yield chattr
    finally:
        for path, flag in reversed(flagged):
            subprocess.run(["chattr", flag, str(path)], check=True)


@pytest.mark.skip_if_not_root  # the files are chowned to root
@pytest.mark.parametrize("writer", WRITERS)
def test_the_file_is_replaced_by_a_temporary_file_renamed_over_it(modules, target, writer):
    """A watcher of the directory sees the temporary file made there, written,
    and renamed over the file, and nothing else: the file itself is never
    written in place, so a reader of the old file reads it whole."""
    _, old, write, text, new = WRITERS[writer]
    path = target(writer)
    inode = path.stat().st_ino
    with open(path, "rb") as reader, _directory_events(path.parent) as events:
        head = reader.read(4)
        write(modules, path, text)
        assert head + reader.read() == old
    assert path.stat().st_ino != inode
    assert path.read_bytes() == new

    temporary = events[0][1]
    assert re.fullmatch(rf"\.{re.escape(path.name)}\.[^/]+\.salt-tmp", temporary)
    assert events == [
        ("create", temporary),
        ("modify", temporary),
        ("moved_from", temporary),
        ("moved_to", path.name),
    ]
    assert _temporary_files(path.parent) == []


@pytest.mark.skip_if_not_root  # chown to another user
@pytest.mark.parametrize("mask", [0o077, 0o000], ids=["umask-077", "umask-000"])
@pytest.mark.parametrize(
    ("asked", "mode", "owner"),
    [
        ({}, 0o644, (0, 0)),  # the defaults, as `salt-call docker_host_files.write_atomic`
        ({"mode": 0o600}, 0o600, (0, 0)),
        ({"mode": 0o664, "uid": 65534, "gid": 65534}, 0o664, (65534, 65534)),
    ],
    ids=["defaults", "0600", "0664-nobody"],
)
def test_write_atomic_gives_exactly_the_mode_and_owner_asked_whatever_the_umask(
    modules, tmp_path, umask, mask, asked, mode, owner
):
    path = tmp_path / "daemon.json"
    path.write_text("{}\n")
    os.chmod(path, 0o666)
    umask(mask)
    assert modules.docker_host_files.write_atomic(str(path), "[]\n", **asked) is True
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)) == (mode, owner)
    assert path.read_text() == "[]\n"


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("mask", [0o000, 0o077], ids=["umask-000", "umask-077"])
def test_write_atomic_makes_every_missing_directory_0755_whatever_the_umask(
    modules, tmp_path, umask, mask
):
    """/etc/docker is 0755 (pillar-example/README.md), and so is an /etc it had to make
    in an empty image root: never world-writable, never closed to readers."""
    path = tmp_path / "root" / "etc" / "docker" / "daemon.json"
    path.parent.parent.parent.mkdir()
    umask(mask)
    modules.docker_host_files.write_atomic(str(path), "{}\n")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o755
    assert path.read_text() == "{}\n"


# A write the directory refuses, as root: an immutable directory refuses the
# temporary file; an append-only one takes it but refuses the rename, and
# then its removal too, so that temporary file is left (nothing can remove it).
REFUSED = {
    ("write_atomic", "+i"): "cannot write {path}: Operation not permitted; it was left as it was",
    ("write_atomic", "+a"): "cannot write {path}: Operation not permitted; it was left as it was",
    ("sysconfig", "+i"): "cannot write in {directory}: permission denied. Run this as root.",
    ("sysconfig", "+a"): "cannot write {path}: permission denied. Run this as root.",
}


@pytest.mark.skip_if_not_root  # chattr
@pytest.mark.parametrize(("writer", "flag"), REFUSED, ids=lambda value: value)
def test_a_write_the_directory_refuses_is_a_clear_error_and_leaves_the_file(
    modules, target, file_flag, writer, flag
):
    _, old, write, text, _ = WRITERS[writer]
    path = target(writer)
    file_flag(path.parent, flag)
    with pytest.raises(CommandExecutionError) as raised:
        write(modules, path, text)
    assert str(raised.value) == REFUSED[writer, flag].format(path=path, directory=path.parent)
    assert path.read_bytes() == old
    left = _temporary_files(path.parent)
    assert len(left) == (1 if flag == "+a" else 0)


@pytest.mark.parametrize(
    ("obstacle", "strerror"),
    [("the file is a directory", "Is a directory"), ("its parent is a file", "Not a directory")],
)
def test_write_atomic_that_cannot_replace_the_file_says_so_and_leaves_no_temporary_file(
    modules, tmp_path, obstacle, strerror
):
    if obstacle == "the file is a directory":
        path = tmp_path / "daemon.json"
        (path / "kept").mkdir(parents=True)
    else:
        (tmp_path / "docker").write_text("not a directory\n")
        path = tmp_path / "docker" / "daemon.json"
    before = _tree(tmp_path)
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_host_files.write_atomic(str(path), "{}\n")
    assert str(raised.value) == f"cannot write {path}: {strerror}; it was left as it was"
    assert _tree(tmp_path) == before


def test_bytes_that_are_not_utf8_are_kept_by_a_write(modules, tmp_path):
    """Old SUSE files have Latin-1 comments: a write elsewhere keeps their bytes."""
    path = tmp_path / "docker"
    path.write_bytes(b'## Type: string\n# r\xe9seau, caf\xe9\nDOCKER_OPTS=""\n')
    modules.sysconfig.set(str(path), "DOCKER_OPTS", "--debug")
    assert path.read_bytes() == b'## Type: string\n# r\xe9seau, caf\xe9\nDOCKER_OPTS="--debug"\n'


CAP_SETFCAP = 31
# struct vfs_cap_data, revision 2, effective: what `setcap cap_net_raw+ep` stores.
CAP_NET_RAW_EP = struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0)
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _in_a_thread_without(capability, function):
    """Run ``function`` in a thread of its own that lacks ``capability``
    (capabilities are per thread: the rest of the process keeps it)."""
    outcome = {}

    def run():
        header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
        if _libc.capget(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capget")
        data[capability // 32].effective &= ~(1 << capability % 32)
        if _libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")
        try:
            outcome["result"] = function()
        except BaseException as err:  # handed to the test's thread
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.mark.skip_if_not_root  # setting security.* and trusted.* attributes
def test_an_attribute_the_writer_may_not_copy_does_not_stop_the_write(modules, tmp_path):
    """A root without CAP_SETFCAP (a container that drops it) cannot put a
    file capability on the new file: the file is still written, with every
    other attribute kept."""
    path = tmp_path / "docker"
    path.write_bytes(b'## Type: string\nDOCKER_OPTS=""\n')
    os.setxattr(path, "security.capability", CAP_NET_RAW_EP)
    kept = {"trusted.suse-docker-host": b"kept", "user.suse-docker-host": b"kept too"}
    for name, value in kept.items():
        os.setxattr(path, name, value)

    _in_a_thread_without(
        CAP_SETFCAP, lambda: modules.sysconfig.set(str(path), "DOCKER_OPTS", "--debug")
    )

    assert path.read_bytes() == b'## Type: string\nDOCKER_OPTS="--debug"\n'
    assert {name: os.getxattr(path, name) for name in kept} == kept
    assert _temporary_files(tmp_path) == []


@pytest.mark.skip_if_not_root  # chown
def test_the_one_writer_never_loosens_and_keeps_owner_setuid_and_attributes(modules, tmp_path):
    """daemon.json's and the sysctl file's writer (write_atomic) and the sysconfig
    engine's write through one function, replace: a 0640 file stays 0640 under a
    0644 maximum, a user.* attribute stays, and a setuid file of another owner keeps
    both (the chown comes before the chmod, which it would otherwise clear)."""
    owned = tmp_path / "90-docker-host-forwarding.conf"
    owned.write_text("net.ipv4.ip_forward = 0\n")
    os.chmod(owned, 0o640)
    os.setxattr(owned, "user.origin", b"admin")
    modules.docker_host_files.write_atomic(str(owned), "net.ipv4.ip_forward = 1\n", mode=0o644)
    assert stat.S_IMODE(owned.stat().st_mode) == 0o640
    assert os.getxattr(owned, "user.origin") == b"admin"
    assert owned.read_text() == "net.ipv4.ip_forward = 1\n"

    edited = tmp_path / "tool"
    edited.write_text("A=1\n")
    os.chown(edited, 65534, 65534)
    os.chmod(edited, 0o4750)
    assert modules.docker_host_files.replace(str(edited), "A=2\n") is True
    st = edited.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o4750)
    assert edited.read_text() == "A=2\n"
    assert _temporary_files(tmp_path) == []
