"""Parallel appliers of forwarding plans never undo each other's change unseen: ten
processes forked from this one, or ten threads of it, each plan and apply forwarding
on, then off, twenty times, on one SLES 12 root (the sysctl.d file,
/etc/sysconfig/sysctl's IP_FORWARD and SuSEfirewall2's FW_ROUTE). An apply whose
files changed since its plan writes nothing more and says so; every change an apply
reports was made to what it read.

That is checked on the changes reported: they must chain, in some order, from each
file's first content to its last, so for every content as many changes leave it as
arrive at it, except the first (one more leaves) and the last (one more arrives).
Two appliers that both changed A to B from one reading, the second writing over the
first's change unseen, break the count.
"""

import collections
import json
import os
import re
import threading
import traceback

import pytest

from tests import hosttrees

WRITERS = 10
ROUNDS = 20
STALE = "changed after the plan was made: plan again"


@pytest.fixture
def sles12(tmp_path):
    tree = hosttrees.sles12_with_susefirewall2(tmp_path / "root")
    tree.write(
        "/etc/sysconfig/sysctl",
        "## Path: System/Kernel\n## Type: yesno\n## Default: no\n#\n"
        '# Runtime-configurable parameter: forward IP packets.\n#\nIP_FORWARD="no"\n',
    )
    return tree


def _contents(modules, root):
    """What each file holds, as the changes report it."""
    return {
        "persistent": modules.docker_forwarding.read_persistent(root=root),
        "IP_FORWARD": modules.sysconfig.get("sysctl", "IP_FORWARD", root=root) or "",
        "FW_ROUTE": modules.sysconfig.get("SuSEfirewall2", "FW_ROUTE", root=root) or "",
    }


def _reported(applied):
    """The (what, old, new) changes one apply reports."""
    changes = applied["changes"]
    found = []
    if "persistent" in changes:
        found.append(("persistent", changes["persistent"]["old"], changes["persistent"]["new"]))
    for layer, variable in (("legacy", "IP_FORWARD"), ("firewall", "FW_ROUTE")):
        if variable in changes.get(layer, {}):
            change = changes[layer][variable]
            found.append((variable, change["old"] or "", change["new"]))
    return found


def _apply_rounds(modules, root, number, record):
    """Plan and apply ROUNDS times, one result per line; True when all went through."""
    try:
        with open(record, "w", encoding="utf-8") as out:
            for step in range(ROUNDS):
                forwarding = modules.docker_forwarding
                planned = forwarding.plan(ipv4=(number + step) % 2 == 0, root=root)
                out.write(json.dumps(forwarding.apply(planned)) + "\n")
        return True
    except BaseException:
        with open(record, "a", encoding="utf-8") as out:
            out.write(json.dumps({"error": traceback.format_exc()}) + "\n")
        return False


def _in_processes(modules, root, records):
    """Each applier a process forked from this one; their exit statuses."""
    pids = []
    for number, record in enumerate(records):
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child never returns)
            os._exit(0 if _apply_rounds(modules, root, number, record) else 1)
        pids.append(pid)
    return [os.waitpid(pid, 0)[1] for pid in pids]


def _in_threads(modules, root, records):
    """Each applier a thread of this process, as the minion runs parallel jobs;
    0 for each that went through."""
    statuses = [None] * len(records)

    def run(number, record):
        statuses[number] = 0 if _apply_rounds(modules, root, number, record) else 1

    threads = [threading.Thread(target=run, args=item) for item in enumerate(records)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.skip_if_not_root  # the files are chowned to root
@pytest.mark.parametrize("run", [_in_processes, _in_threads], ids=["processes", "threads"])
def test_parallel_appliers_report_only_changes_they_made_to_what_they_read(
    modules, sles12, tmp_path, run
):
    root = str(sles12.root)
    first = _contents(modules, root)
    records = [tmp_path / f"applier-{number}.jsonl" for number in range(WRITERS)]
    statuses = run(modules, root, records)
    results = [json.loads(line) for record in records for line in record.read_text().splitlines()]
    errors = [result["error"] for result in results if "error" in result]
    assert not errors, errors[0]
    assert statuses == [0] * WRITERS
    assert len(results) == WRITERS * ROUNDS

    refused = [result for result in results if not result["result"]]
    for result in refused:
        # Each refusal names the file that changed (the plan's check, or the
        # write's own when the change came between the two).
        assert re.search(r"/etc/\S+ changed after the plan was made: plan again", result["comment"])
    last = _contents(modules, root)
    for what in first:
        leaving, arriving = collections.Counter(), collections.Counter()
        for name, old, new in (change for r in results for change in _reported(r)):
            if name == what:
                leaving[old] += 1
                arriving[new] += 1
        for content in set(leaving) | set(arriving) | {first[what], last[what]}:
            assert leaving[content] - arriving[content] == (content == first[what]) - (
                content == last[what]
            ), f"{what}: a change to {content!r} was written over unseen"
    print(f"{len(results)} applies, {len(refused)} refused a plan made stale meanwhile")


def _files(root):
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _edit_persistent(tree):
    tree.write("/etc/sysctl.d/90-docker-host-forwarding.conf", "net.ipv4.ip_forward = 0\n")


def _edit_legacy(tree):
    tree.write("/etc/sysconfig/sysctl", 'IP_FORWARD=""\n')


def _edit_susefirewall2(tree):
    path = tree.root / "etc/sysconfig/SuSEfirewall2"
    path.write_text(path.read_text() + 'FW_ROUTE="no"\n')


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (_edit_persistent, "/etc/sysctl.d/90-docker-host-forwarding.conf"),
        (_edit_legacy, "/etc/sysconfig/sysctl"),
        (_edit_susefirewall2, "/etc/sysconfig/SuSEfirewall2"),
    ],
    ids=["persistent", "legacy", "SuSEfirewall2"],
)
def test_a_plan_made_stale_by_a_hand_edit_writes_nothing(modules, sles12, edit, path):
    """The file is edited between the plan and its apply: the apply writes no layer
    (the edit stays as made) and says to plan again."""
    root = str(sles12.root)
    planned = modules.docker_forwarding.plan(root=root)
    assert {"persistent", "legacy", "firewall"} <= set(planned["changes"])
    edit(sles12)
    before = _files(sles12.root)
    applied = modules.docker_forwarding.apply(planned)
    assert applied == {
        "result": False,
        "changes": {},
        "comment": f"{path} changed after the plan was made: plan again. Nothing was written",
    }
    assert _files(sles12.root) == before


@pytest.mark.skip_if_not_root
def test_two_files_changed_since_the_plan_are_both_named(modules, sles12):
    root = str(sles12.root)
    planned = modules.docker_forwarding.plan(root=root)
    _edit_persistent(sles12)
    _edit_susefirewall2(sles12)
    applied = modules.docker_forwarding.apply(planned)
    assert applied["comment"] == (
        "/etc/sysctl.d/90-docker-host-forwarding.conf and /etc/sysconfig/SuSEfirewall2 changed "
        "after the plan was made: plan again. Nothing was written"
    )


@pytest.mark.skip_if_not_root
def test_a_firewall_changed_since_the_plan_is_found_without_the_legacy_layer(modules, sles12):
    """No /etc/sysconfig/sysctl (SLES 15): the firewall's file is checked all the same."""
    (sles12.root / "etc/sysconfig/sysctl").unlink()
    root = str(sles12.root)
    planned = modules.docker_forwarding.plan(root=root)
    assert "legacy" not in planned["changes"]
    _edit_susefirewall2(sles12)
    before = _files(sles12.root)
    assert modules.docker_forwarding.apply(planned)["comment"] == (
        "/etc/sysconfig/SuSEfirewall2 changed after the plan was made: plan again. "
        "Nothing was written"
    )
    assert _files(sles12.root) == before


@pytest.mark.skip_if_not_root
def test_a_firewall_changed_since_the_plan_is_found_when_the_legacy_file_is_unreadable(
    modules, sles12
):
    """/etc/sysconfig/sysctl became a directory after the plan: its own write would
    say so, but the firewall's change is found first, and nothing is written."""
    root = str(sles12.root)
    planned = modules.docker_forwarding.plan(root=root)
    legacy = sles12.root / "etc/sysconfig/sysctl"
    legacy.unlink()
    legacy.mkdir()
    _edit_susefirewall2(sles12)
    assert modules.docker_forwarding.apply(planned)["comment"] == (
        "/etc/sysconfig/SuSEfirewall2 changed after the plan was made: plan again. "
        "Nothing was written"
    )


@pytest.mark.skip_if_not_root
def test_a_variable_the_firewall_file_does_not_set_is_no_change(modules, sles12):
    """FW_ROUTE missing from the file (it is appended): unset then and unset still,
    the plan is not stale, and apply writes it."""
    path = sles12.root / "etc/sysconfig/SuSEfirewall2"
    path.write_text(
        "".join(
            line for line in path.read_text().splitlines(True) if not line.startswith("FW_ROUTE=")
        )
    )
    root = str(sles12.root)
    planned = modules.docker_forwarding.plan(root=root)
    assert planned["changes"]["firewall"] == {"FW_ROUTE": {"old": None, "new": "yes"}}
    applied = modules.docker_forwarding.apply(planned)
    assert applied["result"] is True, applied["comment"]
    assert modules.sysconfig.get("SuSEfirewall2", "FW_ROUTE", root=root) == "yes"
