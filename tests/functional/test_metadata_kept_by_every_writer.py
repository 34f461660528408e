"""Every writer of the extension keeps what an administrator set on the file it
replaces: a file of another owner, mode 0640 with setuid, a POSIX ACL and a user.*
extended attribute, and an SELinux label where the file has one, written through the
state or module that owns it, on a SLES 12 root that uses every file.

The sysconfig files (/etc/sysconfig/docker, SuSEfirewall2's file, /etc/sysconfig/sysctl)
keep all of it. The files this extension owns whole (daemon.json and its sysctl.d
file) are made root:root and never looser than 0644 (CIS Docker Benchmark 3.17 and
3.18, the README says so): their owner becomes root and the setuid bit, beyond 0644,
goes; the stricter 0640, the ACL and the attributes stay.

The root is under pytest's tmp_path, on /tmp, which on these machines is ext4: it
keeps ACLs and every attribute; no security module runs, so security.selinux is
stored like any other attribute, which lets the test put a real label there.
"""

import os
import stat
import subprocess

import pytest

from tests import hosttrees

OTHER = 65534  # nobody / nogroup
ATTRIBUTES = {
    "user.origin": b"set by the administrator",
    "security.selinux": b"system_u:object_r:etc_t:s0\0",
}


def _set_docker_opts(modules, states, root):
    modules.docker_daemon.set_docker_opts({"debug": True}, root=root)


def _set_daemon_json(modules, states, root):
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)


def _forwarding(modules, states, root):
    ret = states.docker_host.forwarding(name="forwarding", root=root)
    assert ret.result is True, ret.comment


# Each file: the path, the write through its owner, and whether the extension
# owns it whole (root:root, at most 0644).
FILES = {
    "sysconfig docker": ("etc/sysconfig/docker", _set_docker_opts, False),
    "SuSEfirewall2": ("etc/sysconfig/SuSEfirewall2", _forwarding, False),
    "sysconfig sysctl": ("etc/sysconfig/sysctl", _forwarding, False),
    "daemon.json": ("etc/docker/daemon.json", _set_daemon_json, True),
    "forwarding file": ("etc/sysctl.d/90-docker-host-forwarding.conf", _forwarding, True),
}


def _getfacl(path):
    return subprocess.run(
        ["getfacl", "--omit-header", "--absolute-names", "--numeric", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def tree(tmp_path):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "root")
    tree.write("/etc/sysconfig/sysctl", '## Type: yesno\nIP_FORWARD="no"\n')
    tree.write("/etc/docker/daemon.json", '{"log-level": "warn"}\n')
    tree.write(
        "/etc/sysctl.d/90-docker-host-forwarding.conf",
        "# Managed by Salt (docker_host.forwarding)\nnet.ipv4.ip_forward = 0\n",
    )
    return tree


@pytest.mark.skip_if_not_root  # chown, trusted and security attributes
@pytest.mark.parametrize("name", FILES)
def test_the_writer_keeps_the_files_metadata(modules, states, tree, name):
    relative, write, owned_whole = FILES[name]
    path = tree.root / relative
    old_text = path.read_bytes()
    os.chown(path, OTHER, OTHER)
    os.chmod(path, 0o4640)  # after the chown, which clears setuid
    subprocess.run(["setfacl", "-m", f"u:{OTHER}:r", str(path)], check=True)
    for attribute, value in ATTRIBUTES.items():
        os.setxattr(path, attribute, value)
    acl, inode = _getfacl(path), path.stat().st_ino
    assert f"user:{OTHER}:r--" in acl
    attributes = {attribute: os.getxattr(path, attribute) for attribute in os.listxattr(path)}

    write(modules, states, str(tree.root))

    st = path.stat()
    assert path.read_bytes() != old_text and st.st_ino != inode  # really replaced
    if owned_whole:
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o640)
    else:
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (OTHER, OTHER, 0o4640)
    assert _getfacl(path) == acl
    assert {attribute: os.getxattr(path, attribute) for attribute in os.listxattr(path)} == (
        attributes
    )
