"""docker_host.clean through salt-call --local, on sandbox image roots: the
formula applied, then taken back down, gives back the root as it was, byte
for byte, owner and mode, except what was changed by hand since, which is
left and named.

Not compared: what shadow-utils leaves beside /etc/group whenever groupadd,
gpasswd or groupdel run, as they always do: the backups ``group-`` and
``gshadow-`` and the empty lock file ``.pwd.lock``.
"""

import hashlib
import json
import os
import subprocess

import pytest

from tests import hosttrees
from tests.saltcall import call, state_apply

pytestmark = pytest.mark.own_process

SLES12 = {"os_family": "Suse", "osfullname": "SLES", "osfinger": "SLES-12"}
BACKUPS = {"etc/group-", "etc/gshadow-", "etc/.pwd.lock"}
RECORD = "var/lib/suse-docker-host/record.json"


@pytest.fixture(scope="module")
def pem(tmp_path_factory):
    """A self-signed certificate and its key, as PEM text."""
    base = tmp_path_factory.mktemp("pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=sdh"],
        cwd=base, check=True, capture_output=True,
    )  # fmt: skip
    return {name: (base / f"{name}.pem").read_text() for name in ("cert", "key")}


@pytest.fixture
def root(tmp_path):
    """SLES 12's files: SuSEfirewall2 routes, /etc/sysconfig/sysctl says IP_FORWARD."""
    tree = hosttrees.suse_docker_root(
        tmp_path / "root", users=["alice", "bob"], os_release="sles-12-sp1.os-release"
    )
    tree.write("/etc/sysconfig/sysctl", '## Type: yesno\nIP_FORWARD="no"\n')
    return tree.root


def _tree(root):
    """Every file, directory and link under ``root``: kind, mode, owner, content."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            where = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                found[where] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[where] = ("dir", st.st_mode, st.st_uid, st.st_gid)
            elif where not in BACKUPS:
                digest = hashlib.sha256((root / where).read_bytes()).hexdigest()
                found[where] = ("file", st.st_mode, st.st_uid, st.st_gid, digest)
    return found


def _differences(before, after):
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def _pillar(root, pem, **more):
    docker_host = {
        "root": str(root),
        "package": {"install": False},
        "users": {"members": ["alice"]},
        "proxy": {"http_proxy": "http://proxy.example.com:3128", "no_proxy": "localhost"},
        "daemon": {
            "options": {"log-level": "warn"},
            "daemon_json": {"live-restore": True},
            "tls": {"ca": pem["cert"], "cert": pem["cert"], "key": pem["key"]},
            "insecure_tcp_api": False,
        },
    }
    docker_host.update(more)
    return {"docker_host": docker_host}


def _base(tmp_path, name):
    base = tmp_path / name
    base.mkdir()
    return base


def _state_apply(tmp_path, name, *arguments, **options):
    return state_apply(_base(tmp_path, name), *arguments, **options)


def _outcome(states):
    return {key: (state["result"], state["changes"]) for key, state in states.items()}


def test_apply_then_clean_gives_back_the_root_byte_for_byte(tmp_path, root, pem):
    """Every concern's change is taken back: DOCKER_OPTS and daemon.json as SUSE's
    package ships them, the TLS files, the proxy's drop-in and the sysctl.d file
    gone with the directories their writes made, IP_FORWARD and FW_ROUTE as
    they were, alice out of a docker group that the formula created and so
    deletes, the unit disabled in the root. test=True predicts exactly that, and
    a second clean changes nothing."""
    pristine = _tree(root)
    pillar = _pillar(root, pem)
    code, states, _ = _state_apply(tmp_path, "apply", "docker_host", pillar, grains=SLES12)
    assert code == 0, states
    applied = _differences(pristine, _tree(root))
    for path in (
        "etc/sysconfig/docker",
        "etc/docker/daemon.json",
        "etc/docker/tls/ca.pem",
        "etc/docker/tls/server-key.pem",
        "etc/systemd/system/docker.service.d/90-docker-host-proxy.conf",
        "etc/sysctl.d/90-docker-host-forwarding.conf",
        "etc/sysconfig/SuSEfirewall2",
        "etc/sysconfig/sysctl",
        "etc/group",
        RECORD,
    ):
        assert path in applied
    assert (root / RECORD).stat().st_mode & 0o777 == 0o600

    code, predicted, _ = _state_apply(
        tmp_path, "test", "docker_host.clean", pillar, grains=SLES12, test=True
    )
    assert code == 0, predicted
    assert _differences(pristine, _tree(root)) == applied  # test=True wrote nothing
    code, cleaned, _ = _state_apply(tmp_path, "clean", "docker_host.clean", pillar, grains=SLES12)
    assert code == 0, cleaned
    assert _differences(pristine, _tree(root)) == []
    assert _outcome(cleaned) == {
        key: (True if result is None else result, changes)
        for key, (result, changes) in _outcome(predicted).items()
    }
    assert cleaned["docker-host-users-clean"]["changes"] == {
        "removed": ["alice"],
        "group": {"old": "docker", "new": None},
    }
    assert cleaned["docker-host-service-clean"]["changes"] == {
        "enabled": {"old": True, "new": False}
    }
    assert set(cleaned["docker-host-daemon-clean"]["changes"]) == {
        "/etc/sysconfig/docker",
        "/etc/docker/daemon.json",
        "/etc/docker/tls/ca.pem",
        "/etc/docker/tls/server-cert.pem",
        "/etc/docker/tls/server-key.pem",
        "/etc/systemd/system/docker.service.d/90-docker-host-proxy.conf",
    }
    key_line = pem["key"].splitlines()[1]  # the key's first line of base64
    assert len(key_line) > 40
    assert key_line not in json.dumps(cleaned)
    assert key_line not in json.dumps(predicted)

    code, again, _ = _state_apply(tmp_path, "again", "docker_host.clean", pillar, grains=SLES12)
    assert code == 0, again
    assert all(changes == {} for _, changes in _outcome(again).values()), again


def test_what_was_changed_by_hand_since_is_left_and_named(tmp_path, root, pem):
    """daemon.json edited by hand after the formula wrote it stays as it is and
    is named (the state fails, so that it is seen); DOCKER_OPTS still goes back
    although another variable of its file was changed by hand, which keeps its
    change; bob, added to the group by hand, stays in it, and so does the group.
    Forgetting daemon.json's record then lets the clean pass."""
    pillar = _pillar(root, pem)
    sysconfig = root / "etc/sysconfig/docker"
    shipped = sysconfig.read_text()
    code, states, _ = _state_apply(tmp_path, "apply", "docker_host", pillar, grains=SLES12)
    assert code == 0, states
    by_hand = '{\n  "debug": true\n}\n'
    (root / "etc/docker/daemon.json").write_text(by_hand)
    sysconfig.write_text(sysconfig.read_text() + 'DOCKER_NETWORK_OPTIONS="--mtu 1400"\n')
    subprocess.run(["gpasswd", "-Q", str(root), "-a", "bob", "docker"], check=True)

    code, cleaned, _ = _state_apply(tmp_path, "clean", "docker_host.clean", pillar, grains=SLES12)
    assert code != 0
    daemon = cleaned["docker-host-daemon-clean"]
    assert daemon["result"] is False
    assert "/etc/docker/daemon.json" in daemon["comment"]
    assert "docker_host_record.forget" in daemon["comment"]
    assert (root / "etc/docker/daemon.json").read_text() == by_hand
    assert daemon["changes"]["/etc/sysconfig/docker"] == {
        "DOCKER_OPTS": {"old": "--log-level=warn", "new": ""}
    }
    assert sysconfig.read_text() == shipped + 'DOCKER_NETWORK_OPTIONS="--mtu 1400"\n'
    assert "docker:x:" in (root / "etc/group").read_text()
    assert cleaned["docker-host-users-clean"]["changes"] == {"removed": ["alice"]}
    members = [
        line for line in (root / "etc/group").read_text().splitlines() if line.startswith("docker:")
    ]
    assert members[0].endswith(":bob")

    code, again, _ = _state_apply(tmp_path, "again", "docker_host.clean", pillar, grains=SLES12)
    assert again["docker-host-daemon-clean"]["result"] is False  # still named, still kept
    assert again["docker-host-daemon-clean"]["changes"] == {}
    code, _ = call(
        _base(tmp_path, "forget"),
        "docker_host_record.forget",
        "/etc/docker/daemon.json",
        f"root={root}",
    )
    assert code == 0
    code, forgot, _ = _state_apply(tmp_path, "forgot", "docker_host.clean", pillar, grains=SLES12)
    assert code == 0, forgot
    assert (root / "etc/docker/daemon.json").read_text() == by_hand
