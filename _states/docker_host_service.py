"""
The Docker service: running and enabled on a live host, or enabled inside an
image root (a KIWI build root), where it cannot be started.

``running`` and its ``mod_watch`` leave the work to Salt's ``service.running``
and ``service.mod_watch``; what they add is a prediction that tells the truth.
With test=True Salt's service states say in their comment that the service
would be started, enabled or restarted, but report no changes, while the real
run reports ``{name: True}``: these report with test=True exactly the changes
that the real run then reports.

``enabled_in_root`` uses ``systemctl --root``, which makes the links the
unit's ``[Install]`` section asks for without a running systemd: Salt's
``service`` states work on the running system only.

``dead`` and ``disabled_in_root`` are their opposites, for
``docker_host.clean``: stopped and not started at boot. ``dead`` reads and
changes the service through Salt's ``service`` module; its changes, with
test=True and in the real run alike, are ``running`` and ``enabled``, each
``{"old", "new"}``.

.. code-block:: yaml

    docker-host-service-running:
      docker_host_service.running:
        - name: docker
        - enable: true
        - watch:
          - docker_host: docker-host-daemon-configured

    docker-host-service-enabled-in-root:
      docker_host_service.enabled_in_root:
        - name: docker
        - root: /var/tmp/kiwi/build/image-root
"""

import os
import shutil

__virtualname__ = "docker_host_service"


def __virtual__():
    if not shutil.which("systemctl"):
        return (False, "systemctl is not installed")
    return __virtualname__


def _systemctl(root, *args):
    return __salt__["cmd.run_all"](
        ["systemctl", f"--root={root}", *args], python_shell=False, ignore_retcode=True
    )


def running(name, enable=True):
    """
    The service ``name`` runs and, with ``enable``, starts at boot: Salt's
    ``service.running``. With test=True, a service that would be started or
    enabled reports ``{name: True}`` in ``changes``, as the real run does.
    """
    ret = __states__["service.running"](name, enable=enable)
    if __opts__["test"] and ret["result"] is None:
        ret["changes"] = {name: True}
    return ret


def mod_watch(name, sfun=None, **kwargs):
    """
    A watched state changed: Salt's ``service.mod_watch`` restarts the service
    (or starts it, if it is not running). With test=True the restart to come
    reports ``{name: True}`` in ``changes``, as the real restart does.
    """
    kwargs = {key: value for key, value in kwargs.items() if not key.startswith("__")}
    ret = __states__["service.mod_watch"](name, sfun=sfun, **kwargs)
    if __opts__["test"] and ret["result"] is None:
        ret["changes"] = {name: True}
    return ret


def enabled_in_root(name, root):
    """
    The unit ``name`` (``docker`` means ``docker.service``) is enabled in the
    image root ``root``. Nothing on the running system changes.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    unit = name if "." in name else f"{name}.service"
    if (
        not isinstance(root, str)
        or not os.path.isabs(root)
        or __salt__["sysconfig.image_root"](root) is None
    ):
        ret.update(
            result=False, comment=f"root must be an image root's absolute path, not {root!r}"
        )
        return ret
    state = _systemctl(root, "is-enabled", unit)
    current = state["stdout"].strip()
    if current in ("enabled", "static", "alias", "indirect", "generated"):
        ret["comment"] = f"{unit} is {current} in {root}."
        return ret
    if current not in ("disabled", "masked") and state["retcode"] != 0:
        ret.update(
            result=False,
            comment=f"{unit} is not installed in {root} ({state['stderr'].strip() or current}): "
            "install the Docker package into the root first",
        )
        return ret
    if current == "masked":
        ret.update(
            result=False,
            comment=f"{unit} is masked in {root}: unmask it (systemctl --root={root} unmask "
            f"{unit}) if it is meant to run. Nothing was changed.",
        )
        return ret
    change = {"enabled": {"old": False, "new": True}}
    if __opts__["test"]:
        ret.update(result=None, changes=change, comment=f"{unit} would be enabled in {root}.")
        return ret
    done = _systemctl(root, "enable", unit)
    if done["retcode"] != 0:
        ret.update(
            result=False, comment=f"cannot enable {unit} in {root}: {done['stderr'].strip()}"
        )
        return ret
    ret.update(
        changes=change, comment=f"{unit} was enabled in {root}; it starts when the image boots."
    )
    return ret


def dead(name):
    """
    The service ``name`` is stopped and does not start at boot (Salt's
    ``service.stop`` and ``service.disable``), read back afterwards. A service
    that is not installed is left alone.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if not __salt__["service.available"](name):
        ret["comment"] = f"The service {name} is not installed: nothing to stop."
        return ret
    now = {
        "running": bool(__salt__["service.status"](name)),
        "enabled": bool(__salt__["service.enabled"](name)),
    }
    changes = {what: {"old": True, "new": False} for what, value in now.items() if value}
    if not changes:
        ret["comment"] = f"The service {name} is stopped and disabled, as specified."
        return ret
    said = " and ".join({"running": "stopped", "enabled": "disabled"}[what] for what in changes)
    if __opts__["test"]:
        ret.update(result=None, changes=changes, comment=f"The service {name} would be {said}.")
        return ret
    if now["running"]:
        __salt__["service.stop"](name)
    if now["enabled"]:
        __salt__["service.disable"](name)
    after = {
        "running": bool(__salt__["service.status"](name)),
        "enabled": bool(__salt__["service.enabled"](name)),
    }
    still = [what for what, value in after.items() if value]
    if still:
        ret.update(
            result=False,
            changes={what: change for what, change in changes.items() if what not in still},
            comment=f"The service {name} is still {' and '.join(still)} after the change",
        )
        return ret
    ret.update(changes=changes, comment=f"The service {name} was {said}.")
    return ret


def disabled_in_root(name, root):
    """
    The unit ``name`` is not enabled in the image root ``root`` (``systemctl
    --root disable``). A unit that is not installed there is left alone.
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    unit = name if "." in name else f"{name}.service"
    if (
        not isinstance(root, str)
        or not os.path.isabs(root)
        or __salt__["sysconfig.image_root"](root) is None
    ):
        ret.update(
            result=False, comment=f"root must be an image root's absolute path, not {root!r}"
        )
        return ret
    current = _systemctl(root, "is-enabled", unit)["stdout"].strip()
    if current != "enabled":
        ret["comment"] = f"{unit} is {current or 'not installed'} in {root}: nothing to disable."
        return ret
    change = {"enabled": {"old": True, "new": False}}
    if __opts__["test"]:
        ret.update(result=None, changes=change, comment=f"{unit} would be disabled in {root}.")
        return ret
    done = _systemctl(root, "disable", unit)
    if done["retcode"] != 0:
        ret.update(
            result=False, comment=f"cannot disable {unit} in {root}: {done['stderr'].strip()}"
        )
        return ret
    ret.update(changes=change, comment=f"{unit} was disabled in {root}.")
    return ret
