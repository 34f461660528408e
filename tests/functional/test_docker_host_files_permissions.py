"""docker_host_files.permissions in image roots: the mode is a maximum (bits are only
removed), owner names resolve in the root's own /etc/passwd and /etc/group, a
prediction is what the real run then does, and a second run changes nothing."""

import json
import os
import stat
import traceback

import pytest

from tests import hosttrees

# Ids that this machine's own files do not give to the same names.
PASSWD = "root:x:0:0::/root:/bin/bash\ndockremap:x:4242:4243::/nonexistent:/bin/false\n"
GROUP = "root:x:0:\ndockremap:x:4243:\n"


@pytest.fixture
def image(tmp_path):
    tree = hosttrees.Tree(tmp_path / "root")
    tree.write("/etc/passwd", PASSWD)
    tree.write("/etc/group", GROUP)
    tree.write("/etc/docker/daemon.json", "{}\n")
    return tree


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _run_twice(states, **arguments):
    predicted = states.docker_host_files.permissions(test=True, **arguments)
    applied = states.docker_host_files.permissions(**arguments)
    again = states.docker_host_files.permissions(**arguments)
    return predicted, applied, again


@pytest.mark.skip_if_not_root  # chown
def test_a_looser_mode_is_tightened_and_a_stricter_one_kept(states, image):
    path = image.root / "etc/docker/daemon.json"
    os.chown(path, 0, 0)
    os.chmod(path, 0o666)
    arguments = {"name": "/etc/docker/daemon.json", "mode": "0644", "root": str(image.root)}
    predicted, applied, again = _run_twice(states, **arguments)
    assert predicted["result"] is None
    assert predicted["changes"] == {"mode": {"old": "0666", "new": "0644"}}
    assert applied["result"] is True
    assert applied["changes"] == predicted["changes"]
    assert _mode(path) == 0o644
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == "/etc/docker/daemon.json is root:root, mode 0644."

    os.chmod(path, 0o600)  # an administrator made it stricter
    kept = states.docker_host_files.permissions(**arguments)
    assert (kept["result"], kept["changes"]) == (True, {})
    assert _mode(path) == 0o600


@pytest.mark.skip_if_not_root
def test_owner_names_are_the_roots_own_and_setuid_survives_the_chown(states, image):
    path = image.root / "etc/docker/daemon.json"
    os.chown(path, 0, 0)
    os.chmod(path, 0o4750)
    arguments = {
        "name": "/etc/docker/daemon.json",
        "user": "dockremap",
        "group": "dockremap",
        "mode": "4755",
        "root": str(image.root),
    }
    predicted, applied, again = _run_twice(states, **arguments)
    owner = {"owner": {"old": "root:root", "new": "dockremap:dockremap"}}
    assert (predicted["result"], predicted["changes"]) == (None, owner)
    assert (applied["result"], applied["changes"]) == (True, owner)
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (4242, 4243)
    assert _mode(path) == 0o4750  # chown clears setuid; it is set again after
    assert (again["result"], again["changes"]) == (True, {})


@pytest.mark.skip_if_not_root
def test_a_user_that_does_not_exist_is_predicted_then_refused(states, image):
    path = image.root / "etc/docker/daemon.json"
    os.chown(path, 0, 0)
    os.chmod(path, 0o644)
    root = str(image.root)
    arguments = {"name": "/etc/docker/daemon.json", "user": "ghost", "root": root}
    predicted = states.docker_host_files.permissions(test=True, **arguments)
    assert predicted["result"] is None
    assert predicted["comment"] == (
        f"/etc/docker/daemon.json would be tightened (user ghost must exist by then under {root})."
    )
    refused = states.docker_host_files.permissions(**arguments)
    assert (refused["result"], refused["changes"]) == (False, {})
    assert refused["comment"] == (
        f"user ghost does not exist under {root}: create it, or name others. Nothing was changed."
    )
    assert (os.stat(path).st_uid, _mode(path)) == (0, 0o644)


def test_a_link_and_a_missing_path_are_left_alone(states, image):
    link = image.root / "etc/docker/key.json"
    link.symlink_to("/etc/passwd")  # inside the root; the host's would be outside it
    before = os.lstat(link)
    ret = states.docker_host_files.permissions(
        name="/etc/docker/key.json", mode="0600", root=str(image.root)
    )
    assert (ret["result"], ret["changes"]) == (True, {})
    assert (
        ret["comment"]
        == "/etc/docker/key.json is a symbolic link; its target is managed on its own."
    )
    assert os.lstat(link) == before
    gone = states.docker_host_files.permissions(name="/run/docker.sock", root=str(image.root))
    assert (gone["result"], gone["changes"]) == (True, {})
    assert gone["comment"] == "/run/docker.sock does not exist; nothing to do."


@pytest.mark.parametrize(
    "name, mode, message",
    [
        ("/etc/docker/", "0644", "'/etc/docker/' is not a normalized absolute path"),
        ("etc/docker", "0644", "'etc/docker' is not a normalized absolute path"),
        ("/etc/docker", "644x", "mode must be an octal string like '0644', not '644x'"),
        ("/etc/docker", 644, "mode must be an octal string like '0644', not 644"),
    ],
)
def test_bad_arguments_are_named_and_change_nothing(states, image, name, mode, message):
    ret = states.docker_host_files.permissions(name=name, mode=mode, root=str(image.root))
    assert (ret["result"], ret["changes"]) == (False, {})
    assert ret["comment"].startswith(message)
    assert ret["comment"].endswith(". Nothing was changed.")


@pytest.mark.skip_if_not_root
def test_a_plan_made_before_another_tightening_gives_no_bit_back(modules, image):
    """The plan (at most 0644) reads 0666 and would set 0644; the mode becomes 0600
    meanwhile: applying 0644 would give the group and others their read back. The
    apply refuses, and the mode stays 0600."""
    path = image.root / "etc/docker/daemon.json"
    os.chmod(path, 0o666)
    files, root = modules.docker_host_files, str(image.root)
    planned = files.plan_permissions("/etc/docker/daemon.json", mode="0644", root=root)
    assert planned["changes"] == {"mode": {"old": "0666", "new": "0644"}}
    os.chmod(path, 0o600)
    assert files.apply_permissions(planned) == {
        "result": False,
        "changes": {},
        "comment": "cannot change /etc/docker/daemon.json: its owner or mode changed after "
        "it was planned; plan it again. Changed so far: nothing",
    }
    assert _mode(path) == 0o600


# Each applier takes away one bit of its own.
BITS = [0o4000, 0o2000, 0o1000, 0o400, 0o200, 0o100, 0o040, 0o020, 0o010, 0o004]


def _tighten_until_done(files, root, bit, record):
    """Fork a process that plans and applies a maximum without ``bit`` until a plan
    is not refused as stale; it writes how many plans it made, and the result."""
    pid = os.fork()
    if pid:
        return pid
    try:  # pragma: no cover (the child never returns)
        for attempt in range(1, 201):
            planned = files.plan_permissions(
                "/etc/docker/daemon.json", mode=f"{0o7777 & ~bit:04o}", root=root
            )
            applied = files.apply_permissions(planned) if planned["changes"] else planned
            if "plan it again" not in applied["comment"]:
                record.write_text(json.dumps([attempt, applied.get("result", True)]))
                break
        os._exit(0)
    except BaseException:
        record.write_text(json.dumps(traceback.format_exc()))
        os._exit(1)


@pytest.mark.skip_if_not_root
def test_parallel_appliers_each_take_their_bit_and_give_none_back(modules, image, tmp_path):
    """Ten processes plan and apply a maximum without their own bit on one file,
    planning again when the mode changed since their plan: every bit taken away
    stays away."""
    path = image.root / "etc/docker/daemon.json"
    os.chmod(path, 0o7777)
    files, root = modules.docker_host_files, str(image.root)
    records = {bit: tmp_path / f"applier-{bit:o}.json" for bit in BITS}
    pids = [_tighten_until_done(files, root, bit, record) for bit, record in records.items()]
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    done = {bit: json.loads(record.read_text()) for bit, record in records.items()}
    assert statuses == [0] * len(BITS), done
    assert all(result is True for _, result in done.values()), done
    assert _mode(path) == 0o7777 & ~sum(BITS)
    again = sum(attempts for attempts, _ in done.values()) - len(BITS)
    print(f"{len(BITS)} appliers, {again} plans made again")
