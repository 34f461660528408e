"""Unit tests import the loader modules as plain Python files: no Salt loader, no daemons."""

import importlib.util

import pytest

from tests.conftest import REPO_ROOT


def _load(relative):
    path = REPO_ROOT / relative
    spec = importlib.util.spec_from_file_location(f"unit_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sysconfig_mod():
    module = _load("_modules/sysconfig.py")
    # Its writes go through the extension's one writer.
    module.__salt__ = {"docker_host_files.replace": _load("_modules/docker_host_files.py").replace}
    return module
