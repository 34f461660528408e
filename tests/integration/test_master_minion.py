"""The formula way: the repository on a master's file_roots, synced to a real minion."""

import os
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
