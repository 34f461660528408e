"""daemon.json and the forwarding sysctl file are replaced atomically, root:root,
never looser than they were, and a full filesystem leaves them as they were."""

import json
import os
import stat

import pytest
from salt.exceptions import CommandExecutionError

DAEMON_JSON = "etc/docker/daemon.json"
FORWARDING = "etc/sysctl.d/90-docker-host-forwarding.conf"


def _daemon_json(modules, root):
    path = root / DAEMON_JSON
    wanted = {**(json.loads(path.read_text()) if path.exists() else {}), "live-restore": True}
    modules.docker_daemon.set_daemon_json({"live-restore": True}, root=str(root))
    return wanted


def _forwarding(modules, root):
    applied = modules.docker_forwarding.apply(
        modules.docker_forwarding.plan(firewall="none", root=str(root))
    )
    if not applied["result"]:
        raise CommandExecutionError(applied["comment"])
    return "net.ipv4.ip_forward = 1"


def _sysconfig(modules, root):
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(root))
    return 'DOCKER_OPTS="--debug"'


# Each writer: the file it writes, the content that file starts with (None:
# the sandbox's own copy), and the write, which returns what the file must
# then hold.
WRITERS = {
    "daemon.json": (DAEMON_JSON, b'{\n  "log-level": "warn"\n}\n', _daemon_json),
    "forwarding": (FORWARDING, b"net.ipv4.ip_forward = 0\n", _forwarding),
    "sysconfig": ("etc/sysconfig/docker", None, _sysconfig),
}


def _holds(path, wanted):
    text = path.read_text()
    return json.loads(text) == wanted if isinstance(wanted, dict) else wanted in text


def _temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".salt-tmp")]


@pytest.mark.skip_if_not_root  # the files are chowned to root
@pytest.mark.parametrize("writer", WRITERS)
def test_a_reader_of_the_old_file_still_reads_it_whole(modules, sandbox_root, writer):
    """The file is replaced by rename, never rewritten in place: a reader that
    had it open goes on reading the old content to its end."""
    relative, old, write = WRITERS[writer]
    path = sandbox_root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if old is not None:
        path.write_bytes(old)
    old = path.read_bytes()
    inode = path.stat().st_ino
    with open(path, "rb") as reader:
        head = reader.read(8)
        wanted = write(modules, sandbox_root)
        assert head + reader.read() == old
    assert path.stat().st_ino != inode
    assert _holds(path, wanted)
    assert _temporary_files(path.parent) == []


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("writer", ["daemon.json", "forwarding"])
def test_a_new_file_is_root_0644_whatever_the_umask(modules, tmp_path, writer):
    relative, _, write = WRITERS[writer]
    path = tmp_path / relative
    umask = os.umask(0o077)
    try:
        wanted = write(modules, tmp_path)
    finally:
        os.umask(umask)
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o644, 0, 0)
    assert _holds(path, wanted)
    assert _temporary_files(path.parent) == []


@pytest.mark.skip_if_not_root
@pytest.mark.parametrize(
    ("writer", "mode_before", "mode_after"),
    [
        ("daemon.json", 0o600, 0o600),  # stricter than 0644: kept
        ("daemon.json", 0o640, 0o640),
        ("daemon.json", 0o666, 0o644),  # looser: tightened (CIS Docker Benchmark 3.18)
        ("forwarding", 0o666, 0o644),
    ],
    ids=lambda value: f"{value:04o}" if isinstance(value, int) else value,
)
def test_an_existing_file_becomes_root_owned_and_never_looser(
    modules, sandbox_root, writer, mode_before, mode_after
):
    """The directory is setgid to another group, so that a new file would take
    that group by itself: root:root has to come from the write."""
    relative, old, write = WRITERS[writer]
    path = sandbox_root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chown(path.parent, 0, 65534)
    os.chmod(path.parent, 0o2755)
    path.write_bytes(old)
    os.chown(path, 65534, 65534)
    os.chmod(path, mode_before)
    wanted = write(modules, sandbox_root)
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode_after, 0, 0)
    assert _holds(path, wanted)
    assert _temporary_files(path.parent) == []


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("lacking", ["space", "inode"])
@pytest.mark.parametrize("writer", ["daemon.json", "forwarding"])
def test_a_full_filesystem_leaves_the_file_as_it_was(
    modules, tmp_path, full_tmpfs, writer, lacking
):
    """The file's directory in a sandbox root on a real tmpfs, full: no block
    for the new data (the temporary file is made, its write fails), or no
    inode (the temporary file cannot be made)."""
    relative, old, write = WRITERS[writer]
    root = tmp_path / "root"
    name = os.path.basename(relative)
    directory = full_tmpfs(root / os.path.dirname(relative), {name: old}, lacking)
    path = directory / name
    with pytest.raises(CommandExecutionError) as raised:
        write(modules, root)
    refused = f"cannot write {path}: No space left on device; it was left as it was"
    if writer == "forwarding":  # apply names the layer and what it changed before
        refused = f"persistent could not be changed ({refused}); already changed: nothing"
    assert str(raised.value) == refused
    assert path.read_bytes() == old
    assert _temporary_files(directory) == []
