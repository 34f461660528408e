"""
Heal a Docker host's drift: the runner a reactor calls for the
``docker_host`` beacon's drift events.

``repair`` applies, on the minion that drifted, only the formula's SLS that
repairs the concern (``docker_host.forwarding``, ``docker_host.daemon``,
``docker_host.permissions``, ``docker_host.service``, ``docker_host.users``),
and at most once per cooldown for each minion and concern: a setting that
flaps cannot make the master apply states in a loop. The time of each
repair is kept in the master's cache (bank ``docker_host/repairs``), so the
cooldown holds across the reactor's worker threads and a master restart.

An event names the SLS it wants; only those five are applied, each on the
minion the event came from (the master knows which minion sent it), so that
a minion cannot make the master apply anything else.

:depends: Salt's cache and LocalClient, on the master.
"""

import time

import salt.cache
import salt.client

__virtualname__ = "docker_host_heal"

REPAIRS = ("forwarding", "daemon", "permissions", "service", "users")
BANK = "docker_host/repairs"


def __virtual__():
    return __virtualname__


def _refused(minion, concern, why):
    return {"minion": minion, "concern": concern, "repaired": False, "comment": why}


def repair(minion, concern, sls, cooldown=300, formula="docker_host"):
    """
    Apply ``sls`` (the repair of ``concern``) on ``minion``, asynchronously,
    unless it was applied there for this concern less than ``cooldown``
    seconds ago. Return ``{"minion", "concern", "repaired", "comment"}``, and
    ``jid`` when it was applied.

    CLI Example:

    .. code-block:: bash

        salt-run docker_host_heal.repair web1 forwarding docker_host.forwarding cooldown=60
    """
    if not isinstance(sls, str) or sls.rpartition(".")[0] != formula:
        return _refused(minion, concern, f"{sls!r} is not an SLS of the {formula} formula")
    if sls.rpartition(".")[2] not in REPAIRS:
        return _refused(minion, concern, f"{sls!r} repairs no concern ({', '.join(REPAIRS)})")
    if not isinstance(cooldown, (int, float)) or isinstance(cooldown, bool) or cooldown < 0:
        return _refused(minion, concern, f"cooldown must be seconds, not {cooldown!r}")
    cache = salt.cache.factory(__opts__)
    key = f"{minion}-{concern}"
    last = cache.fetch(BANK, key) or {}
    now = time.time()
    since = now - last.get("at", 0)
    if since < cooldown:
        return _refused(
            minion,
            concern,
            f"{sls} was applied on {minion} {since:.0f} s ago: not again within the "
            f"cooldown of {cooldown} s",
        )
    cache.store(BANK, key, {"at": now, "sls": sls})
    client = salt.client.get_local_client(__opts__["conf_file"])
    jid = client.cmd_async(minion, "state.apply", [sls])
    return {
        "minion": minion,
        "concern": concern,
        "repaired": True,
        "jid": jid,
        "comment": f"{sls} applied on {minion} (job {jid}).",
    }
