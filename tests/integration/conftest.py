"""Integration tests: a real salt-master and salt-minion, talking over the real transport."""

import shutil

import pytest

from tests.conftest import REPO_ROOT

# What a development tree holds besides the project's own files.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)


@pytest.fixture(scope="package")
def repository_clone(tmp_path_factory):
    """The repository's files as a fresh clone has them."""
    clone = tmp_path_factory.mktemp("clone") / "suse-docker-host"
    shutil.copytree(REPO_ROOT, clone, ignore=NOT_IN_A_CLONE)
    return clone


@pytest.fixture(scope="package")
def state_tree(tmp_path_factory):
    return tmp_path_factory.mktemp("state-tree")


@pytest.fixture(scope="package")
def master(salt_factories, repository_clone, state_tree):
    """A master with a clone of the repository on its file_roots, as the README says."""
    factory = salt_factories.salt_master_daemon(
        "sdh-master",
        overrides={"file_roots": {"base": [str(repository_clone), str(state_tree)]}},
    )
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def minion(master):
    factory = master.salt_minion_daemon("sdh-minion")
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def salt_cli(master):
    return master.salt_cli()


@pytest.fixture(scope="package")
def extmods(minion):
    return minion.config["extension_modules"]


@pytest.fixture
def sls(state_tree):
    """Write an SLS file into the master's state tree; remove it afterwards."""
    written = []

    def write(name, text):
        path = state_tree / f"{name}.sls"
        path.write_text(text)
        written.append(path)
        return name

    yield write
    for path in written:
        path.unlink()
