"""What sysconfig.update returns and refuses: the diff is exactly GNU ``diff -u``'s
between the file before and after (hunk headers included), ``written`` says whether
the file was written, the refusals of a bad type or a shared line are worded
whole, and ``describe`` unquotes only quoted defaults."""

import shutil
import subprocess

import pytest

# Twenty assignments, one a line: hunks away from both ends of the file.
TWENTY = "".join(f'V{n}="{n}"\n' for n in range(1, 21))


def _gnu_diff(path, old, new):
    """GNU diff -u's answer, both sides labelled with the file's path as update does."""
    if not shutil.which("diff"):
        pytest.fail("GNU diff is not installed")
    (path.parent / "before").write_text(old)
    (path.parent / "after").write_text(new)
    done = subprocess.run(
        ["diff", "-u", "--label", str(path), "--label", str(path), "before", "after"],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


@pytest.mark.parametrize(
    "text, values",
    [
        # A one-line file: ranges of one line, "@@ -1 +1 @@".
        ('A="1"\n', {"A": "2"}),
        # The second of two lines: "@@ -1,2 +1,2 @@".
        ('A="1"\nB="1"\n', {"B": "2"}),
        # The middle of a long file: a hunk that starts past line 1.
        (TWENTY, {"V10": "ten"}),
        # Two changes far apart: two hunks.
        (TWENTY, {"V2": "two", "V19": "nineteen"}),
        # Six lines between two changes: two contexts of three, one hunk.
        (TWENTY, {"V5": "five", "V12": "twelve"}),
        # Seven lines between them: two hunks.
        (TWENTY, {"V5": "five", "V13": "thirteen"}),
        # The first and the last line: the context stops at each end.
        (TWENTY, {"V1": "one", "V20": "twenty"}),
        # The first line, with a missing final newline at the other end.
        ('A="1"\nB="1"', {"A": "2"}),
        # The last line has no final newline.
        ('A="1"\nB="1"', {"B": "2"}),
        # An empty file gets its first variable: "@@ -0,0 +1,5 @@".
        ("", {"NEW": "x"}),
        # Appended to a file that ends without a newline.
        ('A="1"', {"NEW": "x"}),
        # Appended after the last of twenty lines.
        (TWENTY, {"NEW": "x"}),
        # Only a newline ends a line, as for diff and patch: not a form feed,
        # U+0085, U+2028 or U+2029 inside one.
        ('# page\x0cbreak\nA="x\u2028y"\nB="1"\n', {"B": "2"}),
        ('A="1"\nB="1"\n', {"A": "a\u0085b\u2029c"}),
    ],
)
def test_the_diff_returned_is_gnu_diff_u_of_the_file_before_and_after(
    sysconfig_mod, tmp_path, text, values
):
    path = tmp_path / "etc" / "sysconfig"
    path.parent.mkdir()
    path.write_text(text)

    result = sysconfig_mod.update(str(path), values)

    assert result["diff"] == _gnu_diff(path, text, path.read_text())
    assert result["diff"].startswith(f"--- {path}\n+++ {path}\n")


def test_written_says_whether_the_file_was_written(sysconfig_mod, tmp_path):
    path = tmp_path / "flags"
    path.write_text('A="1"\n')

    predicted = sysconfig_mod.update(str(path), {"A": "2"}, test=True)
    assert (predicted["written"], path.read_text()) == (False, 'A="1"\n')

    applied = sysconfig_mod.update(str(path), {"A": "2"})
    assert (applied["written"], path.read_text()) == (True, 'A="2"\n')

    again = sysconfig_mod.update(str(path), {"A": "2"})
    assert (again["written"], again["diff"]) == (False, "")


@pytest.mark.parametrize(
    "type_spec, value, why",
    [
        ("boolean", "yes", "must be 'true' or 'false'"),
        ("integer", "1.5", "must be an integer"),
        ("integer(0:10)", "x", "must be an integer"),
        ("yesno", "true", "must be 'yes' or 'no'"),
        # Type names are read whatever their case, as the metadata keywords are.
        ("YesNo", "true", "must be 'yes' or 'no'"),
        ("Integer(0:10)", "11", "must be an integer in 0..10"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_with_the_whole_reason(
    sysconfig_mod, tmp_path, type_spec, value, why
):
    path = tmp_path / "typed"
    text = f'## Type: {type_spec}\nA=""\n'
    path.write_text(text)
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"A": value})
    assert str(err.value) == (
        f"{path}: A={value!r} is of type {type_spec} and {why}. Nothing was changed"
    )
    assert path.read_text() == text


@pytest.mark.parametrize("value", ["true", "false"])
def test_both_boolean_values_are_accepted(sysconfig_mod, tmp_path, bash, value):
    path = tmp_path / "boolean"
    path.write_text('## Type: boolean\nB=""\n')
    sysconfig_mod.update(str(path), {"B": value})
    assert bash(path) == {"B": value}


def test_a_type_given_over_several_lines_is_still_enforced(sysconfig_mod, tmp_path):
    # types= comes from the command line or an SLS file, where a YAML block
    # scalar may break a long list(...) over lines.
    path = tmp_path / "listed"
    path.write_text('A="a"\n')
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"A": "c"}, types={"A": "list(a,\nb)"})
    assert "A='c' is of type list(a,\nb) and must be one of 'a', 'b'" in str(err.value)
    assert sysconfig_mod.update(str(path), {"A": "b"}, types={"A": "list(a,\nb)"})["written"]


@pytest.mark.parametrize(
    "text, key, shared",
    [
        # The last line, with no final newline: the whole rest of the line is named.
        ('A="1" # set by hand', "A", "# set by hand"),
        ("B=2 A=1", "B", "A=1"),
        ("B=2 A=1", "A", "B=2"),
        # Text on both sides: both named, one space between.
        ('export A="1" # set by hand\n', "A", "export # set by hand"),
        ("\nexport A=1\n", "A", "export"),
        # The line before continues onto A's line; the lines before that do not.
        ("W=0\nX=0\nY=1 \\\nA=1\n", "A", "Y=1 \\"),
    ],
)
def test_a_variable_sharing_its_line_is_refused_naming_what_shares_it(
    sysconfig_mod, tmp_path, text, key, shared
):
    path = tmp_path / "shared"
    path.write_text(text)
    line = text.count("\n", 0, text.index(f"{key}=")) + 1
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {key: "9"})
    assert str(err.value) == (
        f"{path}: {key} (line {line}) shares its line with {shared!r}, which systemd and "
        f"YaST read differently from bash: put {key}=... on a line of its own. Nothing was "
        "changed"
    )
    assert path.read_text() == text


@pytest.mark.parametrize(
    "default, read",
    [
        ('"a b"', "a b"),
        ("'a b'", "a b"),
        ("XX", "XX"),
        ("Xorg -nolisten X", "Xorg -nolisten X"),
        ('"a', '"a'),
        ("''", ""),
    ],
)
def test_describe_unquotes_only_a_quoted_default(sysconfig_mod, tmp_path, default, read):
    path = tmp_path / "described"
    path.write_text(f"## Type: string\n## Default: {default}\nA=1\n")
    assert sysconfig_mod.describe(str(path), "A")["Default"] == read


def test_every_problem_is_named_together_an_invalid_name_first(sysconfig_mod, tmp_path):
    path = tmp_path / "several"
    path.write_text('A="1"\n')
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"1A": "x", "A": "a\nb"})
    assert str(err.value).startswith(f"{path}: '1A' is not a valid variable name; A='a\\nb' ")
    assert path.read_text() == 'A="1"\n'


APPENDED = '## Type: string\n#\n# Added by Salt (sysconfig module).\n#\nB="x y"\n'


@pytest.mark.parametrize(
    "text, written",
    [
        ("", APPENDED),
        ('A="1"\n', 'A="1"\n\n' + APPENDED),
        # One blank line before the block, never two.
        ('A="1"\n\n', 'A="1"\n\n' + APPENDED),
        ('A="1"', 'A="1"\n\n' + APPENDED),
    ],
)
def test_a_new_variable_is_appended_after_one_blank_line(sysconfig_mod, tmp_path, text, written):
    path = tmp_path / "appended"
    path.write_text(text)
    sysconfig_mod.update(str(path), {"B": "x y"})
    assert path.read_text() == written


NEWLINE = "contains a newline; YaST and systemd read one value per line, so it cannot be written"


@pytest.mark.parametrize(
    "text, values, first",
    [
        (
            "A=1\n",
            {"A": 1.5, "B": "c\nd"},
            "A: 1.5 arrived as a number and may have lost digits on the way (YAML reads "
            "1.10 as 1.1): give it as a quoted string",
        ),
        ("A=1\n", {"A": "a\nb", "B": "c\nd"}, f"A='a\\nb' {NEWLINE}"),
        (
            "A=1 # c\n",
            {"A": "2", "B": "c\nd"},
            "A (line 1) shares its line with '# c', which systemd and YaST read differently "
            "from bash: put A=... on a line of its own",
        ),
    ],
)
def test_every_problem_is_named_whatever_the_first_one_is(
    sysconfig_mod, tmp_path, text, values, first
):
    path = tmp_path / "several"
    path.write_text(text)
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), values)
    assert str(err.value) == f"{path}: {first}; B='c\\nd' {NEWLINE}. Nothing was changed"
    assert path.read_text() == text


@pytest.mark.parametrize(
    "text, comment",
    [
        ("  # indented help\nA=1\n", "indented help"),
        # The help is the block right before the variable, after a blank line.
        ("# first block\n\n# second block\nA=1\n", "second block"),
    ],
)
def test_the_help_text_is_the_comment_block_before_the_variable(
    sysconfig_mod, tmp_path, text, comment
):
    path = tmp_path / "described"
    path.write_text(text)
    assert sysconfig_mod.describe(str(path), "A")["comment"] == comment


def test_a_value_already_as_asked_does_not_stop_the_next_one(sysconfig_mod, tmp_path):
    path = tmp_path / "two"
    path.write_text('A="1"\nB="2"\n')
    result = sysconfig_mod.update(str(path), {"A": "1", "B": "3"})
    assert result["changes"] == {"B": {"old": "2", "new": "3"}}
    assert path.read_text() == 'A="1"\nB="3"\n'


def test_two_changes_far_apart_in_suses_firewall_file_show_only_the_changed_lines(
    sysconfig_mod, suse_fixtures, tmp_path
):
    # Hundreds of lines between the two changes, most of them "#" and blank:
    # lines that repeat must not be taken for junk and shown as changed.
    path = tmp_path / "SuSEfirewall2"
    shutil.copyfile(suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig", path)

    result = sysconfig_mod.update(
        str(path), {"FW_DEV_EXT": "eth0", "FW_CONFIGURATIONS_EXT": "docker"}
    )

    changed = [
        line
        for line in result["diff"].splitlines()
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]
    assert changed == [
        '-FW_DEV_EXT=""',
        '+FW_DEV_EXT="eth0"',
        '-FW_CONFIGURATIONS_EXT=""',
        '+FW_CONFIGURATIONS_EXT="docker"',
    ]
    assert result["diff"].count("\n@@ ") == 2  # two hunks


def test_the_diff_applies_whatever_lines_repeat_and_wherever_they_change(sysconfig_mod, tmp_path):
    """patch(1) is the judge, on short texts of few distinct lines, changed at
    either end as often as in the middle."""
    import random

    if not shutil.which("patch"):
        pytest.fail("patch is not installed (make test installs it)")
    rng = random.Random(12)
    alphabet = ["#\n", "\n", 'A="1"\n', 'B="2"\n']
    for trial in range(300):
        old = [rng.choice(alphabet) for _ in range(rng.randint(0, 12))]
        new = list(old)
        for _ in range(rng.randint(1, 3)):
            where = rng.choice((0, len(new), rng.randint(0, len(new))))
            if rng.random() < 0.5 or where == len(new):
                new.insert(where, rng.choice(alphabet))
            else:
                new[where] = rng.choice(alphabet)
        if new == old:
            continue
        (tmp_path / "old").write_text("".join(old))
        (tmp_path / "change.diff").write_text(
            sysconfig_mod._diff("old", "".join(old), "".join(new))
        )
        done = subprocess.run(
            ["patch", "-s", "-o", "patched", "old", "change.diff"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (trial, done.stdout, done.stderr)
        assert (tmp_path / "patched").read_text() == "".join(new), trial


@pytest.mark.parametrize(
    "values, types, message",
    [
        (["A=1"], None, "values must be a mapping of VARIABLE: value, not list"),
        ("A=1", None, "values must be a mapping of VARIABLE: value, not str"),
        ({"A": "1"}, "string", "types must map VARIABLE to a type such as string: 'string'"),
        ({"A": "1"}, ["string"], "types must map VARIABLE to a type such as string: ['string']"),
        ({"A": "1"}, {"A": 1}, "types must map VARIABLE to a type such as string: {'A': 1}"),
        (
            {"A": "1"},
            {1: "string"},
            "types must map VARIABLE to a type such as string: {1: 'string'}",
        ),
    ],
)
def test_arguments_of_the_wrong_shape_are_refused_by_name(
    sysconfig_mod, tmp_path, values, types, message
):
    path = tmp_path / "flags"
    path.write_text('A="0"\n')
    with pytest.raises(sysconfig_mod.SaltInvocationError) as refused:
        sysconfig_mod.update(str(path), values, types=types)
    assert str(refused.value) == message
    assert path.read_text() == 'A="0"\n'


@pytest.mark.parametrize("test", [True, False])
def test_a_name_under_root_is_the_file_of_that_root(sysconfig_mod, tmp_path, test):
    sysconfig = tmp_path / "etc" / "sysconfig"
    sysconfig.mkdir(parents=True)
    (sysconfig / "docker").write_text('DOCKER_OPTS=""\n')

    result = sysconfig_mod.update(
        "docker", {"DOCKER_OPTS": "--debug"}, root=str(tmp_path), test=test
    )

    path = str(sysconfig / "docker")
    assert result["file"] == path
    assert result["diff"].startswith(f"--- {path}\n+++ {path}\n")
    assert (sysconfig / "docker").read_text() == (
        'DOCKER_OPTS=""\n' if test else 'DOCKER_OPTS="--debug"\n'
    )


@pytest.mark.parametrize("test", [True, False])
def test_a_refused_value_names_the_file_in_test_mode_too(sysconfig_mod, tmp_path, test):
    path = tmp_path / "flags"
    path.write_text("## Type: yesno\nA=no\n")
    with pytest.raises(sysconfig_mod.SaltInvocationError) as refused:
        sysconfig_mod.update(str(path), {"A": "maybe"}, test=test)
    assert str(path) in str(refused.value)


def test_an_absolute_name_is_a_path_inside_the_root_whatever_it_starts_with(
    sysconfig_mod, tmp_path
):
    # An image root's own tree may repeat the build host's path to it.
    root = tmp_path / "root"
    inside = root / str(root).lstrip("/") / "flags"
    inside.parent.mkdir(parents=True)
    inside.write_text('A="0"\n')
    (root / "flags").write_text('A="0"\n')

    result = sysconfig_mod.update(str(root / "flags"), {"A": "1"}, root=str(root))

    assert result["file"] == str(inside)
    assert (inside.read_text(), (root / "flags").read_text()) == ('A="1"\n', 'A="0"\n')


def test_lines_that_repeat_are_never_taken_for_junk(sysconfig_mod, suse_fixtures):
    """A blank line inserted and a comment removed near the top, two variables
    gone far below: difflib, left to treat the file's many "#" and blank lines
    as junk, shows a "#" removed and added again around the blank line."""
    old = (suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig").read_text()
    lines = old.splitlines(keepends=True)
    assert lines[652:655] == ["#\n", "# whether all dropped packets should be logged\n", "#\n"]
    assert (lines[697], lines[1143]) == ('FW_LOG_LIMIT=""\n', "FW_WRITE_STATUS=\n")
    new = [*lines[:652], "\n", "#\n", *lines[654:697], *lines[698:1143], *lines[1144:]]

    diff = sysconfig_mod._diff("p", old, "".join(new))

    changed = [line for line in diff.splitlines()[2:] if line[:1] in "-+"]
    assert changed == [
        "+",
        "-# whether all dropped packets should be logged",
        '-FW_LOG_LIMIT=""',
        "-FW_WRITE_STATUS=",
    ]


@pytest.mark.parametrize("root", [None, "", "/"])
def test_on_the_live_system_only_the_last_link_is_followed(sysconfig_mod, tmp_path, root):
    # A root of "/" or "" is the live system: the file is named as given, its
    # directories' links untouched; a link as the last part leads to its target.
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "target").write_text("A=0\n")
    (tmp_path / "real" / "flags").symlink_to("target")
    (tmp_path / "dir").symlink_to("real")

    result = sysconfig_mod.update(str(tmp_path / "dir" / "flags"), {"A": "1"}, root=root)

    assert result["file"] == str(tmp_path / "dir" / "target")
    assert (tmp_path / "real" / "target").read_text() == "A=1\n"
    assert (tmp_path / "real" / "flags").is_symlink()
