"""
The Docker daemon's proxy: where dockerd reads it, from where SUSE keeps it.

SUSE keeps a host's proxy in ``/etc/sysconfig/proxy`` (``PROXY_ENABLED``,
``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY``), which the login shells read
and dockerd never does. dockerd reads its proxy from its environment, and
Engine 23 and later also from daemon.json's ``proxies``. This module turns
the ``proxy`` setting (``system``: SUSE's file; a mapping of URLs; ``none``)
into what the target engine reads:

- Engine 23 and later: daemon.json's ``proxies`` (``docker info`` shows it);
  the daemon's plan writes it, and this module removes its drop-in.
- older engines, or an engine whose release cannot be known: a systemd
  drop-in, ``/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf``,
  with ``Environment=HTTP_PROXY=...``; every engine reads its environment.

A proxy URL's password never appears in a plan or a return: it is shown as
``****``.

:depends: the ``sysconfig`` module of this extension (to read SUSE's file).
:configuration: none; every function takes ``root`` for an alternative root.

Why it is written by hand: Salt's ``file`` states could write the drop-in,
but what goes in it, and whether it goes there or to daemon.json, depends
on the engine and on SUSE's file: that is this module's rule.
"""

import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_proxy"

SYSCONFIG_PROXY = "/etc/sysconfig/proxy"
DROP_IN = "/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf"
# The proxy's names: in pillar, in daemon.json's proxies, in the environment.
NAMES = (
    ("http_proxy", "http-proxy", "HTTP_PROXY"),
    ("https_proxy", "https-proxy", "HTTPS_PROXY"),
    ("no_proxy", "no-proxy", "NO_PROXY"),
)
# What a value may hold in a drop-in's Environment= (quoted): no quote,
# backslash, whitespace or control character, so that systemd reads it as written.
_UNSAFE = re.compile(r'["\\\s\x00-\x1f\x7f%$]')


def __virtual__():
    return __virtualname__


def check(proxy):
    """
    Return what is wrong with the ``proxy`` setting (``system``, ``none``, or
    ``{http_proxy, https_proxy, no_proxy}``), one message per problem.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_proxy.check '{"http_proxy": "proxy.example.com:3128"}'
    """
    if proxy in ("system", "none"):
        return []
    if not isinstance(proxy, dict):
        return [
            "proxy must be system, none or a mapping of http_proxy, https_proxy, no_proxy, "
            f"not {_shown(proxy)!r}"
        ]
    problems = []
    names = [pillar for pillar, _, _ in NAMES]
    for key, value in proxy.items():
        if key not in names:
            problems.append(f"proxy:{key} is not a proxy setting: use {', '.join(names)}")
        elif not isinstance(value, str):
            problems.append(f"proxy:{key} must be a string, not {value!r}")
    if not problems:
        problems.extend(_value_problems(_as_settings(proxy), "proxy"))
    if not problems and not proxy:
        problems.append("proxy is an empty mapping: give http_proxy or https_proxy, or none")
    return problems


def _as_settings(proxy):
    return {flag: proxy[pillar] for pillar, flag, _ in NAMES if proxy.get(pillar)}


def _value_problems(settings, where):
    """What is wrong with the proxy's values; ``where`` names each: the pillar
    key's (``proxy:http_proxy``) or SUSE's file's (``HTTP_PROXY in ...``)."""
    problems = []
    for pillar, flag, variable in NAMES:
        value = settings.get(flag)
        if value is None:
            continue
        name = f"proxy:{pillar}" if where == "proxy" else f"{variable} in {where}"
        wrong = __salt__["docker_daemon_values.proxy_url_problem"](flag, value)
        if wrong:
            problems.append(f"{name}: {_shown(wrong)}")
        elif _UNSAFE.search(value):
            problems.append(
                f"{name}: {_shown(value)!r} holds a quote, backslash, space, % or $, which a "
                "systemd drop-in would not keep as written"
            )
    return problems


def _shown(text):
    """``text`` with the password of any URL in it as ****."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1****@", str(text))


def settings(proxy, root=None):
    """
    Return the daemon's proxy for the ``proxy`` setting as daemon.json names
    it (``{"http-proxy": ..., "https-proxy": ..., "no-proxy": ...}``; ``{}``
    for none). ``system`` reads SUSE's ``/etc/sysconfig/proxy`` as bash does:
    its proxy when ``PROXY_ENABLED="yes"``, none otherwise.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_proxy.settings system
        salt '*' docker_proxy.settings '{"https_proxy": "http://proxy.example.com:3128"}'
    """
    problems = check(proxy)
    if problems:
        raise SaltInvocationError("; ".join(problems))
    if proxy == "none":
        return {}
    if proxy != "system":
        return _as_settings(proxy)
    if not os.path.exists(__salt__["sysconfig.resolve"](SYSCONFIG_PROXY, root=root)):
        raise CommandExecutionError(
            f"proxy: system reads {SYSCONFIG_PROXY}, which does not exist: set the proxy with "
            "YaST (or give the URLs in docker_host:proxy)"
        )

    def read(name, default=""):
        return __salt__["sysconfig.get"](SYSCONFIG_PROXY, name, default=default, root=root)

    if read("PROXY_ENABLED", "no") != "yes":
        return {}
    found = {flag: read(variable) for _, flag, variable in NAMES}
    found = {flag: value for flag, value in found.items() if value}
    problems = _value_problems(found, SYSCONFIG_PROXY)
    if problems:
        raise CommandExecutionError("; ".join(problems) + ": fix it with YaST")
    return found


def _drop_in_text(found):
    lines = " ".join(f'"{variable}={found[flag]}"' for _, flag, variable in NAMES if flag in found)
    return (
        "# The Docker daemon's proxy, written by the docker_host formula\n"
        "# (docker_host:proxy). Changes here are undone at its next run.\n"
        f"[Service]\nEnvironment={lines}\n"
    )


def _drop_in_settings(text):
    """The proxy a drop-in this module wrote gives, as daemon.json names it."""
    found = {}
    for line in (text or "").splitlines():
        if line.startswith("Environment="):
            for assignment in re.findall(r'"([^"]*)"', line):
                variable, _, value = assignment.partition("=")
                for _, flag, name in NAMES:
                    if name == variable:
                        found[flag] = value
    return found


def plan(proxy, in_daemon_json, root=None):
    """
    Return where the daemon's proxy goes and what changes: ``{"proxies":
    mapping for daemon.json's proxies, or None (none there), "changes":
    {DROP_IN: {"old", "new"}} or {}, "drop_in": text or None}``.
    ``in_daemon_json``: whether the target engine reads daemon.json's
    proxies (Engine 23 and later); otherwise the drop-in holds it.
    Passwords are shown as ****. Nothing is written.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_proxy.plan system False
    """
    found = settings(proxy, root=root)
    path = __salt__["sysconfig.resolve"](DROP_IN, root=root)
    current_text = __salt__["docker_host_files.read_text"](path)
    wanted_text = _drop_in_text(found) if found and not in_daemon_json else None
    changes = {}
    if current_text != wanted_text:
        changes[DROP_IN] = {
            "old": _described(_drop_in_settings(current_text))
            if current_text is not None
            else None,
            "new": _described(found) if wanted_text is not None else None,
        }
    return {
        "root": root,
        "proxies": found if in_daemon_json and found else None,
        "changes": changes,
        "drop_in": wanted_text,
    }


def _described(found):
    return {variable: _shown(found[flag]) for _, flag, variable in NAMES if flag in found}


def apply(planned):
    """
    Write or remove the drop-in of a plan from ``plan`` (atomically,
    ``root:root 0644``). Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_proxy.plan system False | jq -c .local)
        salt-call docker_proxy.apply "$plan"
    """
    root, changes = planned["root"], planned["changes"]
    if not changes:
        return {"result": True, "changes": {}, "comment": "The proxy's drop-in is as specified."}
    path = __salt__["sysconfig.resolve"](DROP_IN, root=root)
    # Recorded, so that docker_host.clean can take the drop-in back.
    with __salt__["docker_host_record.recording"]("daemon", {DROP_IN: []}, root=root):
        if planned["drop_in"] is None:
            __salt__["docker_host_files.remove"](path, root=root)
        else:
            __salt__["docker_host_files.write_atomic"](
                path, planned["drop_in"], mode=0o644, root=root
            )
    if __salt__["docker_host_files.read_text"](path) != planned["drop_in"]:
        return {"result": False, "changes": changes, "comment": f"{DROP_IN} reads back otherwise"}
    if (
        __salt__["sysconfig.image_root"](root) is None
        and os.path.isdir("/run/systemd/system")
        and "service.systemctl_reload" in __salt__
    ):
        # systemd reads a drop-in only when it reloads its units: the service's
        # restart then starts dockerd with the new environment. (Salt's own
        # restart reloads only when it notices the change, once per job.)
        __salt__["service.systemctl_reload"]()
    return {"result": True, "changes": changes, "comment": f"{DROP_IN} changed."}
