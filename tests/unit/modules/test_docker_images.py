"""docker-archive tarballs read without a daemon."""

import hashlib
import io
import json
import lzma
import sys
import tarfile

import pytest

from tests.unit.conftest import _load


@pytest.fixture(scope="module")
def images():
    return _load("_modules/docker_images.py")


def _archive(path, manifest, files, compress=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in {**files, "manifest.json": json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    path.write_bytes(lzma.compress(data) if compress == "xz" else data)
    return path


def test_the_id_is_the_configurations_digest_whatever_its_file_is_called(images, tmp_path):
    config = b'{"architecture": "amd64"}'
    path = _archive(
        tmp_path / "a.tar.xz",
        [{"Config": "config.json", "Layers": []}],
        {"config.json": config},
        compress="xz",
    )
    assert images.archive_image_id(str(path)) == "sha256:" + hashlib.sha256(config).hexdigest()


def test_several_images_are_refused(images, tmp_path):
    path = _archive(
        tmp_path / "two.tar",
        [{"Config": "a.json"}, {"Config": "b.json"}],
        {"a.json": b"{}", "b.json": b"[]"},
    )
    with pytest.raises(images.CommandExecutionError, match="holds 2 images"):
        images.archive_image_id(str(path))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("busybox", "busybox:latest"),
        ("docker.io/library/busybox:1", "busybox:1"),
        ("docker.io/suse/sle15", "suse/sle15:latest"),
        ("registry:5000/a/b", "registry:5000/a/b:latest"),
        ("registry:5000/a/b:2", "registry:5000/a/b:2"),
    ],
)
def test_names_normalize_as_the_daemon_spells_tags(images, name, expected):
    assert images.normalize(name) == expected


def test_without_docker_py_the_daemons_functions_say_how_to_install_it(monkeypatch):
    """docker_images loads without docker-py (normalize needs none); a function that
    talks to the daemon then fails with the way to install it, never an ImportError."""
    monkeypatch.setitem(sys.modules, "docker", None)  # import docker raises ImportError
    images = _load("_modules/docker_images.py")
    assert images.__virtual__() == "docker_images"
    assert images.normalize("docker.io/library/busybox") == "busybox:latest"
    with pytest.raises(images.CommandExecutionError) as refused:
        images.image_id("busybox")
    assert str(refused.value) == (
        "docker-py is not installed in the Python Salt runs from on this minion: install it "
        "(pip install docker, or the python3-docker package)"
    )
