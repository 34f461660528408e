"""The suite tests the checkout it runs from, whatever else the virtualenv holds."""

import importlib.metadata
import importlib.util
import shutil

import pytest

from tests.conftest import REPO_ROOT


def test_no_installed_copy_of_the_extension_is_in_reach():
    """An installed copy (or an editable install's egg-info in the checkout, which
    salt-factories puts on its daemons' sys.path) would hand Salt its modules
    through the salt.loader entry point, and a sync that failed would go unseen."""
    # Every distribution's entry points, one by one: entry_points(group=...) sorts
    # the distributions by a private attribute that, once Salt 3006.0 is
    # imported, one of them lacks (AttributeError: _normalized_name).
    found = [
        f"{dist.metadata['Name']} ({entry.value})"
        for dist in importlib.metadata.distributions()
        for entry in dist.entry_points
        if entry.group == "salt.loader" and entry.value.startswith("suse_docker_host")
    ]
    assert found == [], "remove it: pip uninstall suse-docker-host; rm -r *.egg-info"


def test_the_loader_takes_this_checkouts_modules(loaders):
    found = {
        kind: loader.file_mapping[name][0]
        for kind, loader, name in (
            ("modules", loaders.modules, "sysconfig"),
            ("states", loaders.states, "docker_host"),
        )
    }
    assert found == {
        "modules": str(REPO_ROOT / "_modules" / "sysconfig.py"),
        "states": str(REPO_ROOT / "_states" / "docker_host.py"),
    }


@pytest.mark.own_process
def test_salt_call_runs_the_code_of_the_checkout_it_is_started_from(tmp_path):
    """A second checkout beside this one, with one function of its own: each
    checkout's salt-call helper reaches its own code, in the same virtualenv."""
    other = tmp_path / "other-checkout"
    no_cache = shutil.ignore_patterns("__pycache__")
    for part in ("_modules", "_states", "_grains", "_output", "tests"):
        shutil.copytree(REPO_ROOT / part, other / part, ignore=no_cache)
    with open(other / "_modules" / "docker_host_pillar.py", "a", encoding="utf-8") as handle:
        handle.write('\n\ndef checkout():\n    """Where this module was loaded from."""\n')
        handle.write("    return __file__\n")
    spec = importlib.util.spec_from_file_location("other_saltcall", other / "tests" / "saltcall.py")
    other_saltcall = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other_saltcall)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code, where = other_saltcall.call(tmp_path / "a", "docker_host_pillar.checkout")
    assert (code, where) == (0, str(other / "_modules" / "docker_host_pillar.py"))

    from tests import saltcall

    code, answer = saltcall.call(tmp_path / "b", "docker_host_pillar.checkout")
    assert code != 0
    assert "'docker_host_pillar.checkout' is not available" in answer
