"""The pip way: a real, non-editable install into a fresh virtualenv, with no sync step."""

import json
import shutil
import subprocess
import venv

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory, repository_clone):
    """A fresh virtualenv with ``pip install .`` of a clone of the repository."""
    base = tmp_path_factory.mktemp("pip-install")
    source = base / "source"
    shutil.copytree(repository_clone, source)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True,
    )
    return env_dir


def test_the_package_carries_the_loader_directories(installed):
    python = installed / "bin" / "python"
    script = "import json, suse_docker_host.loader as l; print(json.dumps(l.get_loader_dirs()))"
    # Run outside the repository, so that the import cannot find its source tree.
    dirs = json.loads(
        subprocess.run(
            [python, "-c", script], capture_output=True, text=True, check=True, cwd=installed
        ).stdout
    )
    assert dirs["modules"] and dirs["states"]
    for kind in ("modules", "states"):
        (directory,) = dirs[kind]
        assert directory.startswith(str(installed)), "not the installed copy"
        assert (REPO_ROOT / f"_{kind}" / "sysconfig.py").read_bytes() == (
            (installed / directory / "sysconfig.py").read_bytes()
        )


def test_salt_call_finds_the_module_with_no_sync_step(installed, sandbox_root, tmp_path):
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "minion").write_text(
        f"root_dir: {tmp_path / 'salt-root'}\nfile_client: local\nid: pip-way\n"
        f"file_roots:\n  base:\n    - {tmp_path / 'empty-tree'}\n"
    )
    result = subprocess.run(
        [
            installed / "bin" / "salt-call",
            "--local",
            f"--config-dir={config_dir}",
            "--out=json",
            "sysconfig.items",
            "/etc/sysconfig/docker",
            f"root={sandbox_root}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"local": {"DOCKER_OPTS": ""}}
    # Nothing was synced: the module came from the installed package.
    extmods = tmp_path / "salt-root" / "var" / "cache" / "salt" / "minion" / "extmods"
    assert list(extmods.rglob("sysconfig.py")) == []
