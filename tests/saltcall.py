"""Run the extension the way an administrator does: salt-call --local, in a process of its own."""

import json
import os
import subprocess
import sys

SALT_CALL = os.path.join(os.path.dirname(sys.executable), "salt-call")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The file_roots salt-call gets unless a test names its own: the formula's
# directory alone, copied once per test session by tests/conftest.py. The
# checkout itself would serve the same SLS files, but salt-call with a fresh
# cache lists every file of its file_roots first, and a checkout holds .venv:
# 2 of the 3 seconds of each call.
FORMULA_TREE = None


def formula_tree():
    """The file_roots that serves this checkout's formula (see FORMULA_TREE)."""
    if FORMULA_TREE is None:
        raise RuntimeError("tests/conftest.py's formula_tree fixture has not copied the formula")
    return FORMULA_TREE


def minion_config(base, file_roots=None, pillar=None, grains=None):
    """A minion configuration directory under ``base``, for this checkout's
    extension; return its path.

    ``pillar`` is the minion's whole pillar (a mapping, given to every SLS
    through a top file of its own); ``grains`` are static grains, which take
    the place of the ones Salt detects.
    """
    config = base / "salt-conf"
    config.mkdir(exist_ok=True)
    options = {
        "id": "test",
        "file_client": "local",
        "root_dir": str(base / "salt-root"),
        # This checkout's _modules, _states and _grains, whatever else the
        # virtualenv holds.
        "module_dirs": [REPO_ROOT],
    }
    if file_roots:
        options["file_roots"] = {"base": [str(file_roots)]}
    if pillar is not None:
        tree = base / "pillar"
        tree.mkdir(exist_ok=True)
        (tree / "top.sls").write_text("base:\n  '*':\n    - data\n")
        (tree / "data.sls").write_text(json.dumps(pillar))
        options["pillar_roots"] = {"base": [str(tree)]}
    if grains:
        options["grains"] = grains
    (config / "minion").write_text(json.dumps(options))
    return config


def state_apply(base, sls, pillar, grains=None, test=False, file_roots=None, env=None):
    """``salt-call --local state.apply sls`` with ``pillar``, from ``file_roots``
    (the formula's tree unless given), in ``env`` (this process's environment
    unless given); return (exit code, {state id: result}, stderr)."""
    config = minion_config(base, file_roots or formula_tree(), pillar=pillar, grains=grains)
    result = subprocess.run(
        [
            SALT_CALL,
            "--local",
            f"--config-dir={config}",
            "--out=json",
            "--log-level=warning",
            "state.apply",
            sls,
            f"test={test}",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    try:
        states = json.loads(result.stdout)["local"]
    except (ValueError, KeyError) as err:
        raise AssertionError(f"salt-call gave no result: {result.stdout}{result.stderr}") from err
    if not isinstance(states, dict):
        raise AssertionError(f"state.apply {sls} did not run: {states}")
    by_id = {key.split("_|-")[1]: state for key, state in states.items()}
    return result.returncode, by_id, result.stderr


def state_single(
    base, function, arguments, env=None, log_level="warning", file_roots=None, prefix=()
):
    """Run ``state.single function`` with ``arguments`` (as JSON on the command line);
    return the state's result, with salt-call's stderr under ``stderr``.

    ``prefix`` runs salt-call inside another command (a network namespace, say).
    """
    config = minion_config(base, file_roots)
    args = [f"{key}={json.dumps(value)}" for key, value in arguments.items()]
    result = subprocess.run(
        [
            *prefix,
            SALT_CALL,
            "--local",
            f"--config-dir={config}",
            "--out=json",
            f"--log-level={log_level}",
            "state.single",
            function,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    try:
        (state,) = json.loads(result.stdout)["local"].values()
    except (ValueError, KeyError, AttributeError) as err:
        raise AssertionError(
            f"salt-call gave no state result: {result.stdout}{result.stderr}"
        ) from err
    state["stderr"] = result.stderr
    return state


def call(base, function, *arguments):
    """``salt-call --local function arguments``; return (exit code, its return),
    or (exit code, what it printed) when it returned nothing."""
    config = minion_config(base)
    result = subprocess.run(
        [SALT_CALL, "--local", f"--config-dir={config}", "--out=json", function, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return result.returncode, json.loads(result.stdout)["local"]
    except (ValueError, KeyError):
        return result.returncode, result.stdout + result.stderr


def unconverged(states):
    """The states of a run, ``{state id: state}``, that failed or changed something:
    ``{}`` for a run that found everything as specified."""
    return {
        state_id: {"result": state["result"], "changes": state["changes"]}
        for state_id, state in states.items()
        if state["result"] is not True or state["changes"]
    }
