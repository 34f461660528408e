"""The pip way: a real, non-editable install into a virtualenv that already holds Salt
3006.0 (the release of SUSE's Salt Bundle) or 3006.29, the way an administrator adds
the extension beside the Salt they run. Salt must stay the version it was, and the
extension must work there with no sync step."""

import json
import shutil
import subprocess
import venv

import pytest

from tests.conftest import REPO_ROOT

# Salt and its dependencies, as pip resolved them (docker-py left out: the install
# must add it). Locks, so that the Salt that is there is always the same. 3006.0
# has no usable dependency metadata (see the README): its lock lists them.
SALT_LOCKS = REPO_ROOT / "tests" / "pip-install"
PIP = ["-m", "pip", "--quiet", "--disable-pip-version-check"]


def _version(python, package):
    return subprocess.run(
        [python, "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module", params=["3006.0", "3006.29"])
def salt_release(request):
    return request.param


@pytest.fixture(scope="module")
def installed(tmp_path_factory, repository_clone, salt_release):
    """A virtualenv with the Salt release, then ``pip install`` of a clone of the
    repository."""
    base = tmp_path_factory.mktemp("pip-install")
    source = base / "source"
    shutil.copytree(repository_clone, source)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    lock = SALT_LOCKS / f"salt-{salt_release}.txt"
    subprocess.run([python, *PIP, "install", "--no-deps", "-r", lock], check=True)
    assert _version(python, "salt") == salt_release
    no_docker_py = subprocess.run([python, "-c", "import docker"], capture_output=True, check=False)
    assert no_docker_py.returncode != 0
    subprocess.run([python, *PIP, "install", str(source)], check=True)
    return env_dir


def test_salt_stays_the_version_it_was_and_docker_py_is_added(installed, salt_release):
    python = installed / "bin" / "python"
    assert _version(python, "salt") == salt_release
    major, minor = _version(python, "docker").split(".")[:2]
    assert (int(major), int(minor)) >= (7, 1)
    check = subprocess.run([python, *PIP, "check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout


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


def _salt_call(installed, tmp_path, *args):
    config_dir = tmp_path / "conf"
    if not config_dir.exists():
        config_dir.mkdir()
        (config_dir / "minion").write_text(
            f"root_dir: {tmp_path / 'salt-root'}\nfile_client: local\nid: pip-way\n"
        )
    return subprocess.run(
        [installed / "bin" / "salt-call", "--local", f"--config-dir={config_dir}", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def test_the_check_report_prints_for_people_and_sets_the_exit_code(installed, tmp_path):
    from tests import hosttrees

    failing = hosttrees.sles12_with_susefirewall2(tmp_path / "sles12")
    result = _salt_call(installed, tmp_path, "docker_host.check", f"root={failing.root}")
    assert result.returncode == 1, result.stderr
    assert "    network\n" in result.stdout
    assert 'FAIL  SuSEfirewall2 is enabled with FW_ROUTE=""' in result.stdout
    assert "fix: salt-call sysconfig.set SuSEfirewall2 FW_ROUTE yes" in result.stdout

    passing = hosttrees.sles15_with_firewalld(tmp_path / "sles15")
    result = _salt_call(
        installed, tmp_path, "--out=json", "docker_host.check", f"root={passing.root}"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["local"]
    assert report["result"] == "warn"
    assert {item["status"] for item in report["items"]} <= {"ok", "warn"}


def test_the_grain_comes_with_the_package(installed, tmp_path):
    result = _salt_call(installed, tmp_path, "--out=json", "grains.item", "docker_host")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["local"]["docker_host"]
    assert facts["kernel"]["release"]
    assert facts["storage"]["recommended"] in ("btrfs", "zfs", "overlay2", "vfs")
