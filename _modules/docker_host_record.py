"""
What this extension changed on a host, so that ``docker_host.clean`` can take
it back down: only its own changes, and only while they are still as it made
them.

The record is ``/var/lib/suse-docker-host/record.json`` on the target (under
an image root for a root: the image carries it, and the booted host can be
cleaned later), ``root:root 0600``: it holds the text a file had before this
extension first changed it, which may be a TLS key. Its entries, by key:

``file:<path>``
    A file a concern's writer changed: its text, owner and mode before the
    first change (or that there was no file, and which directories the write
    made), the SHA-256 of the text after the latest change, and for a
    sysconfig file the variables written, each with its value before the
    first change and after the latest. ``between`` says that the file was
    changed by hand between two of this extension's writes.
``group:<name>``, ``lock:<name>``
    Kept by the module of that concern (``docker_group``, ``docker_package``)
    through ``get`` and ``put``.

Restoring (``plan_restore``, ``apply_restore``) follows one rule: a file that
still holds what this extension last wrote gets its earlier text back, byte
for byte (or is removed, with the directories the write made, when there was
none). A sysconfig file changed by hand since gets back only those variables
that still hold what was written; anything else changed by hand since is
left as it is and named, never written over.

:depends: ``docker_host_files`` (reads and atomic writes) and ``sysconfig``.

Why it is written by hand: Salt keeps no record of what a state changed that
a later state could undo, and a file's earlier text must survive the runs
that change it again.
"""

import contextlib
import hashlib
import json
import os
import random
import stat
import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "docker_host_record"

RECORD = "/var/lib/suse-docker-host/record.json"
FORMAT = 1
CONCERNS = ("daemon", "users", "forwarding", "package")
_ATTEMPTS = 200  # read-modify-write turns before a busy record is given up


def __virtual__():
    return __virtualname__


def _sha(text):
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _where(path, root):
    return __salt__["sysconfig.resolve"](path, root=root)


def _load(text):
    """The record's data from its text (``None``: no record)."""
    if text is None:
        return {"format": FORMAT, "made": [], "entries": {}}
    try:
        data = json.loads(text)
    except ValueError as err:
        data = err
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("entries"), dict)
    ):
        raise CommandExecutionError(
            f"{RECORD} is not a record this version of suse-docker-host reads: move it "
            "away to start a new record (docker_host.clean then undoes nothing made before)"
        )
    data.setdefault("made", [])
    return data


def read(root=None):
    """
    Return the record's entries (``{}`` when there is none).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.read
        salt '*' docker_host_record.read root=/srv/image-root
    """
    return _load(__salt__["docker_host_files.read_text"](_where(RECORD, root)))["entries"]


def get(key, root=None):
    """
    Return one entry of the record, or ``None``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.get group:docker
    """
    return read(root).get(key)


def _update(change, root):
    """Apply ``change(entries)`` to the record: read, change, write only while the
    record still holds what was read (another writer's turn is never lost), and
    remove the record, with the directories it made, when no entry is left."""
    where = _where(RECORD, root)
    for _ in range(_ATTEMPTS):
        text = __salt__["docker_host_files.read_text"](where)
        data = _load(text)
        if text is None:
            data["made"] = __salt__["docker_host_files.missing_directories"](RECORD, root=root)
        change(data["entries"])
        if data["entries"]:
            new = json.dumps(data, indent=2, sort_keys=True) + "\n"
            if new == text or __salt__["docker_host_files.write_atomic"](
                where, new, mode=0o600, expect=False if text is None else text, root=root
            ):
                return
        elif text is None or __salt__["docker_host_files.remove"](where, expect=text, root=root):
            for directory in reversed(data["made"]):
                __salt__["docker_host_files.remove_empty_directory"](
                    _where(directory, root), root=root
                )
            return
        # Another writer's turn came between the read and the write: a pause of
        # its own length for each writer, so that they do not meet again.
        time.sleep(random.uniform(0, 0.01))
    raise CommandExecutionError(f"{RECORD} kept changing while it was written: try again")


def put(key, entry, root=None):
    """
    Set (or, with ``entry`` ``None``, remove) one entry of the record. For the
    concerns' modules; ``forget`` is the command for an administrator.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.put lock:docker \\
            '{"concern": "package", "before": null, "after": "", "between": false}'
    """

    def change(entries):
        if entry is None:
            entries.pop(key, None)
        else:
            entries[key] = entry

    _update(change, root)


def forget(keys, root=None):
    """
    Remove entries from the record: what they describe is then kept as it is
    by ``docker_host.clean`` (for a file changed by hand that should stay). A
    key is ``file:<path>``, ``group:<name>`` or ``lock:<name>``; a plain path
    means ``file:<path>``.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.forget /etc/docker/daemon.json
    """
    if isinstance(keys, str):
        keys = [keys]
    names = [key if ":" in key and not key.startswith("/") else f"file:{key}" for key in keys]

    def change(entries):
        for name in names:
            entries.pop(name, None)

    _update(change, root)


def note_value(concern, key, before, after, root=None):
    """
    Record that ``concern`` changed ``key`` from ``before`` to ``after`` (values
    that JSON holds): the first ``before`` stays, the latest ``after`` is kept,
    and a ``before`` that is not the ``after`` recorded last marks the entry
    ``between`` (changed by hand between two changes).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.note_value package lock:docker null '""'
    """

    def change(entries):
        entry = entries.get(key)
        if entry is None:
            entry = {"concern": concern, "before": before, "between": False}
        elif entry["after"] != before:
            entry["between"] = True
        entry["after"] = after
        if entry["after"] == entry["before"] and not entry["between"]:
            entries.pop(key, None)  # back as it was first: nothing to take back
        else:
            entries[key] = entry

    if before != after:
        _update(change, root)


def _state_of(path, variables, root):
    """What the target's file ``path`` holds now: its text, owner and mode, and the
    values of ``variables`` (for a sysconfig file); for a missing file, the
    directories a write of it would make."""
    where = _where(path, root)
    text = __salt__["docker_host_files.read_text"](where)
    if text is None:
        return {
            "text": None,
            "made": __salt__["docker_host_files.missing_directories"](path, root=root),
            "variables": dict.fromkeys(variables),
        }
    st = os.stat(where)
    values = __salt__["sysconfig.items"](path, root=root) if variables else {}
    return {
        "text": text,
        "mode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "variables": {name: values.get(name) for name in variables},
    }


def snapshot(files, root=None):
    """
    Return what the target's ``files`` hold now, before a writer changes them:
    ``files`` maps each absolute path to the sysconfig variables to follow in
    it (``[]`` for a file written whole). ``note`` takes the result after the
    write. For the concerns' writers (``recording`` wraps both).

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.snapshot '{"/etc/sysconfig/docker": ["DOCKER_OPTS"]}'
    """
    if not isinstance(files, dict) or not all(os.path.isabs(path) for path in files):
        raise SaltInvocationError("files must map absolute paths to lists of variables")
    return {path: _state_of(path, list(variables), root) for path, variables in files.items()}


def _noted(entry, concern, was, now):
    """The record's entry for one file after a write: from ``was`` (before it) to
    ``now``."""
    if entry is None:
        entry = {
            "concern": concern,
            "before": None
            if was["text"] is None
            else {key: was[key] for key in ("text", "mode", "uid", "gid")},
            "made": was.get("made", []),
            "between": False,
            "variables": {},
        }
    elif entry["after"] not in (_sha(was["text"]), _sha(now["text"])):
        # Changed by hand since the last write, and this write did not undo
        # that change: the earlier text is no longer the whole story.
        entry["between"] = True
    for name, value in was["variables"].items():
        known = entry["variables"].get(name)
        if known is None:
            entry["variables"][name] = {"before": value, "hand": entry["between"]}
        elif known["after"] not in (value, now["variables"].get(name)):
            known["hand"] = True
    entry["after"] = _sha(now["text"])
    for name, value in now["variables"].items():
        entry["variables"][name]["after"] = value
    return entry


def note(concern, before, root=None):
    """
    Record the writes of ``concern`` (``daemon``, ``users``, ``forwarding``,
    ``package``) since ``before`` (from ``snapshot``): each file whose text
    changed. Files that did not change are not recorded.

    CLI Example:

    .. code-block:: bash

        files='{"/etc/docker/daemon.json": []}'
        before=$(salt-call --out=json docker_host_record.snapshot "$files" | jq -c .local)
        salt-call docker_host_record.note daemon "$before"
    """
    if concern not in CONCERNS:
        raise SaltInvocationError(f"concern must be one of {', '.join(CONCERNS)}, not {concern!r}")
    changed = {}
    for path, was in before.items():
        now = _state_of(path, list(was["variables"]), root)
        if now["text"] != was["text"]:
            changed[path] = (was, now)
    if not changed:
        return

    def change(entries):
        for path, (was, now) in changed.items():
            key = f"file:{path}"
            entry = _noted(entries.get(key), concern, was, now)
            first = entry["before"] and entry["before"]["text"]
            if _sha(first) == entry["after"] and not entry["between"]:
                entries.pop(key, None)  # back as it was first: nothing to take back
            else:
                entries[key] = entry

    _update(change, root)


@contextlib.contextmanager
def recording(concern, files, root=None):
    """
    Record what the ``with`` block writes to ``files`` (as for ``snapshot``) for
    ``concern``, also when the block fails part way: a write that happened is
    recorded. A context manager for other modules, the concerns' writers (``with
    __salt__["docker_host_record.recording"]("daemon", files, root=root):``);
    there is nothing to call from the command line.
    """
    before = snapshot(files, root=root)
    try:
        yield
    except BaseException:
        with contextlib.suppress(CommandExecutionError, OSError):
            note(concern, before, root=root)
        raise
    note(concern, before, root=root)


def _told(text):
    """A file's text as a change shows it: its size and digest, never its content
    (it may be a key)."""
    if text is None:
        return "absent"
    return f"{len(text.encode('utf-8', 'surrogateescape'))} bytes, sha256 {_sha(text)[:16]}"


def _plan_variables(path, entry, text, root):
    """The variables of a sysconfig file changed by hand since it was written that
    can still go back: ``(values, changes, left)``."""
    try:
        now = __salt__["sysconfig.items"](path, root=root)
    except CommandExecutionError:
        return {}, {}, [path]
    values, changes, left = {}, {}, []
    for name, item in sorted(entry["variables"].items()):
        current = now.get(name)
        if current == item["before"]:
            continue
        if item["hand"] or current != item["after"] or item["before"] is None:
            left.append(f"{path} {name}")
            continue
        values[name] = item["before"]
        changes[name] = {"old": current, "new": item["before"]}
    return values, changes, left


def plan_restore(concern, root=None):
    """
    Return what taking ``concern``'s files back down would change: each file
    the record holds for it goes back to its text before this extension's
    first change, while it still holds what was written last; a sysconfig
    file changed by hand since gets back the variables still as written.
    Whatever else was changed by hand since is in ``left``, named, and is not
    touched. Change nothing.

    CLI Example:

    .. code-block:: bash

        salt '*' docker_host_record.plan_restore daemon
    """
    if concern not in CONCERNS:
        raise SaltInvocationError(f"concern must be one of {', '.join(CONCERNS)}, not {concern!r}")
    changes, actions, left, done = {}, [], [], []
    for key, entry in sorted(read(root).items()):
        if entry.get("concern") != concern or not key.startswith("file:"):
            continue
        path = key[len("file:") :]
        text = __salt__["docker_host_files.read_text"](_where(path, root))
        before = entry["before"]
        old = None if before is None else before["text"]
        if text == old:
            done.append(key)
        elif _sha(text) == entry["after"] and not entry["between"]:
            actions.append(
                {
                    "key": key,
                    "path": path,
                    "expect": text,
                    "before": before,
                    "made": entry["made"] if before is None else [],
                    "whole": True,
                }
            )
            changes[path] = {"old": _told(text), "new": _told(old)}
        elif entry["variables"] and text is not None:
            values, told, skipped = _plan_variables(path, entry, text, root)
            left.extend(skipped)
            if values:
                expect = {name: told[name]["old"] or "" for name in told}
                actions.append(
                    {
                        "key": key,
                        "path": path,
                        "values": values,
                        "expect": expect,
                        "whole": not skipped,  # nothing of the file is left after it
                    }
                )
                changes[path] = told
        else:
            left.append(path)
    return {
        "root": root,
        "concern": concern,
        "changes": changes,
        "actions": actions,
        "done": done,
        "left": left,
    }


def _restore_file(action, root):
    where, before = _where(action["path"], root), action["before"]
    if before is None:
        return __salt__["docker_host_files.remove"](where, expect=action["expect"], root=root)
    expect = False if action["expect"] is None else action["expect"]
    if not __salt__["docker_host_files.write_atomic"](
        where, before["text"], mode=before["mode"], expect=expect, root=root
    ):
        return False
    os.chown(where, before["uid"], before["gid"])
    os.chmod(where, before["mode"])
    return True


def _as_before(action, root):
    """Whether an action's file reads back as it was before."""
    if "values" in action:
        now = __salt__["sysconfig.items"](action["path"], root=root)
        return all(now.get(name) == value for name, value in action["values"].items())
    before = action["before"]
    text = __salt__["docker_host_files.read_text"](_where(action["path"], root))
    return text == (None if before is None else before["text"])


def apply_restore(planned):
    """
    Carry out a plan from ``plan_restore``: write each file's earlier text back
    (atomically, with its earlier owner and mode), remove the files that were
    not there and the directories their writes made, set the variables back;
    each only while it still holds what the plan read. Then forget what was
    restored. Return ``{"result", "changes", "comment"}``.

    CLI Example:

    .. code-block:: bash

        plan=$(salt-call --out=json docker_host_record.plan_restore daemon | jq -c .local)
        salt-call docker_host_record.apply_restore "$plan"
    """
    root, restored, made = planned["root"], [], set()
    for action in planned["actions"]:
        if "values" in action:
            wrote = not __salt__["sysconfig.update"](
                action["path"], action["values"], root=root, expect=action["expect"]
            )["conflicts"]
        else:
            wrote = _restore_file(action, root)
        if not wrote:
            forget(restored + planned["done"], root=root)
            raise CommandExecutionError(
                f"{action['path']} changed after the plan was made: plan again. "
                f"Put back before it: {', '.join(k[5:] for k in restored) or 'nothing'}"
            )
        if action["whole"]:
            restored.append(action["key"])
        made.update(action.get("made", []))
    for directory in sorted(made, key=len, reverse=True):  # the innermost first
        __salt__["docker_host_files.remove_empty_directory"](_where(directory, root), root=root)
    forget(restored + planned["done"], root=root)
    wrong = [action["path"] for action in planned["actions"] if not _as_before(action, root)]
    if wrong:
        return {
            "result": False,
            "changes": planned["changes"],
            "comment": f"Put back {', '.join(planned['changes'])}, but reading back shows "
            f"{', '.join(wrong)} otherwise",
        }
    return {
        "result": True,
        "changes": planned["changes"],
        "comment": f"{', '.join(planned['changes'])} put back as before suse-docker-host.",
    }
