"""Writing the daemon's configuration through Salt's loader: what ``set_daemon_json`` and
``remove_daemon_json`` return, refuse and write (SUSE's layout, modes, no file made for
nothing), and ``image_count``, which tells the state how many images a change hides."""

import json
import os
import stat

import pytest
from salt.exceptions import SaltInvocationError

from tests import hosttrees
from tests.conftest import SUSE_FIXTURES


def test_daemon_json_is_written_in_suses_layout(modules, suse_root):
    """Two-space indent, one key a line, a final newline: a key added and removed
    again gives back SUSE's own file byte for byte."""
    root = str(suse_root.root)
    path = suse_root.root / "etc/docker/daemon.json"
    shipped = (SUSE_FIXTURES / "docker/docker-daemon.json").read_bytes()
    modules.docker_daemon.set_daemon_json({"live-restore": True}, root=root)
    assert path.read_bytes() == shipped[: -len(b"\n}\n")] + b',\n  "live-restore": true\n}\n'
    modules.docker_daemon.remove_daemon_json("live-restore", root=root)
    assert path.read_bytes() == shipped


def test_set_daemon_json_returns_file_old_new_and_changed(suse_daemon_json, modules, suse_root):
    root = str(suse_root.root)
    path = suse_root.root / "etc/docker/daemon.json"
    for test in (True, False):
        result = modules.docker_daemon.set_daemon_json(
            {"log-level": None, "debug": True}, root=root, test=test
        )
        assert result == {
            "file": str(path),
            "old": suse_daemon_json,
            "new": {
                **{k: v for k, v in suse_daemon_json.items() if k != "log-level"},
                "debug": True,
            },
            "changed": True,
        }


def test_removing_the_last_key_leaves_an_empty_object(modules, tmp_path):
    tree = hosttrees.Tree(tmp_path / "root")
    path = tree.write("/etc/docker/daemon.json", '{"debug": true}\n')
    result = modules.docker_daemon.remove_daemon_json("debug", root=str(tree.root))
    assert result == {"file": str(path), "old": {"debug": True}, "new": {}, "changed": True}
    assert path.read_bytes() == b"{}\n"


@pytest.mark.parametrize("test", [False, True])
def test_no_daemon_json_is_made_when_there_is_nothing_to_write(modules, tmp_path, test):
    tree = hosttrees.Tree(tmp_path / "root")
    path = tree.root / "etc/docker/daemon.json"
    result = modules.docker_daemon.remove_daemon_json(
        ["debug", "log-level"], root=str(tree.root), test=test
    )
    assert result == {"file": str(path), "old": None, "new": {}, "changed": False}
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize(
    "settings, message",
    [
        (["debug"], "settings must be a mapping, not list"),
        ("debug", "settings must be a mapping, not str"),
        ({"": True}, "'' is not a daemon.json key"),
        ({1: True}, "1 is not a daemon.json key"),
        ({"debug": True, None: 1}, "None is not a daemon.json key"),
    ],
)
def test_settings_that_are_not_daemon_json_keys_are_refused(modules, suse_root, settings, message):
    path = suse_root.root / "etc/docker/daemon.json"
    before = path.read_bytes()
    with pytest.raises(SaltInvocationError) as err:
        modules.docker_daemon.set_daemon_json(settings, root=str(suse_root.root))
    assert str(err.value) == message
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "mode, written",
    [
        (0o600, 0o600),
        (0o640, 0o640),
        (0o644, 0o644),
        (0o755, 0o644),
        (0o777, 0o644),
        (0o711, 0o600),
    ],
)
def test_daemon_json_is_never_looser_than_0644(modules, suse_root, mode, written):
    """CIS Docker Benchmark 3.18: a stricter mode is kept, no bit beyond 0644 survives
    (the execute bits included)."""
    path = suse_root.root / "etc/docker/daemon.json"
    os.chmod(path, mode)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=str(suse_root.root))
    assert stat.S_IMODE(path.stat().st_mode) == written
    assert json.loads(path.read_text())["debug"] is True


@pytest.fixture
def image_store(tmp_path):
    """dockerd's image store under the default data-root, /var/lib/docker, of a root:
    images of three drivers, and a driver directory with no image store yet, placed
    first in the directory's listing (where it would hide the others if it stopped
    the count)."""
    tree = hosttrees.Tree(tmp_path / "root")
    image = tree.root / "var/lib/docker/image"
    for name in ("btrfs", "overlay2", "vfs", "zfs"):
        (image / name).mkdir(parents=True)
    empty, *with_images = os.listdir(image)
    for name, count in zip(with_images, (2, 3, 1), strict=True):
        store = image / name / "imagedb/content/sha256"
        store.mkdir(parents=True)
        for number in range(count):
            (store / f"{number:064x}").write_text("{}")
    return tree, dict(zip(with_images, (2, 3, 1), strict=True)), empty


def test_image_count_adds_every_drivers_images_under_the_default_data_root(modules, image_store):
    tree, counts, empty = image_store
    root = str(tree.root)
    assert modules.docker_daemon.image_count(root=root) == 6
    assert modules.docker_daemon.image_count("/var/lib/docker", root=root) == 6
    for name, count in counts.items():
        assert modules.docker_daemon.image_count(driver=name, root=root) == count
    assert modules.docker_daemon.image_count(driver=empty, root=root) == 0
    assert modules.docker_daemon.image_count("/srv/docker", root=root) == 0
