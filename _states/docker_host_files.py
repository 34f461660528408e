"""
Owner and mode of the Docker host's files, as the CIS Docker Benchmark
(section 3) wants them: the mode is a maximum, never a value to reach.

Salt's ``file`` states set an exact mode, which would loosen a file an
administrator made stricter, and resolve owner names on the host, which gives
the wrong ids inside an image root whose ``/etc/passwd`` differs. This state
only removes permission bits and resolves names in the root it works on.

.. code-block:: yaml

    docker-host-daemon-json-permissions:
      docker_host_files.permissions:
        - name: /etc/docker/daemon.json
        - user: root
        - group: root
        - mode: "0644"
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host_files"


def __virtual__():
    return __virtualname__


def permissions(name, user="root", group="root", mode="0644", root=None):
    """
    ``name`` is owned by ``user``:``group`` and has no permission bit beyond
    ``mode``. A path that does not exist is left alone (the Docker socket
    exists only while the daemon runs); a symbolic link is left alone (its
    target is a path of its own).

    root
        Work on an image root: the path, and the user and group names, are
        those of the root; a link inside it never leads out of it.

    ``changes`` names owners as ``user:group``; with ``test=True``, a user or
    group that does not exist yet (another state creates it) is predicted by
    name.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        planned = __salt__["docker_host_files.plan_permissions"](
            name, user=user, group=group, mode=mode, root=root
        )
    except (CommandExecutionError, SaltInvocationError) as err:
        ret.update(result=False, comment=f"{err}. Nothing was changed.")
        return ret
    ret.update(changes=planned["changes"], comment=planned["comment"])
    if planned["changes"] and __opts__["test"]:
        ret["result"] = None
    elif planned["changes"]:
        ret.update(__salt__["docker_host_files.apply_permissions"](planned))
    return ret
