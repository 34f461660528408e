"""
The Docker service enabled inside an image root (a KIWI build root), where it
cannot be started: ``systemctl --root`` makes the links its ``[Install]``
section asks for, without a running systemd.

Salt's ``service`` states work on the running system only; on a live host the
formula uses ``service.running``.

.. code-block:: yaml

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
