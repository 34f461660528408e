"""
Declare the values of variables in SUSE ``/etc/sysconfig`` files.

The work is done by the ``sysconfig`` execution module: only the listed
variables' assignments change, values are checked against the file's
``## Type:`` metadata and quoted so that bash, systemd and YaST read them
back the same.

.. code-block:: yaml

    docker-sysconfig:
      sysconfig.present:
        - name: docker
        - values:
            DOCKER_OPTS: --log-level=warn

    susefirewall2-routing:
      sysconfig.present:
        - name: SuSEfirewall2
        - values:
            FW_ROUTE: true
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "sysconfig"


def __virtual__():
    if "sysconfig.update" not in __salt__:
        return (False, "the sysconfig execution module is not available")
    return __virtualname__


def _restart_hint(name, keys, root):
    """Name the services the file's metadata says to restart for ``keys``."""
    try:
        described = __salt__["sysconfig.describe"](name, root=root)
    except (CommandExecutionError, SaltInvocationError):
        return ""
    services = []
    for key in keys:
        for service in (described.get(key) or {}).get("ServiceRestart") or []:
            if service not in services:
                services.append(service)
    if not services:
        return ""
    return f" The file's metadata asks for a restart of: {', '.join(services)}."


def present(name, values, root=None):
    """
    Make the listed variables of a sysconfig file hold these values.

    name
        The file: an absolute path, or a path relative to ``/etc/sysconfig``
        (``docker``, ``SuSEfirewall2``, ``network/config``).

    values
        A mapping of variable name to value. ``True``/``False`` become
        ``yes``/``no`` (``true``/``false`` for ``boolean`` variables). A
        variable the file does not set yet is appended with a short metadata
        block.

    root
        Apply to this alternative root directory (an image root being built)
        instead of ``/``.

    Every value is checked before anything is written; all bad values are
    named at once, and then nothing changes.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if not isinstance(values, dict) or not values:
        ret["result"] = False
        ret["comment"] = (
            "values must be a non-empty mapping of VARIABLE: value, got "
            f"{type(values).__name__} {values!r}"
        )
        return ret

    try:
        planned = __salt__["sysconfig.update"](name, values, root=root, test=True)
    except (CommandExecutionError, SaltInvocationError) as err:
        ret["result"] = False
        ret["comment"] = str(err)
        return ret

    path = planned["file"]
    if not planned["changes"]:
        ret["comment"] = f"{', '.join(values)} in {path} already as specified."
        return ret

    def describe_changes(changes, appended, verb):
        text = f"{', '.join(changes)} {verb} in {path}."
        if appended:
            text += (
                f" {', '.join(appended)} {'was' if len(appended) == 1 else 'were'} "
                "not in the file and "
                f"{'is' if verb.startswith('would') else 'was'} appended "
                "with a metadata block."
            )
        return text

    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = planned["changes"]
        ret["comment"] = describe_changes(planned["changes"], planned["appended"], "would change")
        return ret

    try:
        done = __salt__["sysconfig.update"](name, values, root=root)
        now = __salt__["sysconfig.items"](name, root=root)
    except (CommandExecutionError, SaltInvocationError) as err:
        ret["result"] = False
        ret["comment"] = str(err)
        return ret

    ret["changes"] = done["changes"]
    unconverged = [key for key, text in done["values"].items() if now.get(key) != text]
    if unconverged:
        ret["result"] = False
        ret["comment"] = (
            f"{path} was written, but reading it back shows other values for "
            f"{', '.join(unconverged)}; another program may have changed it."
        )
        return ret
    ret["comment"] = describe_changes(done["changes"], done["appended"], "changed")
    ret["comment"] += _restart_hint(name, done["changes"], root)
    return ret
