"""docker_host_files: plan_permissions and apply_permissions on real files.

The files, their owners and modes are real (the tests run as root, as make
test does); the account lookups are given as a table in place of Salt's
user.info and group.info, so that the tests see which root each lookup is
asked about (None for the running system, which looks through NSS).
"""

import os
import subprocess

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests import hangs, locales, netns
from tests.unit.conftest import _load

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners: needs root")


@pytest.fixture
def files_mod(sysconfig_mod):
    module = _load("_modules/docker_host_files.py")
    module.accounts = {}  # (kind, name, root) -> id

    def info(kind):
        def lookup(name, root=None):
            number = module.accounts.get((kind, name, root))
            return {} if number is None else {kind: number}

        return lookup

    module.__salt__ = {
        "sysconfig.resolve": sysconfig_mod.resolve,
        "sysconfig.image_root": sysconfig_mod.image_root,
        "user.info": info("uid"),
        "group.info": info("gid"),
    }
    return module


@pytest.fixture
def image(tmp_path):
    """An image root whose own passwd and group name ids this machine does not
    use; a line that is not UTF-8 and a short line among them."""
    root = tmp_path / "image"
    (root / "etc/docker").mkdir(parents=True)
    (root / "etc/passwd").write_bytes(
        b"root:x:0:0:root:/root:/bin/bash\n"
        b"caf\xe9:x:4100:4100:Caf\xe9 owner:/home/cafe:/bin/bash\n"
        b"olduser:x:4242:4243:Old Owner:/home/old:/bin/bash\n"
    )
    # A gid with anything after it is no gid (glibc skips such a line too).
    (root / "etc/group").write_text(
        "root:x:0:\nshort:x\nblank:x:4343 \nletter:x:4343X\noldgroup:x:4343\n"
    )
    daemon_json = root / "etc/docker/daemon.json"
    daemon_json.write_text("{}")
    os.chown(daemon_json, 4242, 4343)
    os.chmod(daemon_json, 0o6666)
    return root


def _accounts(files_mod, root):
    files_mod.accounts.update({("uid", "root", str(root)): 0, ("gid", "root", str(root)): 0})


def test_a_plan_names_the_old_owner_from_the_images_own_files(files_mod, image):
    _accounts(files_mod, image)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"] == {
        "owner": {"old": "olduser:oldgroup", "new": "root:root"},
        "mode": {"old": "6666", "new": "0644"},
    }
    assert planned["comment"] == "/etc/docker/daemon.json would be tightened."
    assert planned["path"] == str(image / "etc/docker/daemon.json")
    assert (planned["uid"], planned["gid"], planned["mode"]) == (0, 0, 0o644)
    assert planned["missing"] == [] and planned["where"] == f" under {image}"
    assert planned["name"] == "/etc/docker/daemon.json" and planned["root"] == str(image)
    # Planning changed nothing.
    st = os.stat(image / "etc/docker/daemon.json")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o6666)

    done = files_mod.apply_permissions(planned)
    assert done == {
        "result": True,
        "changes": planned["changes"],
        "comment": "/etc/docker/daemon.json was tightened.",
    }
    st = os.stat(image / "etc/docker/daemon.json")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)
    again = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert again["changes"] == {}
    assert again["comment"] == "/etc/docker/daemon.json is root:root, mode 0644."


def test_account_files_that_cannot_be_read_give_numbers_and_never_block(files_mod, image):
    """/etc/passwd a FIFO nobody writes to, /etc/group a directory."""
    _accounts(files_mod, image)
    (image / "etc/passwd").unlink()
    os.mkfifo(image / "etc/passwd")
    (image / "etc/group").unlink()
    (image / "etc/group").mkdir()
    os.chown(image / "etc/docker/daemon.json", 4100, 4343)
    with hangs.fails_if_blocked():
        planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"] == {"old": "4100:4343", "new": "root:root"}


def test_ids_no_file_names_are_given_as_numbers(files_mod, image):
    _accounts(files_mod, image)
    os.chown(image / "etc/docker/daemon.json", 4100, 0)
    (image / "etc/group").write_text("root:x:0:\n")
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"] == {"old": "caf\ufffd:root", "new": "root:root"}
    os.chown(image / "etc/docker/daemon.json", 4999, 4998)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"] == {"old": "4999:4998", "new": "root:root"}


@pytest.mark.parametrize("root", [None, "/"])
def test_the_running_system_looks_accounts_up_through_nss(files_mod, tmp_path, root):
    """user.info and group.info with root=None: directory users (LDAP, SSSD) are
    found only so; with a root they read that root's files."""
    path = tmp_path / "file"
    path.write_text("")
    os.chown(path, 0, 0)
    os.chmod(path, 0o600)
    files_mod.accounts.update({("uid", "dockadm", None): 4242, ("gid", "dockgrp", None): 4343})
    planned = files_mod.plan_permissions(str(path), user="dockadm", group="dockgrp", root=root)
    assert planned["missing"] == [] and planned["where"] == ""
    assert planned["changes"] == {"owner": {"old": "root:root", "new": "dockadm:dockgrp"}}
    assert planned["comment"] == f"{path} would be tightened."
    assert (planned["uid"], planned["gid"]) == (4242, 4343)


def test_missing_accounts_are_named_and_nothing_is_changed(files_mod, image):
    path = image / "etc/docker/daemon.json"
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["missing"] == ["user root", "group root"]
    assert planned["comment"] == (
        f"/etc/docker/daemon.json would be tightened (user root and group root must exist "
        f"by then under {image})."
    )
    assert files_mod.apply_permissions(planned) == {
        "result": False,
        "changes": {},
        "comment": f"user root and group root do not exist under {image}: create them, or "
        "name others. Nothing was changed.",
    }
    files_mod.accounts[("uid", "root", str(image))] = 0
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["missing"] == ["group root"]
    assert files_mod.apply_permissions(planned)["comment"] == (
        f"group root does not exist under {image}: create it, or name others. Nothing was changed."
    )
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o6666)


def test_a_file_that_is_already_right_has_no_note_about_accounts(files_mod, image):
    """No missing account, nothing to change: the comment says how it is."""
    _accounts(files_mod, image)
    path = image / "etc/docker/daemon.json"
    os.chown(path, 0, 0)
    os.chmod(path, 0o600)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["comment"] == "/etc/docker/daemon.json is root:root, mode 0600."
    files_mod.accounts.clear()
    os.chmod(path, 0o640)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", mode="0600", root=str(image))
    assert planned["comment"] == (
        f"/etc/docker/daemon.json would be tightened (user root and group root must exist "
        f"by then under {image})."
    )


def test_the_defaults_are_root_root_0644(files_mod, image):
    _accounts(files_mod, image)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"]["new"] == "root:root"
    assert planned["mode"] == 0o644


def test_a_failed_change_says_nothing_was_changed(files_mod, image):
    _accounts(files_mod, image)
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    os.unlink(image / "etc/docker/daemon.json")
    assert files_mod.apply_permissions(planned) == {
        "result": False,
        "changes": {},
        "comment": "cannot change /etc/docker/daemon.json: No such file or directory. "
        "Changed so far: nothing",
    }


def test_an_unreadable_path_is_an_error_that_names_it(files_mod, image):
    (image / "etc/docker").chmod(0o755)
    (image / "etc/loop").symlink_to("loop")
    with pytest.raises(CommandExecutionError) as err:
        files_mod.plan_permissions("/etc/loop/file", root=str(image))
    assert str(err.value).startswith("cannot read /etc/loop/file: ")


@pytest.mark.parametrize("mode", ["644", "0644", "4755"])
def test_modes_of_three_and_four_octal_digits_are_taken(files_mod, tmp_path, mode):
    assert files_mod.plan_permissions(str(tmp_path / "absent"), mode=mode)["changes"] == {}


def test_a_missing_path_and_a_link_have_nothing_to_change(files_mod, tmp_path):
    (tmp_path / "link").symlink_to("elsewhere")
    assert files_mod.plan_permissions(str(tmp_path / "absent")) == {
        "name": str(tmp_path / "absent"),
        "root": None,
        "changes": {},
        "missing": [],
        "comment": f"{tmp_path / 'absent'} does not exist; nothing to do.",
    }
    assert files_mod.plan_permissions(str(tmp_path / "link")) == {
        "name": str(tmp_path / "link"),
        "root": None,
        "changes": {},
        "missing": [],
        "comment": f"{tmp_path / 'link'} is a symbolic link; its target is managed on its own.",
    }


@pytest.mark.parametrize("mode", ["64", "01644", "0X44", "0648", 644])
def test_other_modes_are_refused(files_mod, tmp_path, mode):
    with pytest.raises(SaltInvocationError) as err:
        files_mod.plan_permissions(str(tmp_path / "absent"), mode=mode)
    assert str(err.value) == f"mode must be an octal string like '0644', not {mode!r}"


def test_every_bad_argument_is_named_at_once(files_mod):
    with pytest.raises(SaltInvocationError) as err:
        files_mod.plan_permissions("etc/docker", mode="9")
    assert str(err.value) == (
        "mode must be an octal string like '0644', not '9'; 'etc/docker' is not a normalized "
        "absolute path (no '..', '.', '//' or trailing '/')"
    )


def test_account_files_that_are_links_are_read_inside_the_image(files_mod, image):
    """An absolute link in the image means the image's file, not this machine's."""
    _accounts(files_mod, image)
    (image / "usr/etc").mkdir(parents=True)
    (image / "etc/group").rename(image / "usr/etc/group")
    (image / "etc/group").symlink_to("/usr/etc/group")
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"]["old"] == "olduser:oldgroup"


def test_a_new_file_gets_0644_and_the_writers_owner_or_what_it_is_given(files_mod, tmp_path):
    old_umask = os.umask(0)
    try:
        files_mod.replace(str(tmp_path / "plain"), "text")
        files_mod.replace(str(tmp_path / "private"), "text", mode=0o600, uid=4242, gid=4343)
        files_mod.write_atomic(str(tmp_path / "made/deeper/owned"), "text")
    finally:
        os.umask(old_umask)
    st = os.stat(tmp_path / "plain")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (os.geteuid(), os.getegid(), 0o644)
    st = os.stat(tmp_path / "private")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o600)
    st = os.stat(tmp_path / "made/deeper/owned")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)
    for directory in ("made", "made/deeper"):
        assert os.stat(tmp_path / directory).st_mode & 0o7777 == 0o755
    assert (tmp_path / "made/deeper/owned").read_text() == "text"


@pytest.mark.parametrize("swap", ["link", "file"])
def test_a_path_replaced_after_planning_is_refused_and_nothing_changes(
    files_mod, image, tmp_path, swap
):
    """Between plan and apply, daemon.json became a link to another file (or another
    file): the change would land on a file nobody planned for, so none is made."""
    _accounts(files_mod, image)
    path = image / "etc/docker/daemon.json"
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("secret\n")
    os.chown(elsewhere, 4242, 4343)
    os.chmod(elsewhere, 0o666)
    os.rename(path, image / "etc/docker/daemon.json.old")
    if swap == "link":
        path.symlink_to(elsewhere)
    else:
        path.write_text("{}")
        os.chmod(path, 0o666)
    assert files_mod.apply_permissions(planned) == {
        "result": False,
        "changes": {},
        "comment": "cannot change /etc/docker/daemon.json: it was replaced after it was "
        "planned; plan it again. Changed so far: nothing",
    }
    st = os.stat(elsewhere)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o666)
    assert os.lstat(path).st_mode & 0o7777 == (0o777 if swap == "link" else 0o666)


def test_owner_names_are_read_as_utf8_whatever_the_locale(files_mod, image):
    _accounts(files_mod, image)
    (image / "etc/group").write_text("root:x:0:\ndockér:x:4343:\n", encoding="utf-8")
    with locales.ascii_ctype():
        planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    assert planned["changes"]["owner"] == {"old": "olduser:dockér", "new": "root:root"}


def test_a_file_on_a_filesystem_without_extended_attributes_is_replaced(files_mod, tmp_path):
    """ramfs keeps no extended attributes, so no ACL can be removed from the new file:
    the replacement goes on without one (in a mount namespace of the test's own)."""
    directory = tmp_path / "ramfs"
    directory.mkdir()

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["mount", "-t", "ramfs", "ramfs", str(directory)], check=True)

    def work():
        (directory / "daemon.json").write_text("{}\n")
        files_mod.replace(str(directory / "daemon.json"), '{"debug": true}\n')
        return (directory / "daemon.json").read_text()

    assert netns.in_namespaces_of_its_own(work, netns.CLONE_NEWNS, prepare=prepare) == (
        '{"debug": true}\n'
    )


def test_a_link_to_the_planned_file_put_at_its_path_is_refused(files_mod, image):
    """The planned file moved aside and a link to it put in its place: the path is a
    link now, whose target is managed on its own, so nothing changes."""
    _accounts(files_mod, image)
    path = image / "etc/docker/daemon.json"
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))
    os.rename(path, image / "etc/docker/daemon.json.old")
    path.symlink_to("daemon.json.old")
    done = files_mod.apply_permissions(planned)
    assert (done["result"], done["changes"]) == (False, {})
    assert "it was replaced after it was planned" in done["comment"]
    st = os.stat(image / "etc/docker/daemon.json.old")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o6666)


def test_a_change_the_filesystem_refuses_says_why_and_nothing_changed(files_mod, image):
    """/etc/docker mounted read-only (in a mount namespace of the test's own) after the
    plan: the file is still the planned one, but its mode cannot change."""
    _accounts(files_mod, image)
    directory = image / "etc/docker"
    planned = files_mod.plan_permissions("/etc/docker/daemon.json", root=str(image))

    def prepare():
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["mount", "--bind", str(directory), str(directory)], check=True)
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(directory), str(directory)], check=True
        )

    done = netns.in_namespaces_of_its_own(
        lambda: files_mod.apply_permissions(planned), netns.CLONE_NEWNS, prepare=prepare
    )
    assert done == {
        "result": False,
        "changes": {},
        "comment": "cannot change /etc/docker/daemon.json: Read-only file system. "
        "Changed so far: nothing",
    }
    st = os.stat(directory / "daemon.json")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4242, 4343, 0o6666)
