"""The sysconfig execution module through Salt's loader, on sandbox roots of real SUSE files."""

import os
import stat

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError


def test_the_loader_finds_the_repository_module(modules):
    for function in ("items", "get", "describe", "set", "update"):
        assert f"sysconfig.{function}" in modules


def test_set_changes_only_that_assignment(modules, sandbox_root, bash):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    before = path.read_bytes()
    old_values = bash(path)

    result = modules.sysconfig.set("SuSEfirewall2", "FW_ROUTE", "yes", root=str(sandbox_root))

    after = path.read_bytes()
    assert result["changed"] is True
    assert (result["old"], result["new"]) == ("", "yes")
    assert after == before.replace(b'\nFW_ROUTE=""\n', b'\nFW_ROUTE="yes"\n', 1)
    assert len(after) == len(before) + 3
    new_values = bash(path)
    assert new_values == {**old_values, "FW_ROUTE": "yes"}
    assert '-FW_ROUTE=""' in result["diff"] and '+FW_ROUTE="yes"' in result["diff"]


def test_the_files_own_quoting_of_the_variable_is_kept(modules, sandbox_root, bash):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    before = path.read_text()
    modules.sysconfig.update(
        "SuSEfirewall2",
        {"FW_ZONE_DEFAULT": "ext", "FW_LOAD_MODULES": "nf_conntrack_ftp"},
        root=str(sandbox_root),
    )
    after = path.read_text()
    assert "\nFW_ZONE_DEFAULT='ext'\n" in after
    assert "\nFW_LOAD_MODULES=nf_conntrack_ftp\n" in after
    assert after == before.replace("\nFW_ZONE_DEFAULT=''\n", "\nFW_ZONE_DEFAULT='ext'\n").replace(
        "\nFW_LOAD_MODULES=\n", "\nFW_LOAD_MODULES=nf_conntrack_ftp\n"
    )
    assert bash(path)["FW_ZONE_DEFAULT"] == "ext"


def test_a_missing_final_newline_stays_missing(modules, tmp_path, bash):
    path = tmp_path / "nonewline"
    path.write_bytes(b'# comment\nA="1"\nB="2"')
    modules.sysconfig.set(str(path), "B", "3")
    assert path.read_bytes() == b'# comment\nA="1"\nB="3"'


def test_a_variable_not_in_the_file_is_appended_with_metadata(modules, sandbox_root, bash):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    result = modules.sysconfig.set("docker", "DOCKER_NETWORK_OPTIONS", "", root=str(sandbox_root))
    assert result["appended"] is True and result["changed"] is True
    assert result["old"] is None
    after = path.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :].decode()
    # Spelled as the file spells its metadata ("## Type           : ").
    assert added == (
        "\n## Type           : string\n#\n# Added by Salt (sysconfig module).\n#\n"
        'DOCKER_NETWORK_OPTIONS=""\n'
    )
    assert bash(path) == {"DOCKER_OPTS": "", "DOCKER_NETWORK_OPTIONS": ""}
    meta = modules.sysconfig.describe("docker", "DOCKER_NETWORK_OPTIONS", root=str(sandbox_root))
    assert meta["Type"] == "string"


def test_appending_to_a_file_without_final_newline(modules, tmp_path, bash):
    path = tmp_path / "short"
    path.write_bytes(b'A="1"')
    modules.sysconfig.set(str(path), "B", "2")
    assert path.read_bytes().startswith(b'A="1"\n\n## Type: string\n')
    assert bash(path) == {"A": "1", "B": "2"}


def test_setting_the_same_value_writes_nothing(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "SuSEfirewall2"
    inode = path.stat().st_ino
    result = modules.sysconfig.set("SuSEfirewall2", "FW_ZONE_DEFAULT", "", root=str(sandbox_root))
    assert result["changed"] is False and result["diff"] == ""
    assert path.stat().st_ino == inode


def test_test_mode_reports_and_writes_nothing(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    result = modules.sysconfig.set(
        "docker", "DOCKER_OPTS", "--log-level=warn", root=str(sandbox_root), test=True
    )
    assert result["changed"] is True and '+DOCKER_OPTS="--log-level=warn"' in result["diff"]
    assert path.read_bytes() == before


def test_owner_mode_and_inode_replacement(modules, sandbox_root):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    os.chmod(path, 0o640)
    os.chown(path, 12345, 54321)
    inode = path.stat().st_ino
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert (st.st_uid, st.st_gid) == (12345, 54321)
    assert st.st_ino != inode  # replaced by rename, not rewritten in place
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".docker.")]
    assert leftovers == []


@pytest.mark.skip_if_not_root
def test_a_root_owned_file_in_a_setgid_directory_keeps_its_group(modules, sandbox_root):
    """A new file in a setgid directory takes the directory's group; the
    replacement must take the old file's instead."""
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    os.chown(path.parent, 0, 65534)
    os.chmod(path.parent, 0o2755)
    os.chown(path, 0, 0)
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=str(sandbox_root)) == "--debug"


def test_writes_through_a_symlink_keep_the_link(modules, sandbox_root):
    sysconfig = sandbox_root / "etc" / "sysconfig"
    real = sysconfig / "docker.real"
    (sysconfig / "docker").rename(real)
    (sysconfig / "docker").symlink_to("/etc/sysconfig/docker.real")  # absolute, inside root
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(sandbox_root))
    assert (sysconfig / "docker").is_symlink()
    assert 'DOCKER_OPTS="--debug"' in real.read_text()


@pytest.mark.parametrize(
    "value",
    [
        "$(touch {marker})",
        "`touch {marker}`",
        "${{IFS}}$(touch {marker})",
        '"; touch {marker}; echo "',
        "\\$(touch {marker})",
        "x\\",
        "a b\tc",
        "100% #not a comment; really",
        'say "hello"',
        "it's fine",
        "",
    ],
)
def test_values_are_never_run_and_read_back_exactly(modules, sandbox_root, tmp_path, bash, value):
    marker = tmp_path / "owned"
    value = value.format(marker=marker)
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    modules.sysconfig.set("docker", "DOCKER_OPTS", value, root=str(sandbox_root))
    assert bash(path)["DOCKER_OPTS"] == value
    assert modules.sysconfig.get("docker", "DOCKER_OPTS", root=str(sandbox_root)) == value
    assert not marker.exists()


@pytest.mark.parametrize(
    "value, why",
    [
        ("two\nlines", "newline"),
        ("nul\x00byte", "control character"),
        ("it's $(id)", "single quote together with"),
        ('it\'s "quoted"', "single quote together with"),
        ('--log-opt tag="{{.Name}}"', 'NAME="..."'),
    ],
)
def test_values_no_reader_would_read_back_are_refused(modules, sandbox_root, value, why):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    before = path.read_bytes()
    with pytest.raises(SaltInvocationError, match=why):
        modules.sysconfig.set("docker", "DOCKER_OPTS", value, root=str(sandbox_root))
    assert path.read_bytes() == before


def test_missing_file_directory_and_bad_syntax_are_clear_errors(modules, sandbox_root):
    root = str(sandbox_root)
    with pytest.raises(CommandExecutionError, match="does not exist"):
        modules.sysconfig.set("nothere", "A", "1", root=root)
    assert not (sandbox_root / "etc" / "sysconfig" / "nothere").exists()
    with pytest.raises(CommandExecutionError, match="is a directory"):
        modules.sysconfig.set("network", "A", "1", root=root)
    with pytest.raises(CommandExecutionError, match="is a directory"):
        modules.sysconfig.items("network", root=root)

    broken = sandbox_root / "etc" / "sysconfig" / "broken"
    broken.write_text('A="1"\nB="never closed\nC=3\n')
    before = broken.read_bytes()
    with pytest.raises(CommandExecutionError, match=r"line 2: unterminated double quote"):
        modules.sysconfig.set("broken", "A", "2", root=root)
    assert broken.read_bytes() == before
    assert sorted(p.name for p in broken.parent.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    "text, shared",
    [
        ("A=old # a comment\n", "# a comment"),
        ('A="old" # c\n', "# c"),
        ("A=old B=2\n", "B=2"),
        ("B=2 A=old\n", "B=2"),
        ("B=2; A=old\n", "B=2;"),
        ("export A=old\n", "export"),
        ("A=old \\\n  B=2\n", "\\"),
        # The line before continues onto A's: for bash after an assignment, for
        # systemd after a comment too (bash ends a comment at the newline).
        ("X=1 \\\nA=old\n", "X=1 \\"),
        ("# a note \\\nA=old\n", "# a note \\"),
    ],
)
def test_an_assignment_sharing_its_line_is_refused(modules, tmp_path, text, shared):
    path = tmp_path / "shared"
    path.write_text(text)
    for value in ("new", "old"):  # refused even when bash already reads the value
        with pytest.raises(SaltInvocationError) as err:
            modules.sysconfig.set(str(path), "A", value)
        assert f"shares its line with {shared!r}" in str(err.value)
        assert "put A=... on a line of its own" in str(err.value)
    assert path.read_text() == text


def test_a_line_after_an_escaped_backslash_is_a_line_of_its_own(modules, tmp_path, bash):
    path = tmp_path / "escaped"
    # Two backslashes: the second is escaped, so the comment ends at the newline
    # for bash and for systemd alike.
    path.write_text("# a Windows share, \\\\server\\\\\nA=old\n")
    modules.sysconfig.set(str(path), "A", "new")
    assert bash(path) == {"A": "new"}
    assert path.read_text() == "# a Windows share, \\\\server\\\\\nA=new\n"


def test_a_change_that_would_change_another_variable_is_refused(modules, tmp_path, bash):
    path = tmp_path / "refers"
    path.write_text('A="1"\nB="$A"\n')
    with pytest.raises(CommandExecutionError, match=r"would also change B \(from '1' to '2'\)"):
        modules.sysconfig.set(str(path), "A", "2")
    assert path.read_text() == 'A="1"\nB="$A"\n'
    modules.sysconfig.update(str(path), {"A": "2", "B": "2"})
    assert bash(path) == {"A": "2", "B": "2"}

    trailing = tmp_path / "trailing-backslash"
    trailing.write_bytes(b"A=1\\")
    with pytest.raises(CommandExecutionError, match=r"would also change A"):
        modules.sysconfig.set(str(trailing), "NEW", "v")
    assert trailing.read_bytes() == b"A=1\\"


def test_numbers_that_lost_digits_are_refused(modules, tmp_path):
    path = tmp_path / "numbers"
    path.write_text('## Type: string\nV=""\n')
    with pytest.raises(SaltInvocationError, match="give it as a quoted string"):
        modules.sysconfig.set(str(path), "V", 1.1)
    modules.sysconfig.set(str(path), "V", 8)
    assert path.read_text() == '## Type: string\nV="8"\n'


def test_posix_classes_in_regexp_types(modules, tmp_path):
    path = tmp_path / "regexp"
    path.write_text('## Type: regexp(^[[:digit:]]+$)\nA=""\n')
    modules.sysconfig.set(str(path), "A", "123")
    with pytest.raises(SaltInvocationError, match="must match"):
        modules.sysconfig.set(str(path), "A", "12a")


def test_a_symlinked_directory_in_the_root_never_leads_to_the_host(modules, tmp_path):
    host = tmp_path / "host-sysconfig"
    host.mkdir()
    (host / "docker").write_text('DOCKER_OPTS=""\n')
    inside = tmp_path / "image" / "sysconfig-in-image"
    inside.mkdir(parents=True)
    (inside / "docker").write_text('DOCKER_OPTS=""\n')
    (tmp_path / "image" / "etc").mkdir()
    # An absolute link, as an image root has it: it points into the image.
    (tmp_path / "image" / "etc" / "sysconfig").symlink_to("/sysconfig-in-image")
    (tmp_path / "sysconfig-in-image").symlink_to(host)  # what the host would resolve
    modules.sysconfig.set("docker", "DOCKER_OPTS", "--debug", root=str(tmp_path / "image"))
    assert (inside / "docker").read_text() == 'DOCKER_OPTS="--debug"\n'
    assert (host / "docker").read_text() == 'DOCKER_OPTS=""\n'


def test_quoted_items_of_list_metadata(modules, tmp_path):
    path = tmp_path / "quoted"
    path.write_text('## ServiceReload: x, "y z"\nA=""\n')
    assert modules.sysconfig.describe(str(path), "A")["ServiceReload"] == ["x", "y z"]
