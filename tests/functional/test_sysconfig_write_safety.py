"""Writes are atomic, locked and faithful: real concurrent processes, writers
killed at each step of the write, a really full filesystem, values systemd
would refuse, and the ACLs and extended attributes of the file replaced."""

import os
import re
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.conftest import REPO_ROOT

# A separate Python process that runs the module file. Its source is compiled
# here rather than imported, so that no bytecode cache is read or written:
# every run of the worker makes the same system calls, which the kills rely on.
WORKER = textwrap.dedent(
    """
    import os, sys, types
    def load(path):
        module = types.ModuleType(os.path.basename(path)[:-3])
        with open(path, encoding="utf-8") as handle:
            exec(compile(handle.read(), path, "exec"), module.__dict__)
        return module
    module = load(sys.argv[1])
    # Its writes go through the extension's one writer, as under Salt's loader.
    files = load(os.path.join(os.path.dirname(sys.argv[1]), "docker_host_files.py"))
    module.__salt__ = {"docker_host_files.replace": files.replace}
    files.__salt__ = {"sysconfig.image_root": module.image_root}
    path, key, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
    for number in range(count):
        module.set_(path, key, f"{key}-{number}")
    """
)


def _worker_command(path, key, count):
    module = str(REPO_ROOT / "_modules" / "sysconfig.py")
    return [sys.executable, "-B", "-c", WORKER, module, str(path), key, str(count)]


def _no_temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".salt-tmp")] == []


@pytest.mark.own_process
def test_concurrent_writers_never_lose_each_others_changes(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    # Ten processes, each setting a string variable of its own 60 times.
    keys = [
        "FW_DEV_EXT",
        "FW_DEV_INT",
        "FW_DEV_DMZ",
        "FW_MASQ_DEV",
        "FW_SERVICES_DMZ_TCP",
        "FW_SERVICES_DMZ_UDP",
        "FW_SERVICES_INT_TCP",
        "FW_SERVICES_INT_UDP",
        "FW_FORWARD_REJECT",
        "FW_FORWARD_DROP",
    ]
    workers = [subprocess.Popen(_worker_command(path, key, 60)) for key in keys]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    values = modules.sysconfig.items("SuSEfirewall2", root=str(sandbox_root))
    for key in keys:
        assert values[key] == f"{key}-59"


# --------------------------------------------------------------------------
# A writer killed at each step of the write
# --------------------------------------------------------------------------

# The system calls the write protocol makes (glibc and the architecture choose
# among open/openat and rename/renameat/renameat2; "?" lets strace accept a
# name this architecture lacks).
TRACED = "?open,openat,fchmod,write,fsync,fdatasync,?rename,?renameat,renameat2"
# The steps of one write, in order; the writer is killed on entry to each.
# A system call killed on entry is not carried out.
STEPS = [
    "open the directory",
    "create the temporary file",
    "fchmod it",
    "write it",
    "fsync it",
    "rename it over the file",
    "fsync the directory",
]
RENAMED_AFTER = STEPS.index("rename it over the file")
WRITES = 3
_SYSCALL_LINE = re.compile(r"(\d+) +(\w+)\((.*)")


def _step(name, args, path):
    """Which step of the protocol a traced system call on ``path`` is, or None."""
    directory, base = os.path.split(path)
    # By path, or by name in the directory's descriptor (strace -y shows its path).
    in_directory = f'(?:{re.escape(directory)}/|{re.escape(directory)}>, ")'
    temporary = in_directory + re.escape(f".{base}.") + r"[^/\"<>]+\.salt-tmp"
    on_temporary = re.search(temporary, args) is not None
    if name in ("open", "openat"):
        if on_temporary and "O_CREAT" in args:
            return "create the temporary file"
        if f'"{directory}"' in args and "O_DIRECTORY" in args:
            return "open the directory"
    if name == "fchmod" and on_temporary:
        return "fchmod it"
    if name == "write" and on_temporary:
        return "write it"
    if name in ("fsync", "fdatasync"):
        if on_temporary:
            return "fsync it"
        if re.match(rf"\d+<{re.escape(directory)}>\)", args):
            return "fsync the directory"
    if (
        name.startswith("rename")
        and on_temporary
        and re.search(in_directory + re.escape(f'{base}"'), args[args.index("salt-tmp") :])
    ):
        return "rename it over the file"
    return None


def _calls(trace_file, path):
    """[(step or None, system call, its ordinal among the calls of that name)]."""
    counted, calls = {}, []
    for line in trace_file.read_text().splitlines():
        match = _SYSCALL_LINE.match(line)
        if not match:
            continue  # "+++ killed by SIGKILL +++" and the like
        _pid, name, args = match.groups()
        counted[name] = counted.get(name, 0) + 1
        calls.append((_step(name, args, path), name, counted[name]))
    return calls


@pytest.fixture(scope="module")
def write_protocol(tmp_path_factory, suse_fixtures):
    """Where each step of each of the worker's writes falls: {(write, step): (syscall, n)}.

    Recorded with a plain ``strace -f`` of one worker run. Every step of
    every write must be there, in order: a writer that skips one (writes
    the file in place, or does not fsync) fails here.
    """
    directory = tmp_path_factory.mktemp("protocol")
    path = directory / "SuSEfirewall2"
    path.write_bytes((suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig").read_bytes())
    trace_file = directory.parent / f"{directory.name}.trace"
    strace = ["strace", "-f", "-qq", "-y", "-o", str(trace_file), "-e", f"trace={TRACED}"]
    subprocess.run(
        [*strace, *_worker_command(path, "FW_DEV_EXT", WRITES)],
        check=True,
        timeout=120,
    )
    steps = [call for call in _calls(trace_file, str(path)) if call[0] is not None]
    # Large data may take several write()s: the first one is where a kill counts.
    steps = [call for i, call in enumerate(steps) if i == 0 or call[0] != steps[i - 1][0]]
    assert [step for step, _, _ in steps] == STEPS * WRITES
    return {
        (index // len(STEPS) + 1, step): (name, ordinal)
        for index, (step, name, ordinal) in enumerate(steps)
    }


@pytest.mark.own_process
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("write", range(1, WRITES + 1))
def test_a_writer_killed_at_each_step_leaves_the_old_or_the_new_file(
    modules, sandbox_root, tmp_path, write_protocol, write, step
):
    """strace kills the worker on entry to one system call of its ``write``-th
    ``set``: before the rename the file holds the value before that write, from
    the rename on the value it wrote. Nothing else in the file ever changes."""
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    original = path.read_bytes()
    names = set(os.listdir(path.parent))
    syscall, ordinal = write_protocol[(write, step)]
    trace_file = tmp_path / "killed.trace"
    strace = ["strace", "-f", "-qq", "-y", "-o", str(trace_file), "-e", f"trace={syscall}"]
    strace += ["-e", f"inject={syscall}:signal=KILL:when={ordinal}"]
    killed = subprocess.run(
        [*strace, *_worker_command(path, "FW_DEV_EXT", WRITES)],
        check=False,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL
    calls = _calls(trace_file, str(path))
    # It was killed exactly there, not at some other call of the same name.
    assert len(calls) == ordinal and calls[-1][0] == step

    # The n-th write sets FW_DEV_EXT-(n-1); the file starts with FW_DEV_EXT="".
    done = write if STEPS.index(step) > RENAMED_AFTER else write - 1
    value = f"FW_DEV_EXT-{done - 1}" if done else ""
    assert modules.sysconfig.get("SuSEfirewall2", "FW_DEV_EXT", root=str(sandbox_root)) == value
    assert path.read_bytes() == original.replace(
        b'\nFW_DEV_EXT=""\n', f'\nFW_DEV_EXT="{value}"\n'.encode(), 1
    )
    # A killed writer cannot clean up: what it leaves is its temporary file.
    left = set(os.listdir(path.parent)) - names
    assert all(re.fullmatch(r"\.SuSEfirewall2\.[^/]+\.salt-tmp", name) for name in left)
    # The next write removes it.
    modules.sysconfig.set("SuSEfirewall2", "FW_DEV_EXT", "after", root=str(sandbox_root))
    assert set(os.listdir(path.parent)) == names


# --------------------------------------------------------------------------
# A full filesystem
# --------------------------------------------------------------------------


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
@pytest.mark.parametrize("lacking", ["space", "inode"])
def test_a_full_filesystem_leaves_the_file_and_no_temporary_file(
    modules, tmp_path, suse_fixtures, full_tmpfs, lacking
):
    """/etc/sysconfig of a sandbox root on a real tmpfs, full: no block for the
    new data (the temporary file is made, its write fails), or no inode (the
    temporary file cannot be made)."""
    root = tmp_path / "root"
    before = (suse_fixtures / "docker" / "sysconfig.docker").read_bytes()
    directory = full_tmpfs(root / "etc" / "sysconfig", {"docker": before}, lacking)
    path = directory / "docker"
    failed = f"{path}: " if lacking == "space" else f"in {directory}: "
    with pytest.raises(CommandExecutionError) as raised:
        modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(root))
    assert str(raised.value) == f"cannot write {failed}No space left on device"
    assert path.read_bytes() == before
    assert _no_temporary_files(directory)


# --------------------------------------------------------------------------
# What is written
# --------------------------------------------------------------------------

NOT_UTF8 = b"caf\xe9".decode("utf-8", "surrogateescape")  # "caf\udce9", as Python reads b"caf\xe9"
REFUSED = f"DOCKER_OPTS={NOT_UTF8!r} is not valid UTF-8, which systemd refuses to load"


def test_a_value_that_is_not_utf8_is_refused(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    with pytest.raises(SaltInvocationError) as raised:
        modules.sysconfig.set("docker", "DOCKER_OPTS", NOT_UTF8, root=str(sandbox_root))
    assert REFUSED in str(raised.value)
    assert path.read_bytes() == before


def test_the_state_fails_on_a_value_that_is_not_utf8_and_changes_nothing(states, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    ret = states.sysconfig.present(
        name="docker", values={"DOCKER_OPTS": NOT_UTF8}, root=str(sandbox_root)
    )
    assert ret.result is False
    assert ret.changes == {}
    assert REFUSED in ret.comment
    assert path.read_bytes() == before


def _getfacl(path):
    return subprocess.run(
        ["getfacl", "--omit-header", "--absolute-names", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skip_if_not_root
def test_the_acl_and_every_extended_attribute_are_kept(modules, sandbox_root):
    """The sandbox is under pytest's tmp_path, on /tmp: on our machines that is
    the root filesystem, ext4, which keeps POSIX ACLs and user.* attributes
    (trusted.* and security.* ones too, set by root). No security module runs
    here, so the kernel stores security.selinux, where SELinux keeps a file's
    label, like any other attribute: the test puts a real label there, and a
    trusted.* and a user.* attribute beside it, to see that every one is
    carried over."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    subprocess.run(["setfacl", "-m", "u:nobody:r", str(path)], check=True)
    attributes = {
        "security.selinux": b"system_u:object_r:etc_t:s0\0",
        "trusted.suse-docker-host": b"kept",
        "user.suse-docker-host": b"kept too",
    }
    for name, value in attributes.items():
        try:
            os.setxattr(path, name, value)
        except OSError as err:
            pytest.fail(
                f"{path.parent} cannot hold {name} ({err.strerror}): use --basetemp on ext4"
            )
    acl = _getfacl(path)
    assert "user:nobody:r--" in acl
    before = {name: os.getxattr(path, name) for name in os.listxattr(path)}
    assert set(before) >= set(attributes) | {"system.posix_acl_access"}
    st = path.stat()

    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))

    after = path.stat()
    assert after.st_ino != st.st_ino  # a new file, which got them all
    assert after.st_mode == st.st_mode
    assert _getfacl(path) == acl
    assert {name: os.getxattr(path, name) for name in os.listxattr(path)} == before


@pytest.mark.skip_if_not_root
def test_a_file_without_an_acl_gets_none_from_the_directorys_default_acl(modules, sandbox_root):
    """A new file takes its directory's default ACL: the replacement of a 0640 file
    that had none would let nobody read what was closed to others."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    path.chmod(0o640)
    subprocess.run(["setfacl", "-d", "-m", "u:nobody:rwx", str(path.parent)], check=True)
    assert "system.posix_acl_access" not in os.listxattr(path)

    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))

    assert "system.posix_acl_access" not in os.listxattr(path)
    assert "nobody" not in _getfacl(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert 'DOCKER_OPTS="--debug"' in path.read_text()


@pytest.mark.own_process
@pytest.mark.skip_if_not_root
def test_an_unreadable_file_is_a_clear_error(sandbox_root):
    """Root reads every file, so the reader runs without CAP_DAC_OVERRIDE (setpriv)."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    os.chmod(path, 0)
    os.chown(path, 65534, 65534)
    script = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('sysconfig', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "try:\n    m.items(sys.argv[2])\nexcept m.CommandExecutionError as err:\n"
        "    print(err)\n"
    )
    no_override = "-dac_override,-dac_read_search"
    result = subprocess.run(
        [
            "setpriv",
            f"--inh-caps={no_override}",
            f"--bounding-set={no_override}",
            sys.executable,
            "-c",
            script,
            str(REPO_ROOT / "_modules" / "sysconfig.py"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"cannot read {path}: permission denied. Run this as root."
