"""Base images with a real private dockerd: KIWI-style archives loaded and tagged, pulls."""

import gzip
import json
import lzma
import shutil
import subprocess
import time

import docker
import pytest

from tests import dockerd
from tests.saltcall import state_single

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]


def _rootfs_tar(base, text):
    rootfs = base / f"rootfs-{text}"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy(shutil.which("busybox"), rootfs / "bin" / "busybox")
    (rootfs / "etc").mkdir()
    (rootfs / "etc" / "flavour").write_text(text + "\n")
    tarball = base / f"rootfs-{text}.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
    return tarball


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """docker-archive tarballs like KIWI's (plain, .gz, .xz) of two busybox images, made
    with a private dockerd that is gone afterwards."""
    base = tmp_path_factory.mktemp("archives")
    made = {}
    with dockerd.private_dockerd(base / "d", storage_driver="vfs") as url:
        client = docker.DockerClient(base_url=url)
        for flavour in ("one", "two"):
            client.api.import_image(
                src=str(_rootfs_tar(base, flavour)), repository="kiwi/busybox", tag=flavour
            )
            image = client.images.get(f"kiwi/busybox:{flavour}")
            plain = base / f"{flavour}.docker.tar"
            with open(plain, "wb") as handle:
                for chunk in image.save(named=True):
                    handle.write(chunk)
            made[flavour] = {"id": image.id, "tar": plain}
        client.close()
    data = made["one"]["tar"].read_bytes()
    (base / "one.docker.tar.xz").write_bytes(lzma.compress(data))
    (base / "one.docker.tar.gz").write_bytes(gzip.compress(data))
    made["one"]["xz"] = base / "one.docker.tar.xz"
    made["one"]["gz"] = base / "one.docker.tar.gz"
    truncated = base / "truncated.docker.tar.xz"
    truncated.write_bytes(lzma.compress(data)[: len(data) // 3])
    made["truncated"] = truncated
    empty = base / "no-image.tar"
    subprocess.run(["tar", "-C", str(base), "-cf", str(empty), "rootfs-one.tar"], check=True)
    made["no-image"] = empty
    return made


def run_state(tmp_path, url, function, log_level="warning", **arguments):
    return state_single(
        tmp_path,
        f"docker_host.{function}",
        arguments,
        env={"DOCKER_HOST": url},
        log_level=log_level,
        file_roots=tmp_path / "tree",
    )


def tags(url):
    client = docker.DockerClient(base_url=url)
    found = sorted(tag for image in client.images.list() for tag in image.tags)
    client.close()
    return found


def test_load_tag_run_and_converge(tmp_path, archives):
    one = archives["one"]
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        predicted = run_state(
            tmp_path, url, "image_loaded", name="sles/base:15", source=str(one["xz"]), test=True
        )
        assert predicted["result"] is None and tags(url) == []
        state = run_state(tmp_path, url, "image_loaded", name="sles/base:15", source=str(one["xz"]))
        assert state["result"] is True, state["comment"]
        assert state["changes"] == {"image": {"old": None, "new": one["id"]}}
        # Only the wanted tag: the archive's own kiwi/busybox:one is not left behind.
        assert tags(url) == ["sles/base:15"]
        again = run_state(tmp_path, url, "image_loaded", name="sles/base:15", source=str(one["gz"]))
        assert again["result"] is True and again["changes"] == {}

        client = docker.DockerClient(base_url=url)
        output = client.containers.run(
            "sles/base:15",
            ["/bin/busybox", "cat", "/etc/flavour"],
            network_mode="none",
            remove=True,
        )
        client.close()
        assert output == b"one\n"

        moved = run_state(
            tmp_path, url, "image_loaded", name="sles/base:15", source=str(archives["two"]["tar"])
        )
        assert moved["changes"] == {"image": {"old": one["id"], "new": archives["two"]["id"]}}


def test_a_salt_url_is_fetched_from_the_file_roots(tmp_path, archives):
    (tmp_path / "tree").mkdir()
    shutil.copy(archives["one"]["tar"], tmp_path / "tree" / "base.docker.tar")
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(
            tmp_path, url, "image_loaded", name="base:1", source="salt://base.docker.tar"
        )
        assert state["result"] is True, state["comment"]
        assert tags(url) == ["base:1"]


@pytest.mark.parametrize(
    "which, words",
    [
        ("truncated", "may be truncated or corrupt"),
        ("no-image", "holds no image"),
        ("missing", "does not exist"),
    ],
)
def test_bad_archives_fail_and_leave_nothing(tmp_path, archives, which, words):
    source = str(tmp_path / "nothing.tar") if which == "missing" else str(archives[which])
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(tmp_path, url, "image_loaded", name="bad:1", source=source)
        assert state["result"] is False
        assert words in state["comment"] and "Traceback" not in state["comment"]
        client = docker.DockerClient(base_url=url)
        assert client.images.list(all=True) == []
        client.close()


def test_a_pull_from_nowhere_fails_in_time_without_showing_secrets(tmp_path):
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        started = time.monotonic()
        state = run_state(
            tmp_path,
            url,
            "image_present",
            name="127.0.0.1:1/base:15",
            auth={"username": "builder", "password": "s3cr3t-pass"},
            timeout=30,
            log_level="debug",
        )
        elapsed = time.monotonic() - started
        assert state["result"] is False
        assert "127.0.0.1:1/base:15 failed" in state["comment"]
        assert "s3cr3t-pass" not in json.dumps(state)  # the return and the debug log
        assert elapsed < 30
        assert tags(url) == []


def test_a_daemon_that_is_not_running(tmp_path, archives):
    state = run_state(
        tmp_path,
        f"unix://{tmp_path / 'no.sock'}",
        "image_loaded",
        name="x:1",
        source=str(archives["one"]["tar"]),
    )
    assert state["result"] is False
    assert "does not answer" in state["comment"] and "Traceback" not in state["comment"]


def _rewrite(source, target, change):
    """Copy a tar archive, passing each member's bytes through ``change(name, data)``."""
    import io
    import tarfile

    with tarfile.open(source) as reader, tarfile.open(target, "w") as writer:
        for member in reader:
            data = reader.extractfile(member).read() if member.isfile() else None
            if data is not None:
                data = change(member.name, data)
                member.size = len(data)
            writer.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


@pytest.mark.parametrize(
    "name, tag", [("sles/base", "sles/base:latest"), ("docker.io/library/base:1", "base:1")]
)
def test_names_are_spelled_as_the_daemon_spells_them(tmp_path, archives, name, tag):
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(
            tmp_path, url, "image_loaded", name=name, source=str(archives["one"]["tar"])
        )
        assert state["result"] is True, state["comment"]
        assert tags(url) == [tag]
        again = run_state(
            tmp_path, url, "image_loaded", name=name, source=str(archives["one"]["tar"])
        )
        assert again["changes"] == {} and tags(url) == [tag]


def test_a_tag_the_archive_carries_is_put_back(tmp_path, archives):
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        run_state(
            tmp_path,
            url,
            "image_loaded",
            name="kiwi/busybox:one",
            source=str(archives["two"]["tar"]),
        )  # the archive's own tag, on image two
        state = run_state(
            tmp_path, url, "image_loaded", name="sles/base:15", source=str(archives["one"]["tar"])
        )
        assert state["result"] is True, state["comment"]
        client = docker.DockerClient(base_url=url)
        assert client.images.get("kiwi/busybox:one").id == archives["two"]["id"]
        assert client.images.get("sles/base:15").id == archives["one"]["id"]
        client.close()


def test_archives_the_daemon_rejects_leave_nothing(tmp_path, archives):
    def break_layers(name, data):
        return b"not a layer" if name.endswith("layer.tar") else data

    corrupt = _rewrite(archives["one"]["tar"], tmp_path / "corrupt.tar", break_layers)
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(tmp_path, url, "image_loaded", name="bad:1", source=str(corrupt))
        assert state["result"] is False, state
        assert "could not load" in state["comment"] and "Traceback" not in state["comment"]
        client = docker.DockerClient(base_url=url)
        assert client.images.list(all=True) == []
        client.close()


def test_digests_and_multi_image_archives_are_refused_before_loading(tmp_path, archives):
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(
            tmp_path,
            url,
            "image_loaded",
            name=f"base@{archives['one']['id']}",
            source=str(archives["one"]["tar"]),
        )
        assert state["result"] is False and "names an image by digest" in state["comment"]
        assert tags(url) == []


def test_a_registry_that_never_answers_fails_at_the_timeout(tmp_path):
    """A loopback port that accepts connections and then says nothing."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    held = []
    threading.Thread(
        target=lambda: [held.append(server.accept()) for _ in range(8)], daemon=True
    ).start()
    try:
        with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
            started = time.monotonic()
            state = run_state(
                tmp_path, url, "image_present", name=f"127.0.0.1:{port}/base:1", timeout=5
            )
            elapsed = time.monotonic() - started
        assert state["result"] is False
        assert "no answer within 5 s" in state["comment"] or "failed" in state["comment"]
        assert elapsed < 20
    finally:
        server.close()


def test_a_pull_from_a_registry_is_predicted_and_follows_the_registry_with_force(tmp_path):
    """A registry the test serves on loopback: test=True names the manifest digest
    the pull then gets; force pulls only when the registry serves another manifest."""
    from tests import registry

    one = _rootfs_tar(tmp_path, "one").read_bytes()
    two = _rootfs_tar(tmp_path, "two").read_bytes()
    with (
        registry.Registry({"bci/base:15": one}) as served,
        dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url,
    ):
        name = f"{served.address}/bci/base:15"

        def pull(**more):
            return run_state(tmp_path, url, "image_present", name=name, timeout=60, **more)

        predicted = pull(test=True)
        assert predicted["result"] is None
        assert tags(url) == []
        applied = pull()
        assert applied["result"] is True, applied["comment"]
        assert applied["changes"] == predicted["changes"]
        first = applied["changes"]["digest"]["new"]
        assert first.startswith("sha256:")
        assert pull()["changes"] == {}
        layer = json.loads(served.manifests["bci/base:15"])["layers"][0]["digest"]
        fetched = [request for request in served.requests if request[1].endswith(layer)]
        assert pull(force=True)["changes"] == {}  # the registry serves the same manifest
        assert [r for r in served.requests if r[1].endswith(layer)] == fetched  # no layer again

        second = served.publish("bci/base:15", two)
        predicted = pull(force=True, test=True)
        assert predicted["changes"] == {"digest": {"old": first, "new": second}}
        applied = pull(force=True)
        assert applied["changes"] == predicted["changes"]
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.get(name).id == served.ids["bci/base:15"]
        finally:
            client.close()
        assert pull(force=True)["changes"] == {}
