"""How sysconfig reads the file it changes, reads its new text back before
writing it, and cleans up a write that is interrupted: seen from inside the
test's own process (tests/functional/test_sysconfig_write_safety.py kills and
traces worker processes instead).

A FIFO, a device or a directory where the file should be is refused by name;
a file whose read fails is an error that names it and says what failed. A
change bash would read as more than was asked (another variable following
it, a value that would not hold, a text bash could not read) is refused with
every variable or the line named, and nothing is written. A write interrupted
before its rename (Ctrl-C on salt-call raises KeyboardInterrupt) leaves the
file as it was, removes its temporary file where the directory lets it, and
the interrupt goes on, never replaced by an error of the cleanup.
"""

import os
import stat
import subprocess

import pytest
from salt.exceptions import CommandExecutionError


def _entries(directory):
    """Each entry of ``directory``: its type and bytes (None for what is not a file)."""
    return {
        path.name: (
            stat.S_IFMT(path.lstat().st_mode),
            path.read_bytes() if stat.S_ISREG(path.lstat().st_mode) else None,
        )
        for path in directory.iterdir()
    }


@pytest.fixture
def held_fifo():
    """``held_fifo(path)``: a FIFO at ``path`` that the test holds open, as a process
    feeding it would (opening a FIFO nobody holds blocks until someone does)."""
    held = []

    def make(path):
        os.mkfifo(path)
        held.append(os.open(path, os.O_RDWR | os.O_NONBLOCK))

    try:
        yield make
    finally:
        for fd in held:
            os.close(fd)


NOT_REGULAR = {
    "a FIFO": "{path} is not a regular file",
    "a character device": "{path} is not a regular file",
    "a directory": "{path} is a directory, not a sysconfig file",
}


@pytest.mark.skip_if_not_root  # mknod
@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_file_that_is_not_a_regular_file_is_refused_by_name(modules, tmp_path, held_fifo, kind):
    path = tmp_path / "docker"
    if kind == "a FIFO":
        held_fifo(path)
    elif kind == "a character device":
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    else:
        path.mkdir()
    before = _entries(tmp_path)
    with pytest.raises(CommandExecutionError) as raised:
        modules.sysconfig.set(str(path), "DOCKER_OPTS", "--debug")
    assert str(raised.value) == NOT_REGULAR[kind].format(path=path)
    assert _entries(tmp_path) == before


def test_a_file_whose_read_fails_is_an_error_that_names_it(modules, tmp_path):
    """/proc/self/mem is a regular file that can be opened and locked, but whose
    first page cannot be read: the read fails with an I/O error, as a bad disk's would."""
    link = tmp_path / "docker"
    link.symlink_to("/proc/self/mem")
    with pytest.raises(CommandExecutionError) as raised:
        modules.sysconfig.set(str(link), "DOCKER_OPTS", "--debug")
    assert str(raised.value) == "cannot read /proc/self/mem: Input/output error"
    assert os.readlink(link) == "/proc/self/mem"
    assert os.listdir(tmp_path) == ["docker"]


REFERS = 'A="1"\nB="$A"\nC=$A\n'


def _refused(modules, path, values):
    """Call update, which must refuse; check that the file and its directory are
    untouched, and return the message."""
    before, inode = _entries(path.parent), path.stat().st_ino
    with pytest.raises(CommandExecutionError) as raised:
        modules.sysconfig.update(str(path), values)
    assert _entries(path.parent) == before
    assert path.stat().st_ino == inode
    return str(raised.value)


def test_a_change_that_would_also_change_other_variables_names_each_of_them(
    modules, tmp_path, bash
):
    path = tmp_path / "refers"
    path.write_text(REFERS)
    assert bash(path) == {"A": "1", "B": "1", "C": "1"}
    assert _refused(modules, path, {"A": "2"}) == (
        f"{path}: this change would also change B (from '1' to '2'), C (from '1' to '2'), "
        "as bash reads the file. Nothing was changed; set those variables too, or edit "
        "the file by hand"
    )


def test_values_the_new_text_would_not_hold_are_refused_naming_each_of_them(modules, tmp_path):
    """B and C are asked to keep "1", but both follow A, which is asked to become "2"."""
    path = tmp_path / "refers"
    path.write_text(REFERS)
    assert _refused(modules, path, {"A": "2", "B": "1", "C": "1"}) == (
        f"{path}: the new text would not hold the requested value of B, C. Nothing was changed"
    )


def test_a_new_text_bash_could_not_read_is_refused_naming_the_file_and_line(modules, tmp_path):
    """The file ends without a newline in a backslash after a variable reference:
    the block appended after it would make that backslash a line continuation
    inside the reference, which is not evaluated."""
    path = tmp_path / "trailing"
    path.write_bytes(b'BASE="x"\nOPTS=$BASE\\')
    assert _refused(modules, path, {"NEW": "v"}) == (
        f"{path}, line 2: a line continuation inside a variable reference is not "
        "evaluated. Fix the file by hand; nothing was changed."
    )


@pytest.fixture
def append_only(tmp_path):
    """``append_only(directory)``: chattr +a, undone when the test ends (as root)."""
    flagged = []

    def chattr(directory):
        subprocess.run(["chattr", "+a", str(directory)], check=True)
        flagged.append(directory)

    try:
        yield chattr
    finally:
        for directory in flagged:
            subprocess.run(["chattr", "-a", str(directory)], check=True)


@pytest.fixture
def interrupted_fsync(monkeypatch):
    """Ctrl-C while the write syncs its temporary file: the first fsync raises
    KeyboardInterrupt instead. Returns the list of the files it interrupted.

    Stands in for a signal, which no real condition delivers at this point of
    the test's own process; test_sysconfig_write_safety.py kills a real
    writer process at each step of the write."""
    interrupted = []

    def fsync(fd):
        interrupted.append(os.readlink(f"/proc/self/fd/{fd}"))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)
    return interrupted


@pytest.mark.skip_if_not_root  # chattr
@pytest.mark.parametrize("directory", ["writable", "append-only"])
def test_an_interrupted_write_leaves_the_file_and_the_interrupt_goes_on(
    modules, tmp_path, append_only, interrupted_fsync, directory
):
    """An append-only directory lets the temporary file be made but not removed:
    it is left, and the cleanup's failure does not hide the interrupt."""
    path = tmp_path / "docker"
    old = b'## Type: string\nDOCKER_OPTS=""\n'
    path.write_bytes(old)
    inode = path.stat().st_ino
    if directory == "append-only":
        append_only(tmp_path)

    with pytest.raises(KeyboardInterrupt):
        modules.sysconfig.set(str(path), "DOCKER_OPTS", "--debug")

    [temporary] = interrupted_fsync
    assert os.path.dirname(temporary) == str(tmp_path)
    assert os.path.basename(temporary).startswith(".docker.")
    assert temporary.endswith(".salt-tmp")
    assert (path.read_bytes(), path.stat().st_ino) == (old, inode)
    kept = {"writable": {"docker"}, "append-only": {"docker", os.path.basename(temporary)}}
    assert set(os.listdir(tmp_path)) == kept[directory]
