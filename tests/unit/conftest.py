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
    # Its writes go through the extension's one writer, which asks it what a root is.
    files = _load("_modules/docker_host_files.py")
    module.__salt__ = {"docker_host_files.replace": files.replace}
    files.__salt__ = {"sysconfig.image_root": module.image_root}
    return module


def load_daemon():
    """docker_daemon with the rules it asks docker_daemon_values for."""
    module = _load("_modules/docker_daemon.py")
    module.__salt__ = values_salt()
    return module


def values_salt():
    """docker_daemon_values' functions, as docker_daemon calls them."""
    values = _load("_modules/docker_daemon_values.py")
    return {
        "docker_daemon_values.problem": values.problem,
        "docker_daemon_values.log_opts_problem": values.log_opts_problem,
        "docker_daemon_values.log_drivers_with_fixed_options": (
            values.log_drivers_with_fixed_options
        ),
        "docker_daemon_values.proxy_url_problem": values.proxy_url_problem,
    }


def load_schema():
    """docker_host_pillar, loaded anew (the schema is built when the module loads,
    and make mutate must see every test that depends on how it is built), with
    the other modules' rules it calls: what a name may be, and how the daemon
    spells a tag."""
    module = _load("_modules/docker_host_pillar.py")
    daemon = load_daemon()
    proxy = _load("_modules/docker_proxy.py")
    proxy.__salt__ = values_salt()
    module.__salt__ = {
        "docker_group.invalid_names": _load("_modules/docker_group.py").invalid_names,
        "docker_images.normalize": _load("_modules/docker_images.py").normalize,
        "docker_daemon.check_settings": daemon.check_settings,
        "docker_daemon.normalize_key": daemon.normalize_key,
        "docker_tls.check": _load("_modules/docker_tls.py").check,
        "docker_proxy.check": proxy.check,
    }
    return module
