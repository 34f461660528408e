"""
Hand the extension's loader directories to Salt.

Salt calls :func:`get_loader_dirs` through the ``salt.loader`` entry point
(see ``setup.cfg``), so a ``pip install`` makes the execution, state, grain,
output, beacon and runner modules available to ``salt-call`` and ``salt-minion`` with no sync step.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _kind_dir(kind: str) -> list[str]:
    # Installed: the files sit inside the package (suse_docker_host/modules).
    # Editable install or source tree: they are the repository's _modules.
    for candidate in (_PACKAGE / kind, _PACKAGE.parent / f"_{kind}"):
        if candidate.is_dir():
            return [str(candidate)]
    return []


def get_loader_dirs() -> dict[str, list[str]]:
    """Return the loader directories, keyed by Salt's loader type."""
    return {
        kind: _kind_dir(kind)
        for kind in ("modules", "states", "grains", "output", "beacons", "runners")
    }
