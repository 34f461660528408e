"""Base images with a real private dockerd: KIWI-style archives loaded and tagged, pulls."""

import gzip
import json
import lzma
import os
import shutil
import subprocess
import tarfile
import time

import docker
import pytest

from tests import dockerd, registry
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
    """docker-archive tarballs like KIWI's (plain, .gz, .xz) of two busybox images, and
    one archive holding both, made with a private dockerd that is gone afterwards."""
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
        # One archive of both images, as `docker save A B` writes it.
        cli = shutil.which("docker")
        if cli is None:
            raise RuntimeError("the docker CLI is not installed (make test installs docker.io)")
        both = base / "both.docker.tar"
        subprocess.run(
            [
                cli,
                f"--host={url}",
                "save",
                f"--output={both}",
                "kiwi/busybox:one",
                "kiwi/busybox:two",
            ],
            check=True,
            env={**os.environ, "DOCKER_CONFIG": str(base / "docker-config")},
        )
        made["both"] = both
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
        assert again["result"] is True and again["changes"] == {}, again["comment"]

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


@pytest.mark.parametrize(
    "form, magic", [("tar", b""), ("gz", b"\x1f\x8b"), ("xz", b"\xfd7zXZ\x00")]
)
def test_each_form_of_archive_loads_and_runs(tmp_path, archives, form, magic):
    one = archives["one"]
    source = one[form]
    assert source.read_bytes().startswith(magic)  # compressed as its name says
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(tmp_path, url, "image_loaded", name="sles/base:15", source=str(source))
        assert state["result"] is True, state["comment"]
        assert state["changes"] == {"image": {"old": None, "new": one["id"]}}
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.get("sles/base:15").id == one["id"]
            assert [image.id for image in client.images.list(all=True)] == [one["id"]]
            output = client.containers.run(
                "sles/base:15",
                ["/bin/busybox", "cat", "/etc/flavour"],
                network_mode="none",
                remove=True,
            )
        finally:
            client.close()
        assert output == b"one\n"


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


def test_a_pull_from_nowhere_fails_at_the_refusal_without_showing_secrets(tmp_path):
    """Nothing listens on 127.0.0.1:1: dockerd's connection is refused at once and it
    says so; the state reports that refusal, not its own deadline."""
    name = "127.0.0.1:1/base:15"
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(
            tmp_path,
            url,
            "image_present",
            name=name,
            auth={"username": "builder", "password": "s3cr3t-pass"},
            timeout=30,
            log_level="debug",
        )
        assert state["result"] is False and state["changes"] == {}
        comment = state["comment"]
        assert comment.startswith(f"asking the registry about {name} failed: "), comment
        assert "dial tcp 127.0.0.1:1: connect: connection refused" in comment
        assert "no answer within" not in comment
        assert comment.endswith("Nothing was changed.") and "Traceback" not in comment
        assert name in state["stderr"]  # the debug log was written, and is checked here:
        assert "s3cr3t-pass" not in json.dumps(state)  # neither it nor the return shows it
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
    "name, tag",
    [
        ("sles/base", "sles/base:latest"),
        ("docker.io/library/base:1", "base:1"),
        # library/ goes only before a one-part name.
        ("docker.io/library/base/sub:1", "library/base/sub:1"),
    ],
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
        assert again["result"] is True and again["changes"] == {}, again["comment"]
        assert tags(url) == [tag]


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


def test_a_failed_load_puts_back_the_tag_the_archive_moved(tmp_path, archives):
    """dockerd sets an archive's tags one by one as it loads: with a second tag
    that is not a valid reference, it moves kiwi/busybox:one to the archive's
    image and then fails. The state must put the tag back on image two."""

    def bad_second_tag(name, data):
        if name != "manifest.json":
            return data
        (entry,) = json.loads(data)
        assert entry["RepoTags"] == ["kiwi/busybox:one"]
        entry["RepoTags"] = ["kiwi/busybox:one", "Not/Lowercase:1"]
        return json.dumps([entry]).encode()

    rejected = _rewrite(archives["one"]["tar"], tmp_path / "rejected.tar", bad_second_tag)
    one, two = archives["one"]["id"], archives["two"]["id"]
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        before = run_state(
            tmp_path,
            url,
            "image_loaded",
            name="kiwi/busybox:one",
            source=str(archives["two"]["tar"]),
        )
        assert before["result"] is True, before["comment"]
        state = run_state(tmp_path, url, "image_loaded", name="sles/base:15", source=str(rejected))
        assert state["result"] is False and state["changes"] == {}, state
        comment = state["comment"]
        assert comment.startswith(f"the daemon could not load {rejected}: "), comment
        assert "repository name must be lowercase" in comment
        assert comment.endswith("nothing was left behind. Nothing was changed.")
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.get("kiwi/busybox:one").id == two
            assert [image.id for image in client.images.list(all=True)] == [two]
            assert tags(url) == ["kiwi/busybox:one"]
            # The same archive loaded without the state: the daemon does move the
            # tag before it fails, so the state above had a tag to put back.
            with pytest.raises(docker.errors.DockerException), open(rejected, "rb") as handle:
                client.images.load(handle)
            assert client.images.get("kiwi/busybox:one").id == one
        finally:
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
    both = archives["both"]
    with tarfile.open(both) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert sorted(tag for image in manifest for tag in image["RepoTags"]) == [
        "kiwi/busybox:one",
        "kiwi/busybox:two",
    ]
    with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
        state = run_state(
            tmp_path,
            url,
            "image_loaded",
            name=f"base@{archives['one']['id']}",
            source=str(archives["one"]["tar"]),
        )
        assert state["result"] is False and "names an image by digest" in state["comment"]
        several = run_state(tmp_path, url, "image_loaded", name="base:1", source=str(both))
        assert several["result"] is False and several["changes"] == {}
        assert several["comment"] == (
            f"{both} holds 2 images; a base image archive holds one: save each image to an "
            "archive of its own. Nothing was changed."
        )
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.list(all=True) == []

            def image_events():
                return [
                    event["Action"]
                    for event in client.events(
                        since=1, until=int(time.time()) + 1, filters={"type": "image"}, decode=True
                    )
                ]

            # Refused before loading: the daemon saw no load, and nothing undone.
            assert image_events() == []
            with open(archives["one"]["tar"], "rb") as handle:
                client.images.load(handle)
            assert "load" in image_events()  # the witness sees a load when there is one
        finally:
            client.close()


def test_a_registry_that_never_answers_fails_at_the_deadline(tmp_path):
    """A loopback port that accepts connections and then says nothing. dockerd
    itself waits 10 s for a TLS handshake there, then 15 s for plain HTTP's
    headers, so with timeout=5 the module's own deadline is what answers."""
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
    name = f"127.0.0.1:{port}/base:1"
    try:
        with dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url:
            state = run_state(tmp_path, url, "image_present", name=name, timeout=5)
            assert tags(url) == []
        assert held  # dockerd did connect: the silence was the registry's
    finally:
        server.close()
        for connection, _ in held:
            connection.close()
    assert state["result"] is False and state["changes"] == {}
    assert state["comment"] == (
        f"asking the registry about {name} got no answer within 5 s: the registry does not "
        "answer (check the name, the network and the registry). Nothing was changed."
    )


def _rootfs_bytes(base, text):
    return _rootfs_tar(base, text).read_bytes()


def test_a_pull_from_a_registry_is_predicted_and_follows_the_registry_with_force(tmp_path):
    """The real distribution registry on loopback, fed by pushes from a dockerd of
    its own: test=True names the manifest digest the pull then gets; force pulls
    only when the registry serves another manifest."""
    with (
        registry.Registry(tmp_path / "registry") as served,
        dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url,
    ):
        first = served.publish("bci/base:15", _rootfs_bytes(tmp_path, "one"))
        (layer,) = first.layers
        name = f"{served.address}/bci/base:15"

        def pull(**more):
            return run_state(tmp_path, url, "image_present", name=name, timeout=60, **more)

        predicted = pull(test=True)
        assert predicted["result"] is None
        assert predicted["changes"] == {"digest": {"old": None, "new": first.digest}}
        assert tags(url) == []
        assert served.fetches("bci/base", layer) == 0  # asking pulls nothing
        applied = pull()
        assert applied["result"] is True, applied["comment"]
        assert applied["changes"] == predicted["changes"]
        assert served.fetches("bci/base", layer) == 1  # the daemon under test pulled it
        again = pull()
        assert again["result"] is True and again["changes"] == {}, again["comment"]
        forced = pull(force=True)  # the registry serves the same manifest
        assert forced["result"] is True and forced["changes"] == {}, forced["comment"]
        assert served.fetches("bci/base", layer) == 1  # no layer fetched again

        second = served.publish("bci/base:15", _rootfs_bytes(tmp_path, "two"))
        assert second.digest != first.digest
        predicted = pull(force=True, test=True)
        assert predicted["result"] is None
        assert predicted["changes"] == {"digest": {"old": first.digest, "new": second.digest}}
        applied = pull(force=True)
        assert applied["result"] is True, applied["comment"]
        assert applied["changes"] == predicted["changes"]
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.get(name).id == second.id
        finally:
            client.close()
        last = pull(force=True)
        assert last["result"] is True and last["changes"] == {}, last["comment"]


def test_a_pull_of_what_the_registry_does_not_have_fails_and_leaves_nothing(tmp_path):
    """The real registry answers 404 for a repository it does not hold and for a tag
    it does not hold; the state fails, names the image and the registry's answer,
    and the daemon is left as it was: no image, no tag."""
    with (
        registry.Registry(tmp_path / "registry") as served,
        dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url,
    ):
        served.publish("bci/base:15", _rootfs_bytes(tmp_path, "one"))
        for repository, tag in (("bci/none", "15"), ("bci/base", "16")):
            name = f"{served.address}/{repository}:{tag}"
            for test in (True, False):
                state = run_state(tmp_path, url, "image_present", name=name, timeout=60, test=test)
                assert state["result"] is False and state["changes"] == {}
                comment = state["comment"]
                assert comment.startswith(f"asking the registry about {name} failed: "), comment
                assert "manifest unknown" in comment
                assert comment.endswith("Nothing was changed.") and "Traceback" not in comment
            answers = served.answers(f"/v2/{repository}/manifests/{tag}")
            assert answers and {status for _, status in answers} == {404}
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.list(all=True) == []
        finally:
            client.close()


# salt-call in a mount namespace of its own, whose /run is a new tmpfs holding
# only docker.sock, a link to the socket given as the first argument: the
# default address leads to a private daemon, and the machine's /run is not
# touched.
_OWN_RUN = [
    "unshare",
    "--mount",
    "--propagation=private",
    "sh",
    "-ec",
    'mount -t tmpfs -o size=1m tmpfs /run; ln -s "$1" /run/docker.sock; shift; exec "$@"',
    "sh",
]


def test_without_url_docker_host_then_the_minion_option_then_the_default_socket(
    tmp_path, archives, monkeypatch
):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    system_socket = os.path.lexists("/run/docker.sock")
    option_file = tmp_path / "salt-conf" / "minion.d" / "docker.conf"
    option_file.parent.mkdir(parents=True)
    source = str(archives["one"]["tar"])
    with (
        # Short names: containerd's socket paths must stay within 108 bytes.
        dockerd.private_dockerd(tmp_path / "e", storage_driver="vfs") as env_url,
        dockerd.private_dockerd(tmp_path / "o", storage_driver="vfs") as option_url,
        dockerd.private_dockerd(tmp_path / "s", storage_driver="vfs") as default_url,
    ):

        def load(name, env=None):
            return state_single(
                tmp_path,
                "docker_host.image_loaded",
                {"name": name, "source": source},
                env=env,
                prefix=[*_OWN_RUN, default_url[len("unix://") :]],
            )

        # The minion option names another daemon than DOCKER_HOST, and both
        # another than the default socket: each run shows which one wins.
        option_file.write_text(json.dumps({"docker.url": option_url}))
        state = load("env:1", env={"DOCKER_HOST": env_url})
        assert state["result"] is True, state["comment"]
        state = load("option:1")
        assert state["result"] is True, state["comment"]
        option_file.unlink()
        state = load("default:1")
        assert state["result"] is True, state["comment"]
        assert (tags(env_url), tags(option_url), tags(default_url)) == (
            ["env:1"],
            ["option:1"],
            ["default:1"],
        )
    assert os.path.lexists("/run/docker.sock") == system_socket


def test_credentials_in_auth_reach_the_registry(tmp_path):
    """The real registry with htpasswd authentication: without auth or with a
    wrong password the pull fails cleanly and shows no password; with the
    right one, the registry serves the image."""
    password, wrong = "r1ght-pass", "wr0ng-pass"
    with (
        registry.Registry(tmp_path / "registry", users={"builder": password}) as served,
        dockerd.private_dockerd(tmp_path / "d", storage_driver="vfs") as url,
    ):
        published = served.publish("bci/base:15", _rootfs_bytes(tmp_path, "one"))
        (layer,) = published.layers
        name = f"{served.address}/bci/base:15"

        def pull(**more):
            return run_state(
                tmp_path, url, "image_present", name=name, timeout=60, log_level="debug", **more
            )

        for more, answer in (
            ({}, "no basic auth credentials"),
            ({"auth": {"username": "builder", "password": wrong}}, "unauthorized"),
        ):
            for test in (True, False):
                state = pull(test=test, **more)
                assert state["result"] is False and state["changes"] == {}, state
                comment = state["comment"]
                assert comment.startswith(f"asking the registry about {name} failed: "), comment
                assert answer in comment
                assert comment.endswith("Nothing was changed.") and "Traceback" not in comment
                assert name in state["stderr"]  # the debug log was written, and is checked:
                assert wrong not in json.dumps(state) and password not in json.dumps(state)
        assert tags(url) == []
        assert served.fetches("bci/base", layer) == 0
        manifests = served.answers("/v2/bci/base/manifests/15")
        assert 401 in {status for _, status in manifests}  # the registry itself refused

        right = {"username": "builder", "password": password}
        predicted = pull(auth=right, test=True)
        assert predicted["result"] is None, predicted["comment"]
        assert predicted["changes"] == {"digest": {"old": None, "new": published.digest}}
        applied = pull(auth=right)
        assert applied["result"] is True, applied["comment"]
        assert applied["changes"] == predicted["changes"]
        assert password not in json.dumps(predicted) + json.dumps(applied)
        assert served.fetches("bci/base", layer) == 1  # the daemon under test pulled it
        client = docker.DockerClient(base_url=url)
        try:
            assert client.images.get(name).id == published.id
        finally:
            client.close()
