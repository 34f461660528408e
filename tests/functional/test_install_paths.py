"""The README's way for one host with ``salt-call --local`` and a clone, no pip: the
formula from ``--file-root``, the modules synced from it. Without the sync step the
formula fails at its first state, saying how to load the modules, and applies nothing;
after ``saltutil.sync_all`` with the same ``--file-root`` it renders in full.
Each call is a real salt-call of its own, with a minion configuration that does not
point Salt at this checkout's module directories."""

import json
import subprocess

import pytest

from tests.saltcall import REPO_ROOT, SALT_CALL

pytestmark = pytest.mark.own_process

NOT_LOADED = (
    "the suse-docker-host modules are not loaded on this minion: sync them "
    "(salt '<minion>' saltutil.sync_all; with salt-call --local, saltutil.sync_all "
    "with the same --file-root) or pip install the package into Salt's Python"
)


@pytest.fixture
def salt_call(tmp_path):
    config = tmp_path / "conf"
    config.mkdir()
    (config / "minion").write_text(
        json.dumps({"id": "one-host", "file_client": "local", "root_dir": str(tmp_path / "root")})
    )

    def run(*arguments):
        result = subprocess.run(
            [
                SALT_CALL,
                "--local",
                f"--config-dir={config}",
                f"--file-root={REPO_ROOT}",
                f"--pillar-root={REPO_ROOT}/pillar-example",
                "--out=json",
                "--log-level=quiet",
                *arguments,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode, json.loads(result.stdout)["local"]

    return run


def test_without_the_sync_step_the_formula_says_so_and_applies_nothing(salt_call):
    code, states = salt_call("state.apply", "docker_host", "test=True")
    assert code != 0
    assert list(states) == [
        f"test_|-docker-host-pillar-valid_|-{NOT_LOADED}_|-fail_without_changes"
    ]
    (only,) = states.values()
    assert only["result"] is False and only["changes"] == {}


def test_after_sync_all_from_the_same_file_root_the_formula_renders(salt_call):
    code, synced = salt_call("saltutil.sync_all")
    assert code == 0
    assert "modules.docker_host_map" in synced["modules"]
    assert "states.docker_host" in synced["states"]
    assert "grains.docker_host" in synced["grains"]
    code, rendered = salt_call("state.show_sls", "docker_host")
    assert code == 0
    assert "docker_host_pillar" in rendered["docker-host-pillar-valid"]
    assert any("docker_host" in state for state in rendered.values())
