"""The remote API only with TLS: what docker_host.daemon_configured writes for
``tls``, a real dockerd serves, and only to clients with a certificate of the CA.

The CA, the server's certificate (for 127.0.0.1) and a client's are made with
openssl for each run. The state is applied with salt-call to a sandbox root
(SUSE's files), given the PEM text as pillar would give it; dockerd then
starts as SUSE's docker.service starts it, in a mount namespace where the
sandbox's /etc/docker is /etc/docker (the paths daemon.json names), listening
on a free port of 127.0.0.1 beside its private socket, and is stopped after.
"""

import contextlib
import os
import socket
import subprocess

import docker
import pytest

from tests import dockerd, hosttrees
from tests.integration.test_daemon_proof import suse_exec_start
from tests.readers import systemd_argv
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    base = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=sdh test CA", cwd=base)  # fmt: skip
    for name, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=base)  # fmt: skip
        (base / f"{name}.ext").write_text(
            f"subjectAltName=IP:127.0.0.1\nextendedKeyUsage={usage}\n"
        )
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                 "-extfile", f"{name}.ext", cwd=base)  # fmt: skip
    return base


def _fingerprint(pem):
    printed = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(pem)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "SHA256:" + printed.strip().split("=", 1)[1]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _etc_docker_present():
    """/etc/docker to mount the sandbox's onto; removed after when it was made here."""
    made = not os.path.isdir("/etc/docker")
    os.makedirs("/etc/docker", exist_ok=True)
    try:
        yield
    finally:
        if made:
            with contextlib.suppress(OSError):
                os.rmdir("/etc/docker")


def test_the_remote_api_serves_only_clients_with_a_certificate_of_the_ca(
    tmp_path, pki, monkeypatch
):
    # requests prefers a CA bundle named in the environment to the one a session
    # is given (its known behaviour): docker-py's client must trust the test's CA.
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", tmp_path / "data")
    tree.copy("docker/docker-daemon.json", "/etc/docker/daemon.json")
    port = _free_port()
    tls = {name: (pki / f"{file}").read_text() for name, file in
           (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"))}  # fmt: skip
    arguments = {
        "name": "docker",
        "storage_driver": "vfs",
        "data_root": str(tmp_path / "data"),
        "options": {"host": [f"tcp://127.0.0.1:{port}"]},
        "tls": tls,
        "root": str(tree.root),
    }
    predicted = state_single(
        tmp_path, "docker_host.daemon_configured", {**arguments, "test": True}, log_level="debug"
    )
    state = state_single(tmp_path, "docker_host.daemon_configured", arguments, log_level="debug")
    assert state["result"] is True, state["comment"]
    assert predicted["changes"] == state["changes"]
    files = state["changes"]["TLS files"]
    assert files["/etc/docker/tls/ca.pem"] == {"old": None, "new": _fingerprint(pki / "ca.pem")}
    assert files["/etc/docker/tls/server-cert.pem"]["new"] == _fingerprint(pki / "server.pem")
    assert files["/etc/docker/tls/server-key.pem"]["new"].startswith("SHA256 of the file: ")
    # Key material is nowhere in what Salt printed or logged, even at debug level.
    body = "".join(tls["key"].strip().splitlines()[1:-1])
    for printed in (predicted, state):
        text = repr(printed)
        assert body[:40] not in text and "PRIVATE KEY" not in text
    for name, mode in (("ca.pem", 0o644), ("server-cert.pem", 0o644), ("server-key.pem", 0o600)):
        status = (tree.root / "etc/docker/tls" / name).stat()
        assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (0, 0, mode), name
    again = state_single(tmp_path, "docker_host.daemon_configured", arguments)
    assert again["result"] is True and again["changes"] == {}, again

    argv = systemd_argv(tree.root / "etc/sysconfig/docker", arguments=suse_exec_start())
    assert f"--host=tcp://127.0.0.1:{port}" in argv
    mount = 'mount --bind "$1" /etc/docker && shift && exec "$@"'
    prefix = ["unshare", "--mount", "sh", "-c", mount, "sh", str(tree.root / "etc/docker")]
    with (
        _etc_docker_present(),
        dockerd.private_dockerd(
            tmp_path / "daemon",
            args=argv,
            config_file=tree.root / "etc/docker/daemon.json",
            prefix=prefix,
            network=False,
        ),
    ):
        url = f"https://127.0.0.1:{port}"
        with_certificate = docker.tls.TLSConfig(
            client_cert=(str(pki / "client.pem"), str(pki / "client.key")),
            ca_cert=str(pki / "ca.pem"),
            verify=True,
        )
        client = docker.DockerClient(base_url=url, tls=with_certificate, timeout=20)
        try:
            assert client.ping() is True
            info = client.info()
        finally:
            client.close()
        assert info["Driver"] == "vfs"
        # Without a client certificate the handshake is refused.
        # (docker-py asks the daemon's version as it makes the client.)
        anonymous = docker.tls.TLSConfig(ca_cert=str(pki / "ca.pem"), verify=True)
        with pytest.raises(docker.errors.DockerException) as refused:
            docker.DockerClient(base_url=url, tls=anonymous, timeout=20)
        assert "bad certificate" in str(refused.value), refused.value
        # Nor does plain HTTP get an answer.
        with pytest.raises(docker.errors.DockerException) as refused:
            docker.DockerClient(base_url=f"tcp://127.0.0.1:{port}", timeout=10)
        assert "400" in str(refused.value) or "Bad Request" in str(refused.value), refused.value


def test_a_tcp_host_without_tls_is_refused_unless_the_pillar_accepts_it(tmp_path):
    tree = hosttrees.sandbox_of_this_host(tmp_path / "root", tmp_path / "data")
    before = (tree.root / "etc/sysconfig/docker").read_bytes()
    arguments = {
        "name": "docker",
        "options": {"host": ["tcp://0.0.0.0:2375"]},
        "root": str(tree.root),
    }
    state = state_single(tmp_path, "docker_host.daemon_configured", arguments)
    assert state["result"] is False
    assert (
        "tcp://0.0.0.0:2375 opens the Docker API over TCP without TLS client verification"
        in (state["comment"])
    )
    assert (tree.root / "etc/sysconfig/docker").read_bytes() == before
    accepted = state_single(
        tmp_path, "docker_host.daemon_configured", {**arguments, "insecure_tcp_api": True}
    )
    assert accepted["result"] is True, accepted["comment"]
    assert "--host=tcp://0.0.0.0:2375" in (tree.root / "etc/sysconfig/docker").read_text()
