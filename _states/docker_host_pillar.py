"""
Check the ``docker_host:`` pillar before the docker_host formula applies anything.

The formula's first state: when the pillar is wrong it fails, and the
formula's other SLS files render nothing (``docker_host_map.data``), so
nothing of the Docker host is applied while other formulas still run.

.. code-block:: yaml

    docker-host-pillar-valid:
      docker_host_pillar.valid:
        - name: docker_host
"""

__virtualname__ = "docker_host_pillar"


def __virtual__():
    if "docker_host_pillar.problems_in" not in __salt__:
        return (False, "the docker_host_pillar execution module is not loaded")
    return __virtualname__


def valid(name="docker_host", data=None, also=None):
    """
    The pillar ``name`` (or ``data``) is a valid ``docker_host:`` pillar.

    Fails, in ``test=True`` too, with one line per problem: an unknown key and
    the closest valid one, or a key, the type it must have and the value it
    has.

    also
        Problems the formula found in a valid pillar that cannot be applied
        on this minion (a package to install into an image root without
        zypper, say); reported the same way.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if data is None:
        data = __pillar__.get(name, {})
    found = __salt__["docker_host_pillar.problems_in"](data) + list(also or [])
    if found:
        ret["result"] = False
        ret["comment"] = (
            f"The {name} pillar is not valid; nothing was applied. Fix the pillar:\n- "
            + "\n- ".join(found)
        )
    else:
        ret["comment"] = f"The {name} pillar is valid."
    return ret
