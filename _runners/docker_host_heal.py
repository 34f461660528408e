"""
Heal a Docker host's drift: the runner a reactor calls for the
``docker_host`` beacon's drift events.

``repair`` applies, on the minion that drifted, only the formula's SLS that
repairs the concern (``docker_host.forwarding``, ``docker_host.daemon``,
``docker_host.permissions``, ``docker_host.service``, ``docker_host.users``),
and at most once per cooldown for each minion and concern: a setting that
flaps cannot make the master apply states in a loop, and a drift that lasts
past the cooldown is still repaired when it ends. The time of each
repair is kept in the master's cache (bank ``docker_host/repairs``), so the
cooldown holds across the reactor's worker threads and a master restart.

An event names the SLS it wants; only those five are applied, each on the
minion the event came from (the master knows which minion sent it), so that
a minion cannot make the master apply anything else.

:depends: Salt's cache and LocalClient, on the master.
"""

import threading
import time
import uuid

import salt.cache
import salt.client

__virtualname__ = "docker_host_heal"

REPAIRS = ("forwarding", "daemon", "permissions", "service", "users")
ATTEMPTS = 3  # repairs of one drift, a cooldown apart, while it comes back
BANK = "docker_host/repairs"
# The reactor runs runners in threads of one master process: one at a time
# decides whether a repair is due.
_TURN = threading.Lock()


def __virtual__():
    return __virtualname__


def _refused(minion, concern, why):
    return {"minion": minion, "concern": concern, "repaired": False, "comment": why}


def repair(minion, concern, sls, cooldown=None, formula="docker_host", repeat=False):
    """
    Apply ``sls`` (the repair of ``concern``) on ``minion``, asynchronously,
    at most once per ``cooldown`` seconds for this minion and concern
    (default: the master's option ``docker_host_heal_cooldown``, else 300).
    Within the cooldown of the last repair, the first event waits for its end
    and then applies (so that a drift that outlasts it is repaired); any
    other event meanwhile is refused. After the state, the minion's
    ``docker_host_drift.verdicts`` says whether the concern is as configured;
    when it changed back meanwhile, the SLS is applied again a cooldown later,
    up to three times. A state that fails is not tried again for the same
    drift (``repeat``: the beacon reports a drift that lasts): only a new
    drift event tries again. Return ``{"minion", "concern", "repaired", "comment"}``.

    CLI Example:

    .. code-block:: bash

        salt-run docker_host_heal.repair web1 forwarding docker_host.forwarding cooldown=60
    """
    if cooldown is None:
        cooldown = __opts__.get("docker_host_heal_cooldown", 300)
    if not isinstance(sls, str) or sls.rpartition(".")[0] != formula:
        return _refused(minion, concern, f"{sls!r} is not an SLS of the {formula} formula")
    if sls.rpartition(".")[2] not in REPAIRS:
        return _refused(minion, concern, f"{sls!r} repairs no concern ({', '.join(REPAIRS)})")
    if not isinstance(cooldown, (int, float)) or isinstance(cooldown, bool) or cooldown < 0:
        return _refused(minion, concern, f"cooldown must be seconds, not {cooldown!r}")
    cache = salt.cache.factory(__opts__)
    key = f"{minion}-{concern}"
    if repeat and (cache.fetch(BANK, key) or {}).get("failed"):
        # The beacon reports a drift that lasts; its repair failed: no loop.
        return _refused(
            minion,
            concern,
            f"{sls} failed on {minion} for this drift: not applied again until the drift changes",
        )
    client = salt.client.get_local_client(__opts__["conf_file"])
    timeout = __opts__.get("docker_host_heal_timeout", 300)
    for attempt in range(1, ATTEMPTS + 1):
        if not _turn(cache, key, cooldown, sls):
            return _refused(
                minion,
                concern,
                f"{sls} is due on {minion} already, at the end of the cooldown of {cooldown} s",
            )
        # queue: after a state run already going on the minion, not refused by it.
        applied = client.cmd(
            minion, "state.apply", [sls], timeout=timeout, kwarg={"queue": True}
        ).get(minion)
        failed = _failed(applied)
        if failed:
            # Not repairable by the formula now (a user deleted, say): one try,
            # no loop; the next drift event tries again.
            cache.store(BANK, key, {**(cache.fetch(BANK, key) or {}), "failed": True})
            return _refused(minion, concern, f"{sls} failed on {minion}: {failed}")
        left = _still_drifting(client, minion, concern, timeout)
        if not left:
            return {
                "minion": minion,
                "concern": concern,
                "repaired": True,
                "attempts": attempt,
                "comment": f"{sls} applied on {minion}; {concern} is as configured.",
            }
        # Changed again while the state ran (a setting that flaps): once more,
        # when the cooldown allows.
    return _refused(
        minion,
        concern,
        f"{concern} on {minion} still differs after {ATTEMPTS} repairs a cooldown apart: "
        f"{'; '.join(left)}",
    )


def _turn(cache, key, cooldown, sls):
    """Wait for this repair's turn, one apply per cooldown for the key: ``True``
    when it may apply now (its time is stored), ``False`` when another repair
    is already waiting for the end of the cooldown."""
    mine = uuid.uuid4().hex
    while True:
        with _TURN:
            last = cache.fetch(BANK, key) or {}
            wait = cooldown - (time.time() - last.get("at", 0))
            if wait <= 0:
                cache.store(BANK, key, {"at": time.time(), "sls": sls, "due": None})
                return True
            if last.get("due") not in (None, mine):
                return False
            cache.store(BANK, key, {**last, "due": mine})
        time.sleep(wait)


def _failed(applied):
    """What failed in a ``state.apply`` return (a list of messages when the minion
    could not run it), or ``""``."""
    if not isinstance(applied, dict):
        return f"{applied!r}"
    return "; ".join(
        f"{state.get('__id__', key)}: {state.get('comment', '')}"
        for key, state in applied.items()
        if isinstance(state, dict) and state.get("result") is not True
    )


def _still_drifting(client, minion, concern, timeout):
    """What the minion's docker_host_drift still finds for ``concern``."""
    verdicts = client.cmd(
        minion, "docker_host_drift.verdicts", [{"concerns": [concern]}], timeout=timeout
    ).get(minion)
    return verdicts.get(concern, []) if isinstance(verdicts, dict) else []
