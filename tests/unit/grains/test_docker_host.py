"""The docker_host grain: docker_host_facts loaded from its file, at a minion's start."""

import shutil

import pytest

from tests import hosttrees
from tests.conftest import REPO_ROOT
from tests.unit.conftest import _load


def test_the_grain_reports_the_facts_of_the_root_the_minion_option_names(tmp_path):
    tree = hosttrees.sles15_with_firewalld(tmp_path / "root")
    grain = _load("_grains/docker_host.py")
    grain.__opts__ = {"docker_host.root": str(tree.root)}
    reported = grain.docker_host()["docker_host"]
    facts = _load("_modules/docker_host_facts.py")._collect(str(tree.root))
    assert reported == facts
    assert reported["root"] == str(tree.root)
    assert reported["kernel"]["release"] == "6.4.0-150600.21-default"


def test_without_docker_host_facts_beside_it_the_grain_says_so_and_never_raises(tmp_path):
    """A grain copied alone (a partial sync): the minion still starts."""
    (tmp_path / "grains").mkdir()
    shutil.copy(REPO_ROOT / "_grains/docker_host.py", tmp_path / "grains")
    import importlib.util

    spec = importlib.util.spec_from_file_location("lone", tmp_path / "grains/docker_host.py")
    grain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grain)
    reported = grain.docker_host(root=str(tmp_path))["docker_host"]
    assert "docker_host_facts.py is not beside" in reported["error"]


# Run in a fresh interpreter: the audit hook sees every program the grain
# would start, through any of Python's ways to start one, from loading the
# module (and the extension's modules it loads) to its answer.
_NO_PROGRAMS = """
import importlib.util, json, subprocess, sys

FORBIDDEN = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
             "os.fork", "os.forkpty")
seen = []
sys.addaudithook(lambda event, args: seen.append(event) if event in FORBIDDEN else None)
spec = importlib.util.spec_from_file_location("docker_host_grain", sys.argv[1])
grain = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grain)
grain.__opts__ = {"docker_host.root": sys.argv[2]}  # the running system, seen at the tree
facts = grain.docker_host(kernel_options=True)["docker_host"]
while_collecting = list(seen)
# The witness itself: it must see a program started.
subprocess.run([sys.executable, "-c", "pass"], check=True)
storage = facts["storage"]
print(json.dumps({"while_collecting": while_collecting, "afterwards": seen[len(while_collecting):],
                  "release": facts["kernel"]["release"], "required": facts["kernel"]["required"],
                  "data_root": [storage["data_root"], storage["data_root_source"]]}))
"""


@pytest.mark.own_process
@pytest.mark.parametrize(
    "make, release",
    [
        (hosttrees.sles12_with_susefirewall2, "4.4.21-69-default"),
        (hosttrees.sles15_with_firewalld, "6.4.0-150600.21-default"),
    ],
    ids=["sles12", "sles15"],
)
def test_the_grain_runs_no_programs_on_a_synthetic_tree(tmp_path, make, release):
    """Witness: a Python audit hook (subprocess.Popen, os.system, os.exec*,
    os.posix_spawn, os.spawn*, os.fork, os.forkpty) installed in a fresh
    interpreter before the grain module is loaded; the grain collects cold
    (nothing cached), with every kernel option, and DOCKER_OPTS read through
    the extension's sysconfig module."""
    import json
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    tree = make(tmp_path / "root")
    tree.docker_opts("--data-root=/srv/docker -s overlay2")
    script = tmp_path / "no_programs.py"
    script.write_text(_NO_PROGRAMS)
    run = subprocess.run(
        [sys.executable, str(script), str(REPO_ROOT / "_grains/docker_host.py"), str(tree.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(run.stdout)
    assert seen["while_collecting"] == []
    assert "subprocess.Popen" in seen["afterwards"]
    # It did collect, from the tree: the kernel config and DOCKER_OPTS were read.
    assert seen["release"] == release
    assert seen["required"]["VETH"] == "m"
    assert seen["data_root"] == ["/srv/docker", "DOCKER_OPTS"]
