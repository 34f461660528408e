"""Parallel writers of the docker group's members lose nothing: ten processes forked
from this one each add their own user to the group of one image root, planning again
whenever the group changed since their plan (gpasswd sets the whole list of members,
so an apply of a stale plan would drop the members added meanwhile). Each apply that
succeeds reports exactly the member it added, and every member is there at the end.
"""

import json
import os
import subprocess
import traceback

import pytest
from salt.exceptions import CommandExecutionError

from tests import hosttrees

USERS = [f"user{number}" for number in range(10)]
STALE = "changed after the plan was made: plan again"


@pytest.fixture
def image_root(tmp_path):
    return hosttrees.accounts(tmp_path / "root", USERS, groups=(("users", 100), ("docker", 478)))


def _members(tree):
    for line in (tree.root / "etc/group").read_text().splitlines():
        if line.startswith("docker:"):
            return sorted(filter(None, line.split(":")[3].split(",")))
    return None


def _add_until_done(modules, root, user, record):
    """Fork a process that plans and applies until ``user`` is a member."""
    pid = os.fork()
    if pid:
        return pid
    try:  # pragma: no cover (the child never returns)
        with open(record, "w", encoding="utf-8") as out:
            for _ in range(200):
                planned = modules.docker_group.plan("docker", users=[user], root=root)
                try:
                    applied = modules.docker_group.apply(planned)
                except CommandExecutionError as err:
                    out.write(json.dumps({"refused": str(err)}) + "\n")
                    continue
                out.write(json.dumps(applied) + "\n")
                break
        os._exit(0)
    except BaseException:
        with open(record, "a", encoding="utf-8") as out:
            out.write(json.dumps({"error": traceback.format_exc()}) + "\n")
        os._exit(1)


@pytest.mark.skip_if_not_root  # gpasswd --root
def test_parallel_writers_of_the_members_each_add_theirs_and_lose_none(
    modules, image_root, tmp_path
):
    root = str(image_root.root)
    records = {user: tmp_path / f"{user}.jsonl" for user in USERS}
    pids = [_add_until_done(modules, root, user, record) for user, record in records.items()]
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    refused = 0
    for user, record in records.items():
        results = [json.loads(line) for line in record.read_text().splitlines()]
        assert "error" not in results[-1], results[-1]["error"]
        for result in results[:-1]:
            assert STALE in result["refused"], result
        refused += len(results) - 1
        assert results[-1]["result"] is True
        assert results[-1]["changes"] == {"added": [user]}
    assert statuses == [0] * len(USERS)
    assert _members(image_root) == sorted(USERS)
    print(f"{len(USERS)} writers, {refused} stale plans refused and made again")


@pytest.mark.skip_if_not_root
def test_a_member_added_after_the_plan_is_not_dropped(modules, image_root):
    """The plan reads no members; bob is added by hand; applying the plan (members:
    alice only) would drop bob: nothing is written, and the error says to plan again."""
    root = str(image_root.root)
    planned = modules.docker_group.plan("docker", users=["user0"], root=root)
    subprocess.run(["gpasswd", "--root", root, "-a", "user1", "docker"], check=True)
    with pytest.raises(CommandExecutionError) as raised:
        modules.docker_group.apply(planned)
    assert str(raised.value) == (
        "group docker changed after the plan was made: plan again. Nothing was written"
    )
    assert _members(image_root) == ["user1"]


@pytest.mark.skip_if_not_root
def test_a_group_created_after_the_plan_is_not_created_again(modules, image_root):
    root = str(image_root.root)
    subprocess.run(["groupdel", "--root", root, "docker"], check=True)
    planned = modules.docker_group.plan("docker", users=["user0"], root=root)
    assert "group" in planned["changes"]
    subprocess.run(["groupadd", "--root", root, "-g", "479", "docker"], check=True)
    with pytest.raises(CommandExecutionError, match=STALE):
        modules.docker_group.apply(planned)
    assert _members(image_root) == []
