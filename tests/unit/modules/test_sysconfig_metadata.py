"""The fillup/YaST metadata: what describe() reports for each variable."""

import pytest


def test_docker_template_with_spaces_before_the_colon(sysconfig_mod, suse_fixtures):
    meta = sysconfig_mod.describe(str(suse_fixtures / "docker" / "sysconfig.docker"))
    assert list(meta) == ["DOCKER_OPTS"]
    opts = meta["DOCKER_OPTS"]
    assert opts["Path"] == "System/Management"
    assert opts["Description"] == "Extra cli switches for docker daemon"
    assert opts["Type"] == "string"
    assert opts["Default"] == ""
    assert opts["ServiceRestart"] == ["docker"]
    assert opts["inherited"] == []


def test_firewall_types_and_inherited_path(sysconfig_mod, suse_fixtures):
    meta = sysconfig_mod.describe(str(suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig"))
    assert meta["FW_DEV_EXT"]["Path"] == "Network/Firewall/SuSEfirewall2"
    assert meta["FW_DEV_EXT"]["inherited"] == []
    # "## Type:<TAB>yesno" further down the file; Path and Description carry on.
    route = meta["FW_ROUTE"]
    assert route["Type"] == "yesno"
    assert route["Path"] == "Network/Firewall/SuSEfirewall2"
    assert route["Description"] == "SuSEfirewall2 configuration"
    assert set(route["inherited"]) == {"Path", "Description"}
    assert route["comment"].startswith("Should routing between the internet")
    assert 'Examples: "IPv4,IPv6", "IPv4", "IPv6", "no"' in route["comment"]
    assert meta["FW_ZONE_DEFAULT"]["Type"] == "string(no,auto)"


def test_odd_types_and_config_lists_from_real_files(sysconfig_mod, suse_fixtures):
    common = sysconfig_mod.describe(
        str(suse_fixtures / "sysconfig-examples" / "sysconfig.config-common.in")
    )
    assert common["NM_ONLINE_TIMEOUT"]["Type"] == "int"
    assert common["SEND_GRATUITOUS_ARP"]["Type"] == "list(auto,yes,no)"
    assert common["SEND_GRATUITOUS_ARP"]["Default"] == "auto"
    # The Path/Description block and its "# Note:" text sit in a block of
    # their own before the first variable's metadata: they are not its help.
    assert common["CHECK_DUPLICATE_IP"]["comment"].startswith("If ifup should check")
    assert common["CHECK_DUPLICATE_IP"]["Path"] == "Network/General"

    proxy = sysconfig_mod.describe(str(suse_fixtures / "sysconfig-examples" / "sysconfig.proxy"))
    assert proxy["PROXY_ENABLED"]["Config"] == ["kde", "profiles"]
    assert proxy["PROXY_ENABLED"]["Description"] == ""
    assert proxy["NO_PROXY"]["Default"] == "localhost"  # unquoted in the file
    assert proxy["NO_PROXY"]["Config"] is None  # Config is not inherited


def test_a_variable_without_metadata_takes_the_previous_one(sysconfig_mod, suse_fixtures):
    meta = sysconfig_mod.describe(
        str(suse_fixtures / "sysconfig-examples" / "network-config.yast-testdata")
    )
    first, second = meta["GLOBAL_POST_UP_EXEC"], meta["GLOBAL_PRE_DOWN_EXEC"]
    assert second["Type"] == first["Type"] == "yesno"
    assert second["comment"] == first["comment"]
    assert "comment" in second["inherited"] and "Type" in second["inherited"]


SYNTHETIC = """\
## Path:        Hardware/Joystick
## Description: Joystick configuration\\
## spread over two lines
## Type:        integer(0:10)
## Default:     "3"
## ServiceRestart: joystick,gpm
## Command: echo one\\
## two
#
### hidden from the help text
# Gameport module names
#
GAMEPORT_MODULE_0="1"
GAMEPORT_MODULE_1="2"

## Type   :   yesno
# Only a type: actions carry on from the previous variable.
JOYSTICK_DEBUG="no"

## Type:        string
## ServiceReload: other
RELOADED="x"
"""


def test_continuation_hidden_comments_and_inheritance(sysconfig_mod, tmp_path):
    path = tmp_path / "joystick"
    path.write_text(SYNTHETIC)
    meta = sysconfig_mod.describe(str(path))
    first = meta["GAMEPORT_MODULE_0"]
    assert first["Description"] == "Joystick configuration spread over two lines"
    assert first["Type"] == "integer(0:10)"
    assert first["Default"] == "3"
    assert first["ServiceRestart"] == ["joystick", "gpm"]
    assert first["Command"] == "echo one two"
    assert first["comment"] == "Gameport module names"
    assert first["line"] == 13

    # No comment at all: everything, help text included, from the previous one.
    assert {
        k: v for k, v in meta["GAMEPORT_MODULE_1"].items() if k not in ("inherited", "line")
    } == {k: v for k, v in first.items() if k not in ("inherited", "line")}

    debug = meta["JOYSTICK_DEBUG"]
    assert debug["Type"] == "yesno"
    assert debug["Default"] is None  # descriptive keywords are not inherited
    assert debug["ServiceRestart"] == ["joystick", "gpm"]  # actions are
    assert debug["Command"] == "echo one two"
    assert "ServiceRestart" in debug["inherited"]
    assert debug["comment"] == "Only a type: actions carry on from the previous variable."

    reloaded = meta["RELOADED"]
    assert reloaded["ServiceReload"] == ["other"]
    assert reloaded["ServiceRestart"] is None  # own action given: no inheritance
    assert reloaded["Path"] == "Hardware/Joystick"


def test_describe_one_key_and_a_missing_key(sysconfig_mod, suse_fixtures):
    path = str(suse_fixtures / "docker" / "sysconfig.docker")
    assert sysconfig_mod.describe(path, "DOCKER_OPTS")["Type"] == "string"
    with pytest.raises(sysconfig_mod.CommandExecutionError, match="does not set NOPE"):
        sysconfig_mod.describe(path, "NOPE")


def test_multiline_descriptions_file(sysconfig_mod, suse_fixtures, tmp_path):
    # The descriptions file has no variables; with one added after its first
    # entry, the "\\"-continued Description is joined the way YaST joins it.
    lines = (suse_fixtures / "sysconfig-format" / "yast2-sysconfig-descriptions").read_text()
    first_block = lines.split("\n\n")[0]
    path = tmp_path / "descriptions"
    path.write_text(first_block + "\nVAR=1\n")
    meta = sysconfig_mod.describe(str(path))["VAR"]
    assert meta["Path"] == "Hardware"
    assert meta["Description"] == (
        "Here you can configure some hardware settings. You can use specialized "
        "Yast2 modules to configure hardware devices."
    )


ACTIONS = """\
## Path:           System/Example
## Description:    Example daemon
## Type:           string
## Default:        ""
## PreSaveCommand: /usr/bin/example-stop
## ServiceReload:  example,example-helper
## Command:        /usr/bin/example-apply
#
# The first variable.
#
FIRST="a"

## Type:           yesno
## Default:        "no"
#
# No action of its own: all three carry on.
#
SECOND="no"

## Type: string
## PreSaveCommand : /usr/bin/other-stop
#
# An action of its own: no other action carries on.
#
THIRD=""

FOURTH="x"
"""


def test_presave_reload_and_command_carry_on_until_a_variable_names_its_own(
    sysconfig_mod, tmp_path
):
    path = tmp_path / "example"
    path.write_text(ACTIONS)
    meta = sysconfig_mod.describe(str(path))
    for entry in meta.values():
        entry["inherited"] = sorted(entry["inherited"])
    assert meta == {
        "FIRST": {
            "Path": "System/Example",
            "Description": "Example daemon",
            "Type": "string",
            "Default": "",
            "ServiceRestart": None,
            "ServiceReload": ["example", "example-helper"],
            "Command": "/usr/bin/example-apply",
            "PreSaveCommand": "/usr/bin/example-stop",
            "Config": None,
            "comment": "The first variable.",
            "inherited": [],
            "line": 11,
        },
        "SECOND": {
            "Path": "System/Example",
            "Description": "Example daemon",
            "Type": "yesno",
            "Default": "no",
            "ServiceRestart": None,
            "ServiceReload": ["example", "example-helper"],
            "Command": "/usr/bin/example-apply",
            "PreSaveCommand": "/usr/bin/example-stop",
            "Config": None,
            "comment": "No action of its own: all three carry on.",
            "inherited": ["Command", "Description", "Path", "PreSaveCommand", "ServiceReload"],
            "line": 18,
        },
        "THIRD": {
            "Path": "System/Example",
            "Description": "Example daemon",
            "Type": "string",
            "Default": None,
            "ServiceRestart": None,
            "ServiceReload": None,
            "Command": None,
            "PreSaveCommand": "/usr/bin/other-stop",
            "Config": None,
            "comment": "An action of its own: no other action carries on.",
            "inherited": ["Description", "Path"],
            "line": 25,
        },
        # No metadata and no comment: the previous variable's, help text included.
        "FOURTH": {
            "Path": "System/Example",
            "Description": "Example daemon",
            "Type": "string",
            "Default": None,
            "ServiceRestart": None,
            "ServiceReload": None,
            "Command": None,
            "PreSaveCommand": "/usr/bin/other-stop",
            "Config": None,
            "comment": "An action of its own: no other action carries on.",
            "inherited": ["Description", "Path", "PreSaveCommand", "Type", "comment"],
            "line": 27,
        },
    }
    assert sysconfig_mod.describe(str(path), "SECOND")["PreSaveCommand"] == (
        "/usr/bin/example-stop"
    )


OWN_WORDS = """\
## Path:        System/First
## Description: The first block
## Type:        yesno
## ServiceRestart: first
#
# The first variable.
#
FIRST="no"

# A help text of its own, but no metadata: the rest carries on.
OWN_HELP="no"

## Description: A description of its own
#
# Its own Description under the carried Path.
#
OWN_DESCRIPTION="x"

## Path:        System/Second
#
# Its own Path: neither Path nor Description carries on.
#
OWN_PATH="x"
"""


def test_what_a_variable_says_itself_wins_over_what_carries_on(sysconfig_mod, tmp_path):
    path = tmp_path / "own"
    path.write_text(OWN_WORDS)
    meta = sysconfig_mod.describe(str(path))

    own_help = meta["OWN_HELP"]
    assert own_help["comment"] == "A help text of its own, but no metadata: the rest carries on."
    assert "comment" not in own_help["inherited"]
    assert (own_help["Path"], own_help["Type"], own_help["ServiceRestart"]) == (
        "System/First",
        "yesno",
        ["first"],
    )

    own_path = meta["OWN_PATH"]
    assert (own_path["Path"], own_path["Description"]) == ("System/Second", None)
    assert "Path" not in own_path["inherited"]
    # No Type given by the variable: "string", as fillup and YaST read it.
    assert own_path["Type"] == "string"

    own_description = meta["OWN_DESCRIPTION"]
    assert own_description["Path"] == "System/First"
    assert own_description["Description"] == "A description of its own"
    assert own_description["inherited"] == ["Path", "ServiceRestart"]


def test_a_variable_with_no_metadata_and_nothing_before_it_is_a_string(sysconfig_mod, tmp_path):
    path = tmp_path / "bare"
    path.write_text("# Just a comment.\nBARE=1\n")
    bare = sysconfig_mod.describe(str(path), "BARE")
    assert (bare["Type"], bare["Path"], bare["comment"], bare["inherited"]) == (
        "string",
        None,
        "Just a comment.",
        [],
    )


@pytest.mark.parametrize(
    "block, description",
    [
        # A backslash on the last comment line continues nothing: the variable follows.
        ("## Description: Dangling \\\n", "Dangling \\"),
        # Joined as written: trailing blanks go, other characters stay.
        ("## Description: On \\\n## UNIX\t \n", "On  UNIX"),
        # A plain comment after the backslash ends the metadata line.
        ("## Description: Continued \\\n# by a plain comment\n", "Continued \\"),
        # A line that ends in a carriage return after its backslash is not
        # continued, on the first line as on a continued one.
        ("## Description: One \\\n## two \\\r\n## Type: yesno\n", "One  two \\"),
    ],
)
def test_where_a_continued_description_ends(sysconfig_mod, tmp_path, block, description):
    path = tmp_path / "continued"
    path.write_text(block + "VAR=1\n")
    assert sysconfig_mod.describe(str(path), "VAR")["Description"] == description


def test_a_value_over_several_lines_ends_where_its_quote_closes(sysconfig_mod, tmp_path):
    # The next variable's comments start after the value's last line, not
    # before its first: B has none of its own and takes A's.
    path = tmp_path / "spread"
    path.write_text('## Type: string\n# Spread over two lines.\nA="one\ntwo"\nB="x"\n')
    meta = sysconfig_mod.describe(str(path))
    assert (meta["A"]["line"], meta["A"]["inherited"]) == (3, [])
    assert (meta["B"]["line"], meta["B"]["inherited"]) == (5, ["Type", "comment"])
    assert meta["B"]["comment"] == "Spread over two lines."
