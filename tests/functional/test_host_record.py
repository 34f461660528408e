"""The record of what this extension changed (docker_host_record), through
Salt's loader on sandbox roots: what each write leaves in it, and how
``plan_restore`` and ``apply_restore`` judge a file from it: back as before
while it holds what was written last; a sysconfig file changed by hand since
only variable by variable; anything else changed by hand left and named."""

import json
import threading

import pytest

from tests import hosttrees

RECORD = "var/lib/suse-docker-host/record.json"
DAEMON_JSON = "/etc/docker/daemon.json"
SYSCONFIG = "/etc/sysconfig/docker"


@pytest.fixture
def image(tmp_path):
    tree = hosttrees.suse_docker_root(tmp_path / "root", users=["alice", "bob", "carol"])
    return tree.root


def _record(image):
    return json.loads((image / RECORD).read_text())["entries"]


def test_a_write_records_the_first_text_and_the_latest_digest(modules, image):
    shipped = (image / "etc/docker/daemon.json").read_text()
    modules.docker_daemon.set_daemon_json({"debug": True}, root=str(image))
    modules.docker_daemon.set_daemon_json({"debug": False}, root=str(image))
    entry = _record(image)[f"file:{DAEMON_JSON}"]
    assert entry["concern"] == "daemon"
    assert entry["before"]["text"] == shipped
    assert entry["before"]["mode"] == 0o644
    assert entry["between"] is False
    plan = modules.docker_host_record.plan_restore("daemon", root=str(image))
    assert list(plan["changes"]) == [DAEMON_JSON]
    assert plan["left"] == []


def test_a_write_that_changes_nothing_is_not_recorded(modules, image):
    modules.docker_daemon.set_docker_opts({}, root=str(image))
    assert not (image / RECORD).exists()


def test_test_true_records_nothing(modules, image):
    modules.docker_daemon.set_docker_opts({"debug": True}, root=str(image), test=True)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=str(image), test=True)
    assert not (image / RECORD).exists()


def test_the_record_is_roots_alone(modules, image):
    modules.docker_daemon.set_docker_opts({"debug": True}, root=str(image))
    record = image / RECORD
    assert record.stat().st_mode & 0o777 == 0o600
    assert (record.stat().st_uid, record.stat().st_gid) == (0, 0)


def test_an_edit_by_hand_between_two_writes_marks_the_file(modules, image):
    """The file's earlier text is no longer the whole story: it is not put back
    whole, only the variables still as written, and only if none of them was
    changed by hand in between."""
    root = str(image)
    modules.docker_daemon.set_docker_opts({"debug": True}, root=root)
    path = image / "etc/sysconfig/docker"
    path.write_text(path.read_text() + 'DOCKER_NETWORK_OPTIONS="--mtu 1400"\n')
    modules.docker_daemon.set_docker_opts({"log-level": "warn"}, root=root)
    entry = _record(image)[f"file:{SYSCONFIG}"]
    assert entry["between"] is True
    assert entry["variables"]["DOCKER_OPTS"] == {
        "before": "",
        "after": "--debug --log-level=warn",
        "hand": False,
    }
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert plan["changes"] == {
        SYSCONFIG: {"DOCKER_OPTS": {"old": "--debug --log-level=warn", "new": ""}}
    }
    done = modules.docker_host_record.apply_restore(plan)
    assert done["result"] is True, done
    assert modules.sysconfig.items("docker", root=root) == {
        "DOCKER_OPTS": "",
        "DOCKER_NETWORK_OPTIONS": "--mtu 1400",
    }
    assert not (image / RECORD).exists()  # nothing left to record


def test_a_variable_changed_by_hand_between_writes_is_left(modules, image):
    root = str(image)
    modules.docker_daemon.set_docker_opts({"debug": True}, root=root)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug --ipv6", root=root)  # by hand
    modules.docker_daemon.set_docker_opts({"log-level": "warn"}, root=root)
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert plan["changes"] == {}
    assert plan["left"] == [f"{SYSCONFIG} DOCKER_OPTS"]


def test_a_file_that_did_not_exist_goes_with_the_directories_its_write_made(modules, image):
    root = str(image)
    (image / "etc/docker/daemon.json").unlink()
    (image / "etc/docker").rmdir()
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    entry = _record(image)[f"file:{DAEMON_JSON}"]
    assert entry["before"] is None
    assert entry["made"] == ["/etc/docker"]
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert plan["changes"][DAEMON_JSON]["new"] == "absent"
    assert modules.docker_host_record.apply_restore(plan)["result"] is True
    assert not (image / "etc/docker").exists()


def test_a_directory_that_holds_something_else_stays(modules, image):
    root = str(image)
    (image / "etc/docker/daemon.json").unlink()
    (image / "etc/docker").rmdir()
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    (image / "etc/docker/certs.d").mkdir()
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert modules.docker_host_record.apply_restore(plan)["result"] is True
    assert not (image / "etc/docker/daemon.json").exists()
    assert (image / "etc/docker/certs.d").is_dir()


def test_a_file_changed_after_the_plan_is_not_written_over(modules, image):
    root = str(image)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    (image / "etc/docker/daemon.json").write_text('{"debug": false}\n')
    with pytest.raises(Exception, match="changed after the plan was made"):
        modules.docker_host_record.apply_restore(plan)
    assert (image / "etc/docker/daemon.json").read_text() == '{"debug": false}\n'
    assert f"file:{DAEMON_JSON}" in _record(image)


def test_owner_and_mode_come_back_with_the_text(modules, image):
    root = str(image)
    path = image / "etc/docker/daemon.json"
    path.chmod(0o600)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    path.chmod(0o644)  # as the permissions concern could not, but a writer might
    modules.docker_daemon.set_daemon_json({"debug": False}, root=root)
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert modules.docker_host_record.apply_restore(plan)["result"] is True
    assert path.stat().st_mode & 0o777 == 0o600


def test_forget_keeps_a_file_as_it_is(modules, image):
    root = str(image)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    modules.docker_host_record.forget(DAEMON_JSON, root=root)
    assert modules.docker_host_record.plan_restore("daemon", root=root)["changes"] == {}
    assert not (image / RECORD).exists()


def test_a_record_that_is_not_one_is_refused_and_kept(modules, image):
    record = image / RECORD
    record.parent.mkdir(parents=True)
    record.write_text("[1, 2]\n")
    with pytest.raises(Exception, match="is not a record this version"):
        modules.docker_daemon.set_daemon_json({"debug": True}, root=str(image))
    assert record.read_text() == "[1, 2]\n"


def test_parallel_writers_lose_no_entry(modules, image):
    """Writers of different files record at the same time: each entry is kept
    (a write of the record holds only while it holds what was read)."""
    root = str(image)
    errors = []

    def note(index):
        try:
            before = modules.docker_host_record.snapshot({f"/etc/docker/f{index}": []}, root=root)
            (image / f"etc/docker/f{index}").write_text(f"{index}\n")
            modules.docker_host_record.note("daemon", before, root=root)
        except Exception as err:
            errors.append(err)

    threads = [threading.Thread(target=note, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(_record(image)) == sorted(f"file:/etc/docker/f{index}" for index in range(8))


def test_the_lock_keeps_its_first_before_and_notes_a_change_in_between(modules, image):
    root = str(image)
    modules.docker_host_record.note_value("package", "lock:docker", None, "", root=root)
    modules.docker_host_record.note_value("package", "lock:docker", "", "24.0", root=root)
    assert modules.docker_host_record.get("lock:docker", root=root) == {
        "concern": "package",
        "before": None,
        "after": "24.0",
        "between": False,
    }
    modules.docker_host_record.note_value("package", "lock:docker", "25.0", "24.0", root=root)
    assert modules.docker_host_record.get("lock:docker", root=root)["between"] is True


def test_a_concern_that_is_not_one_is_refused(modules, image):
    with pytest.raises(Exception, match="concern must be one of"):
        modules.docker_host_record.plan_restore("images", root=str(image))


def test_a_member_added_then_removed_by_the_formula_is_as_before(modules, image):
    """The group's record counts each run: alice added, then removed again, is
    no change to take back; bob, removed by exclusive, comes back at the clean."""
    root = str(image)
    modules.group.add("docker", root=root)
    modules.group.members("docker", "bob", root=root)
    for users, exclusive in ((["alice"], False), (["carol"], True)):
        plan = modules.docker_group.plan("docker", users=users, exclusive=exclusive, root=root)
        assert modules.docker_group.apply(plan)["result"] is True
    assert modules.docker_host_record.get("group:docker", root=root) == {
        "concern": "users",
        "created": False,
        "added": ["carol"],
        "removed": ["bob"],
    }
    plan = modules.docker_group.clean_plan("docker", root=root)
    assert plan["changes"] == {"removed": ["carol"], "added": ["bob"]}
    assert modules.docker_group.clean_apply(plan)["result"] is True
    assert modules.group.info("docker", root=root)["members"] == ["bob"]
    assert modules.docker_host_record.get("group:docker", root=root) is None


def test_a_hand_edit_that_a_later_write_undoes_is_no_edit_in_between(modules, image):
    """The formula's next run puts the file back as it last wrote it (drift
    healed): the hand edit is gone, and the file still goes back whole."""
    root = str(image)
    shipped = (image / "etc/docker/daemon.json").read_text()
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)
    written = (image / "etc/docker/daemon.json").read_text()
    by_hand = written.replace('"debug": true', '"debug": false')
    (image / "etc/docker/daemon.json").write_text(by_hand)
    modules.docker_daemon.set_daemon_json({"debug": True}, root=root)  # healed
    assert (image / "etc/docker/daemon.json").read_text() == written
    assert _record(image)[f"file:{DAEMON_JSON}"]["between"] is False
    plan = modules.docker_host_record.plan_restore("daemon", root=root)
    assert modules.docker_host_record.apply_restore(plan)["result"] is True
    assert (image / "etc/docker/daemon.json").read_text() == shipped
