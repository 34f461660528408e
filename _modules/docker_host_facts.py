"""
What the target can do as a Docker host, read from its files: this machine,
or an image root, judged as the image (its installed kernel, its fstab, its
files; nothing of this machine's /proc, /sys or mount table decides about it).

``collect`` returns one nested dict: ``kernel``, ``cgroup``, ``namespaces``,
``security``, ``storage``, ``network`` and ``docker``. It answers what moby's
``contrib/check-config.sh`` answers and what the storage drivers need, from
files alone, so that a master can target and judge hosts before applying
anything. The ``docker_host`` grain reports it at every minion start;
the states and ``docker_host.check`` read it again when they run.

:depends: nothing beyond Salt and the Python standard library.

Rules it keeps, because the grain runs it at every minion start on every host:

- It runs no programs. It reads ``/proc``, ``/sys``, ``/etc`` and ``/boot``,
  and looks (``stat`` only) for ``/run/docker.sock`` and ``dockerd``; for an
  image, ``/etc``, ``/boot`` and the modules directories under the root,
  and the description KIWI leaves in a prepared root (``/image/config.xml``,
  ``/.profile``).
- It never raises. A fact that cannot be read is ``None``, and the
  section's ``unknown`` mapping says why.
- The Docker engine's version cannot be read from those files; storage
  drivers are judged without it (``engine_version: None``, with the reason),
  and each driver that current engines removed names the release
  (``removed_in``). ``docker_host.check`` asks the daemon.
- It uses no ``__salt__``: grains get none, and the grain loads this file by
  its path. ``DOCKER_OPTS`` is read with this extension's ``sysconfig`` and
  ``docker_daemon`` modules, loaded the same way from beside this file, so
  that it means here what it means to bash, to systemd and to the other
  modules.
"""

import collections
import gzip
import importlib.util
import logging
import os
import re
import stat
import sys

log = logging.getLogger(__name__)

__virtualname__ = "docker_host_facts"

# The kernel options moby's contrib/check-config.sh checks. Some are required
# only with cgroup v1 or v2, some only below a kernel release.
REQUIRED_KERNEL_OPTIONS = (
    "NAMESPACES",
    "NET_NS",
    "PID_NS",
    "IPC_NS",
    "UTS_NS",
    "CGROUPS",
    "CGROUP_SCHED",
    "KEYS",
    "VETH",
    "BRIDGE",
    "BRIDGE_NETFILTER",
    "IP_NF_FILTER",
    "IP_NF_MANGLE",
    "IP_NF_TARGET_MASQUERADE",
    "NETFILTER_XT_MATCH_ADDRTYPE",
    "NETFILTER_XT_MATCH_CONNTRACK",
    "NETFILTER_XT_MATCH_IPVS",
    "NETFILTER_XT_MARK",
    "IP_NF_NAT",
    "NF_NAT",
    "POSIX_MQUEUE",
)
REQUIRED_WITH_CGROUP_V1 = ("CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER", "CPUSETS", "MEMCG")
REQUIRED_WITH_CGROUP_V2 = ("CGROUP_BPF",)
# Required below the given kernel release only.
REQUIRED_BEFORE_RELEASE = (
    ("DEVPTS_MULTIPLE_INSTANCES", (4, 8)),
    ("NF_NAT_IPV4", (5, 1)),
    ("NF_NAT_NEEDED", (5, 2)),
)
OPTIONAL_KERNEL_OPTIONS = (
    "USER_NS",
    "SECCOMP",
    "SECCOMP_FILTER",
    "CGROUP_PIDS",
    "BLK_CGROUP",
    "BLK_DEV_THROTTLING",
    "CGROUP_PERF",
    "CGROUP_HUGETLB",
    "NET_CLS_CGROUP",
    "CGROUP_NET_PRIO",
    "CFS_BANDWIDTH",
    "FAIR_GROUP_SCHED",
    "IP_NF_TARGET_REDIRECT",
    "IP_NF_RAW",
    "IP6_NF_FILTER",
    "IP6_NF_MANGLE",
    "IP6_NF_NAT",
    "IP6_NF_TARGET_MASQUERADE",
    "IP_VS",
    "IP_VS_NFCT",
    "IP_VS_PROTO_TCP",
    "IP_VS_PROTO_UDP",
    "IP_VS_RR",
    "SECURITY_SELINUX",
    "SECURITY_APPARMOR",
    "EXT4_FS",
    "EXT4_FS_POSIX_ACL",
    "EXT4_FS_SECURITY",
    "VXLAN",
    "BRIDGE_VLAN_FILTERING",
    "IPVLAN",
    "MACVLAN",
    "DUMMY",
    "NF_NAT_FTP",
    "NF_CONNTRACK_FTP",
    "NF_NAT_TFTP",
    "NF_CONNTRACK_TFTP",
    "BTRFS_FS",
    "BTRFS_FS_POSIX_ACL",
    "OVERLAY_FS",
    "BLK_DEV_DM",
    "DM_THIN_PROVISIONING",
)
# The options the grain itself judges by, read at every minion start.
GRAIN_KERNEL_OPTIONS = (
    "OVERLAY_FS",
    "DM_THIN_PROVISIONING",
    "BTRFS_FS",
    "USER_NS",
    "SECCOMP_FILTER",
)

NAMESPACES = ("net", "pid", "ipc", "uts", "mnt", "user", "cgroup")
DRIVERS = ("btrfs", "overlay2", "devicemapper", "zfs", "vfs", "aufs", "overlay")
# Drivers gone from current engines, and the release that removed them.
REMOVED_IN = {"aufs": 24, "overlay": 24, "devicemapper": 25}
# Filesystems whose directory entries carry the file type (d_type), which
# overlay2 needs of the filesystem under it.
_D_TYPE_FILESYSTEMS = {"ext4", "ext3", "ext2", "btrfs", "tmpfs", "f2fs"}
# Filesystems moby refuses as the one under overlay2.
_NO_OVERLAY_BACKING = {"overlay", "aufs", "ecryptfs", "nfs", "nfs4"}


def __virtual__():
    return __virtualname__


class _Host:
    """Reads files under one root; remembers why a fact could not be read.

    ``image``: the root is an image's. Its symbolic links are resolved inside
    it (an absolute link in an image points into the image, never at this
    machine), and no fact comes from its ``/proc`` or ``/sys``: no kernel runs
    the image yet, and what a build mounts there is this machine's.
    """

    def __init__(self, root, image=False):
        self.root = root if root and root != "/" else ""
        self.image = image

    def path(self, path):
        if self.image:
            return self.root + _resolve(self, path)
        return self.root + path

    def listdir(self, path):
        """The names in directory ``path``; none when it is not a readable directory."""
        try:
            return os.listdir(self.path(path))
        except OSError:
            return []

    def is_file(self, path):
        return os.path.isfile(self.path(path))

    def read_bytes(self, path, unknown=None, fact=None):
        """Return the bytes of ``path`` (a path on the host), or None.

        Opened non-blocking and read only when it is a regular file, so that
        a FIFO or a device in its place cannot hold the minion's start.
        """
        try:
            fd = os.open(self.path(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            if unknown is not None:
                unknown[fact] = self._unreadable(path, err)
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                if unknown is not None:
                    unknown[fact] = f"{path} is not a regular file"
                return None
            # Files on disk tell their size: one read does. /proc and /sys
            # files say 0: read until the end.
            chunks = [os.read(fd, st.st_size + 1 if st.st_size else 1 << 16)]
            if st.st_size and len(chunks[0]) <= st.st_size:
                return chunks[0]
            while chunks[-1]:
                chunks.append(os.read(fd, 1 << 16))
            return b"".join(chunks)
        except OSError as err:
            if unknown is not None:
                unknown[fact] = f"cannot read {path}: {err.strerror}"
            return None
        finally:
            os.close(fd)

    def _unreadable(self, path, err):
        """Why ``path`` could not be opened: a socket cannot be opened at all
        (ENXIO), which says less than what it is."""
        try:
            regular = stat.S_ISREG(os.stat(self.path(path)).st_mode)
        except OSError:
            regular = True
        return f"cannot read {path}: {err.strerror}" if regular else f"{path} is not a regular file"

    def read(self, path, unknown=None, fact=None):
        """Return the text of ``path`` (a path on the host), or None."""
        data = self.read_bytes(path, unknown, fact)
        return None if data is None else data.decode("utf-8", "replace")

    def _entry(self, path):
        """``path`` on this machine, its directories resolved inside an image
        (the entry itself, a link or not, is not followed)."""
        if not self.image:
            return self.root + path
        parent, name = os.path.split(path)
        return self.root + os.path.join(_resolve(self, parent), name)

    def exists(self, path):
        return os.path.lexists(self._entry(path))

    def is_symlink(self, path):
        return os.path.islink(self._entry(path))

    def readlink(self, path):
        try:
            return os.readlink(self.root + path)
        except OSError:
            return None


def _first_line(text):
    return text.strip() if text is not None else None


# --------------------------------------------------------------------------
# Mounts
# --------------------------------------------------------------------------


def _unescape_mount(field):
    # mountinfo writes space, tab, newline and backslash as octal escapes.
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


# One mountinfo line: id, parent, major:minor, root, mount point, options,
# optional fields, "-", filesystem type, source, super options.
_MOUNTINFO_LINE = re.compile(r"^\S+ \S+ \S+ (\S+) (\S+) .*? - (\S+) (\S+) ?(\S*)$", re.M)


Mount = collections.namedtuple("Mount", "root mount_point fstype source super_options")


def _mounts(host, unknown):
    """Parse /proc/self/mountinfo into Mount tuples, in mount order (one regex pass:
    a host with hundreds of containers has thousands of mounts)."""
    text = host.read("/proc/self/mountinfo", unknown, "mounts")
    if text is None:
        return None
    if "\\" not in text:
        return list(map(Mount._make, _MOUNTINFO_LINE.findall(text)))
    return [
        Mount(_unescape_mount(root), _unescape_mount(point), fstype, _unescape_mount(source), opts)
        for root, point, fstype, source, opts in _MOUNTINFO_LINE.findall(text)
    ]


def _mount_of(table, path):
    """The mount that holds ``path``, from ``{mount point: last Mount there}``."""
    while True:
        if path in table:
            return table[path]
        if path == "/":
            return None
        path = os.path.dirname(path)


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


# The kernel config does not change while the kernel runs: keep its text,
# keyed by where it came from and that file's size and mtime.
_CONFIG_CACHE = {}


def _kernel_config(host, release):
    """Return (config text as bytes, source) from /proc/config.gz or /boot/config-<release>."""
    candidates = [("/proc/config.gz", True)]
    if release:
        candidates.append((f"/boot/config-{release}", False))
    for path, compressed in candidates:
        try:
            st = os.stat(host.path(path))
        except OSError:
            continue
        key = (host.root, path, st.st_size, st.st_mtime_ns)
        if key in _CONFIG_CACHE:
            return _CONFIG_CACHE[key], path
        raw = host.read_bytes(path)
        if raw is None:
            continue
        if compressed:
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
        _CONFIG_CACHE.clear()
        _CONFIG_CACHE[key] = b"\n" + raw
        return _CONFIG_CACHE[key], path
    return None, None


def _options(config, names):
    """``{name: value}`` for ``names`` (``None`` when not set), by direct search."""
    found = {}
    for name in names:
        key = b"\nCONFIG_" + name.encode() + b"="
        start = config.find(key)
        if start < 0:
            found[name] = None
            continue
        start += len(key)
        end = config.find(b"\n", start)
        found[name] = config[start : end if end >= 0 else None].decode("utf-8", "replace")
    return found


def _release_tuple(release):
    numbers = re.match(r"(\d+)\.(\d+)", release or "")
    return (int(numbers.group(1)), int(numbers.group(2))) if numbers else None


def _required_options(cgroup_version, release):
    names = list(REQUIRED_KERNEL_OPTIONS)
    if cgroup_version == 2:
        names += REQUIRED_WITH_CGROUP_V2
    else:
        names += REQUIRED_WITH_CGROUP_V1
    version = _release_tuple(release)
    names += [name for name, below in REQUIRED_BEFORE_RELEASE if version and version < below]
    return names


def _kernel(host, cgroup_version, all_options):
    unknown = {}
    release = _first_line(host.read("/proc/sys/kernel/osrelease", unknown, "release"))
    config, source = _kernel_config(host, release)
    if config is None:
        unknown["config"] = (
            "no readable /proc/config.gz or /boot/config-<release>: kernel options "
            "are judged from /proc and /sys only"
        )
    keys = _first_line(host.read("/proc/sys/kernel/keys/root_maxkeys", unknown, "root_maxkeys"))
    result = {
        "release": release,
        "config_source": source,
        "options": None if config is None else _options(config, GRAIN_KERNEL_OPTIONS),
        "root_maxkeys": int(keys) if keys and keys.isdigit() else None,
        "unknown": unknown,
    }
    if all_options:
        result["required"] = (
            None if config is None else _options(config, _required_options(cgroup_version, release))
        )
        result["optional"] = None if config is None else _options(config, OPTIONAL_KERNEL_OPTIONS)
    return result


# cgroup v1 mount options that are not controllers.
_CGROUP_V1_MOUNT_OPTIONS = {
    "rw",
    "ro",
    "xattr",
    "noprefix",
    "clone_children",
    "cpuset_v2_mode",
    "seclabel",
    "favordynmods",
}


def _cgroup(host, mounts):
    unknown = {}
    if mounts is None:
        unknown["version"] = "the mount table is not readable"
        return {"version": None, "controllers": None, "mount_point": None, "unknown": unknown}
    v1 = [m for m in mounts if m.fstype == "cgroup"]
    v2 = [m for m in mounts if m.fstype == "cgroup2"]
    on_top = next((m for m in v2 if m.mount_point == "/sys/fs/cgroup"), None)
    controllers = None
    if on_top is not None:
        version, mount_point = 2, "/sys/fs/cgroup"
    elif v1:
        version = "hybrid" if v2 else 1
        mount_point = "/sys/fs/cgroup"
    else:
        version, mount_point = None, None
        unknown["version"] = "no cgroup or cgroup2 filesystem is mounted"
    if version == 2:
        text = host.read("/sys/fs/cgroup/cgroup.controllers", unknown, "controllers")
        if text is not None:
            controllers = sorted(text.split())
    elif version in (1, "hybrid"):
        controllers = sorted(
            {
                option
                for mount in v1
                for option in mount.super_options.split(",")
                if option not in _CGROUP_V1_MOUNT_OPTIONS and "=" not in option
            }
        )
    return {
        "version": version,
        "controllers": controllers,
        "mount_point": mount_point,
        "unknown": unknown,
    }


def _namespaces(host):
    unknown = {}
    result = {name: host.exists(f"/proc/self/ns/{name}") for name in NAMESPACES}
    clone = _first_line(host.read("/proc/sys/kernel/unprivileged_userns_clone"))
    maximum = _first_line(host.read("/proc/sys/user/max_user_namespaces"))
    if not result["user"]:
        unprivileged = False
    elif clone is not None or maximum is not None:
        unprivileged = (clone is None or clone == "1") and (
            maximum is None or (maximum.isdigit() and int(maximum) > 0)
        )
    else:
        unprivileged = None
        unknown["unprivileged_user"] = (
            "neither user.max_user_namespaces nor kernel.unprivileged_userns_clone is readable"
        )
    result["unprivileged_user"] = unprivileged
    result["unknown"] = unknown
    return result


def _security(host, filesystems):
    unknown = {}
    status = host.read("/proc/self/status", unknown, "seccomp")
    if status is None:
        # Without the status file there is no telling: not "unavailable".
        seccomp = None
    else:
        available = "\nSeccomp:" in status
        actions = host.read("/proc/sys/kernel/seccomp/actions_avail")
        seccomp = {
            "available": available,
            "enabled": available and bool(actions and "kill" in actions),
        }
    apparmor_enabled = _first_line(host.read("/sys/module/apparmor/parameters/enabled"))
    selinux_enforce = _first_line(host.read("/sys/fs/selinux/enforce"))
    return {
        "seccomp": seccomp,
        "apparmor": {
            "available": host.exists("/sys/module/apparmor")
            or host.exists("/sys/kernel/security/apparmor"),
            "enabled": apparmor_enabled == "Y",
        },
        "selinux": {
            "available": "selinuxfs" in filesystems or host.exists("/sys/fs/selinux"),
            "enabled": selinux_enforce is not None,
            "enforcing": selinux_enforce == "1",
        },
        "unknown": unknown,
    }


def _sibling(name):
    """This extension's execution module ``name``, from beside this file: grains
    get no ``__salt__``, and this module runs in the grain."""
    candidate = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    try:
        mtime = os.stat(candidate).st_mtime_ns
    except OSError:
        return None
    # Kept in sys.modules: Salt builds a new grain loader (and so a new copy
    # of the grain and of this module) for every refresh.
    key = f"_docker_host_facts_{name}"
    module = sys.modules.get(key)
    if module is not None and module.__loaded_from__ == (candidate, mtime):
        return module
    spec = importlib.util.spec_from_file_location(key, candidate)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # pylint: disable=broad-except
        log.exception("cannot load %s", candidate)
        return None
    module.__loaded_from__ = (candidate, mtime)
    sys.modules[key] = module
    return module


def _docker_opts_flags(host, unknown):
    """DOCKER_OPTS from /etc/sysconfig/docker as bash reads it and systemd splits it,
    parsed as dockerd parses it: ``{daemon.json key: value}``."""
    if not host.exists("/etc/sysconfig/docker"):
        return {}
    sysconfig, daemon = _sibling("sysconfig"), _sibling("docker_daemon")
    if sysconfig is None or daemon is None:
        unknown["docker_opts"] = (
            "this extension's sysconfig and docker_daemon modules are not beside docker_host_facts"
        )
        return {}
    try:
        value = sysconfig.items("/etc/sysconfig/docker", root=host.root or None).get("DOCKER_OPTS")
    except Exception as err:  # pylint: disable=broad-except
        unknown["docker_opts"] = str(err)
        return {}
    return daemon.parse_args(daemon.split_like_systemd(value))["flags"]


def _daemon_json(host, unknown):
    """daemon.json's settings as dockerd reads them (docker_daemon.parse_daemon_json).
    A daemon.json that is there but cannot be read (a FIFO in its place, no
    permission) makes them unknown, with the reason: it may set the data-root."""
    if not host.exists("/etc/docker/daemon.json"):
        return None
    text = host.read("/etc/docker/daemon.json", unknown, "daemon_json")
    if text is None:
        return None
    daemon = _sibling("docker_daemon")
    if daemon is None:
        unknown["daemon_json"] = (
            "this extension's sysconfig and docker_daemon modules are not beside docker_host_facts"
        )
        return None
    settings, problem = daemon.parse_daemon_json(text)
    if problem:
        unknown["daemon_json"] = f"/etc/docker/daemon.json {problem}"
    return settings


def _running_kernel(filesystems, kernel_options, modules):
    """What the running kernel offers a storage driver: ``kernel_has(option,
    module, filesystem)`` and the zfs module's verdict, from /proc/filesystems,
    the loaded modules and the kernel config."""

    def kernel_has(option, module, filesystem=None):
        if filesystem and filesystem in filesystems:
            return True, f"{filesystem} is in /proc/filesystems"
        if module in modules:
            return True, f"module {module} is loaded"
        if kernel_options is not None and kernel_options.get(option) in ("y", "m"):
            return True, f"CONFIG_{option}={kernel_options[option]}"
        if kernel_options is None:
            return False, f"{module} is not loaded and the kernel config is not readable"
        return False, f"{module} is not loaded and CONFIG_{option} is not set"

    def zfs():
        return "zfs" in modules, "the zfs module is not loaded"

    return kernel_has, zfs


def _driver_verdicts(fstype, d_type, kernel_has, zfs):
    """Judge every storage driver for a data-root on ``fstype``, with what the
    kernel offers: ``kernel_has(option, module, filesystem)`` and ``zfs()``,
    each ``(True, False or None, why)`` (see _running_kernel and
    _image_kernel). A verdict's ``supported`` is None when it cannot be known
    (an unknown filesystem, an image without a kernel)."""
    on = f"the data-root is on {fstype}" if fstype else "the data-root's filesystem is unknown"
    verdicts = {}
    if fstype is None:
        verdicts["btrfs"] = {"supported": None, "reason": on}
    elif fstype == "btrfs":
        verdicts["btrfs"] = {"supported": True, "reason": on}
    else:
        verdicts["btrfs"] = {"supported": False, "reason": f"{on}, not btrfs"}

    has_overlay, overlay_why = kernel_has("OVERLAY_FS", "overlay", "overlay")
    if has_overlay is False:
        verdicts["overlay2"] = {"supported": False, "reason": overlay_why}
    elif fstype in _NO_OVERLAY_BACKING:
        verdicts["overlay2"] = {"supported": False, "reason": f"{on}: overlay2 cannot stack on it"}
    elif fstype == "zfs":
        verdicts["overlay2"] = {"supported": False, "reason": f"{on}: use the zfs driver"}
    elif d_type is False:
        verdicts["overlay2"] = {"supported": False, "reason": f"{on}, without d_type"}
    elif has_overlay is None:
        verdicts["overlay2"] = {"supported": None, "reason": overlay_why}
    elif fstype is None:
        verdicts["overlay2"] = {"supported": None, "reason": f"{on}; {overlay_why}"}
    elif d_type is None:
        verdicts["overlay2"] = {
            "supported": True,
            "reason": f"{on}; overlay2 needs d_type, which cannot be seen here"
            + (" (xfs: check 'xfs_info' for ftype=1)" if fstype == "xfs" else ""),
        }
    else:
        verdicts["overlay2"] = {"supported": True, "reason": f"{on}, with d_type; {overlay_why}"}

    has_thin, thin_why = kernel_has("DM_THIN_PROVISIONING", "dm_thin_pool")
    verdicts["devicemapper"] = {
        "supported": has_thin,
        "reason": f"{thin_why}; deprecated, and removed in Docker Engine 25",
        "removed_in": REMOVED_IN["devicemapper"],
    }

    if fstype is None:
        verdicts["zfs"] = {"supported": None, "reason": on}
    elif fstype != "zfs":
        verdicts["zfs"] = {"supported": False, "reason": f"{on}, not zfs"}
    else:
        has_zfs, zfs_why = zfs()
        verdicts["zfs"] = {"supported": has_zfs, "reason": on if has_zfs else zfs_why}

    verdicts["vfs"] = {
        "supported": True,
        "reason": "works on any filesystem, but copies every layer: slow and disk-hungry",
    }
    verdicts["aufs"] = {
        "supported": False,
        "reason": "removed in Docker Engine 24, and never in SUSE kernels",
        "removed_in": REMOVED_IN["aufs"],
    }
    verdicts["overlay"] = {
        "supported": verdicts["overlay2"]["supported"],
        "reason": "the legacy overlay driver: use overlay2; removed in Docker Engine 24",
        "removed_in": REMOVED_IN["overlay"],
    }
    return verdicts


def _resolve(host, path):
    """Resolve symlinks in ``path`` as they resolve inside the host's root."""
    parts, resolved, hops = [p for p in path.split("/") if p], "/", 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, part)
        target = host.readlink(candidate)
        if target is None:
            resolved = candidate
            continue
        hops += 1
        if hops > 40:
            return candidate
        if target.startswith("/"):
            resolved = "/"
        parts = [p for p in target.split("/") if p] + parts
    return resolved


def _mounted_filesystem(mounts):
    """``filesystem_of(path)`` for the running system: the mount that holds
    the path, from its mount table."""
    table = {mount.mount_point: mount for mount in mounts or ()}
    root_mount = _mount_of(table, "/") if table else None

    def filesystem_of(path):
        mount = _mount_of(table, path) if table else None
        if mount is None:
            return _filesystem(None, None, "the mount table does not say which filesystem holds it")
        return _filesystem(mount, root_mount, "the mount table")

    return filesystem_of


def _filesystem(mount, root_mount, seen):
    """What ``filesystem_of`` returns for ``mount`` (None: unknown, ``seen``
    says why), judged against the mount of /: separate or not."""
    if mount is None:
        return {"fstype": None, "mount_point": None, "separate": None, "seen": seen}
    return {
        "fstype": mount.fstype,
        "mount_point": mount.mount_point,
        "separate": mount.mount_point != "/"
        and (root_mount is None or mount.source != root_mount.source),
        "seen": f"{seen}: {mount.source} at {mount.mount_point}",
    }


def _storage(host, filesystem_of, offers, wanted_data_root=None):
    """The data-root, its filesystem (``filesystem_of(path)``: see
    _mounted_filesystem and _image_filesystem) and every driver's verdict
    there, with what the kernel ``offers`` (``(kernel_has, zfs)``)."""
    unknown = {}
    flags = _docker_opts_flags(host, unknown)
    from_json = _daemon_json(host, unknown) or {}
    conflicts = sorted(set(flags) & set(from_json))

    if wanted_data_root:
        data_root, source = wanted_data_root, "asked"
    elif "data-root" in flags:
        data_root, source = flags["data-root"], "DOCKER_OPTS"
    elif isinstance(from_json.get("data-root"), str):
        data_root, source = from_json["data-root"], "daemon.json"
    else:
        data_root, source = "/var/lib/docker", "default"
    if not isinstance(data_root, str) or not data_root:
        unknown["data_root"] = f"the data-root set in {source} is empty or not a path"
        data_root = "/var/lib/docker"
    # dockerd makes a relative data-root absolute from its working directory,
    # which is / under systemd.
    data_root = os.path.normpath(os.path.join("/", data_root))
    configured = flags.get("storage-driver") or from_json.get("storage-driver")
    if configured is not None and not isinstance(configured, str):
        unknown["configured_driver"] = f"the storage driver set is not a name: {configured!r}"
        configured = None

    # dockerd follows symlinks: judge where the data-root really is.
    resolved = probed = _resolve(host, data_root)
    while probed != "/" and not host.exists(probed):
        probed = os.path.dirname(probed)

    # An image's fstab says what will be mounted at a path not made yet.
    found = filesystem_of(resolved if host.image else probed)
    fstype, mount_point, separate = found["fstype"], found["mount_point"], found["separate"]
    if fstype is None:
        unknown["filesystem"] = found["seen"]

    if fstype in _D_TYPE_FILESYSTEMS:
        d_type = True
    elif fstype == "xfs":
        d_type = None
        unknown["d_type"] = (
            "xfs keeps d_type only with ftype=1, which is not visible in /proc "
            "or /sys: check 'xfs_info' on the mount point"
        )
    else:
        d_type = None
        if fstype:
            unknown["d_type"] = f"d_type support of {fstype} is not known"

    drivers = _driver_verdicts(fstype, d_type, *offers)
    # The best driver that surely works; none while a better one cannot be judged.
    recommended = None
    for name in ("btrfs", "zfs", "overlay2", "vfs"):
        if drivers[name]["supported"] is None:
            unknown["recommended"] = f"{name} cannot be judged: {drivers[name]['reason']}"
            break
        if drivers[name]["supported"]:
            recommended = name
            break
    unknown["engine_version"] = (
        "not read here: drivers are judged without it (docker_daemon.installed_engine "
        "reads the image's docker package)"
        if host.image
        else "not readable from files; drivers are judged without it "
        "(docker_host.check asks the daemon)"
    )
    return {
        "data_root": data_root,
        "data_root_source": source,
        "probed_path": probed,
        "fstype": fstype,
        "filesystem_seen": found["seen"] if fstype else None,
        "mount_point": mount_point,
        "separate_filesystem": separate,
        "d_type": d_type,
        "configured_driver": configured,
        "conflicts": conflicts,
        "engine_version": None,
        "drivers": drivers,
        "recommended": recommended,
        "unknown": unknown,
    }


def _network(host):
    unknown = {}

    def switch(path, fact):
        value = _first_line(host.read(path, unknown, fact))
        return None if value is None else value == "1"

    at_boot = {}
    if host.image:
        # Settings of a running kernel. The boot sets forwarding from the
        # image's sysctl files, which docker_forwarding.at_boot reads.
        ipv4 = ipv6 = bridge = None
        at_boot["ip_forward"] = "forwarding, which the boot sets from the image's sysctl files"
        at_boot["bridge_nf_call_iptables"] = "whether br_netfilter is loaded"
    else:
        ipv4 = switch("/proc/sys/net/ipv4/ip_forward", "ip_forward_ipv4")
        ipv6 = switch("/proc/sys/net/ipv6/conf/all/forwarding", "ip_forward_ipv6")
        bridge = _first_line(host.read("/proc/sys/net/bridge/bridge-nf-call-iptables"))
        if bridge is None:
            unknown["bridge_nf_call_iptables"] = "br_netfilter is not loaded"

    nm_seen = None
    alias = host.readlink("/etc/systemd/system/network.service")
    if alias and "NetworkManager" in alias:
        nm_seen = "/etc/systemd/system/network.service -> NetworkManager.service"
    elif host.exists("/etc/systemd/system/multi-user.target.wants/NetworkManager.service"):
        nm_seen = "NetworkManager.service is enabled"
    elif not host.image and host.exists("/run/NetworkManager/NetworkManager.pid"):
        nm_seen = "/run/NetworkManager/NetworkManager.pid exists"

    firewall, firewall_seen = None, "no firewall service is enabled"
    wants = "/etc/systemd/system/multi-user.target.wants"

    def enabled(unit, *aliases):
        if host.readlink(f"/etc/systemd/system/{unit}") == "/dev/null":
            return False  # masked: a leftover wants link does not start it
        return any(host.exists(path) for path in (f"{wants}/{unit}", *aliases))

    if enabled(
        "firewalld.service", "/etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service"
    ):
        firewall, firewall_seen = "firewalld", "firewalld.service is enabled"
    elif enabled("SuSEfirewall2.service") or enabled("SuSEfirewall2_init.service"):
        firewall, firewall_seen = "SuSEfirewall2", "SuSEfirewall2.service is enabled"
    elif host.exists("/etc/sysconfig/SuSEfirewall2"):
        firewall_seen = "SuSEfirewall2 is installed but not enabled"
    elif host.exists("/etc/firewalld/firewalld.conf"):
        firewall_seen = "firewalld is installed but not enabled"

    return {
        "ip_forward": {"ipv4": ipv4, "ipv6": ipv6},
        "bridge_nf_call_iptables": None if bridge is None else bridge == "1",
        "networkmanager": nm_seen is not None,
        "networkmanager_seen": nm_seen,
        "firewall": firewall,
        "firewall_seen": firewall_seen,
        "unknown": unknown,
        **({"at_boot": at_boot} if host.image else {}),
    }


def _entry(text, name):
    """The fields of the ``name:`` line of a passwd/group-style file, or None."""
    start = 0 if text.startswith(f"{name}:") else text.find(f"\n{name}:")
    if start < 0:
        return None
    start = start + 1 if text[start] == "\n" else start
    end = text.find("\n", start)
    return text[start : end if end >= 0 else None].split(":")


def _group(host, unknown, name="docker"):
    text = host.read("/etc/group", unknown, "group")
    if text is None:
        return {"name": name, "exists": None, "gid": None, "members": None, "primary_members": None}
    fields = _entry(text, name)
    if fields is None or len(fields) < 4:
        return {"name": name, "exists": False, "gid": None, "members": [], "primary_members": []}
    gid = int(fields[2]) if fields[2].isdigit() else None
    # Users whose primary group it is are members too, and /etc/group does
    # not list them.
    primary = []
    passwd = host.read("/etc/passwd") if gid is not None else None
    for line in (passwd or "").splitlines():
        user = line.split(":")
        if len(user) > 3 and user[3] == str(gid):
            primary.append(user[0])
    return {
        "name": name,
        "exists": True,
        "gid": gid,
        "members": [m for m in fields[3].split(",") if m],
        "primary_members": primary,
    }


def _is_socket(host, path):
    try:
        return stat.S_ISSOCK(os.stat(host.path(path)).st_mode)
    except OSError:
        return False


def _docker(host):
    unknown = {}
    binary = next((p for p in ("/usr/bin/dockerd", "/usr/sbin/dockerd") if host.exists(p)), None)
    sysconfig = host.exists("/etc/sysconfig/docker")
    if binary:
        seen = binary
    elif sysconfig:
        seen = "/etc/sysconfig/docker"
    else:
        seen = None
    # An image runs no daemon.
    sockets = () if host.image else ("/run/docker.sock", "/var/run/docker.sock")
    socket = next((p for p in sockets if _is_socket(host, p)), None)
    return {
        "installed": seen is not None,
        "installed_seen": seen,
        "group": _group(host, unknown),
        "sysconfig": sysconfig,
        "daemon_json": host.exists("/etc/docker/daemon.json"),
        "socket": socket,
        "unknown": unknown,
    }


def _loaded_modules(host):
    text = host.read("/proc/modules") or ""
    return {line.split(" ", 1)[0] for line in text.splitlines() if line}


# --------------------------------------------------------------------------
# An image root
# --------------------------------------------------------------------------
# An image is judged from its own files: no kernel runs it yet, and the /proc,
# /sys and mount table a build may have in it are this machine's. Its kernel
# is the one installed in it; its data-root's filesystem is the one mounted
# at that path inside the root, else the one its /etc/fstab names, else the
# one the KIWI description being built will make.

# Where distributions keep an installed kernel's configuration: SUSE and
# Debian in /boot, usrmerged distributions (Tumbleweed) beside the modules.
_KERNEL_CONFIGS = ("/boot/config-{}", "/usr/lib/modules/{}/config", "/lib/modules/{}/config")
_MODULE_DIRS = ("/usr/lib/modules", "/lib/modules")
# Namespaces as kernel options (the mount namespace comes with NAMESPACES,
# the cgroup namespace with CGROUPS).
_NAMESPACE_OPTIONS = {
    "net": "NET_NS",
    "pid": "PID_NS",
    "ipc": "IPC_NS",
    "uts": "UTS_NS",
    "mnt": "NAMESPACES",
    "user": "USER_NS",
    "cgroup": "CGROUPS",
}
_IMAGE_OPTIONS = tuple(
    dict.fromkeys(
        GRAIN_KERNEL_OPTIONS
        + tuple(_NAMESPACE_OPTIONS.values())
        + ("SECCOMP", "SECURITY_APPARMOR", "SECURITY_SELINUX")
    )
)


def namespace_options():
    """
    Return the kernel option each namespace comes with: ``{"net": "NET_NS", ...}``
    (the mount namespace with ``NAMESPACES``, the cgroup namespace with
    ``CGROUPS``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_facts.namespace_options
    """
    return dict(_NAMESPACE_OPTIONS)


def _version_key(version):
    """Sort key of a kernel version: its numbers in order
    (``6.4.0-150600.23.25-default`` gives (6, 4, 0, 150600, 23, 25))."""
    return tuple(int(number) for number in re.findall(r"\d+", version))


def _installed_kernels(host):
    """``{version: its configuration file}`` for every kernel installed in the image."""
    versions = {
        name[len("config-") :] for name in host.listdir("/boot") if name.startswith("config-")
    }
    for directory in _MODULE_DIRS:
        versions.update(host.listdir(directory))
    found = {}
    for version in versions - {""}:
        path = next(
            (path for path in (p.format(version) for p in _KERNEL_CONFIGS) if host.is_file(path)),
            None,
        )
        if path:
            found[version] = path
    return found


def _image_kernel(host, all_options):
    """The kernel installed in the image (the newest, when there are several):
    its section, and its settings of _IMAGE_OPTIONS (None without a config)."""
    unknown = {}
    kernels = _installed_kernels(host)
    installed = sorted(kernels, key=_version_key)
    release = installed[-1] if installed else None
    config = None
    if release is None:
        unknown["config"] = (
            "no kernel is installed in the image (no /boot/config-<version> or "
            "/usr/lib/modules/<version>/config): its options cannot be checked before it boots"
        )
    else:
        raw = host.read_bytes(kernels[release], unknown, "config")
        config = None if raw is None else b"\n" + raw
    result = {
        "release": release,
        "config_source": kernels.get(release),
        "installed": installed,
        "options": None if config is None else _options(config, GRAIN_KERNEL_OPTIONS),
        "root_maxkeys": None,
        "unknown": unknown,
    }
    if all_options:
        # Which cgroup hierarchy the image boots with is its systemd's choice:
        # what either needs.
        names = list(dict.fromkeys(_required_options(1, release) + _required_options(2, release)))
        result["required"] = None if config is None else _options(config, names)
        result["optional"] = None if config is None else _options(config, OPTIONAL_KERNEL_OPTIONS)
    return result, None if config is None else _options(config, _IMAGE_OPTIONS)


def _image_kernel_offers(host, kernel, options):
    """What the image's kernel (its section, and ``options``, its settings of
    _IMAGE_OPTIONS) offers a storage driver (see _driver_verdicts)."""
    release = kernel["release"]

    def kernel_has(option, module, filesystem=None):
        if options is None:
            why = kernel["unknown"].get("config", "the image's kernel config is not readable")
            return None, f"{module} cannot be checked: {why}"
        value = options.get(option)
        if value in ("y", "m"):
            return True, f"the image's kernel {release} has CONFIG_{option}={value}"
        return False, f"the image's kernel {release} has no {module} (CONFIG_{option} is not set)"

    def zfs():
        if release is None:
            return None, "no kernel is installed in the image: its zfs module cannot be checked"
        for directory in _MODULE_DIRS:
            for _, _, names in os.walk(host.path(f"{directory}/{release}")):
                if any(name.split(".ko", 1)[0] == "zfs" for name in names if ".ko" in name):
                    return True, f"the image's kernel {release} has the zfs module"
        return False, f"the image's kernel {release} has no zfs module"

    return kernel_has, zfs


def _fstab(host):
    """The image's /etc/fstab as ``{mount point: Mount}``."""
    text = host.read("/etc/fstab")
    table = {}
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith("#") or not fields[1].startswith("/"):
            continue
        source, point, fstype = (_unescape_mount(field) for field in fields[:3])
        options = fields[3] if len(fields) > 3 else "defaults"
        table[os.path.normpath(point)] = Mount(
            "/", os.path.normpath(point), fstype, source, options
        )
    return table


def _shell_values(text):
    """``NAME='value'`` lines (KIWI's .profile) as a dict."""
    values = {}
    for line in (text or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.isidentifier():
            values[name] = value.strip().strip("'\"")
    return values


def _kiwi_filesystem(host):
    """The filesystem KIWI will make for the image's /, from the description
    that ``kiwi-ng system prepare`` leaves in the root (``/image/config.xml``,
    with the build type and profiles it chose in ``/.profile``) until
    ``system create`` builds the disk: ``{"/": Mount}``, or ``{}``.

    The build type is the one prepare chose, else the description's primary
    (or only) type; only preferences of the chosen profiles count. KIWI makes
    every volume of a system disk with that same filesystem."""
    text = host.read("/image/config.xml")
    if not text:
        return {}
    # Imported here: only a KIWI root needs it, and the grain runs at every
    # minion start.
    import xml.etree.ElementTree  # noqa: PLC0415

    try:
        description = xml.etree.ElementTree.fromstring(text)
    except xml.etree.ElementTree.ParseError as err:
        log.debug("the KIWI description in %s is not XML: %s", host.root, err)
        return {}
    chosen = _shell_values(host.read("/.profile"))
    profiles = set(chosen.get("kiwi_profiles", "").replace(",", " ").split())
    types = [
        build_type
        for preferences in description.iter("preferences")
        if not preferences.get("profiles")
        or profiles & set(preferences.get("profiles").replace(",", " ").split())
        for build_type in preferences.iter("type")
    ]
    wanted = chosen.get("kiwi_type")
    picked = [build_type for build_type in types if build_type.get("image") == wanted] or [
        build_type for build_type in types if build_type.get("primary") == "true"
    ]
    if not picked and len(types) == 1:
        picked = types
    fstype = picked[0].get("filesystem") if picked else None
    if not fstype:
        return {}
    source = f'<type image="{picked[0].get("image")}" filesystem="{fstype}">'
    return {"/": Mount("/", "/", fstype, source, "defaults")}


def _image_filesystem(host, mounts):
    """``filesystem_of(path)`` for an image: a filesystem this machine has
    mounted at or above the path inside the image root, else the one the
    image's /etc/fstab names, else the one the KIWI description being built
    makes for / (see _kiwi_filesystem), else unknown."""
    top = os.path.realpath(host.root)
    inside = {}
    for mount in mounts or ():
        if mount.mount_point == top:
            inside["/"] = mount
        elif mount.mount_point.startswith(top + "/"):
            inside[mount.mount_point[len(top) :]] = mount._replace(
                mount_point=mount.mount_point[len(top) :]
            )
    fstab = _fstab(host)
    kiwi = {} if fstab else _kiwi_filesystem(host)

    def filesystem_of(path):
        for table, seen in (
            (inside, f"mounted under {host.root}"),
            (fstab, "the image's /etc/fstab"),
            (kiwi, "the KIWI description being built, /image/config.xml"),
        ):
            mount = _mount_of(table, path) if table else None
            if mount is not None and mount.fstype not in ("auto", "none"):
                return _filesystem(mount, _mount_of(table, "/"), seen)
        return _filesystem(
            None,
            None,
            f"nothing is mounted at {path} under {host.root}, and neither the image's "
            "/etc/fstab nor a KIWI description in it names the filesystem that holds it",
        )

    return filesystem_of


def _image_cgroup():
    return {
        "version": None,
        "controllers": None,
        "mount_point": None,
        "unknown": {},
        "at_boot": {"version": "the cgroup version, which systemd chooses"},
    }


def _image_namespaces(options):
    """The namespaces the image's kernel is built with."""
    result = {
        name: None if options is None else options.get(option) == "y"
        for name, option in _NAMESPACE_OPTIONS.items()
    }
    result["unprivileged_user"] = None
    result["unknown"] = {}
    if options is None:
        result["unknown"]["namespaces"] = "the image's kernel config is not known"
    result["at_boot"] = {
        "unprivileged_user": "whether users may make user namespaces (user.max_user_namespaces)"
    }
    return result


def _image_security(options):
    """What the image's kernel is built with; which security module is on is
    decided when it boots."""

    def built(option):
        return None if options is None else options.get(option) == "y"

    return {
        "seccomp": None
        if options is None
        else {"available": built("SECCOMP"), "enabled": built("SECCOMP_FILTER")},
        "apparmor": {"available": built("SECURITY_APPARMOR"), "enabled": None},
        "selinux": {"available": built("SECURITY_SELINUX"), "enabled": None, "enforcing": None},
        "unknown": {},
        "at_boot": {"lsm": "which security module is on (the kernel's command line, the services)"},
    }


def _image_sections(host, data_root, kernel_options):
    """The image's sections, each from the image's own files."""
    # Only to find a filesystem mounted inside the image root.
    mounts = _mounts(_Host(None), {})
    kernel, options = _image_kernel(host, kernel_options)
    return {
        "kernel": lambda: kernel,
        "cgroup": _image_cgroup,
        "namespaces": lambda: _image_namespaces(options),
        "security": lambda: _image_security(options),
        "storage": lambda: _storage(
            host,
            _image_filesystem(host, mounts),
            _image_kernel_offers(host, kernel, options),
            data_root,
        ),
        "network": lambda: _network(host),
        "docker": lambda: _docker(host),
    }


def _live_sections(host, data_root, kernel_options, result):
    """The running system's sections (its root may be seen at another path)."""
    filesystems = set((host.read("/proc/filesystems") or "").split()) - {"nodev"}
    modules = _loaded_modules(host)
    mounts = _mounts(host, {})
    return {
        "cgroup": lambda: _cgroup(host, mounts),
        # After cgroup: which options are required depends on its version.
        "kernel": lambda: _kernel(host, result.get("cgroup", {}).get("version"), kernel_options),
        "namespaces": lambda: _namespaces(host),
        "security": lambda: _security(host, filesystems),
        "storage": lambda: _storage(
            host,
            _mounted_filesystem(mounts),
            _running_kernel(filesystems, result.get("kernel", {}).get("options"), modules),
            data_root,
        ),
        "network": lambda: _network(host),
        "docker": lambda: _docker(host),
    }


def _collect(root=None, data_root=None, kernel_options=False, image=False):
    """Return the ``docker_host`` facts read from ``root``: an image's when
    ``image``, else those of a running system whose / is at ``root``.

    ``data_root``: judge the storage drivers for it instead of the configured
    one. ``kernel_options``: add every option check-config.sh checks.
    """
    host = _Host(root, image)
    result = {"root": root or "/", "target": "image" if image else "live"}
    try:
        if image:
            sections = _image_sections(host, data_root, kernel_options)
        else:
            sections = _live_sections(host, data_root, kernel_options, result)
    except Exception as err:  # pylint: disable=broad-except
        log.exception("docker_host grain")
        return {**result, "error": f"{type(err).__name__}: {err}"}
    for name, section in sections.items():
        try:
            result[name] = section()
        except Exception as err:  # pylint: disable=broad-except
            # A grain must never take the minion's start down with it.
            log.exception("docker_host grain, section %s", name)
            result[name] = {"unknown": {name: f"{type(err).__name__}: {err}"}}
    return result


def collect(root=None, data_root=None, kernel_options=False):
    """
    Return what the target can do as a Docker host: this machine, or the
    image under ``root``.

    root
        An image root (``docker_host:root``): the image is judged from its own
        files only: the kernel installed in it, the filesystem mounted at its
        data-root inside the root or named by its ``/etc/fstab``, its sysctl
        and unit files. Nothing of this machine's ``/proc``, ``/sys`` or PATH
        is read for it. Facts an image cannot tell before it boots are
        ``None``, and each section's ``unknown`` says why.

        Without it (or with ``/``): this machine. The minion option
        ``docker_host.root`` names another path at which the running system's
        ``/`` is seen (a minion in a container, with the host's ``/``,
        ``/proc`` and ``/sys`` mounted there); its ``/proc`` and ``/sys`` are
        read as the running system's.

    data_root
        Judge the storage drivers for this data-root instead of the
        configured one (before configuring it).

    kernel_options
        Add every kernel option moby's check-config.sh checks
        (``kernel:required`` and ``kernel:optional``).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_facts.collect
        salt '*' docker_host_facts.collect root=/srv/image-root data_root=/srv/docker
    """
    if root is None or os.path.normpath(str(root)) in ("/", "//"):
        # Loaded by the grain by its path, the module gets __opts__ from it.
        live = (globals().get("__opts__") or {}).get("docker_host.root")
        return _collect(live, data_root, kernel_options)
    return _collect(root, data_root, kernel_options, image=True)
