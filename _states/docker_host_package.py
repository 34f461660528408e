"""
The docker package installed: Salt's ``pkg.installed`` does the work (zypper
on SUSE, into an image root with ``root``); what this adds is a prediction
that tells the truth.

With test=True Salt's ``pkg.installed`` reports each package it would install
as ``{"new": "installed", "old": ""}``, while the real run reports the version
it installed and the one it replaced (``{"new": "20.10.24-0", "old": ""}``).
This reports with test=True the version the package manager would install:
the newest one available, or, with ``version``, the available version that
the pin names; and the version installed now.

Packages the package manager pulls in as dependencies appear in the real run's
``changes`` only: Salt's package modules have no dry run of an install.

.. code-block:: yaml

    docker-host-package-installed:
      docker_host_package.installed:
        - name: docker
        - version: 24.0.7_ce
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host_package"


def __virtual__():
    if "pkg.install" not in __salt__:
        return (False, "no package manager that Salt's pkg module supports")
    return __virtualname__


def _pinned(name, version, options):
    """The available version of ``name`` that ``version`` names: itself, or
    itself with a release (``20.10.24`` names ``20.10.24-0``); else ``version``."""
    available = __salt__["pkg.list_repo_pkgs"](name, byrepo=False, **options).get(name, [])
    named = [found for found in available if found == version or found.startswith(f"{version}-")]
    if not named:
        return version
    newest = named[0]
    for found in named[1:]:
        if __salt__["pkg.version_cmp"](found, newest) > 0:
            newest = found
    return newest


def installed(name, version=None, root=None):
    """
    The package ``name`` is installed, at ``version`` if given, under ``root``
    if given: Salt's ``pkg.installed``. With test=True its ``changes`` name the
    version that would be installed, as the real run's do.
    """
    options = {"root": root} if root else {}
    ret = __states__["pkg.installed"](name, version=version, **options)
    if not __opts__["test"] or ret["result"] is not None:
        return ret
    for package, change in ret["changes"].items():
        if not isinstance(change, dict) or change.get("new") != "installed":
            continue
        if version and package == name and str(version)[0] not in "<>=~!":
            candidate = _pinned(name, str(version), options)
        else:
            candidate = __salt__["pkg.latest_version"](package, **options)
        if candidate:
            change["new"] = candidate
        # pkg.version answers {} on zypper for a package that is not installed.
        change["old"] = __salt__["pkg.version"](package, **options) or ""
    return ret


def held(name, version=None, hold=True, root=None):
    """
    The package ``name`` is held by a zypper lock (``hold`` true: at
    ``version`` when given, else at every version), or not held (``hold``
    false), under ``root`` if given, so that an unattended ``zypper up`` does
    not move it. ``docker_package.hold_plan`` says what changes; test=True
    returns exactly that.

    .. code-block:: yaml

        docker-host-package-held:
          docker_host_package.held:
            - name: docker
            - version: 24.0.7_ce
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        planned = __salt__["docker_package.hold_plan"](name, version=version, hold=hold, root=root)
        ret.update(changes=planned["changes"], comment=planned["comment"])
        if planned["changes"] and __opts__["test"]:
            ret["result"] = None
        elif planned["changes"]:
            ret.update(__salt__["docker_package.hold_apply"](planned))
    except (CommandExecutionError, SaltInvocationError) as err:
        ret.update(result=False, changes={}, comment=f"{err}. Nothing was changed.")
    return ret
