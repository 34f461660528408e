"""
Grain ``docker_host``: what this host can do as a Docker host.

The facts are this extension's ``docker_host_facts`` execution module's
(``kernel``, ``cgroup``, ``namespaces``, ``security``, ``storage``,
``network``, ``docker``; see there). Grains get no ``__salt__``, so the
grain loads that module from its file: in a synced minion and in an
installed package it lies in ``modules`` beside this ``grains`` directory,
in the repository in ``_modules``.

:depends: nothing beyond Salt and the Python standard library.
:configuration: the minion option ``docker_host.root`` (default ``/``) reads
    every fact from another root directory: an image root, or synthetic
    ``/proc``, ``/sys`` and ``/etc`` trees in tests.

Like the facts themselves, the grain runs no programs and never raises: a
minion's start must not depend on it.
"""

import importlib.util
import logging
import os

log = logging.getLogger(__name__)

__virtualname__ = "docker_host"


def __virtual__():
    return __virtualname__


# docker_host_facts, loaded once per copy of this module: Salt makes a new
# copy at every grains refresh, which so reads the facts module anew.
_FACTS = []


def _facts_module():
    """``docker_host_facts``, loaded from its file, or None when it is not there."""
    if _FACTS:
        return _FACTS[0]
    here = os.path.dirname(os.path.abspath(__file__))
    for directory in ("modules", "_modules"):
        path = os.path.join(here, "..", directory, "docker_host_facts.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("_docker_host_grain_facts", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _FACTS.append(module)
            return module
    return None


def docker_host(root=None, data_root=None, kernel_options=False):
    """Return the ``docker_host`` grain.

    Salt calls it without arguments: the facts of ``/``, or of the root the
    minion option ``docker_host.root`` names. ``root``, ``data_root`` and
    ``kernel_options`` are ``docker_host_facts.collect``'s.
    """
    try:
        module = _facts_module()
    except Exception as err:  # pylint: disable=broad-except
        log.exception("docker_host grain")
        return {"docker_host": {"error": f"{type(err).__name__}: {err}"}}
    if module is None:
        return {
            "docker_host": {
                "error": "docker_host_facts.py is not beside this grain's directory: "
                "sync or install the whole extension",
            }
        }
    # The minion option docker_host.root is read where the facts are.
    module.__opts__ = globals().get("__opts__") or {}
    return {"docker_host": module.collect(root, data_root, kernel_options)}
