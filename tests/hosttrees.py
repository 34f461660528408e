"""Synthetic host trees (/proc, /sys, /etc, /boot) built from real captures, for the grain."""

import gzip
import json
import os
import pathlib
import shutil
import socket

from tests.conftest import SUSE_FIXTURES

NAMESPACE_INODES = {
    "net": 4026531833,
    "pid": 4026531836,
    "ipc": 4026531839,
    "uts": 4026531838,
    "mnt": 4026531832,
    "user": 4026531837,
    "cgroup": 4026531835,
}

# Kernel options as SUSE's kernel-default sets them (all present).
SUSE_KERNEL_CONFIG = {
    **{
        name: "y"
        for name in (
            "NAMESPACES NET_NS PID_NS IPC_NS UTS_NS USER_NS CGROUPS CGROUP_CPUACCT "
            "CGROUP_DEVICE CGROUP_FREEZER CGROUP_SCHED CPUSETS MEMCG KEYS POSIX_MQUEUE "
            "SECCOMP SECCOMP_FILTER CGROUP_PIDS BLK_CGROUP CGROUP_PERF CGROUP_HUGETLB "
            "CFS_BANDWIDTH FAIR_GROUP_SCHED SECURITY_APPARMOR SECURITY_SELINUX "
            "BLK_DEV_THROTTLING CGROUP_NET_PRIO EXT4_FS EXT4_FS_POSIX_ACL EXT4_FS_SECURITY"
        ).split()
    },
    **{
        name: "m"
        for name in (
            "VETH BRIDGE BRIDGE_NETFILTER IP_NF_FILTER IP_NF_MANGLE IP_NF_TARGET_MASQUERADE "
            "NETFILTER_XT_MATCH_ADDRTYPE NETFILTER_XT_MATCH_CONNTRACK NETFILTER_XT_MATCH_IPVS "
            "NETFILTER_XT_MARK IP_NF_NAT NF_NAT NET_CLS_CGROUP IP_NF_TARGET_REDIRECT IP_VS "
            "IP_VS_NFCT IP_VS_PROTO_TCP IP_VS_PROTO_UDP IP_VS_RR VXLAN IPVLAN MACVLAN DUMMY "
            "NF_NAT_FTP NF_CONNTRACK_FTP NF_NAT_TFTP NF_CONNTRACK_TFTP BTRFS_FS OVERLAY_FS "
            "BLK_DEV_DM DM_THIN_PROVISIONING"
        ).split()
    },
    "BTRFS_FS_POSIX_ACL": "y",
    "BRIDGE_VLAN_FILTERING": "y",
    "CGROUP_BPF": "y",
    "DEVPTS_MULTIPLE_INSTANCES": "y",
    "NF_NAT_IPV4": "m",
    "NF_NAT_NEEDED": "y",
    "IP_NF_RAW": "m",
    "IP6_NF_FILTER": "m",
    "IP6_NF_MANGLE": "m",
    "IP6_NF_NAT": "m",
    "IP6_NF_TARGET_MASQUERADE": "m",
}

CGROUP_V1_MOUNTS = """\
31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup \
rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
33 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup \
cgroup rw,cpu,cpuacct
34 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup \
rw,memory
35 31 0:33 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup \
rw,devices
36 31 0:34 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids
""".replace("\\\n", "")

CGROUP_UNIFIED_MOUNT = (
    "37 31 0:35 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:11 - "
    "cgroup2 cgroup2 rw\n"
)

EXT4_ROOT = "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/vda2 rw\n"
XFS_VAR = "60 22 8:3 / /var rw,relatime shared:30 - xfs /dev/vda3 rw,attr2,inode64,noquota\n"


# Filesystems an /etc/fstab does not list.
PSEUDO_FILESYSTEMS = {"proc", "sysfs", "cgroup", "cgroup2", "devtmpfs", "devpts", "securityfs"}


def _fstab_of(mountinfo):
    """The fstab that mounts the real filesystems of a mount table (both escape
    a space as \\040)."""
    fstab = []
    for line in mountinfo.splitlines():
        fields, _, after = line.partition(" - ")
        fstype, source = after.split()[:2]
        if fstype not in PSEUDO_FILESYSTEMS:
            fstab.append(f"{source} {fields.split()[4]} {fstype} defaults 0 0\n")
    return "".join(fstab)


class Tree:
    """A root directory that looks like a host to the grain."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, path, text, mode=None):
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
        if mode is not None:
            os.chmod(target, mode)
        return target

    def copy(self, fixture, path):
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SUSE_FIXTURES / fixture, target)
        return target

    def link(self, path, target):
        link = self.root / path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)

    def kernel(self, release, config=None, where="proc"):
        """The running kernel, and the same kernel installed as an image has it:
        its config in /proc (``where="proc"``, and in /boot) or in /boot alone."""
        self.write("/proc/sys/kernel/osrelease", release + "\n")
        if config is not None:
            text = "".join(f"CONFIG_{name}={value}\n" for name, value in config.items())
            text = "#\n# Automatically generated file; DO NOT EDIT.\n#\n" + text
            if where == "proc":
                self.write("/proc/config.gz", gzip.compress(text.encode()))
            self.write(f"/boot/config-{release}", text)

    def mounts(self, text):
        """The running system's mount table, and the same filesystems in
        /etc/fstab, where an image says what it mounts."""
        self.write("/proc/self/mountinfo", text)
        self.write("/etc/fstab", _fstab_of(text))

    def namespaces(self, names=tuple(NAMESPACE_INODES)):
        for name in names:
            self.link(f"/proc/self/ns/{name}", f"{name}:[{NAMESPACE_INODES[name]}]")

    def sysctl(self, name, value):
        self.write("/proc/sys/" + name.replace(".", "/"), f"{value}\n")

    def filesystems(self, *names):
        nodev = ["sysfs", "tmpfs", "proc", "cgroup", "cgroup2", "overlay", "securityfs"]
        lines = [f"nodev\t{n}" for n in nodev] + [f"\t{n}" for n in names]
        self.write("/proc/filesystems", "\n".join(lines) + "\n")

    def loaded_modules(self, *names):
        self.write(
            "/proc/modules",
            "".join(f"{n} 16384 0 - Live 0x0000000000000000\n" for n in names),
        )

    def group(self, entries):
        self.write("/etc/group", "".join(f"{line}\n" for line in entries))

    def docker_opts(self, value):
        sysconfig = self.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
        text = sysconfig.read_text().replace('DOCKER_OPTS=""', f'DOCKER_OPTS="{value}"')
        sysconfig.write_text(text)

    def daemon_json(self, data):
        self.write("/etc/docker/daemon.json", data if isinstance(data, str) else json.dumps(data))

    def image(self, data_root, driver, number):
        """An image in ``data_root``'s store for ``driver``, as dockerd counts them."""
        self.write(f"{data_root}/image/{driver}/imagedb/content/sha256/{number:064x}", "{}")

    def enable(self, unit, target="multi-user.target"):
        self.link(f"/etc/systemd/system/{target}.wants/{unit}", f"/usr/lib/systemd/system/{unit}")


def sles12_with_susefirewall2(root):
    """SLES 12 SP1: cgroup v1, SuSEfirewall2 enabled, kernel config in /boot."""
    tree = Tree(root)
    tree.copy("os-release/sles-12-sp1.os-release", "/etc/os-release")
    tree.kernel("4.4.21-69-default", SUSE_KERNEL_CONFIG, where="boot")
    tree.namespaces(("net", "pid", "ipc", "uts", "mnt", "user"))
    tree.mounts(EXT4_ROOT + CGROUP_V1_MOUNTS)
    tree.filesystems("ext4", "btrfs", "xfs")
    tree.loaded_modules("dm_thin_pool", "overlay", "apparmor")
    tree.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    tree.write("/proc/self/status", "Name:\tcat\nSeccomp:\t0\n")
    tree.write("/proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno\n")
    tree.sysctl("net.ipv4.ip_forward", 0)
    tree.sysctl("net.ipv6.conf.all.forwarding", 0)
    tree.sysctl("user.max_user_namespaces", 0)
    tree.sysctl("kernel.keys.root_maxkeys", 200)
    tree.copy("susefirewall2/SuSEfirewall2.sysconfig", "/etc/sysconfig/SuSEfirewall2")
    tree.enable("SuSEfirewall2.service")
    tree.docker_opts("-s devicemapper")
    tree.group(["root:x:0:", "docker:x:478:alice,bob"])
    tree.write("/usr/bin/dockerd", "")
    return tree


def sles15_with_firewalld(root):
    """SLES 15 SP6: cgroup v2, firewalld, NetworkManager, /proc/config.gz, xfs /var."""
    tree = Tree(root)
    tree.copy("os-release/sles-15-sp6.os-release", "/etc/os-release")
    tree.kernel("6.4.0-150600.21-default", SUSE_KERNEL_CONFIG)
    tree.namespaces()
    tree.mounts(
        EXT4_ROOT
        + XFS_VAR
        + "31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    )
    tree.write("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n")
    tree.filesystems("ext4", "btrfs", "xfs")
    tree.loaded_modules("overlay", "br_netfilter")
    tree.write("/proc/self/status", "Name:\tcat\nSeccomp:\t0\n")
    tree.write("/proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno\n")
    tree.sysctl("net.ipv4.ip_forward", 1)
    tree.sysctl("net.ipv6.conf.all.forwarding", 0)
    tree.sysctl("net.bridge.bridge-nf-call-iptables", 1)
    tree.sysctl("user.max_user_namespaces", 63476)
    tree.sysctl("kernel.keys.root_maxkeys", 1000000)
    tree.enable("firewalld.service")
    tree.write("/etc/firewalld/firewalld.conf", "DefaultZone=public\n")
    tree.link(
        "/etc/systemd/system/network.service", "/usr/lib/systemd/system/NetworkManager.service"
    )
    tree.group(["root:x:0:", "docker:x:469:"])
    tree.daemon_json({"log-level": "warn", "storage-driver": "overlay2"})
    return tree


def btrfs_snapper(root):
    """SUSE's default btrfs root with snapper subvolumes (a real mountinfo capture)."""
    tree = Tree(root)
    tree.copy("mounts/suse-btrfs-snapper.mountinfo", "/proc/self/mountinfo")
    tree.kernel("6.4.0-150600.21-default", SUSE_KERNEL_CONFIG)
    tree.namespaces()
    tree.filesystems("btrfs", "vfat")
    tree.loaded_modules("btrfs")
    tree.write("/sys/fs/selinux/enforce", "1\n")
    tree.write("/var/lib/.keep", "")
    return tree


def kernel_root(root, mounts, filesystems, modules=(), without=()):
    """A root whose kernel, mounts and filesystems are the test's, with SUSE's
    /etc/sysconfig/docker: SUSE's kernel config less ``without``, the ``modules``
    loaded."""
    tree = Tree(root)
    tree.kernel(
        "6.4.0-150600.21-default", {k: v for k, v in SUSE_KERNEL_CONFIG.items() if k not in without}
    )
    tree.mounts(mounts)
    tree.write("/proc/filesystems", "".join(f"\t{name}\n" for name in filesystems))
    tree.loaded_modules(*modules)
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.write("/var/lib/.keep", "")  # the data-root's parent, on the mount that holds /var
    return tree


def sandbox_of_this_host(root, data_root=None):
    """A sandbox root that is an image of this machine: this machine's kernel
    installed (its config in /boot) and its filesystems in /etc/fstab, so that
    the storage drivers are judged as they would be here. The data-root's
    directory is linked from the same path inside the root, so that a dockerd
    started on this machine with the sandbox's configuration uses what was
    judged. /proc and /sys are links to the machine's, which nothing judging
    an image may read (tests/functional/test_image_roots.py proves it).
    """
    tree = Tree(root)
    for name in ("proc", "sys"):
        (root / name).symlink_to(f"/{name}")
    # Judged as an image, the root is judged by its own files: this machine's
    # installed kernels, and its filesystems in the root's fstab.
    (root / "boot").mkdir()
    if os.path.exists("/proc/config.gz"):
        with open("/proc/config.gz", "rb") as handle:
            tree.write(f"/boot/config-{os.uname().release}", gzip.decompress(handle.read()))
    for config in pathlib.Path("/boot").glob("config-*"):
        shutil.copy(config, root / "boot" / config.name)
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        machine = handle.read()
    tree.write("/etc/fstab", _fstab_of(machine))
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    if data_root is not None:
        parent = pathlib.Path(data_root).parent
        inside = root / str(parent).lstrip("/")
        inside.parent.mkdir(parents=True, exist_ok=True)
        inside.symlink_to(parent)
    return tree


def accounts(root, users, groups=(("users", 100),)):
    """A root with the four account files: root and ``users`` (uid 1000 on, group
    users, a locked password each), root's group and ``groups`` ((name, gid), no
    members). gpasswd and groupadd --root change them as on a real system."""
    tree = Tree(root)
    people = [
        ("root", 0, "/root", "*"),
        *((u, 1000 + n, f"/home/{u}", "!") for n, u in enumerate(users)),
    ]
    tree.write(
        "/etc/passwd",
        "".join(
            f"{u}:x:{uid}:{0 if uid == 0 else 100}::{home}:/bin/bash\n"
            for u, uid, home, _ in people
        ),
    )
    tree.write(
        "/etc/shadow", "".join(f"{u}:{password}:19000::::::\n" for u, _, _, password in people)
    )
    all_groups = [("root", 0), *groups]
    tree.write("/etc/group", "".join(f"{name}:x:{gid}:\n" for name, gid in all_groups))
    tree.write(
        "/etc/gshadow",
        "".join(f"{name}:{'*' if name == 'root' else '!'}::\n" for name, _ in all_groups),
    )
    return tree


def suse_docker_root(root, users=(), os_release="sles-15-sp6.os-release", data_root=None):
    """An image root as the SUSE docker package leaves it, on this machine's kernel:
    SUSE's /etc/sysconfig/docker, daemon.json and docker.service, SuSEfirewall2's
    sysconfig, an os-release, and /etc/passwd with ``users`` (the formula's users
    must exist)."""
    tree = sandbox_of_this_host(root, data_root)
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    tree.copy("docker/docker.service", "/usr/lib/systemd/system/docker.service")
    tree.copy("susefirewall2/SuSEfirewall2.sysconfig", "/etc/sysconfig/SuSEfirewall2")
    tree.copy(f"os-release/{os_release}", "/etc/os-release")
    passwd = ["root:x:0:0:root:/root:/bin/bash"]
    passwd += [f"{user}:x:{1000 + i}:100::/home/{user}:/bin/bash" for i, user in enumerate(users)]
    tree.write("/etc/passwd", "\n".join(passwd) + "\n")
    tree.write("/etc/group", "root:x:0:\nusers:x:100:\n")
    tree.write("/etc/gshadow", "root:!::\nusers:!::\n", mode=0o640)
    # The package's files are root's and world-readable, not read-only copies.
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o644 if path.name != "gshadow" else 0o640)
    return tree


def leap15_with_hybrid_cgroups(root):
    """openSUSE Leap 15.2: the hybrid hierarchy (the v1 controllers, and cgroup2 at
    /sys/fs/cgroup/unified), kernel config in /boot."""
    tree = Tree(root)
    tree.copy("os-release/opensuse-leap-15.2.os-release", "/etc/os-release")
    tree.kernel("5.3.18-lp152.19-default", SUSE_KERNEL_CONFIG, where="boot")
    tree.namespaces()
    tree.mounts(EXT4_ROOT + CGROUP_V1_MOUNTS + CGROUP_UNIFIED_MOUNT)
    tree.filesystems("ext4", "btrfs", "xfs")
    tree.loaded_modules("overlay", "apparmor")
    tree.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    tree.write("/proc/self/status", "Name:\tcat\nSeccomp:\t0\nSeccomp_filters:\t0\n")
    tree.write("/proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno\n")
    tree.group(["root:x:0:", "docker:x:475:"])
    return tree


def bind_unix_socket(path):
    """A real unix socket listening at ``path`` (a path of any length); the caller closes it."""
    directory = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Through the directory's descriptor: sun_path holds only 108 bytes.
        server.bind(f"/proc/self/fd/{directory}/{os.path.basename(path)}")
    finally:
        os.close(directory)
    server.listen()
    return server


def kernel_config(**changed):
    """SUSE's kernel config as a file's text, with options ``changed`` ("" unsets one)."""
    options = {**SUSE_KERNEL_CONFIG, **changed}
    text = "".join(f"CONFIG_{name}={value}\n" for name, value in options.items() if value)
    return "#\n# Automatically generated file; DO NOT EDIT.\n#\n" + text


def image_with_a_foreign_proc(root):
    """An image root with SUSE's /etc/sysconfig/docker and a /proc of a running
    system that is not the image's (another kernel release and config, overlay
    loaded, forwarding on, / on btrfs), as a build that mounts this machine's
    /proc into the root has: nothing judging the image may read it. No kernel
    and no fstab: each test adds what it needs."""
    tree = Tree(root)
    tree.write("/proc/sys/kernel/osrelease", "9.9.9-build-host\n")
    tree.write("/proc/config.gz", gzip.compress(b"CONFIG_OVERLAY_FS=y\nCONFIG_NET_NS=y\n"))
    tree.write("/proc/filesystems", "nodev\toverlay\n\tbtrfs\n")
    tree.write("/proc/modules", "overlay 16384 0 - Live 0x0\nzfs 16384 0 - Live 0x0\n")
    tree.write("/proc/sys/net/ipv4/ip_forward", "1\n")
    tree.write("/proc/self/mountinfo", "22 1 8:2 / / rw - btrfs /dev/vda2 rw\n")
    tree.copy("docker/sysconfig.docker", "/etc/sysconfig/docker")
    tree.write("/var/lib/.keep", "")
    return tree
