"""
Whether a package is installed, on this host or in an image root: asked of
Salt's ``pkg.version`` (rpm on SUSE), for the plans that leave to the docker
package what it creates at install (the docker group, /etc/sysconfig/docker,
/etc/docker/daemon.json).

CLI Example:

.. code-block:: bash

    salt '*' docker_package.installed docker
"""

from salt.exceptions import CommandExecutionError

__virtualname__ = "docker_package"


def __virtual__():
    return __virtualname__


def installed(name, root=None):
    """
    ``True`` when the package ``name`` is installed (under ``root``, when
    given: on SUSE, where zypper looks into it). Where the answer cannot come
    from the root, or the package module fails, ``False``: the caller then
    plans as if nothing came with the package.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_package.installed docker
        salt '*' docker_package.installed docker root=/srv/image-root
    """
    options = {}
    if root:
        # zypper (rpm --root) looks into the root; other package modules
        # answer for this host whatever root they are given.
        if __grains__.get("os_family") != "Suse":
            return False
        options["root"] = root
    try:
        # zypper answers {} for a package that is not installed.
        return bool(__salt__["pkg.version"](name, **options))
    except (CommandExecutionError, TypeError, KeyError):
        return False
