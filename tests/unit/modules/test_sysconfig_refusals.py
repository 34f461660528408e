"""Reading sysconfig files: every refusal word for word, with the line it names, and
the edge cases of what is read (judged by bash)."""

import pytest

# The line of the offending text is the third of each file.
HEAD = "# first line\nOK=1\n"


@pytest.mark.parametrize(
    "line, message",
    [
        ("A=$(touch /tmp/x)", "command substitution $(...) would run a program when sourced"),
        ("A=x`id`", "command substitution `...` would run a program when sourced"),
        ('A="`id`"', "command substitution `...` would run a program when sourced"),
        (
            "A=${B:-x}",
            "only $NAME and ${NAME} are evaluated; this parameter expansion depends on the "
            "shell that reads the file",
        ),
        (
            "A=${}",
            "only $NAME and ${NAME} are evaluated; this parameter expansion depends on the "
            "shell that reads the file",
        ),
        (
            "A=${OK",
            "only $NAME and ${NAME} are evaluated; this parameter expansion depends on the "
            "shell that reads the file",
        ),
        ("A=~/x", "tilde expansion depends on the home directory of the reader"),
        ("A=x:~/y", "tilde expansion depends on the home directory of the reader"),
        ("A=$1", "$1 depends on the shell that reads the file"),
        ("A=$-", "$- depends on the shell that reads the file"),
        ('A="$$"', "$$ depends on the shell that reads the file"),
        ("A=$'\\n'", "$'...' quoting is bash-specific and not evaluated"),
        ('A=$"x"', '$"..." quoting is bash-specific and not evaluated'),
        (
            "A=$UNSET_HERE",
            "$UNSET_HERE is not set earlier in the file, so its value depends on the "
            "environment of whoever reads the file",
        ),
        (
            'A="${UNSET_HERE}"',
            "$UNSET_HERE is not set earlier in the file, so its value depends on the "
            "environment of whoever reads the file",
        ),
        ("A=$[1+1]", "arithmetic $[...] is not evaluated"),
        ("A=1;;", "unexpected ';': bash refuses the whole line"),
        (";B=1", "unexpected ';': bash refuses the whole line"),
        ("UID=1", "UID is read-only in bash, which refuses the file"),
        ("echo hello", "'echo' runs a command; a sysconfig file may only assign variables"),
        ("A=1 cmd", "'cmd' runs a command; a sysconfig file may only assign variables"),
        ("export A=1 -n", "export '-n': not a variable name"),
        ("A=1 | cat", "'|' makes this line more than a variable assignment"),
        ("A=1 > /tmp/x", "'>' makes this line more than a variable assignment"),
        ('A="unterminated', "unterminated double quote"),
        ("A='unterminated", "unterminated single quote"),
        ("A=x\0", "the file holds a NUL byte"),
    ],
)
def test_each_refusal_names_the_file_the_line_and_why(sysconfig_mod, tmp_path, line, message):
    path = tmp_path / "bad"
    path.write_text(f"{HEAD}{line}\nLATER=1\n")
    with pytest.raises(sysconfig_mod.CommandExecutionError) as err:
        sysconfig_mod.items(str(path))
    assert str(err.value) == (
        f"{path}, line 3: {message}. Fix the file by hand; nothing was changed."
    )


@pytest.mark.parametrize(
    "text, line, message",
    [
        # A continuation carries the reference onto the next line: the $ names the line.
        ("OK=1\nA=$\\\n(id)\n", 2, "a line continuation right after $ is not evaluated"),
        (
            "OK=1\n\nA=$OK\\\nX\n",
            3,
            "a line continuation inside a variable reference is not evaluated",
        ),
        # An unterminated quote is named where it opens.
        ('OK=1\nA="one\ntwo\nthree\n', 2, "unterminated double quote"),
        ("A='one\ntwo\n", 1, "unterminated single quote"),
        ("A=1\nB=2\nC=3\nD=4\nexport 9x\n", 5, "export '9x': not a variable name"),
    ],
)
def test_the_line_named_is_where_the_problem_starts(sysconfig_mod, tmp_path, text, line, message):
    path = tmp_path / "bad"
    path.write_text(text)
    with pytest.raises(sysconfig_mod.CommandExecutionError) as err:
        sysconfig_mod.items(str(path))
    assert str(err.value) == (
        f"{path}, line {line}: {message}. Fix the file by hand; nothing was changed."
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("OK=1\nA=$1", "$1 depends on the shell that reads the file"),
        ("OK=1\nA=$(", "command substitution $(...) would run a program when sourced"),
        (
            "OK=1\nA=${",
            "only $NAME and ${NAME} are evaluated; this parameter expansion depends on the "
            "shell that reads the file",
        ),
        (
            # Unclosed: a set name before the last character is no expansion either.
            "OK=1\nA=${OKX",
            "only $NAME and ${NAME} are evaluated; this parameter expansion depends on the "
            "shell that reads the file",
        ),
    ],
)
def test_a_refusal_at_the_very_end_of_a_file_without_a_newline(
    sysconfig_mod, tmp_path, text, message
):
    path = tmp_path / "bad"
    path.write_text(text)
    with pytest.raises(sysconfig_mod.CommandExecutionError) as err:
        sysconfig_mod.items(str(path))
    assert (
        str(err.value) == f"{path}, line 2: {message}. Fix the file by hand; nothing was changed."
    )


@pytest.mark.parametrize(
    "text",
    [
        "A=XY;B=1\n",  # read by the character scanner, not the fast pattern
        "A=x\\",  # a backslash at the very end of the file, no newline
        "A=1 XB=2\n",
        "A=0\nexport A=1 \\\nB=$A\n",  # export expands every word before it assigns
        "A=1 \\\nB=2\n",
        "export A=1\nB=$A\n",
        "A=1 B=2 # a comment\nC=3\nD=4\n",
        "X=0\nA=1 B=2 # a comment on a later line\nC=3\n",
        "A=1;B=2 # a comment at the end, no newline",
        "export A # a comment\nB=2\n",
        "A=aXb C=X\n",
        "A=$",  # a lone $ at the very end of the file, no newline
        "A=x$",
        'A="$"',
        "A=$}",
        "A=\"$'x'\"",  # $' inside double quotes is literal
        "A=1\nB=2\nC=${A}${B}\n",
        "A=1\nB=${A}x${A}\n",
        "A=x\nB=\"${A}\"'y'\n",
        "A=a\\\\b",
        'A="a\\\\b\\$c\\`d\\"e\\x"',
        "A='x'\"y\"z\n",
        "A=1\nexport A B=2\n",
        "A=1;B=2\nC=3 ;D=4\n",
        "A=x~\n",
    ],
)
def test_edge_cases_read_as_bash_reads_them(sysconfig_mod, tmp_path, bash, text):
    path = tmp_path / "edge"
    path.write_text(text)
    assert sysconfig_mod.items(str(path)) == bash(path)


@pytest.mark.parametrize(
    "text, written",
    [
        # Quotes that span lines are read by the character scanner; the value set
        # keeps the variable's own quoting where it can.
        ("A='one\ntwo'\n", "A='new value'\n"),
        ('A="one\ntwo"\n', 'A="new value"\n'),
        ("A=one\\\ntwo\n", 'A="new value"\n'),
    ],
)
def test_a_value_over_several_lines_is_replaced_in_its_own_quoting(
    sysconfig_mod, tmp_path, bash, text, written
):
    path = tmp_path / "multi"
    path.write_text(text)
    sysconfig_mod.set_(str(path), "A", "new value")
    assert path.read_text() == written
    assert bash(path) == {"A": "new value"}


@pytest.mark.parametrize(
    "text, written",
    [
        # Bare, read by the scanner (a ~ the fast pattern leaves to it): stays bare.
        ("A=x~y\n", "A=plain\n"),
        # Single quotes and then double quotes: mixed, so written the plain way.
        ("A='x'\"y\"\n", 'A="plain"\n'),
        # Single quotes and then a bare part: still single-quoted.
        ("A='x'y\n", "A='plain'\n"),
    ],
)
def test_a_value_the_scanner_reads_is_replaced_in_its_own_quoting(
    sysconfig_mod, tmp_path, bash, text, written
):
    path = tmp_path / "quoting"
    path.write_text(text)
    sysconfig_mod.set_(str(path), "A", "plain")
    assert path.read_text() == written
    assert bash(path) == {"A": "plain"}


def test_the_line_named_counts_a_leading_empty_line(sysconfig_mod, tmp_path):
    path = tmp_path / "bad"
    path.write_text("\n\nA=$(id)\n")
    with pytest.raises(sysconfig_mod.CommandExecutionError) as err:
        sysconfig_mod.items(str(path))
    assert str(err.value).startswith(f"{path}, line 3: command substitution")


def test_a_variable_sharing_its_line_is_named_with_its_line(sysconfig_mod, tmp_path):
    path = tmp_path / "shared"
    path.write_text("X=1\n\nA=1 B=2\nC=3\n")
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.set_(str(path), "A", "2")
    assert str(err.value) == (
        f"{path}: A (line 3) shares its line with 'B=2', which systemd and YaST read "
        "differently from bash: put A=... on a line of its own. Nothing was changed"
    )


def test_metadata_after_a_value_over_several_lines_belongs_to_the_next_variable(
    sysconfig_mod, tmp_path
):
    path = tmp_path / "described"
    path.write_text("## Type: yesno\nA='multi\nline'\n\n## Type: integer\n## Default: 3\nB=1\n")
    described = sysconfig_mod.describe(str(path))
    assert (described["A"]["Type"], described["A"]["line"]) == ("yesno", 2)
    assert (described["B"]["Type"], described["B"]["Default"], described["B"]["line"]) == (
        "integer",
        "3",
        7,
    )
    assert described["B"]["inherited"] == []
