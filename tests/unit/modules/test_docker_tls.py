"""docker_tls: TLS settings checked, files planned and named by fingerprint only.
tests/integration/test_tls_proof.py has a real dockerd serve with the files."""

import base64
import contextlib
import hashlib
import os

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.unit.conftest import _load

# Not real key material: PEM framing around base64 bytes, which is all the
# module reads of them.
CERT = (
    "-----BEGIN CERTIFICATE-----\n"
    + base64.b64encode(b"der of a cert").decode()
    + ("\n-----END CERTIFICATE-----\n")
)
OTHER = CERT.replace(base64.b64encode(b"der of a cert").decode(), base64.b64encode(b"x").decode())
KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    + base64.b64encode(b"secret bytes").decode()
    + ("\n-----END PRIVATE KEY-----\n")
)


@pytest.fixture
def tls(tmp_path):
    module = _load("_modules/docker_tls.py")
    sysconfig = _load("_modules/sysconfig.py")
    files = _load("_modules/docker_host_files.py")
    files.__salt__ = {"sysconfig.image_root": sysconfig.image_root}
    module.__salt__ = {
        "sysconfig.resolve": sysconfig.resolve,
        "docker_host_files.read_text": files.read_text,
        "docker_host_files.write_atomic": files.write_atomic,
        # What the writes record is tested through the loader
        # (tests/functional/test_host_record.py).
        "docker_host_record.recording": lambda *args, **kwargs: contextlib.nullcontext(),
    }
    return module


def _fingerprint(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@pytest.mark.parametrize(
    "settings, problems",
    [
        ({"ca": CERT, "cert": CERT, "key": KEY}, []),
        ({"ca": "/etc/pki/ca.pem", "cert": "/etc/pki/c.pem", "key": "/etc/pki/k.pem"}, []),
        (
            {"ca": CERT, "cert": CERT},
            ["tls:key is missing: give PEM text or the path of a file on the minion"],
        ),
        (
            {"ca": CERT, "cert": KEY, "key": KEY},
            ["tls:cert holds a PRIVATE KEY, not a certificate"],
        ),
        (
            {"ca": CERT, "cert": CERT, "key": CERT},
            ["tls:key holds a CERTIFICATE, not a private key"],
        ),
        (
            {"ca": "ca.pem", "cert": CERT, "key": KEY},
            ["tls:ca is neither PEM text nor an absolute path"],
        ),
        (
            {"ca": CERT, "cert": CERT, "key": KEY, "chain": CERT},
            ["tls:chain is not a key of tls: use ca, cert, key"],
        ),
        ("ca.pem", ["tls must be a mapping of ca, cert and key, not str"]),
    ],
)
def test_the_settings_are_checked_without_quoting_key_material(tls, settings, problems):
    found = tls.check(settings)
    assert found == problems
    assert not any("secret" in problem or "BEGIN" in problem for problem in found)


def test_pem_text_is_planned_into_etc_docker_tls_by_fingerprint(tls, tmp_path):
    planned = tls.plan({"ca": CERT, "cert": OTHER, "key": KEY}, root=str(tmp_path))
    assert planned["settings"] == {
        "tlsverify": True,
        "tlscacert": "/etc/docker/tls/ca.pem",
        "tlscert": "/etc/docker/tls/server-cert.pem",
        "tlskey": "/etc/docker/tls/server-key.pem",
    }
    assert planned["changes"] == {
        "/etc/docker/tls/ca.pem": {"old": None, "new": _fingerprint(b"der of a cert")},
        "/etc/docker/tls/server-cert.pem": {"old": None, "new": _fingerprint(b"x")},
        "/etc/docker/tls/server-key.pem": {
            "old": None,
            "new": "SHA256 of the file: " + hashlib.sha256(KEY.encode()).hexdigest(),
        },
    }
    assert "secret" not in repr(planned) and "PRIVATE KEY" not in repr(planned)
    done = tls.apply(planned, {"ca": CERT, "cert": OTHER, "key": KEY})
    assert done["result"] is True
    key = tmp_path / "etc/docker/tls/server-key.pem"
    assert key.read_text() == KEY
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert tls.plan({"ca": CERT, "cert": OTHER, "key": KEY}, root=str(tmp_path))["changes"] == {}
    # A key left readable by others is tightened, and said so.
    key.chmod(0o644)
    loose = tls.plan({"ca": CERT, "cert": OTHER, "key": KEY}, root=str(tmp_path))
    assert list(loose["changes"]) == ["/etc/docker/tls/server-key.pem"]
    tls.apply(loose, {"ca": CERT, "cert": OTHER, "key": KEY})
    assert os.stat(key).st_mode & 0o777 == 0o600
    # A new certificate is named by both fingerprints.
    renewed = tls.plan({"ca": OTHER, "cert": OTHER, "key": KEY}, root=str(tmp_path))
    assert renewed["changes"] == {
        "/etc/docker/tls/ca.pem": {
            "old": _fingerprint(b"der of a cert"),
            "new": _fingerprint(b"x"),
        }
    }


def test_paths_are_used_where_they_are_and_must_exist(tls, tmp_path):
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki/ca.pem").write_text(CERT)
    (tmp_path / "pki/cert.pem").write_text(CERT)
    (tmp_path / "pki/key.pem").write_text(KEY)
    given = {"ca": "/pki/ca.pem", "cert": "/pki/cert.pem", "key": "/pki/key.pem"}
    planned = tls.plan(given, root=str(tmp_path))
    assert planned["changes"] == {}
    assert planned["settings"]["tlskey"] == "/pki/key.pem"
    with pytest.raises(CommandExecutionError) as missing:
        tls.plan({**given, "key": "/pki/nope.pem"}, root=str(tmp_path))
    assert "tls:key names /pki/nope.pem, which does not exist on this minion" in str(missing.value)
    (tmp_path / "pki/key.pem").write_text(CERT)
    with pytest.raises(CommandExecutionError) as wrong:
        tls.plan(given, root=str(tmp_path))
    assert str(wrong.value) == "/pki/key.pem holds a CERTIFICATE, not a private key (tls:key)"
    with pytest.raises(SaltInvocationError):
        tls.plan({"ca": CERT}, root=str(tmp_path))


def test_pem_without_a_final_newline_is_written_with_one_and_a_failed_write_is_said(tls, tmp_path):
    given = {"ca": CERT.rstrip("\n"), "cert": CERT, "key": KEY.rstrip("\n")}
    planned = tls.plan(given, root=str(tmp_path))
    assert tls.apply(planned, given)["result"] is True
    assert (tmp_path / "etc/docker/tls/ca.pem").read_text() == CERT
    assert (tmp_path / "etc/docker/tls/server-key.pem").read_text() == KEY
    assert tls.plan(given, root=str(tmp_path))["changes"] == {}
    # A writer that writes nothing: reading back says so.
    other = {"ca": OTHER, "cert": CERT, "key": KEY}
    planned = tls.plan(other, root=str(tmp_path))
    tls.__salt__["docker_host_files.write_atomic"] = lambda *args, **kwargs: False
    done = tls.apply(planned, other)
    assert done == {
        "result": False,
        "changes": planned["changes"],
        "comment": "Wrote /etc/docker/tls/ca.pem, but reading back shows other files",
    }
