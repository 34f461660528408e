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
    given). A package module that cannot look under a root, or fails, gives
    ``False``: the caller then plans as if nothing came with the package.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_package.installed docker
        salt '*' docker_package.installed docker root=/srv/image-root
    """
    options = {"root": root} if root else {}
    try:
        # zypper answers {} for a package that is not installed.
        return bool(__salt__["pkg.version"](name, **options))
    except (CommandExecutionError, TypeError, KeyError):
        return False
