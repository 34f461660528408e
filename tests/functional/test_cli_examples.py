"""Every public function of this extension's execution modules, as Salt's loader
exposes it (``salt '*' sys.doc``), has a ``CLI Example:``: an administrator learns
a function from ``sys.doc``, and a function without one is an internal that
should not be public (but for a context manager that other modules use through
``__salt__``, which says so)."""

import pathlib

from tests.conftest import REPO_ROOT

OURS = sorted(path.stem for path in (REPO_ROOT / "_modules").glob("*.py"))


def _virtual_names():
    """module file → the name Salt loads it under (its __virtualname__)."""
    names = {}
    for stem in OURS:
        text = pathlib.Path(REPO_ROOT / "_modules" / f"{stem}.py").read_text()
        for line in text.splitlines():
            if line.startswith("__virtualname__ = "):
                names[stem] = line.split("=", 1)[1].strip().strip("\"'")
        names.setdefault(stem, stem)
    return names


def test_every_public_function_has_a_cli_example(modules):
    documented = modules.sys.doc()
    ours = set(_virtual_names().values())
    # make mutate runs this test on modules mutmut rewrote, which hold its own
    # helpers (x_<function>__mutmut_<n>) beside every function: not ours.
    functions = sorted(
        name for name in documented if name.split(".", 1)[0] in ours and "__mutmut_" not in name
    )
    assert {name.split(".", 1)[0] for name in functions} == ours  # every module loaded
    # A context manager (docker_host_files.locked) serves other modules through
    # __salt__ only: its docstring says so instead.
    missing = [
        name
        for name in functions
        if "CLI Example:" not in (documented[name] or "")
        and "A context manager for other modules" not in (documented[name] or "")
    ]
    assert missing == []
    assert len(functions) > 40  # the loader saw the modules, not an empty list
