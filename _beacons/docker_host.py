"""
The ``docker_host`` beacon: drift of a Docker host from what the docker_host
formula configured, as an event when a concern's verdict changes (and again
after ``repeat`` seconds while a drift lasts), never at every interval.

- ``salt/beacon/<minion>/docker_host/drift/<concern>``: something differs.
  The event's data: ``concern``, ``differs`` (each difference in words) and
  ``sls``, the formula's SLS that repairs it (``docker_host.forwarding``,
  ``docker_host.daemon``, ``docker_host.permissions`` for the socket,
  ``docker_host.service``, ``docker_host.users``), for a reactor to apply.
- ``salt/beacon/<minion>/docker_host/converged/<concern>``: right again.

What is compared, and how cheaply, is ``docker_host_drift``'s (this beacon
only asks it): files, ``/proc`` and ``/sys``, never a program.

Configuration, in pillar (Salt reads beacons from pillar) or the minion's
configuration; everything but ``interval`` is optional, and what is wanted
comes from the minion's pillar ``docker_host:`` unless given here:

.. code-block:: yaml

    beacons:
      docker_host:
        - interval: 10
        - concerns: [forwarding, daemon, socket, service, users]
"""

__virtualname__ = "docker_host"


def __virtual__():
    if "docker_host_drift.changes" not in __salt__:
        return (False, "the docker_host_drift execution module is not available")
    return __virtualname__


def validate(config):
    """Salt checks the configuration with this before the beacon runs."""
    found = __salt__["docker_host_drift.problems"](config)
    if found:
        return False, "; ".join(found)
    return True, "valid docker_host beacon configuration"


def beacon(config):
    """The events of the concerns whose verdict changed since the last interval."""
    return __salt__["docker_host_drift.changes"](config)
