"""make mutate (tools/mutate.py and tests/mutation/plugin.py): which mutants run where
Salt loads the modules, how survivors are judged, and the sandbox the mutants run in."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO_ROOT

# make mutate itself: inside a mutation run the modules are already mutated.
pytestmark = pytest.mark.own_process


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("tools_mutate", REPO_ROOT / "tools" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutated(source, filename):
    """mutmut's mutated file for ``source``: every mutant behind a trampoline."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    cwd = os.getcwd()
    os.chdir(REPO_ROOT)  # mutmut reads its configuration from setup.cfg
    try:
        return mutate_file_contents(filename, source)
    finally:
        os.chdir(cwd)


def test_the_functions_that_run_dockerd_get_no_mutants():
    """A mutant of them (python_shell=True) once started a real daemon."""
    source = (REPO_ROOT / "_modules" / "docker_daemon.py").read_text()
    names = _mutated(source, "_modules/docker_daemon.py").mutant_names
    assert not [
        name for name in names if name.startswith(("x_engine_version__", "x_supported_keys__"))
    ]
    assert [name for name in names if name.startswith("x_unsupported_keys__mutmut_")]
    assert [name for name in names if name.startswith("x__plan_docker_opts__mutmut_")]


# A module as Salt's loader loads it: from its file, under a name of the loader's.
LOAD = textwrap.dedent(
    """
    import importlib.util, json, os, sys
    sys.path.insert(0, os.environ["REPO_ROOT"])
    if os.environ.get("PLUGIN"):
        import tests.mutation.plugin
    from mutmut.state import state
    spec = importlib.util.spec_from_file_location("salt.loaded.ext.module.tiny", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(json.dumps({
        "result": module.double(3),
        "module": module.double.__module__,
        "hits": sorted(state()._stats),
    }))
    """
)


@pytest.mark.parametrize(
    ("plugin", "mutant", "result", "hits"),
    [
        (True, "", 6, []),
        (True, "_modules.tiny.x_double__mutmut_1", "mutated", []),
        (True, "stats", 6, ["_modules.tiny.x_double"]),
        # Without the plugin the mutant never runs: mutmut would call it a survivor.
        (False, "_modules.tiny.x_double__mutmut_1", 6, []),
        (False, "stats", 6, ["salt.loaded.ext.module.tiny.x_double"]),
    ],
)
def test_the_plugin_runs_mutants_in_modules_the_loader_names(
    tmp_path, plugin, mutant, result, hits
):
    mutated = _mutated("def double(value):\n    return value * 2\n", "_modules/tiny.py")
    assert "x_double__mutmut_1" in mutated.mutant_names
    path = tmp_path / "_modules" / "tiny.py"
    path.parent.mkdir()
    path.write_text(mutated.code)
    env = {
        **os.environ,
        "REPO_ROOT": str(REPO_ROOT),
        "MUTANT_UNDER_TEST": mutant,
        "PLUGIN": "1" if plugin else "",
    }
    ran = subprocess.run(
        [sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, env=env, check=True
    )
    seen = json.loads(ran.stdout)
    if result == "mutated":
        assert seen["result"] != 6
    else:
        assert seen["result"] == result
    # The function Salt calls keeps the loader's module name: Salt packs and calls by it.
    assert seen["module"] == "salt.loaded.ext.module.tiny"
    assert seen["hits"] == hits


SURVIVORS = textwrap.dedent(
    """
    outside:
      - function: _modules/mod.py::live
        why: needs the running kernel
    equivalent:
      - function: _modules/mod.py::plan
        change: |
          - return a < b
          + return a <= b
        why: a and b are never equal here
    """
)
DIFFS = {
    "_modules.mod.x_plan__mutmut_1": "--- a\n+++ b\n-    return a < b\n+    return a <= b\n",
    "_modules.mod.x_plan__mutmut_2": "--- a\n+++ b\n-    return a < b\n+    return a > b\n",
}


def _judge(mutate, tmp_path, found):
    listing = tmp_path / "survivors.yaml"
    listing.write_text(SURVIVORS)
    outside, equivalent = mutate.load_listed(listing)
    return mutate.report(
        found, outside, equivalent, partial=False, diff_of=lambda mutant, source: DIFFS[mutant]
    )


def test_a_listed_equivalent_and_an_outside_function_do_not_count(mutate, tmp_path, capsys):
    found = {
        "_modules.mod.x_plan__mutmut_1": ("survived", "_modules/mod.py"),
        "_modules.mod.x_live__mutmut_1": ("survived", "_modules/mod.py"),
        "_modules.mod.x_live__mutmut_2": ("no tests", "_modules/mod.py"),
        **{f"_modules.mod.x_other__mutmut_{n}": ("killed", "_modules/mod.py") for n in range(8)},
        # Out of time, or killed while it looped: the tests noticed both.
        "_modules.mod.x_other__mutmut_8": ("segfault", "_modules/mod.py"),
        "_modules.mod.x_other__mutmut_9": ("timeout", "_modules/mod.py"),
    }
    assert _judge(mutate, tmp_path, found) is True
    printed = capsys.readouterr().out
    assert "kill rate 100.0% (10 of 10 mutants that count); 0 survivor(s)" in printed


def test_a_survivor_neither_killed_nor_listed_fails_the_run(mutate, tmp_path, capsys):
    found = {
        "_modules.mod.x_plan__mutmut_1": ("survived", "_modules/mod.py"),
        "_modules.mod.x_plan__mutmut_2": ("survived", "_modules/mod.py"),
        **{f"_modules.mod.x_other__mutmut_{n}": ("killed", "_modules/mod.py") for n in range(99)},
    }
    assert _judge(mutate, tmp_path, found) is False
    printed = capsys.readouterr().out
    assert "kill rate 99.0% (99 of 100 mutants that count); 1 survivor(s)" in printed
    # What survivors.yaml would need, printed for the one that is not listed.
    assert "  - function: _modules/mod.py::plan\n    change: |\n" in printed
    assert "      - return a < b\n      + return a > b\n    why: " in printed


def test_a_kill_rate_below_90_percent_fails_the_run(mutate, tmp_path, capsys):
    found = {
        **{f"_modules.mod.x_other__mutmut_{n}": ("killed", "_modules/mod.py") for n in range(8)},
        "_modules.mod.x_other__mutmut_8": ("survived", "_modules/mod.py"),
        "_modules.mod.x_other__mutmut_9": ("no tests", "_modules/mod.py"),
    }
    DIFFS.update(
        {f"_modules.mod.x_other__mutmut_{n}": f"-    x = {n}\n+    x = {n + 1}\n" for n in (8, 9)}
    )
    assert _judge(mutate, tmp_path, found) is False
    assert "kill rate 80.0% (8 of 10 mutants that count)" in capsys.readouterr().out


def test_a_run_cut_short_fails_and_says_so(mutate, tmp_path, capsys):
    found = {
        **{f"_modules.mod.x_other__mutmut_{n}": ("killed", "_modules/mod.py") for n in range(9)},
        "_modules.mod.x_other__mutmut_9": ("not checked", "_modules/mod.py"),
    }
    assert _judge(mutate, tmp_path, found) is False
    printed = capsys.readouterr().out
    # The mutant never tested is neither a survivor nor part of the rate.
    assert "kill rate 100.0% (9 of 9 mutants that count); 0 survivor(s)" in printed
    assert "1 mutant(s) not tested: the run was cut short" in printed


def test_an_entry_without_a_reason_is_refused(mutate, tmp_path):
    listing = tmp_path / "survivors.yaml"
    listing.write_text("outside:\n  - function: _modules/mod.py::live\n    why: ''\n")
    with pytest.raises(SystemExit, match="needs a reason"):
        mutate.load_listed(listing)


@pytest.mark.parametrize(
    ("mutant", "function"),
    [
        ("_modules.sysconfig.x__plan__mutmut_3", "_modules/sysconfig.py::_plan"),
        (
            "_modules.sysconfig.x\u01c1_Scanner\u01c1expand__mutmut_11",
            "_modules/sysconfig.py::_Scanner.expand",
        ),
    ],
)
def test_mutants_are_named_by_file_and_function(mutate, mutant, function):
    assert mutate.function_of(mutant) == function


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_what_runs_in_the_sandbox_never_reaches_this_machine(mutate, tmp_path):
    """A file in /etc, a network link, a process left running: all gone with the sandbox."""
    probe = "/etc/suse-docker-host-sandbox-probe"
    script = (
        f"touch {probe} && ip link add sdhprobe type bridge && ip link set sdhprobe up "
        "&& (setsid sleep 600 &) && test -e " + probe
    )
    command = mutate.sandboxed(["sh", "-c", script], tmp_path / "scratch")
    (tmp_path / "scratch").mkdir()
    assert subprocess.run(command, check=False).returncode == 0
    assert not os.path.exists(probe)
    assert not os.path.exists("/sys/class/net/sdhprobe")
    assert subprocess.run(["pgrep", "-f", "^sleep 600$"], check=False).returncode == 1


def test_a_kept_run_copies_the_tests_anew_and_keeps_the_verdicts(mutate, tmp_path):
    """A test file deleted or moved since the last run must not run from its old copy,
    and tests written since must be mapped to the functions they reach."""
    mutants = tmp_path / "mutants"
    (mutants / "_modules").mkdir(parents=True)
    (mutants / "_modules" / "sysconfig.py.meta").write_text("{}")
    (mutants / "tests" / "unit").mkdir(parents=True)
    (mutants / "tests" / "unit" / "test_moved_away.py").write_text("")
    (mutants / "mutmut-stats.json").write_text("{}")
    mutate.refresh_copies(mutants)
    assert sorted(p.relative_to(mutants).as_posix() for p in mutants.rglob("*")) == [
        "_modules",
        "_modules/sysconfig.py.meta",
    ]
    mutate.refresh_copies(tmp_path / "never-made")  # nothing to refresh: no error
