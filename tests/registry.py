"""A registry of the test's own: the read side of the Registry HTTP API v2,
enough for dockerd to pull an image over loopback (which dockerd treats as
an insecure registry, so plain HTTP).

The registries Docker ships (registry:2) are images, and this machine has no
network to fetch one: the test serves its own image from memory.
"""

import gzip
import hashlib
import http.server
import json
import platform
import re
import threading

_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_from_rootfs(tar_bytes):
    """(manifest bytes, {digest: blob}) of a one-layer image of ``tar_bytes``;
    the image's ID is the config's digest, as dockerd computes it."""
    layer = gzip.compress(tar_bytes, mtime=0)
    config = json.dumps(
        {
            "architecture": _ARCH.get(platform.machine(), platform.machine()),
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [_digest(tar_bytes)]},
            "history": [{"created_by": "tests/registry.py"}],
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": _digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": _digest(layer),
                }
            ],
        }
    ).encode()
    return manifest, {_digest(config): config, _digest(layer): layer}


class Registry:
    """Serve ``images`` ({"repo:tag": tar bytes of a root filesystem}) on 127.0.0.1."""

    def __init__(self, images):
        self.manifests, self.blobs, self.ids = {}, {}, {}
        for reference, rootfs in images.items():
            self.publish(reference, rootfs)
        self.requests = []
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._answer(body=False)

            def do_GET(self):
                self._answer(body=True)

            def _answer(self, body):
                registry.requests.append((self.command, self.path))
                status, headers, data = registry.route(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(data))}.items():
                    self.send_header(name, value)
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                self.end_headers()
                if body:
                    self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, reference, rootfs):
        """Serve ``rootfs`` as ``reference`` ("repo:tag"), from now on."""
        manifest, blobs = image_from_rootfs(rootfs)
        self.blobs.update(blobs)
        self.manifests[reference] = manifest
        self.ids[reference] = json.loads(manifest)["config"]["digest"]
        return _digest(manifest)

    def route(self, path):
        if path.rstrip("/") == "/v2":
            return 200, {"Content-Type": "application/json"}, b"{}"
        match = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/([^/]+)", path)
        if match:
            repo, kind, ref = match.groups()
            if kind == "manifests":
                manifest = self.manifests.get(f"{repo}:{ref}")
                if manifest is None:
                    manifest = next(
                        (
                            m
                            for r, m in self.manifests.items()
                            if r.startswith(f"{repo}:") and _digest(m) == ref
                        ),
                        None,
                    )
                if manifest is not None:
                    return (
                        200,
                        {"Content-Type": MANIFEST_TYPE, "Docker-Content-Digest": _digest(manifest)},
                        manifest,
                    )
            elif ref in self.blobs:
                return (
                    200,
                    {"Content-Type": "application/octet-stream", "Docker-Content-Digest": ref},
                    self.blobs[ref],
                )
        error = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown", "detail": path}]}
        return 404, {"Content-Type": "application/json"}, json.dumps(error).encode()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
