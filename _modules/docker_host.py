"""
Manage a SUSE machine as a Docker host.

``docker_host.check`` reports whether this host is ready to run Docker, what
is wrong, and how to fix each item: the kernel features moby's
``contrib/check-config.sh`` checks, the storage driver and data-root,
forwarding and the firewall, the docker group, and the running daemon.

:depends: ``docker`` (docker-py) to ask the daemon; everything else reads
    files, through the ``docker_host`` grain's collector.
:configuration: the daemon's address is ``DOCKER_HOST`` as the docker CLI
    reads it, else the minion option ``docker.url``, else the default socket.
"""

import logging
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "docker_host"
__outputter__ = {"check": "docker_host_check"}

STATUSES = ("ok", "warn", "fail")


def __virtual__():
    return __virtualname__


def daemon_options(root=None):
    """
    Return the Docker daemon's effective configuration: DOCKER_OPTS split as
    systemd splits it and parsed as dockerd parses it, daemon.json merged in,
    and the ``conflicts`` (directives set in both, which stop dockerd).

    The same as ``docker_daemon.options``; see there for the keys.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host.daemon_options
        salt '*' docker_host.daemon_options root=/srv/kiwi/image-root
    """
    return __salt__["docker_daemon.options"](root=root)


def exists(path, root=None):
    """
    Return whether ``path`` exists on this host, or under ``root``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host.exists /etc/sysconfig/SuSEfirewall2 root=/srv/image-root
    """
    return os.path.lexists(__salt__["sysconfig.resolve"](path, root=root))


class _Report:
    def __init__(self):
        self.items = []

    def add(self, item_id, status, reason, fix=None):
        self.items.append({"id": item_id, "status": status, "reason": reason, "fix": fix})

    def result(self):
        counts = {status: 0 for status in STATUSES}
        for item in self.items:
            counts[item["status"]] += 1
        worst = "fail" if counts["fail"] else "warn" if counts["warn"] else "ok"
        return {"result": worst, "counts": counts, "items": self.items}


# Facts the grain could not read that other items already report.
_REPORTED_ELSEWHERE = {
    "engine_version",
    "bridge_nf_call_iptables",
    "config",
    "filesystem",
    "recommended",
}


def _unknowns(report, area, section):
    for fact, why in (section or {}).get("unknown", {}).items():
        if fact not in _REPORTED_ELSEWHERE:
            report.add(
                f"{area}.{fact}",
                "warn",
                f"cannot tell {fact}: {why}",
                "look at it by hand: the files that tell it are missing or unreadable",
            )


def _image(facts):
    return facts.get("target") == "image"


def _verb(facts):
    """What an administrator does to another kernel: install it in an image, run it on a host."""
    return "install" if _image(facts) else "run"


def _kernel_named(facts):
    """How the report names the kernel it judges."""
    kernel = facts.get("kernel", {})
    if not _image(facts):
        return "the running kernel"
    installed = kernel.get("installed") or []
    newest = f", the newest of {len(installed)} installed" if len(installed) > 1 else ""
    return f"the image's kernel {kernel.get('release')}{newest}"


def _check_kernel(report, facts):
    kernel = facts.get("kernel", {})
    release = kernel.get("release")
    if kernel.get("required") is None:
        if _image(facts):
            reason = (
                kernel.get("unknown", {}).get("config")
                or "the image's kernel config is not readable"
            )
            fix = (
                "install a kernel in the image: SUSE's kernel packages ship /boot/config-<version>"
            )
        elif release is None:
            reason = "the running kernel's release and config are not readable"
            fix = "make /proc/sys/kernel/osrelease and /proc/config.gz or /boot readable"
        else:
            reason = f"no kernel config for {release}: options are judged from /proc and /sys only"
            fix = (
                f"install the kernel's config as /boot/config-{release} (SUSE's kernel "
                "packages ship it)"
            )
        report.add("kernel.config", "warn", reason, fix)
    else:
        required = kernel["required"]
        missing = [name for name, value in required.items() if value not in ("y", "m")]
        source = kernel["config_source"]
        if _image(facts):
            source = f"{_kernel_named(facts)}, {source}"
        if not missing:
            report.add(
                "kernel.required", "ok", f"all {len(required)} required options set ({source})"
            )
        for name in missing:
            report.add(
                f"kernel.CONFIG_{name}",
                "fail",
                f"CONFIG_{name} is not set ({source}): moby's check-config.sh calls it necessary",
                f"{_verb(facts)} a kernel built with CONFIG_{name}=y or =m",
            )
        optional = kernel["optional"]
        absent = [name for name, value in optional.items() if value not in ("y", "m")]
        if absent:
            report.add(
                "kernel.optional",
                "warn",
                "optional options not set: " + ", ".join(f"CONFIG_{n}" for n in absent),
                "only needed for the features they name (IPVS, network drivers, storage drivers)",
            )
        else:
            report.add("kernel.optional", "ok", f"all {len(optional)} optional options set")
    maxkeys = kernel.get("root_maxkeys")
    if maxkeys is not None and maxkeys < 1000000:
        report.add(
            "kernel.root_maxkeys",
            "warn",
            f"kernel.keys.root_maxkeys is {maxkeys}: every container takes keys, and "
            "root runs out of them with many containers",
            "sysctl -w kernel.keys.root_maxkeys=1000000, and keep it in /etc/sysctl.d/",
        )
    _unknowns(report, "kernel", kernel)

    cgroup = facts.get("cgroup", {})
    if _image(facts):
        pass  # mounted when the image boots: listed with the other such facts
    elif cgroup.get("version") is None:
        report.add(
            "cgroup.hierarchy",
            "fail",
            "no cgroup filesystem is mounted",
            "boot with systemd, which mounts /sys/fs/cgroup",
        )
    else:
        report.add(
            "cgroup.hierarchy",
            "ok",
            f"cgroup {cgroup['version']} at {cgroup['mount_point']}, controllers: "
            + ", ".join(cgroup.get("controllers") or []),
        )

    namespaces = facts.get("namespaces", {})
    options = __salt__["docker_host_facts.namespace_options"]()
    for name in ("net", "pid", "ipc", "uts", "mnt", "user", "cgroup"):
        # None: not known, and reported with the section's other unknown facts.
        if namespaces.get(name) is not False:
            continue
        required = name not in ("user", "cgroup")
        seen = (
            f"{_kernel_named(facts)} is built without it"
            if _image(facts)
            else f"/proc/self/ns/{name}"
        )
        report.add(
            f"namespaces.{name}",
            "fail" if required else "warn",
            f"no {name} namespace ({seen})",
            f"{_verb(facts)} a kernel with CONFIG_{options[name]}",
        )
    if all(namespaces.get(name) for name in ("net", "pid", "ipc", "uts", "mnt")):
        report.add("namespaces", "ok", "net, pid, ipc, uts and mnt namespaces available")

    security = facts.get("security", {})
    seccomp = security.get("seccomp")
    # None: not readable, and reported with the section's other unknown facts.
    if seccomp is not None and not seccomp.get("enabled"):
        report.add(
            "security.seccomp",
            "warn",
            "seccomp filtering is not available"
            + (f" in {_kernel_named(facts)}" if _image(facts) else "")
            + ": containers run without the default seccomp profile",
            f"{_verb(facts)} a kernel with CONFIG_SECCOMP_FILTER",
        )
    elif seccomp is not None:
        report.add("security.seccomp", "ok", "seccomp filtering available")
    apparmor, selinux = security.get("apparmor", {}), security.get("selinux", {})
    if _image(facts):
        built = [
            name
            for name, lsm in (("AppArmor", apparmor), ("SELinux", selinux))
            if lsm.get("available")
        ]
        if built:
            report.add(
                "security.lsm",
                "ok",
                f"{_kernel_named(facts)} has {' and '.join(built)}; which one is on is "
                "decided when the image boots",
            )
        elif apparmor.get("available") is False and selinux.get("available") is False:
            report.add(
                "security.lsm",
                "warn",
                f"{_kernel_named(facts)} has neither AppArmor nor SELinux: containers get "
                "no MAC confinement",
                "install a kernel with CONFIG_SECURITY_APPARMOR (SUSE's kernels have it)",
            )
    elif apparmor.get("enabled"):
        report.add("security.lsm", "ok", "AppArmor is enabled")
    elif selinux.get("enabled"):
        mode = "enforcing" if selinux.get("enforcing") else "permissive"
        report.add("security.lsm", "ok", f"SELinux is enabled ({mode})")
    else:
        report.add(
            "security.lsm",
            "warn",
            "neither AppArmor nor SELinux is enabled: containers get no MAC confinement",
            "enable AppArmor (SUSE's default: zypper install -t pattern apparmor)",
        )
    _unknowns(report, "security", security)


def _check_storage(report, facts, engine_version):
    storage = facts.get("storage", {})
    if not storage.get("drivers"):
        _unknowns(report, "storage", storage)
        return
    drivers = storage["drivers"]
    recommended = storage["recommended"]
    configured = storage.get("configured_driver")
    major = __salt__["docker_daemon.engine_major"](engine_version) if engine_version else None
    where = f"data-root {storage['data_root']} ({storage['data_root_source']})"
    here = "in the image" if _image(facts) else "here"
    if storage.get("fstype"):
        report.add(
            "storage.filesystem",
            "ok",
            f"{where} is on {storage['fstype']} ({storage['filesystem_seen']})",
        )
    else:
        reason = (storage.get("unknown") or {}).get("filesystem", "not known")
        report.add(
            "storage.filesystem",
            "warn",
            f"the filesystem of {where} is not known: {reason}",
            (
                "mount its filesystem at that path under the image root, or list it in the "
                "image's /etc/fstab; or set docker_host:daemon:storage_driver, which is then "
                "taken as given"
            )
            if _image(facts)
            else "look at it by hand: the mount table is missing or unreadable",
        )

    for directive in storage.get("conflicts", []):
        report.add(
            f"storage.conflict.{directive}",
            "fail",
            f"{directive} is set both in DOCKER_OPTS and in /etc/docker/daemon.json: "
            "dockerd refuses to start",
            f"keep {directive} in one place: docker_host.daemon_configured does",
        )

    if configured is None and recommended is None:
        report.add(
            "storage.driver",
            "warn",
            "no storage driver configured: dockerd picks one at start; which one suits "
            f"{where} cannot be told: {storage['unknown'].get('recommended', 'see above')}",
            "set docker_host:daemon:storage_driver",
        )
    elif configured is None:
        report.add(
            "storage.driver",
            "warn",
            f"no storage driver configured: dockerd picks one at start; {recommended} "
            f"suits {where} on {storage['fstype']}",
            f"set it: docker_host.daemon_configured with storage_driver: {recommended} (or auto)",
        )
    elif configured not in drivers:
        report.add(
            "storage.driver",
            "fail",
            f"storage driver {configured!r} is unknown",
            f"use one of {', '.join(d for d in drivers if drivers[d]['supported'])}",
        )
    elif drivers[configured]["supported"] is None:
        report.add(
            "storage.driver",
            "warn",
            f"storage driver {configured} cannot be checked {here}: "
            f"{drivers[configured]['reason']}",
            "make sure it works where the data-root will be",
        )
    else:
        verdict = drivers[configured]
        removed_in = verdict.get("removed_in")
        if removed_in and major is not None and major >= removed_in:
            report.add(
                "storage.driver",
                "fail",
                f"storage driver {configured} was removed in Docker Engine {removed_in}; "
                f"this engine is {engine_version}",
                f"switch to {recommended}; existing images must be pulled or loaded again",
            )
        elif not verdict["supported"]:
            report.add(
                "storage.driver",
                "fail",
                f"storage driver {configured} cannot run {here}: {verdict['reason']}",
                f"switch to {recommended}: docker_host.daemon_configured with storage_driver: auto"
                if recommended
                else "set docker_host:daemon:storage_driver to a driver that works there",
            )
        elif configured in ("vfs", "devicemapper") and recommended and recommended != configured:
            report.add(
                "storage.driver",
                "warn",
                f"storage driver {configured}: {verdict['reason']}",
                f"switch to {recommended}; existing images must be pulled or loaded again",
            )
        else:
            report.add("storage.driver", "ok", f"storage driver {configured}: {verdict['reason']}")

    separate = storage.get("separate_filesystem")
    if separate is False:
        report.add(
            "storage.separate_filesystem",
            "warn",
            f"{where} is on the filesystem mounted at {storage['mount_point']}, shared "
            "with the system: a full data-root fills the system too (CIS Docker "
            "Benchmark 1.1.1)",
            f"mount a filesystem of its own at {storage['data_root']}",
        )
    elif separate:
        report.add(
            "storage.separate_filesystem",
            "ok",
            f"{where} has a filesystem of its own ({storage['fstype']} at "
            f"{storage['mount_point']})",
        )
    _unknowns(report, "storage", storage)


def _check_daemon_files(report, root, engine_version):
    """What dockerd would refuse in DOCKER_OPTS and daemon.json."""
    try:
        options = __salt__["docker_daemon.options"](root=root)
    except (CommandExecutionError, SaltInvocationError) as err:
        report.add("storage.daemon_files", "fail", str(err), "fix the file by hand")
        return
    for argument in options["unknown"]:
        report.add(
            "storage.docker_opts",
            "fail",
            f"DOCKER_OPTS holds {argument!r}, which dockerd does not take: it would not start",
            "remove it from DOCKER_OPTS in /etc/sysconfig/docker",
        )
    major = __salt__["docker_daemon.engine_major"](engine_version) if engine_version else None
    for removed in options["removed"]:
        gone = major is not None and major >= removed["removed_in"]
        report.add(
            "storage.docker_opts",
            "fail" if gone else "warn",
            f"DOCKER_OPTS spells {removed['flag']}, which Docker Engine "
            f"{removed['removed_in']} removed"
            + (f"; this engine is {engine_version}" if gone else ""),
            f"write {removed['use']} instead",
        )
    _check_api(report, options["effective"])


def _check_api(report, effective):
    """CIS Docker Benchmark 2.7: a TCP listener only with TLS client verification."""
    tcp = __salt__["docker_daemon.tcp_hosts"](effective.get("hosts"))
    if not tcp:
        report.add("network.api", "ok", "the API listens on local sockets only")
        return
    paths = [effective.get(key) for key in ("tlscacert", "tlscert", "tlskey")]
    if effective.get("tlsverify") is True and all(paths):
        report.add(
            "network.api",
            "ok",
            f"the API listens on {', '.join(tcp)} with TLS client verification",
        )
        return
    report.add(
        "network.api",
        "fail",
        f"the API listens on {', '.join(tcp)} without TLS client verification: root on this "
        "host for anyone who can reach the port (CIS Docker Benchmark 2.7)",
        "give docker_host:daemon:tls (CA, server certificate and key), or remove the tcp:// host",
    )


def _check_network(report, facts, root):
    network = facts.get("network", {})
    forward = network.get("ip_forward", {})
    if _image(facts):
        try:
            boot = __salt__["docker_forwarding.at_boot"](root)["ipv4"]
        except (CommandExecutionError, SaltInvocationError) as err:
            boot = None
            report.add(
                "network.ip_forward",
                "warn",
                f"cannot tell the forwarding the image boots with: {err}",
                "look at the image's sysctl files by hand",
            )
        if boot is None:
            pass
        elif boot["on"]:
            report.add(
                "network.ip_forward",
                "ok",
                f"the boot sets net.ipv4.ip_forward to 1 ({boot['seen']})",
            )
        else:
            report.add(
                "network.ip_forward",
                "warn",
                f"the boot leaves net.ipv4.ip_forward at 0 ({boot['seen']}): containers reach "
                "other networks only because dockerd switches it on at start, and a firewall "
                "restart switches it off",
                "apply docker_host.forwarding to the image root (docker_host:forwarding)",
            )
    elif forward.get("ipv4") is False:
        report.add(
            "network.ip_forward",
            "warn",
            "net.ipv4.ip_forward is 0: containers reach other networks only because "
            "dockerd switches it on at start, and a firewall restart switches it off",
            "sysctl -w net.ipv4.ip_forward=1, and keep it in /etc/sysctl.d/",
        )
    elif forward.get("ipv4"):
        report.add("network.ip_forward", "ok", "net.ipv4.ip_forward is 1")
    if network.get("bridge_nf_call_iptables") is None and not _image(facts):
        report.add(
            "network.br_netfilter",
            "warn",
            "br_netfilter is not loaded: iptables does not see bridged container traffic",
            "modprobe br_netfilter, and list it in /etc/modules-load.d/",
        )
    firewall = network.get("firewall")
    if firewall == "SuSEfirewall2":
        try:
            route = __salt__["sysconfig.get"]("SuSEfirewall2", "FW_ROUTE", default="", root=root)
        except (CommandExecutionError, SaltInvocationError) as err:
            report.add(
                "network.firewall",
                "fail",
                f"SuSEfirewall2 is enabled, but its FW_ROUTE cannot be read: {err}",
                "install SuSEfirewall2's /etc/sysconfig/SuSEfirewall2 and set FW_ROUTE=yes",
            )
            route = None
        if route is None:
            pass
        elif __salt__["docker_forwarding.fw_routes"](route)[0]:
            report.add("network.firewall", "ok", f'SuSEfirewall2 with FW_ROUTE="{route}"')
        else:
            report.add(
                "network.firewall",
                "fail",
                f'SuSEfirewall2 is enabled with FW_ROUTE="{route}": it switches forwarding '
                "off when it starts, and containers lose the network",
                "salt-call sysconfig.set SuSEfirewall2 FW_ROUTE yes",
            )
    elif firewall == "firewalld":
        report.add("network.firewall", "ok", f"firewalld ({network.get('firewall_seen')})")
    else:
        report.add("network.firewall", "ok", f"no firewall: {network.get('firewall_seen')}")
    if network.get("networkmanager"):
        report.add(
            "network.networkmanager",
            "ok",
            f"NetworkManager manages the network ({network['networkmanager_seen']}): "
            "YaST cannot switch forwarding; the files are edited instead",
        )
    _unknowns(report, "network", network)


def _check_docker(report, facts):
    docker = facts.get("docker", {})
    if not docker.get("installed"):
        into = f" --root {facts.get('root')}" if _image(facts) else ""
        report.add(
            "docker.installed", "warn", "docker is not installed", f"zypper{into} install docker"
        )
    else:
        report.add("docker.installed", "ok", f"docker is installed ({docker['installed_seen']})")
    group = docker.get("group", {})
    if group.get("exists") is False:
        report.add(
            "docker.group",
            "warn",
            "there is no docker group: only root can use the Docker socket",
            "groupadd --system docker (the docker package creates it)",
        )
    elif group.get("exists"):
        members = (group.get("members") or []) + [
            f"{user} (primary group)" for user in group.get("primary_members") or []
        ]
        if members:
            report.add(
                "docker.group",
                "warn",
                f"docker group (gid {group['gid']}) members: {', '.join(members)}. "
                "Membership is root-equivalent: each of them controls the host",
                "remove whoever should not control the host: gpasswd -d USER docker",
            )
        else:
            report.add("docker.group", "ok", f"docker group (gid {group['gid']}) has no members")
    _unknowns(report, "docker", docker)


def _check_not_inside_kiwi(report):
    """A running system's report made inside an image KIWI builds would be
    the build host's: say so."""
    marker = __salt__["docker_host_map.kiwi_build_root"]()
    if marker:
        report.add(
            "image.inside_kiwi_build",
            "fail",
            f"/ is an image that KIWI is building ({marker} is there), seen from inside: "
            "its /proc, /sys and mounts are the build host's, so this report is about "
            "the build host, not the image",
            "run docker_host.check root=<the image root> from outside the image",
        )


def _check_image_sources(report, facts, engine):
    """Say what an image's report is judged from, and what only its boot decides."""
    kernel = facts.get("kernel", {})
    storage = facts.get("storage", {})
    sources = [
        f"kernel: {_kernel_named(facts)} ({kernel['config_source']})"
        if kernel.get("config_source")
        else "kernel: none installed",
        f"data-root filesystem: {storage.get('filesystem_seen') or 'not known'}",
        f"engine: {engine['version']} ({engine['seen']})"
        if engine["version"]
        else f"engine: not known ({engine['seen']})",
        "forwarding: the image's sysctl files",
        "firewall, services, docker group: the image's files",
    ]
    report.add(
        "image.sources",
        "ok",
        f"judged as an image, from its own files only: {'; '.join(sources)}",
    )
    # Forwarding is read from the image's sysctl files, as the boot reads them.
    at_boot = sorted(
        what
        for section in facts.values()
        if isinstance(section, dict)
        for fact, what in (section.get("at_boot") or {}).items()
        if fact != "ip_forward"
    )
    if at_boot:
        report.add(
            "image.at_boot",
            "ok",
            "decided when the image boots, so not checked here: " + "; ".join(at_boot),
        )


def _data_root_without_remap(info):
    """The daemon's data-root as configured: with userns-remap, dockerd works
    in ``<data-root>/<uid>.<gid>`` of the remapped root and reports that."""
    root_dir = info.get("DockerRootDir")
    remapped = any("name=userns" in option for option in info.get("SecurityOptions") or [])
    parent, name = os.path.split(root_dir or "")
    if remapped and re.fullmatch(r"\d+\.\d+", name):
        return parent
    return root_dir


def _check_daemon(report, facts, url):
    """Ask the daemon; return its engine version, or None."""
    try:
        import docker  # noqa: PLC0415  (docker-py is needed only here)
    except ImportError:
        report.add("daemon", "warn", "docker-py is not installed", "pip install docker")
        return None
    try:
        client = docker.DockerClient(base_url=url, timeout=5)
        try:
            info = client.info()
            version = client.version().get("Version")
        finally:
            client.close()
    except Exception as err:  # pylint: disable=broad-except
        report.add(
            "daemon",
            "warn",
            f"the daemon does not answer at {url}: {type(err).__name__}: {err}",
            "systemctl start docker",
        )
        return None
    report.add("daemon", "ok", f"Docker Engine {version} answers at {url}")
    storage = facts.get("storage", {})
    running, configured = info.get("Driver"), storage.get("configured_driver")
    if configured and running != configured:
        report.add(
            "daemon.storage_driver",
            "fail",
            f"configured storage driver {configured}, running {running}",
            "systemctl restart docker",
        )
    else:
        report.add("daemon.storage_driver", "ok", f"running storage driver {running}")
    root_dir = _data_root_without_remap(info)
    if storage.get("data_root") and root_dir and root_dir != storage["data_root"]:
        report.add(
            "daemon.data_root",
            "fail",
            f"configured data-root {storage['data_root']}, running {root_dir}",
            "systemctl restart docker",
        )
    cgroup = facts.get("cgroup", {}).get("version")
    running_cgroup = info.get("CgroupDriver")
    wanted = _configured_cgroup_driver(facts.get("root"))
    if wanted and wanted != running_cgroup:
        report.add(
            "daemon.cgroup_driver",
            "fail",
            f"configured cgroup driver {wanted} (exec-opts native.cgroupdriver), running "
            f"{running_cgroup}",
            "systemctl restart docker",
        )
    else:
        report.add(
            "daemon.cgroup_driver",
            "ok",
            f"cgroup driver {running_cgroup}, cgroup {info.get('CgroupVersion') or cgroup}",
        )
    return version


def _configured_cgroup_driver(root):
    """native.cgroupdriver from exec-opts in DOCKER_OPTS or daemon.json, or None."""
    try:
        options = __salt__["docker_daemon.options"](root=__salt__["sysconfig.image_root"](root))
    except (CommandExecutionError, SaltInvocationError):
        return None
    exec_opts = options["effective"].get("exec-opts") or []
    for option in exec_opts if isinstance(exec_opts, list) else [exec_opts]:
        name, _, value = str(option).partition("=")
        if name.strip() == "native.cgroupdriver":
            return value.strip()
    return None


def check(root=None, daemon=True, url=None):
    """
    Report whether this host is ready to run Docker, and how to fix what is not.

    Each item has ``id``, ``status`` (``ok``, ``warn`` or ``fail``), a one-line
    ``reason`` and a ``fix``. On the command line the report is printed for
    people; ``--out=json`` gives the data. ``salt-call`` exits non-zero when
    an item fails.

    root
        Judge the image under this root instead of this host, from the
        image's own files (its installed kernel, its fstab, its sysctl
        files); the report's ``image`` items say what it was judged from and
        what only the image's boot decides. The daemon is then not asked,
        unless ``url`` is given.

    daemon
        Ask the running daemon (through docker-py) which storage and cgroup
        driver it really uses, and its engine version. ``False`` skips it.

    url
        The daemon's address; default: ``DOCKER_HOST``, the minion option
        ``docker.url``, or ``unix:///run/docker.sock``.

    CLI Example:

    .. code-block:: bash

        salt-call docker_host.check
        salt '*' docker_host.check daemon=False --out=json
        salt-call docker_host.check root=/srv/kiwi/image-root
    """
    facts = __salt__["docker_host_facts.collect"](root=root, kernel_options=True)
    # The minion option docker_host.root points the grain, and so the check,
    # at another root: read that root's files everywhere.
    root = __salt__["sysconfig.image_root"](facts.get("root"))
    report, daemon_report = _Report(), _Report()
    engine_version = None
    if daemon and (root is None or url):
        # Asked first, for the engine version the storage verdict needs;
        # reported last.
        engine_version = _check_daemon(
            daemon_report, facts, __salt__["docker_daemon.daemon_url"](url)
        )
    if _image(facts):
        engine = __salt__["docker_daemon.installed_engine"](root)
        engine_version = engine_version or engine["version"]
        _check_image_sources(report, facts, engine)
    else:
        _check_not_inside_kiwi(report)
    _check_kernel(report, facts)
    _check_storage(report, facts, engine_version)
    _check_daemon_files(report, root, engine_version)
    _check_network(report, facts, root)
    _check_docker(report, facts)
    report.items.extend(daemon_report.items)
    result = report.result()
    if result["result"] == "fail":
        __context__["retcode"] = 1
    return result
