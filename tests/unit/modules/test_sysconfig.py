"""Reading sysconfig files: every value must be what bash itself sees."""

import os
import re

import pytest

from tests.conftest import SHELL_VARIABLE_FIXTURES

TRICKY = r"""# header comment
A="plain text"   # trailing comment
B='single $HOME `id` "q"'
C="dq \"x\" \\ \$HOME \`id\` \n"
D=unquoted\ value
E="a"'b'c
F="$A and ${B}"
G="multi
line"
H=foo#bar
I="x"#not-a-comment
J=1 K=2; L=$J$K
export M="exported"
export N
O="cont\
inued"
P=a\
b
Q="tab	here" R=''
S=$
T="$"
V='multi
line single'
W=x:y
X="ümlaut ✓"
   Y="indented"
Z=
AA=$é
BB="x$é"
CC=1
export CC=2 DD=$CC
EE=a:\
b
"""


def test_every_real_suse_file_reads_as_bash_reads_it(sysconfig_mod, suse_fixtures, bash):
    for relative in SHELL_VARIABLE_FIXTURES:
        path = suse_fixtures / relative
        assert sysconfig_mod.items(str(path)) == bash(path), relative


def test_the_fixture_set_is_the_real_one(suse_fixtures):
    # Guard against a silently empty parametrisation: these files hold 100+
    # variables between them, among them the 77 FW_* of SuSEfirewall2.
    assert len(SHELL_VARIABLE_FIXTURES) >= 12
    text = (suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig").read_text()
    assert text.count("\nFW_") >= 77


def test_firewall_file_values(sysconfig_mod, suse_fixtures):
    values = sysconfig_mod.items(str(suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig"))
    assert values["FW_ROUTE"] == ""
    assert values["FW_ZONE_DEFAULT"] == ""  # single-quoted in the file
    assert values["FW_LOAD_MODULES"] == ""  # unquoted and empty
    assert len([key for key in values if key.startswith("FW_")]) >= 77


def test_shell_syntax_beyond_the_templates_reads_as_bash_reads_it(sysconfig_mod, tmp_path, bash):
    path = tmp_path / "tricky"
    path.write_text(TRICKY)
    ours = sysconfig_mod.items(str(path))
    assert ours == bash(path)
    assert ours["L"] == "12"
    assert ours["G"] == "multi\nline"
    assert ours["I"] == "x#not-a-comment"
    assert ours["DD"] == "1"  # export expands all its arguments before it assigns


def test_carriage_returns_read_as_bash_reads_them(sysconfig_mod, tmp_path, bash):
    path = tmp_path / "crlf"
    path.write_bytes(b'A="dos"\r\nB=bare\r\n')
    assert sysconfig_mod.items(str(path)) == bash(path) == {"A": "dos\r", "B": "bare\r"}


def test_bytes_that_are_not_utf8_survive(sysconfig_mod, tmp_path, bash):
    path = tmp_path / "latin1"
    path.write_bytes(b'A="caf\xe9"\n')
    assert sysconfig_mod.items(str(path)) == bash(path)


@pytest.mark.parametrize(
    "line, reason",
    [
        ("A=$(touch /tmp/x)", "command substitution"),
        ("A=`id`", "command substitution"),
        ('A="$(id)"', "command substitution"),
        ("A=${B:-x}", "only $NAME and ${NAME}"),
        ("A=~/x", "tilde"),
        ("A=$1", "depends on the shell"),
        ("A=$'\\n'", "bash-specific"),
        ("A=$UNSET_HERE", "not set earlier in the file"),
        ("A=$HOSTNAME", "not set earlier in the file"),
        ("A=$[1+1]", "arithmetic"),
        ('A="$[2*3]"', "arithmetic"),
        ("A=$\\\n(id)", "line continuation right after $"),
        ('A="$\\\n(id)"', "line continuation right after $"),
        ("A=$OK\\\nX", "line continuation inside a variable reference"),
        ("A=\\\n~", "tilde"),
        ("A=1;;", "unexpected ';'"),
        (";B=1", "unexpected ';'"),
        ("UID=1", "read-only in bash"),
        ("echo hello", "runs a command"),
        ("A=1 cmd", "runs a command"),
        ("A=1 | cat", "more than a variable assignment"),
        ('A="unterminated', "unterminated double quote"),
        ("A='unterminated", "unterminated single quote"),
    ],
)
def test_what_cannot_be_read_without_running_something_is_an_error(
    sysconfig_mod, tmp_path, line, reason
):
    path = tmp_path / "bad"
    path.write_text(f"# first line\nOK=1\n{line}\n")
    assert "\n" not in line or "\\\n" in line
    with pytest.raises(sysconfig_mod.CommandExecutionError) as err:
        sysconfig_mod.items(str(path))
    message = str(err.value)
    assert reason in message
    # The line of the offending text: the third, or the fourth after a continuation.
    assert re.search(rf"{re.escape(str(path))}, line [34]: ", message)


def test_a_nul_byte_is_an_error(sysconfig_mod, tmp_path):
    path = tmp_path / "nul"
    path.write_bytes(b'A="1"\nB="x\x00y"\n')
    with pytest.raises(sysconfig_mod.CommandExecutionError, match="line 2: the file holds a NUL"):
        sysconfig_mod.items(str(path))


def test_a_carriage_return_is_named_readably(sysconfig_mod, tmp_path):
    path = tmp_path / "crlf"
    path.write_bytes(b'A="1" \r\n')
    with pytest.raises(sysconfig_mod.CommandExecutionError, match=r"'\\r' runs a command"):
        sysconfig_mod.items(str(path))


def test_get_returns_default_for_a_variable_the_file_does_not_set(sysconfig_mod, suse_fixtures):
    path = str(suse_fixtures / "docker" / "sysconfig.docker")
    assert sysconfig_mod.get(path, "DOCKER_OPTS") == ""
    assert sysconfig_mod.get(path, "NOT_THERE", default="fallback") == "fallback"


def test_relative_names_are_under_etc_sysconfig_and_root_applies(sysconfig_mod, tmp_path):
    sysconfig = tmp_path / "etc" / "sysconfig" / "network"
    sysconfig.mkdir(parents=True)
    (sysconfig / "config").write_text('NETCONFIG_DNS_POLICY="auto"\n')
    assert sysconfig_mod.items("network/config", root=str(tmp_path)) == {
        "NETCONFIG_DNS_POLICY": "auto"
    }
    assert sysconfig_mod.items("/etc/sysconfig/network/config", root=str(tmp_path)) == {
        "NETCONFIG_DNS_POLICY": "auto"
    }
    with pytest.raises(sysconfig_mod.SaltInvocationError, match="leaves /etc/sysconfig"):
        sysconfig_mod.items("../passwd", root=str(tmp_path))


def test_the_line_of_the_first_nul_byte_is_named(sysconfig_mod, tmp_path):
    path = tmp_path / "nul"
    path.write_bytes(b'\nA="1\x00"\nB="\x00"\n')
    with pytest.raises(sysconfig_mod.CommandExecutionError) as refused:
        sysconfig_mod.items(str(path))
    assert str(refused.value).startswith(f"{path}, line 2: the file holds a NUL byte")


def test_what_cannot_be_read_is_named_with_the_reason(sysconfig_mod, tmp_path):
    (tmp_path / "file").write_text("A=1\n")
    beneath = tmp_path / "file" / "docker"
    with pytest.raises(sysconfig_mod.CommandExecutionError) as refused:
        sysconfig_mod.items(str(beneath))
    assert str(refused.value) == f"cannot read {beneath}: Not a directory"
    with pytest.raises(sysconfig_mod.CommandExecutionError) as refused:
        sysconfig_mod.items("/dev/null")
    assert str(refused.value) == "/dev/null is not a regular file"


def test_a_root_is_read_as_the_image_sees_itself(sysconfig_mod, tmp_path):
    root = tmp_path / "root"
    sysconfig = root / "etc" / "sysconfig"
    sysconfig.mkdir(parents=True)
    (sysconfig / "docker.image").write_text('DOCKER_OPTS="--debug"\n')
    # An absolute link points into the image, never at this host.
    (sysconfig / "docker").symlink_to("/etc/sysconfig/docker.image")
    assert sysconfig_mod.items("docker", root=str(root)) == {"DOCKER_OPTS": "--debug"}
    # An absolute name is a path inside the root, even one that repeats the root's path.
    inside = root / str(root).lstrip("/") / "flags"
    inside.parent.mkdir(parents=True)
    inside.write_text("A=inside\n")
    (root / "flags").write_text("A=outside\n")
    assert sysconfig_mod.items(str(root / "flags"), root=str(root)) == {"A": "inside"}


@pytest.mark.parametrize("name", [None, 5, "", "  "])
def test_a_name_that_is_no_file_name_is_refused_by_name(sysconfig_mod, name):
    with pytest.raises(sysconfig_mod.SaltInvocationError) as refused:
        sysconfig_mod.items(name)
    assert str(refused.value) == (
        "name must be a sysconfig file: an absolute path or a path under "
        f"/etc/sysconfig such as 'docker'; got {name!r}"
    )


def test_an_empty_root_is_no_root(sysconfig_mod, tmp_path):
    path = tmp_path / "flags"
    path.write_text("A=1\n")
    assert sysconfig_mod.items(str(path), root="") == {"A": "1"}
    assert sysconfig_mod.items(str(path), root="/") == {"A": "1"}


@pytest.mark.parametrize("root", [None, "image"])
def test_links_are_followed_as_far_as_the_kernel_follows_them(sysconfig_mod, tmp_path, root):
    """The kernel is the judge: it opens a file at the end of 40 links, not 41."""
    base = tmp_path / "image" if root else tmp_path
    (base / "etc").mkdir(parents=True)
    (base / "etc" / "target").write_text("A=1\n")
    for number in range(41):
        previous = "target" if number == 0 else f"link{number - 1}"
        (base / "etc" / f"link{number}").symlink_to(previous)

    forty, forty_one = base / "etc" / "link39", base / "etc" / "link40"
    assert forty.read_text() == "A=1\n"
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        forty_one.read_text()

    root = str(tmp_path / root) if root else None
    assert sysconfig_mod.items("/etc/link39" if root else str(forty), root=root) == {"A": "1"}
    with pytest.raises(sysconfig_mod.CommandExecutionError) as refused:
        sysconfig_mod.items("/etc/link40" if root else str(forty_one), root=root)
    assert str(refused.value).endswith(": too many levels of symbolic links")


def test_resolve_refuses_a_relative_path_by_name(sysconfig_mod, tmp_path):
    with pytest.raises(sysconfig_mod.SaltInvocationError) as refused:
        sysconfig_mod.resolve("etc/sysconfig/docker", root=str(tmp_path))
    assert str(refused.value) == "'etc/sysconfig/docker' is not an absolute path"


@pytest.mark.parametrize("root", [None, "", "/"])
def test_resolve_without_a_root_returns_the_path_itself(sysconfig_mod, tmp_path, root):
    """On the live system a link stays a link: the write goes through it later."""
    (tmp_path / "target").write_text("A=1\n")
    link = tmp_path / "link"
    link.symlink_to("target")
    assert sysconfig_mod.resolve(str(link), root=root) == str(link)


@pytest.mark.parametrize(
    "name", ["/etc/sysconfig/docker", "/X11/xinit", "/etc/sysconfig/docker/", "//etc//hosts"]
)
def test_resolve_puts_every_absolute_name_under_the_root_as_it_is(sysconfig_mod, tmp_path, name):
    root = tmp_path / "image"
    root.mkdir()
    expected = os.path.join(str(root), *[part for part in name.split("/") if part])
    assert sysconfig_mod.resolve(name, root=str(root)) == expected
    # A name that repeats the root's own path is a path inside the root too.
    repeated = str(root / "flags")
    assert sysconfig_mod.resolve(repeated, root=str(root)) == str(root) + repeated


def test_resolve_follows_dot_and_dot_dot_in_links_as_the_kernel_does(sysconfig_mod, tmp_path):
    """realpath is the judge: with relative links only, the root changes nothing."""
    root = tmp_path / "image"
    (root / "etc" / "sysconfig").mkdir(parents=True)
    (root / "usr" / "etc").mkdir(parents=True)
    (root / "usr" / "etc" / "docker").write_text("A=1\n")
    (root / "etc" / "sysconfig" / "docker").symlink_to("./.././../usr/./etc/docker")
    (root / "etc" / "here").symlink_to(".")
    for name in ["/etc/sysconfig/docker", "/etc/here/sysconfig/docker", "/./etc/sysconfig/docker"]:
        resolved = sysconfig_mod.resolve(name, root=str(root))
        assert resolved == os.path.realpath(root / name.lstrip("/"))
        assert resolved == str(root / "usr" / "etc" / "docker")


@pytest.mark.parametrize("root", [None, "", "/", "//", "/.", "///", "/../"])
def test_every_spelling_of_slash_is_the_live_system(sysconfig_mod, root):
    assert sysconfig_mod.image_root(root) is None


@pytest.mark.parametrize("root", ["/srv/image", "/srv/image/", "relative/image"])
def test_any_other_path_is_an_image_root(sysconfig_mod, root):
    assert sysconfig_mod.image_root(root) == root


@pytest.mark.parametrize("root", [5, ["/"], b"/"])
def test_a_root_that_is_no_path_is_refused_by_name(sysconfig_mod, root):
    with pytest.raises(sysconfig_mod.SaltInvocationError) as refused:
        sysconfig_mod.image_root(root)
    assert str(refused.value) == f"root must be a path, not {root!r}"


def test_resolve_can_leave_the_last_component_as_it_is(sysconfig_mod, tmp_path):
    """As lstat sees a path: the directories are resolved inside the root, a link at
    the end stays the link."""
    root = tmp_path / "image"
    (root / "run").mkdir(parents=True)
    (root / "var").mkdir()
    (root / "var" / "run").symlink_to("/run")  # absolute: into the image
    (root / "run" / "docker.sock").symlink_to("/elsewhere")
    name = "/var/run/docker.sock"
    assert sysconfig_mod.resolve(name, root=str(root), follow_last=False) == str(
        root / "run" / "docker.sock"
    )
    assert sysconfig_mod.resolve(name, root=str(root)) == str(root / "elsewhere")
    assert sysconfig_mod.resolve(name, root=None, follow_last=False) == name
