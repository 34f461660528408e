"""The daemon's proxy: what docker_host.daemon_configured writes for ``proxy``,
a real dockerd uses to pull, through a proxy the test runs on loopback.

The state is applied with salt-call to a sandbox root (SUSE's files, SUSE's
/etc/sysconfig/proxy with PROXY_ENABLED="yes", ``proxy: system``). This
machine's engine is 20.10, which has no daemon.json ``proxies``: the proxy
goes to the drop-in for docker.service. systemd itself reads the drop-in
(a user manager, tests/readers.py) and gives a service its environment;
dockerd starts with that environment, as SUSE's docker.service starts it.

The registry (the real distribution registry, on loopback) is asked for by
a name only the proxy knows, ``registry.proxy.test``: the pull works only
through the proxy, whose log shows dockerd's requests (CONNECT for HTTPS,
which the plain-HTTP registry refuses, then plain HTTP, as dockerd does for
an insecure registry).
"""

import contextlib
import select
import socket
import socketserver
import threading

import docker
import pytest

from tests import dockerd, hosttrees, registry
from tests.integration.test_daemon_proof import suse_exec_start
from tests.integration.test_images_proof import _rootfs_bytes
from tests.readers import systemd_argv, systemd_environment, systemd_unavailable
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

NAME = "registry.proxy.test"
DROP_IN = "etc/systemd/system/docker.service.d/90-docker-host-proxy.conf"


class _Tunnel(socketserver.BaseRequestHandler):
    """An HTTP proxy: CONNECT host:port (a tunnel) and absolute-form requests
    (forwarded as they are). NAME is the registry on loopback; every first
    request line is logged."""

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.server.log.append(line)
        method, target, _ = line.split(" ", 2)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            rest = head.split(b"\r\n\r\n", 1)[1]
        else:
            host_port = target.split("://", 1)[1].split("/", 1)[0]
            host, _, port = host_port.partition(":")
            rest = head
        address = ("127.0.0.1" if host == NAME else host, int(port or 80))
        with socket.create_connection(address, timeout=10) as upstream:
            if method == "CONNECT":
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _splice(self.request, upstream)


def _splice(one, other):
    ends = [one, other]
    while True:
        ready, _, _ = select.select(ends, [], [], 30)
        if not ready:
            return
        for end in ready:
            data = end.recv(65536)
            if not data:
                return
            (other if end is one else one).sendall(data)


@contextlib.contextmanager
def _proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Tunnel)
    server.daemon_threads = True
    server.log = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(systemd_unavailable() is not None, reason=str(systemd_unavailable()))
def test_dockerd_pulls_through_the_proxy_suses_sysconfig_names(tmp_path, monkeypatch):
    with registry.Registry(tmp_path / "registry") as served, _proxy() as proxy:
        port = served.address.rsplit(":", 1)[1]
        served.publish("proxied/busybox:1", _rootfs_bytes(tmp_path, "proxied"))
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        tree = hosttrees.sandbox_of_this_host(tmp_path / "root", tmp_path / "data")
        tree.copy("sysconfig-examples/sysconfig.proxy", "/etc/sysconfig/proxy")
        text = (tree.root / "etc/sysconfig/proxy").read_text()
        text = text.replace('PROXY_ENABLED="no"', 'PROXY_ENABLED="yes"')
        text = text.replace('HTTP_PROXY=""', f'HTTP_PROXY="{url}"')
        text = text.replace('HTTPS_PROXY=""', f'HTTPS_PROXY="{url}"')
        (tree.root / "etc/sysconfig/proxy").write_text(text)
        arguments = {
            "name": "docker",
            "storage_driver": "vfs",
            "data_root": str(tmp_path / "data"),
            "daemon_json": {"insecure-registries": [f"{NAME}:{port}"]},
            "proxy": "system",
            "root": str(tree.root),
        }
        predicted = state_single(
            tmp_path, "docker_host.daemon_configured", {**arguments, "test": True}
        )
        state = state_single(tmp_path, "docker_host.daemon_configured", arguments)
        assert state["result"] is True, state["comment"]
        assert predicted["changes"] == state["changes"]
        assert state["changes"][f"/{DROP_IN}"] == {
            "old": None,
            "new": {"HTTP_PROXY": url, "HTTPS_PROXY": url, "NO_PROXY": "localhost,127.0.0.1"},
        }
        again = state_single(tmp_path, "docker_host.daemon_configured", arguments)
        assert again["changes"] == {}, again

        environment = systemd_environment(tree.root / DROP_IN)
        assert environment == {
            "HTTP_PROXY": url,
            "HTTPS_PROXY": url,
            "NO_PROXY": "localhost,127.0.0.1",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        argv = systemd_argv(tree.root / "etc/sysconfig/docker", arguments=suse_exec_start())
        with dockerd.private_dockerd(
            tmp_path / "daemon", args=argv, config_file=tree.root / "etc/docker/daemon.json"
        ) as daemon:
            client = docker.DockerClient(base_url=daemon, timeout=120)
            try:
                info = client.info()
                image = client.images.pull(f"{NAME}:{port}/proxied/busybox", tag="1")
            finally:
                client.close()
        config = served.manifest("proxied/busybox:1")[1]["config"]["digest"]
    assert info["HttpProxy"] == url and info["HttpsProxy"] == url
    assert image.id == config
    assert f"CONNECT {NAME}:{port} HTTP/1.1" in proxy.log
    assert any(line.startswith(f"GET http://{NAME}:{port}/v2/") for line in proxy.log), proxy.log
