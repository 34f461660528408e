"""The formula way: the repository on a master's file_roots, synced to a real minion."""

import os
import subprocess
import sys
import textwrap

from tests.saltcall import unconverged


def test_sync_all_delivers_the_modules_and_they_work(salt_cli, minion, extmods, sandbox_root):
    ret = salt_cli.run("saltutil.sync_all", minion_tgt=minion.id)
    assert ret.returncode == 0, ret
    assert "modules.sysconfig" in ret.data["modules"]
    assert "states.sysconfig" in ret.data["states"]
    assert "modules.docker_host" in ret.data["modules"]
    assert "grains.docker_host" in ret.data["grains"]
    assert "output.docker_host_check" in ret.data["output"]
    for kind, name in (
        ("modules", "sysconfig"),
        ("states", "sysconfig"),
        ("grains", "docker_host"),
        ("output", "docker_host_check"),
    ):
        assert os.path.isfile(os.path.join(extmods, kind, f"{name}.py"))

    ret = salt_cli.run(
        "sysconfig.items", "/etc/sysconfig/docker", f"root={sandbox_root}", minion_tgt=minion.id
    )
    assert ret.returncode == 0, ret
    assert ret.data == {"DOCKER_OPTS": ""}

    ret = salt_cli.run(
        "sysconfig.describe",
        "SuSEfirewall2",
        "FW_ROUTE",
        f"root={sandbox_root}",
        minion_tgt=minion.id,
    )
    assert ret.data["Type"] == "yesno"


def test_state_from_the_master_predicts_applies_and_converges(
    salt_cli, minion, sandbox_root, sls, bash
):
    salt_cli.run("saltutil.sync_all", minion_tgt=minion.id)
    name = sls(
        "sysconfig_docker",
        textwrap.dedent(
            f"""
            docker-sysconfig-options:
              sysconfig.present:
                - name: docker
                - root: {sandbox_root}
                - values:
                    DOCKER_OPTS: --log-level=warn --storage-driver=overlay2

            susefirewall2-routes:
              sysconfig.present:
                - name: SuSEfirewall2
                - root: {sandbox_root}
                - values:
                    FW_ROUTE: yes
            """
        ),
    )

    def run(test):
        ret = salt_cli.run("state.apply", name, f"test={test}", minion_tgt=minion.id)
        return ret, {key.split("_|-")[1]: value for key, value in ret.data.items()}

    ret, predicted = run(True)
    assert ret.returncode == 0, ret
    assert all(state["result"] is None for state in predicted.values())
    assert bash(sandbox_root / "etc/sysconfig/docker")["DOCKER_OPTS"] == ""

    ret, applied = run(False)
    assert ret.returncode == 0, ret
    for state_id, state in applied.items():
        assert state["result"] is True
        assert state["changes"] == predicted[state_id]["changes"]
    assert applied["docker-sysconfig-options"]["changes"] == {
        "DOCKER_OPTS": {"old": "", "new": "--log-level=warn --storage-driver=overlay2"}
    }
    assert bash(sandbox_root / "etc/sysconfig/docker")["DOCKER_OPTS"] == (
        "--log-level=warn --storage-driver=overlay2"
    )
    assert bash(sandbox_root / "etc/sysconfig/SuSEfirewall2")["FW_ROUTE"] == "yes"

    ret, again = run(False)
    assert ret.returncode == 0, ret
    assert unconverged(again) == {}


def test_a_bad_value_fails_the_state_with_a_message_and_changes_nothing(
    salt_cli, minion, sandbox_root, sls
):
    salt_cli.run("saltutil.sync_all", minion_tgt=minion.id)
    path = sandbox_root / "etc/sysconfig/SuSEfirewall2"
    before = path.read_bytes()
    name = sls(
        "sysconfig_bad",
        textwrap.dedent(
            f"""
            susefirewall2-bad:
              sysconfig.present:
                - name: SuSEfirewall2
                - root: {sandbox_root}
                - values:
                    FW_ROUTE: sometimes
                    FW_DEV_EXT: eth0
            """
        ),
    )
    ret = salt_cli.run("state.apply", name, minion_tgt=minion.id)
    (state,) = ret.data.values()
    assert state["result"] is False
    assert "FW_ROUTE='sometimes' is of type yesno and must be 'yes' or 'no'" in state["comment"]
    assert "Traceback" not in state["comment"]
    assert path.read_bytes() == before


def test_the_grain_and_the_check_through_the_master(salt_cli, minion, tmp_path):
    from tests import hosttrees

    salt_cli.run("saltutil.sync_all", minion_tgt=minion.id)
    ret = salt_cli.run("grains.item", "docker_host", minion_tgt=minion.id)
    assert ret.data["docker_host"]["storage"]["drivers"]["aufs"]["supported"] is False

    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "sles12")
    ret = salt_cli.run("docker_host.check", f"root={tree.root}", minion_tgt=minion.id)
    assert ret.data["result"] == "fail"
    failing = [item["id"] for item in ret.data["items"] if item["status"] == "fail"]
    assert failing == ["network.firewall"]


def test_salt_prints_the_report_once_the_master_synced_the_outputter(
    master, salt_cli, minion, tmp_path
):
    """`salt-run saltutil.sync_output` on the real master, then `salt <minion>
    docker_host.check --out=docker_host_check` prints the report for people.

    `salt` runs here as a user runs it, from the virtualenv and away from the
    checkout: salt-factories' own CLI scripts put the checkout on sys.path,
    where a leftover egg-info would hand Salt the outputter with no sync."""
    from tests import hosttrees

    salt_cli.run("saltutil.sync_all", minion_tgt=minion.id)
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "sles12")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def check_for_people():
        run = subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "salt"),
                f"--config-dir={master.config_dir}",
                "--timeout=120",
                minion.id,
                "docker_host.check",
                f"root={tree.root}",
                "--out=docker_host_check",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=300,
            check=False,
        )
        return run.stdout.splitlines()

    fw_route = (
        '      FAIL  SuSEfirewall2 is enabled with FW_ROUTE="": it switches forwarding off '
        "when it starts, and containers lose the network"
    )
    # Before: the master has no such outputter, and salt falls back to another.
    before = check_for_people()
    assert fw_route not in before
    assert any("network.firewall" in line for line in before)  # the same data, unprinted

    ret = master.salt_run_cli().run("saltutil.sync_output")
    assert ret.returncode == 0, ret
    assert ret.data == ["output.docker_host_check"]

    lines = check_for_people()
    report = salt_cli.run("docker_host.check", f"root={tree.root}", minion_tgt=minion.id).data
    # The tree is judged as an image: the report opens with what it was judged from.
    assert lines[:2] == [f"{minion.id}:", "    image"]
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    for item in report["items"]:
        assert f"      {marks[item['status']]}  {item['reason']}" in lines, item
    at = lines.index(fw_route)
    assert lines[at + 1] == "            fix: salt-call sysconfig.set SuSEfirewall2 FW_ROUTE yes"
    counts = report["counts"]
    assert counts["fail"] == 1
    assert lines[-1] == (
        f"    FAIL: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail"
    )
