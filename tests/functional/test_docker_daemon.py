"""The daemon configuration: DOCKER_OPTS as systemd splits it, daemon.json, and the state."""

import json
import os
import stat

import pytest
from salt.exceptions import CommandExecutionError

from tests.readers import systemd_argv

SPLIT_CORPUS = [
    "",
    "-s btrfs --log-level=warn",
    '--label "a b" --x=c\\d  e',
    'a""b "" c',
    "x\\ y z",
    "'single \"dq\" \\x' y",
    "tab\tseparated",
    'a"b c"d',
    "--opt=$HOME ${HOME}",
    '"unterminated x',
    "trailing\\",
    "a\\b",
    "'q\\'x' y",
    "  lead  trail  ",
]


@pytest.mark.skip_if_not_root
def test_docker_opts_split_as_the_real_systemd_splits_it(modules, tmp_path):
    """systemd itself (a user manager started for the test) is the judge."""
    for number, value in enumerate(SPLIT_CORPUS):
        env = tmp_path / f"env{number}"
        # Double quotes with systemd's four escapes: EnvironmentFile= reads back ``value``.
        escaped = "".join("\\" + c if c in '"\\$`' else c for c in value)
        env.write_text(f'DOCKER_OPTS="{escaped}"\n')
        assert modules.docker_daemon.split_like_systemd(value) == systemd_argv(env), value


def test_options_of_suses_own_files(modules, suse_root):
    root = str(suse_root.root)
    modules.sysconfig.set(
        "docker", "DOCKER_OPTS", "-s btrfs -H unix:///run/docker.sock -lwarn", root=root
    )
    options = modules.docker_host.daemon_options(root=root)
    assert options["args"] == ["-s", "btrfs", "-H", "unix:///run/docker.sock", "-lwarn"]
    assert options["flags"] == {
        "storage-driver": "btrfs",
        "hosts": ["unix:///run/docker.sock"],
        "log-level": "warn",
    }
    assert options["daemon_json"]["log-opts"] == {"max-size": "10m", "max-file": "5"}
    # SUSE's daemon.json sets log-level too: dockerd would refuse to start.
    assert options["conflicts"] == ["log-level"]
    assert options["sources"]["log-level"] == "DOCKER_OPTS"
    assert options["effective"]["selinux-enabled"] is True


def test_set_and_remove_in_daemon_json(modules, suse_root):
    root = str(suse_root.root)
    path = suse_root.root / "etc/docker/daemon.json"
    os.chmod(path, 0o600)
    result = modules.docker_daemon.set_daemon_json(
        {"live-restore": True, "log-level": None}, root=root
    )
    assert result["changed"] is True
    data = json.loads(path.read_text())
    assert list(data) == ["log-driver", "log-opts", "selinux-enabled", "live-restore"]
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 0, 0)  # kept: stricter
    again = modules.docker_daemon.set_daemon_json({"live-restore": True}, root=root)
    assert again["changed"] is False
    os.chmod(path, 0o666)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # never looser than 0644
    path.unlink()
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o644, 0, 0)
    assert json.loads(path.read_text()) == {"debug": True}
    modules.docker_daemon.set_daemon_json({"live-restore": True}, root=root)
    modules.docker_daemon.remove_daemon_json(["live-restore"], root=root)
    assert "live-restore" not in json.loads(path.read_text())


def test_invalid_daemon_json_is_left_untouched(modules, suse_root, states):
    path = suse_root.root / "etc/docker/daemon.json"
    path.write_text('{"log-level": "warn",}')
    with pytest.raises(Exception, match="is not valid JSON"):
        modules.docker_daemon.set_daemon_json({"debug": True}, root=str(suse_root.root))
    ret = states.docker_host.daemon_configured(
        name="docker", options={"debug": True}, root=str(suse_root.root)
    )
    assert ret.result is False
    assert "is not valid JSON" in ret.comment and "left untouched" in ret.comment
    assert path.read_text() == '{"log-level": "warn",}'


def test_set_and_remove_in_docker_opts(modules, suse_root):
    root = str(suse_root.root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "-s btrfs --log-level warn", root=root)
    result = modules.docker_daemon.set_docker_opts({"-s": "vfs", "debug": True}, root=root)
    assert result["new"] == "--storage-driver=vfs --log-level warn --debug"
    modules.docker_daemon.remove_docker_opts(["storage-driver", "-D"], root=root)
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == "--log-level warn"


def test_docker_opts_exclusive_and_test_mode(modules, suse_root):
    root = str(suse_root.root)
    path = suse_root.root / "etc/sysconfig/docker"
    modules.sysconfig.set("docker", "DOCKER_OPTS", "-s btrfs --log-level warn", root=root)
    before = path.read_bytes()
    predicted = modules.docker_daemon.set_docker_opts(
        {"debug": True}, exclusive=True, root=root, test=True
    )
    assert (predicted["old"], predicted["new"], predicted["changed"]) == (
        "-s btrfs --log-level warn",
        "--debug",
        True,
    )
    assert path.read_bytes() == before
    done = modules.docker_daemon.set_docker_opts({"debug": True}, exclusive=True, root=root)
    assert (done["new"], done["changed"]) == ("--debug", True)
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == "--debug"
    # One key, given as a string; test=True writes nothing.
    before = path.read_bytes()
    predicted = modules.docker_daemon.remove_docker_opts("-D", root=root, test=True)
    assert (predicted["new"], predicted["changed"]) == ("", True)
    assert path.read_bytes() == before
    modules.docker_daemon.remove_docker_opts("debug", root=root)
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=root) == ""


def test_docker_opts_without_the_sysconfig_file(modules, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(CommandExecutionError) as err:
        modules.docker_daemon.set_docker_opts({"debug": True}, root=str(root))
    assert str(err.value) == (
        f"{root}/etc/sysconfig/docker does not exist: install the docker package, which creates it"
    )


def test_remove_from_daemon_json_one_key_and_test_mode(modules, suse_root):
    root = str(suse_root.root)
    path = suse_root.root / "etc/docker/daemon.json"
    before = path.read_bytes()
    predicted = modules.docker_daemon.remove_daemon_json("log-level", root=root, test=True)
    assert predicted["changed"] is True and "log-level" not in predicted["new"]
    assert path.read_bytes() == before
    done = modules.docker_daemon.remove_daemon_json("log-level", root=root)
    assert done["changed"] is True
    assert "log-level" not in json.loads(path.read_text())
    assert json.loads(path.read_text())["log-driver"] == "json-file"
