"""Run a state the way an administrator does: salt-call --local, in a process of its own."""

import json
import os
import subprocess
import sys

SALT_CALL = os.path.join(os.path.dirname(sys.executable), "salt-call")


def minion_config(base, file_roots=None):
    """A minion configuration directory under ``base``; return its path."""
    config = base / "salt-conf"
    config.mkdir(exist_ok=True)
    text = f"id: test\nfile_client: local\nroot_dir: {base / 'salt-root'}\n"
    if file_roots:
        text += f"file_roots:\n  base:\n    - {file_roots}\n"
    (config / "minion").write_text(text)
    return config


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
