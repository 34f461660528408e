"""The real registry for the image tests: the CNCF distribution registry
(Debian's ``docker-registry``; SUSE's ``distribution-registry``, whose binary
is ``registry``), one per test, on loopback.

Why the real one: which requests dockerd makes (manifest media types, HEAD
or GET, digests, blob fetches) and what it is answered is then the
registry's own behaviour, not what an imitation assumed. Images reach it as
they reach a real registry: pushed by a dockerd. The pusher is a private
dockerd of the registry's own, never the daemon under test, so that the
daemon under test has nothing cached and really pulls. dockerd treats
127.0.0.0/8 registries as insecure: plain HTTP, no certificates.

The registry stores under the test's directory, has no authentication unless
``users`` are given (then htpasswd, the registry's own basic authentication,
with bcrypt hashes made by libxcrypt), and writes its log and access log (one
line per request) to ``registry.log`` there; it is stopped by its pid when the
``with`` block ends.
"""

import base64
import contextlib
import ctypes
import ctypes.util
import json
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from typing import NamedTuple

import docker

from tests import dockerd

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


class Published(NamedTuple):
    digest: str  # of the manifest the registry serves for the reference
    id: str  # the image's ID, as any daemon that pulls it computes it
    layers: list  # the digests of its layer blobs


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bcrypt(password):
    """A bcrypt hash of ``password`` as htpasswd -B writes it, made by libxcrypt
    (the C library's crypt, which Python's crypt module wrapped until 3.13)."""
    libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
    libcrypt.crypt_gensalt.restype = ctypes.c_char_p
    libcrypt.crypt_gensalt.argtypes = [
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_char_p,
        ctypes.c_int,
    ]
    libcrypt.crypt.restype = ctypes.c_char_p
    libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    salt = libcrypt.crypt_gensalt(b"$2b$", 5, None, 0)  # cost 5: fast enough per request
    hashed = libcrypt.crypt(password.encode(), salt) if salt else None
    if not hashed or not hashed.startswith(b"$2b$"):
        raise RuntimeError("libxcrypt made no bcrypt hash: the registry's users cannot be written")
    return hashed.decode()


class Registry:
    """``with Registry(base) as registry:`` a running registry under ``base``;
    with ``users`` ({name: password}), only they may use it, and the registry's
    own requests (publishing, reading manifests) log in as the first of them."""

    def __init__(self, base, users=None):
        self.base = base
        self.users = dict(users or {})
        self.log = base / "registry.log"
        self.address = None
        self._stack = contextlib.ExitStack()
        self._pusher = None

    def __enter__(self):
        binary = shutil.which("docker-registry") or shutil.which("registry")
        if binary is None:
            raise RuntimeError(
                "the distribution registry is not installed (make test installs "
                "docker-registry, or distribution-registry on SUSE)"
            )
        self.base.mkdir(parents=True, exist_ok=True)
        try:
            self._start(binary)
            # Not under base: containerd's sockets under a test's directory would
            # pass the 108 bytes a socket path may have.
            pusher = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="pusher-"))
            url = self._stack.enter_context(dockerd.private_dockerd(pathlib.Path(pusher)))
            self._pusher = self._stack.enter_context(
                contextlib.closing(docker.DockerClient(base_url=url, timeout=120))
            )
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def _start(self, binary):
        port = _free_port()
        self.address = f"127.0.0.1:{port}"
        settings = {
            "version": 0.1,
            "log": {"level": "info"},
            "storage": {"filesystem": {"rootdirectory": str(self.base / "storage")}},
            "http": {"addr": self.address},
        }
        if self.users:
            htpasswd = self.base / "htpasswd"
            htpasswd.write_text("".join(f"{u}:{_bcrypt(p)}\n" for u, p in self.users.items()))
            settings["auth"] = {"htpasswd": {"realm": "test-registry", "path": str(htpasswd)}}
        config = self.base / "registry.yml"
        config.write_text(json.dumps(settings))  # YAML reads JSON
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        self._stack.callback(_stop, process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the registry exited with {process.returncode}: {self.log.read_text()[-2000:]}"
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self._request("/v2/"), timeout=5) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the registry did not answer GET /v2/ within 30 s: {self.log}")

    def _login(self):
        """docker-py's auth_config for the registry's own requests, or None."""
        if not self.users:
            return None
        username, password = next(iter(self.users.items()))
        return {"username": username, "password": password}

    def _request(self, path, headers=None):
        headers = dict(headers or {})
        login = self._login()
        if login:
            token = base64.b64encode(f"{login['username']}:{login['password']}".encode())
            headers["Authorization"] = f"Basic {token.decode()}"
        return urllib.request.Request(f"http://{self.address}{path}", headers=headers)

    def publish(self, reference, rootfs):
        """Push an image of the root filesystem ``rootfs`` (tar bytes) as
        ``reference`` ("repository:tag"); return what the registry now serves."""
        repository, tag = reference.rsplit(":", 1)
        self._pusher.api.import_image_from_data(
            rootfs, repository=f"{self.address}/{repository}", tag=tag
        )
        image = self._pusher.images.get(f"{self.address}/{reference}")
        for event in self._pusher.api.push(
            f"{self.address}/{repository}",
            tag=tag,
            stream=True,
            decode=True,
            auth_config=self._login(),
        ):
            if event.get("error"):
                raise RuntimeError(f"pushing {reference} failed: {event['error']}")
        digest, manifest = self.manifest(reference)
        return Published(digest, image.id, [layer["digest"] for layer in manifest["layers"]])

    def manifest(self, reference):
        """(digest, manifest) the registry serves for ``reference``, as a pull asks."""
        repository, tag = reference.rsplit(":", 1)
        request = self._request(
            f"/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.headers["Docker-Content-Digest"], json.loads(answer.read())

    def answers(self, path):
        """[(method, status)] of each request for ``path`` (e.g. ``/v2/bci/base/manifests/15``),
        in order, from the registry's access log."""
        pattern = re.compile(rf'"(\w+) {re.escape(path)} HTTP/[\d.]+" (\d+) ')
        return [
            (match[1], int(match[2]))
            for match in map(pattern.search, self.log.read_text().splitlines())
            if match
        ]

    def fetches(self, repository, digest):
        """How many times the blob ``digest`` of ``repository`` was fetched (a GET
        answered 200; a HEAD only asks whether it is there)."""
        return self.answers(f"/v2/{repository}/blobs/{digest}").count(("GET", 200))


def _stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
