"""The checks a CI pipeline runs exit non-zero when they find problems:
``salt-call --retcode-passthrough`` on ``docker_host_pillar.problems`` and
``docker_host.check``, as an administrator runs them."""

import json
import subprocess

import pytest

from tests import hosttrees
from tests.saltcall import SALT_CALL, minion_config

pytestmark = pytest.mark.own_process


def _salt_call(config, *arguments):
    return subprocess.run(
        [SALT_CALL, "--local", f"--config-dir={config}", "--retcode-passthrough", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "pillar, code, printed",
    [
        (
            {"docker_host": {"data_root": "/srv/docker"}},
            1,
            "docker_host:data_root is not a key of docker_host: did you mean "
            "docker_host:daemon:data_root?",
        ),
        ({"docker_host": {"daemon": {"data_root": "/srv/docker"}}}, 0, None),
        ({}, 0, None),
    ],
)
def test_the_pillar_check_exits_1_on_problems_and_says_all_is_well_in_one_line(
    tmp_path, pillar, code, printed
):
    config = minion_config(tmp_path, pillar=pillar)
    result = _salt_call(config, "--out=json", "docker_host_pillar.problems")
    assert result.returncode == code, result.stderr
    answer = json.loads(result.stdout)["local"]
    if printed:
        assert answer == [printed]
    else:
        assert answer == "The docker_host pillar is valid: no problems found."
    plain = _salt_call(config, "docker_host_pillar.problems")
    if not printed:
        assert plain.stdout.strip().splitlines() == [
            "local:",
            "    The docker_host pillar is valid: no problems found.",
        ]


def test_the_readiness_check_exits_1_when_an_item_fails(tmp_path):
    """SLES 12 with SuSEfirewall2 and FW_ROUTE="": the check fails that item."""
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "host")
    config = minion_config(tmp_path)
    options = json.loads((config / "minion").read_text())
    (config / "minion").write_text(json.dumps({**options, "docker_host.root": str(tree.root)}))
    result = _salt_call(config, "docker_host.check", "daemon=False")
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'FAIL  SuSEfirewall2 is enabled with FW_ROUTE=""' in result.stdout
