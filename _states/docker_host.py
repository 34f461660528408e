"""
Declare a SUSE Docker host.

``docker_host.daemon_configured``: the Docker daemon's configuration, in
``/etc/sysconfig/docker`` (``DOCKER_OPTS``) and ``/etc/docker/daemon.json``,
correct by construction: nothing is written that dockerd would refuse, and a
directive is never left in both files.

.. code-block:: yaml

    docker-daemon-configured:
      docker_host.daemon_configured:
        - storage_driver: auto
        - data_root: /var/lib/docker
        - options:
            log-level: warn
        - daemon_json:
            live-restore: true
            log-opts:
              max-size: 10m

    docker-service:
      service.running:
        - name: docker
        - enable: true
        - watch:
          - docker_host: docker-daemon-configured
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host"


def __virtual__():
    if "docker_daemon.options" not in __salt__:
        return (False, "the docker_daemon execution module is not available")
    return __virtualname__


_FAILURES = (CommandExecutionError, SaltInvocationError, OSError)


def _plan_and_apply(name, plan, apply):
    """The state's return for one concern: ``plan()`` says what would change
    (``test=True`` returns just that), ``apply(planned)`` makes the change and
    reads it back. A refusal, from either, changes nothing."""
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        planned = plan()
        ret.update(changes=planned["changes"], comment=planned["comment"])
        if planned.get("pending"):  # known only after a state before this one ran
            ret["result"] = None if __opts__["test"] else False
        elif planned["changes"] and __opts__["test"]:
            ret["result"] = None
        elif planned["changes"]:
            ret.update(apply(planned))
    except _FAILURES as err:
        ret.update(result=False, changes={}, comment=f"{err}. Nothing was changed.")
    return ret


def daemon_configured(
    name,
    storage_driver=None,
    data_root=None,
    options=None,
    daemon_json=None,
    exclusive=False,
    root=None,
    socket_group=None,
    package=None,
    tls=None,
    insecure_tcp_api=False,
    proxy=None,
):
    """
    Configure the Docker daemon through DOCKER_OPTS and daemon.json.

    name
        A label for the state; not used otherwise.

    storage_driver
        ``btrfs``, ``overlay2``, ``devicemapper``, ``zfs`` or ``vfs``, or
        ``auto`` for what the ``docker_host`` grain recommends for the
        data-root's filesystem. A driver the host or engine cannot run is
        refused, with the reason.

    data_root
        The absolute path of Docker's data-root.

    options
        dockerd flags for DOCKER_OPTS, by name (``log-level``, ``-H``,
        ``hosts``): ``{name: value}``, lists for repeatable flags, booleans
        for switches. A value with whitespace, quotes or backslashes is
        refused: systemd would split it; put it in ``daemon_json``.

    daemon_json
        Keys for ``/etc/docker/daemon.json``.

    exclusive
        Own the whole configuration: options and keys not listed are removed
        from both files. By default, what the administrator set by hand stays.

    root
        Configure this alternative root directory (an image root) instead of
        ``/``.

    socket_group
        The group of the daemon's socket (its ``group`` option), when this
        state owns it: another group than ``docker`` is set, and a hand-set
        one is put back to ``docker``. ``None`` leaves it to ``options``.

    package
        The package that creates both files, installed before this state (the
        formula names ``docker``). With test=True before its install, the
        files' changes cannot be known: the state says so, with no changes.

    tls
        TLS for a remote API: ``{ca, cert, key}``, each PEM text (written to
        ``/etc/docker/tls``, root-owned, the key 0600) or the absolute path of
        a file on the minion. dockerd gets ``tlsverify`` and the three files;
        ``changes`` name the files by fingerprint, never by content.

    insecure_tcp_api
        Accept a ``tcp://`` host without TLS client verification, which is
        otherwise refused (anyone who reaches the port is root on the host).

    proxy
        The daemon's proxy: ``system`` (SUSE's ``/etc/sysconfig/proxy``, when
        ``PROXY_ENABLED="yes"``), ``{http_proxy, https_proxy, no_proxy}``, or
        ``none``. Written where the engine reads it: daemon.json's ``proxies``
        from Engine 23, else the drop-in
        ``/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf``.

    ``storage_driver`` and ``data_root`` go to DOCKER_OPTS, where SUSE keeps
    them, unless daemon.json already holds them. A directive this state
    writes to one file is removed from the other, since dockerd refuses to
    start with a directive in both.
    """
    return _plan_and_apply(
        name,
        lambda: __salt__["docker_daemon.plan"](
            storage_driver=storage_driver,
            data_root=data_root,
            options=options,
            daemon_json=daemon_json,
            exclusive=exclusive,
            root=root,
            socket_group=socket_group,
            package=package,
            tls=tls,
            insecure_tcp_api=insecure_tcp_api,
            proxy=proxy,
        ),
        lambda planned: __salt__["docker_daemon.apply"](planned, tls=tls),
    )


# --------------------------------------------------------------------------
# Forwarding
# --------------------------------------------------------------------------


def forwarding(
    name,
    ipv4=True,
    ipv6=None,
    firewall="auto",
    masquerade=None,
    root=None,
    release_firewall=None,
):
    """
    Make the host forward packets for containers, now and after a reboot, and
    keep its firewall from switching that off.

    name
        A label for the state; not used otherwise.

    ipv4
        Forward IPv4; ``False`` switches it off (disabling is symmetric).

    ipv6
        Forward IPv6 when ``True``, switch it off when ``False``; left as it
        is when not given.

    firewall
        ``auto`` (what the ``docker_host`` grain sees), ``SuSEfirewall2``,
        ``firewalld`` or ``none`` (no firewall is touched). A firewall named
        here that is not installed fails the state.

    masquerade
        SuSEfirewall2's ``FW_MASQUERADE``, only when given.

    root
        Configure this alternative root directory (an image root): only files
        under it change, and the running kernel is left alone.

    release_firewall
        The firewall the release ships, ``SuSEfirewall2`` or ``firewalld``
        (the formula takes it from its OS map). An image root being built has
        its firewall installed but not yet enabled: there ``auto`` configures
        this one when it is installed.

    The layers, each in ``changes`` under its name: ``runtime`` (the running
    kernel, through Salt's ``sysctl``), ``persistent`` (a file of its own in
    ``/etc/sysctl.d``), ``legacy`` (old SLES' ``IP_FORWARD`` in
    ``/etc/sysconfig/sysctl``, which would undo it at boot), ``firewall``
    (``FW_ROUTE`` when SuSEfirewall2 is the firewall; with firewalld,
    masquerading in its default zone, runtime and permanent, through Salt's
    ``firewalld`` module).
    """
    return _plan_and_apply(
        name,
        lambda: __salt__["docker_forwarding.plan"](
            ipv4=ipv4,
            ipv6=ipv6,
            firewall=firewall,
            masquerade=masquerade,
            root=root,
            release_firewall=release_firewall,
        ),
        __salt__["docker_forwarding.apply"],
    )


# --------------------------------------------------------------------------
# Who may use Docker
# --------------------------------------------------------------------------


def users(
    name="docker", users=None, exclusive=False, gid=None, root=None, socket=True, package=None
):
    """
    Declare who may use Docker: the members of the group that owns its socket.

    name
        The group: ``docker`` by default. Another name also becomes the
        socket's group, through the daemon's ``group`` option.

    users
        The users to be members. Every one must exist; otherwise the state
        fails naming all the missing ones, and nothing changes.

    exclusive
        Remove every other member.

    gid
        The group's id when it has to be created (a system group otherwise).

    root
        Work on an image root: its ``/etc/group`` and ``/etc/gshadow``, never
        the host's.

    socket
        Make a group other than ``docker`` the socket's group. ``False`` when
        ``daemon_configured`` sets the daemon's ``group`` option itself (the
        formula does), so that the two states never both change it.

    package
        The package that creates the group when it is installed, before this
        state (the formula names ``docker``, whose SUSE package does): while
        it is not installed, a missing group is left to it.

    Membership is root-equivalent; the comment always says so, names who
    gained it, and which of them still run processes without the group (they
    get it when they log in again).
    """
    return _plan_and_apply(
        name,
        lambda: __salt__["docker_group.plan"](
            name,
            users=users,
            exclusive=exclusive,
            gid=gid,
            root=root,
            socket=socket,
            package=package,
        ),
        __salt__["docker_group.apply"],
    )


# --------------------------------------------------------------------------
# Taking it back down
# --------------------------------------------------------------------------

# Each concern's clean is planned and carried out by the module that owns it.
_CLEAN = {
    "daemon": ("docker_daemon.clean_plan", "docker_daemon.clean_apply"),
    "users": ("docker_group.clean_plan", "docker_group.clean_apply"),
    "forwarding": ("docker_forwarding.clean_plan", "docker_forwarding.clean_apply"),
    "package": ("docker_package.clean_plan", "docker_package.clean_apply"),
}


def cleaned(name, concern, root=None, group="docker", package="docker"):
    """
    Take back what this extension changed for one concern, as its record
    (``docker_host_record``) holds it, and only while each item still holds
    what was written: an item changed by hand since is left as it is and
    named, and the state fails so that it is seen.

    name
        A label for the state; not used otherwise.

    concern
        ``daemon`` (DOCKER_OPTS, daemon.json, TLS files, the proxy's drop-in),
        ``users`` (the members added or removed, a group created),
        ``forwarding`` (its sysctl.d file, ``IP_FORWARD``, ``FW_ROUTE``,
        ``FW_MASQUERADE``) or ``package`` (the zypper lock).

    root
        Clean this alternative root directory (an image root) instead of ``/``.

    group, package
        The docker group's and package's names, for ``users`` and ``package``.
    """
    if concern not in _CLEAN:
        return {
            "name": name,
            "result": False,
            "changes": {},
            "comment": f"concern must be one of {', '.join(_CLEAN)}, not {concern!r}. "
            "Nothing was changed.",
        }
    plan_function, apply_function = _CLEAN[concern]
    arguments = {"users": {"group": group}, "package": {"name": package}}.get(concern, {})
    left = []

    def plan():
        planned = __salt__[plan_function](root=root, **arguments)
        left.extend(planned.get("left", []))
        return planned

    ret = _plan_and_apply(name, plan, __salt__[apply_function])
    if left and ret["result"] is not False:
        ret["result"] = False
        ret["comment"] = (
            f"{ret['comment']} Left as they are, changed by hand since suse-docker-host "
            f"wrote them: {'; '.join(left)}. Put each back as it was written to have it "
            "cleaned, or keep it as it is and forget it (salt-call "
            "docker_host_record.forget <path>)."
        ).strip()
    return ret


# --------------------------------------------------------------------------
# Base images
# --------------------------------------------------------------------------


def image_loaded(name, source, url=None):
    """
    The image in a docker-archive tarball (as KIWI builds them: plain, .gz or
    .xz) is on this host, tagged ``name``.

    source
        A local path, or a ``salt://`` URL (fetched with ``cp.cache_file``).

    url
        The daemon's address; default: ``DOCKER_HOST``, the minion option
        ``docker.url``, or the default socket.

    Idempotent by image ID: when ``name`` already points at the archive's
    image, nothing is loaded; when it points at another one, the tag moves,
    and ``changes`` shows the old and new IDs.
    """
    return _plan_and_apply(
        name,
        lambda: __salt__["docker_images.plan_load"](name, source, url=url, saltenv=__env__),
        __salt__["docker_images.apply_load"],
    )


def image_present(name, force=False, auth=None, url=None, timeout=60):
    """
    The image ``name`` is on this host: pulled through docker-py when missing,
    or, with ``force``, whenever the registry serves another manifest than the
    one the local image came from (the tag follows the registry).

    auth
        Registry credentials, ``{"username": ..., "password": ...}``, e.g.
        from pillar; they never appear in a return, a log or an error.

    timeout
        Seconds before an unreachable registry fails the state.

    ``changes`` names the manifest digests, old and new; ``test=True`` asks the
    registry for the digest (nothing is pulled), so it predicts exactly that.
    """
    return _plan_and_apply(
        name,
        lambda: __salt__["docker_images.plan_pull"](
            name, force=force, auth=auth, url=url, timeout=timeout
        ),
        lambda planned: __salt__["docker_images.apply_pull"](planned, auth=auth),
    )
