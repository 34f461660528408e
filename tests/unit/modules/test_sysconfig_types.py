"""Type enforcement from ``## Type:``."""

import pytest

ACCEPTED = [
    ("yesno", "yes"),
    ("yesno", "no"),
    ("yesno", ""),
    ("boolean", "true"),
    ("integer", "-3"),
    ("integer(0:)", "0"),
    ("integer(0:10)", "10"),
    ("integer(:5)", "-100"),
    ("string", "anything at all"),
    ("string(v1,v2)", "not in the list"),
    ("list(yes,no,auto,)", ""),
    ("list(auto,yes,no)", "auto"),
    ('list(a,"b c")', "b c"),
    ("ip", "10.0.0.1"),
    ("ip", "fe80::1"),
    ("ip4", "192.168.1.1"),
    ("ip6", "::1"),
    ("regexp(^0[0-7]*$)", "0755"),
    ("int", "not checked"),  # nonstandard: a string
    # Empty fits every type but list(...): "the built-in default".
    ("integer", ""),
    ("integer(1:10)", ""),
    ("boolean", ""),
    ("ip", ""),
    ("ip4", ""),
    ("ip6", ""),
    ("string(v1,v2)", ""),
    ("regexp(^0[0-7]+$)", ""),
    ("list(a,b,)", ""),
    ("list<rfc3004,string>", "whatever"),  # nonstandard: a string
]

REFUSED = [
    ("yesno", "true", "must be 'yes' or 'no'"),
    ("yesno", "IPv4", "must be 'yes' or 'no'"),
    ("boolean", "yes", "must be 'true' or 'false'"),
    ("integer", "1.5", "must be an integer"),
    ("integer(0:)", "-1", "in 0..inf"),
    ("integer(0:10)", "11", "in 0..10"),
    ("list(auto,yes,no)", "maybe", "must be one of"),
    ("list(auto,yes,no)", "", "must be one of"),
    ("list(a,b)", "", "must be one of 'a', 'b'"),
    ("ip", "300.1.1.1", "IP address"),
    ("ip4", "::1", "IPv4"),
    ("ip6", "10.0.0.1", "IPv6"),
    ("regexp(^0[0-7]*$)", "0789", "must match"),
]


@pytest.mark.parametrize("type_spec, value", ACCEPTED)
def test_values_that_fit(sysconfig_mod, type_spec, value):
    assert sysconfig_mod._type_error(type_spec, value) is None


@pytest.mark.parametrize("type_spec, value, why", REFUSED)
def test_values_that_do_not_fit(sysconfig_mod, type_spec, value, why):
    assert why in sysconfig_mod._type_error(type_spec, value)


def test_set_refuses_every_bad_value_at_once_and_names_them(sysconfig_mod, suse_fixtures, tmp_path):
    path = tmp_path / "SuSEfirewall2"
    original = (suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig").read_bytes()
    path.write_bytes(original)
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(
            str(path),
            {"FW_ROUTE": "maybe", "FW_MASQUERADE": "1", "FW_DEV_EXT": "eth0", "bad-name": "x"},
        )
    message = str(err.value)
    assert str(path) in message
    assert "FW_ROUTE='maybe' is of type yesno and must be 'yes' or 'no'" in message
    assert "FW_MASQUERADE='1' is of type yesno" in message
    assert "'bad-name' is not a valid variable name" in message
    assert "FW_DEV_EXT" not in message
    assert "Nothing was changed" in message
    assert path.read_bytes() == original


# Every standard type with a value that fits, and empty: SUSE's templates ship
# typed variables empty to mean "the built-in default".
EMPTY_FITS = """\
## Type: integer
INTEGER="7"
## Type: integer(1:10)
RANGED="5"
## Type: boolean
BOOLEAN="true"
## Type: yesno
YESNO="yes"
## Type: ip
IP="10.0.0.1"
## Type: ip4
IP4="192.168.1.1"
## Type: ip6
IP6="::1"
## Type: string(v1,v2)
CHOICE="v1"
## Type: regexp(^0[0-7]+$)
MODE="0755"
## Type: list(a,b,)
LIST_OR_EMPTY="a"
## Type: list(a,b)
LIST="a"
"""


def test_an_empty_value_fits_every_type_but_a_list_without_an_empty_choice(sysconfig_mod, tmp_path):
    path = tmp_path / "typed"
    path.write_text(EMPTY_FITS)
    emptied = [
        "INTEGER",
        "RANGED",
        "BOOLEAN",
        "YESNO",
        "IP",
        "IP4",
        "IP6",
        "CHOICE",
        "MODE",
        "LIST_OR_EMPTY",
    ]
    result = sysconfig_mod.update(str(path), dict.fromkeys(emptied, ""))
    assert result["values"] == dict.fromkeys(emptied, "")
    assert path.read_text() == (
        '## Type: integer\nINTEGER=""\n'
        '## Type: integer(1:10)\nRANGED=""\n'
        '## Type: boolean\nBOOLEAN=""\n'
        '## Type: yesno\nYESNO=""\n'
        '## Type: ip\nIP=""\n'
        '## Type: ip4\nIP4=""\n'
        '## Type: ip6\nIP6=""\n'
        '## Type: string(v1,v2)\nCHOICE=""\n'
        '## Type: regexp(^0[0-7]+$)\nMODE=""\n'
        '## Type: list(a,b,)\nLIST_OR_EMPTY=""\n'
        '## Type: list(a,b)\nLIST="a"\n'
    )
    before = path.read_bytes()
    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"LIST": ""})
    assert "LIST='' is of type list(a,b) and must be one of 'a', 'b'" in str(err.value)
    assert path.read_bytes() == before


def test_python_booleans_and_numbers(sysconfig_mod, tmp_path):
    path = tmp_path / "typed"
    path.write_text(
        '## Type: yesno\nA="no"\n## Type: boolean\nB="false"\n## Type: integer\nC="1"\n'
    )
    result = sysconfig_mod.update(str(path), {"A": True, "B": True, "C": 42})
    assert result["values"] == {"A": "yes", "B": "true", "C": "42"}
    assert sysconfig_mod.items(str(path)) == {"A": "yes", "B": "true", "C": "42"}
    with pytest.raises(sysconfig_mod.SaltInvocationError, match="not list"):
        sysconfig_mod.update(str(path), {"A": ["yes"]})


def test_the_diff_is_one_patch_applies(sysconfig_mod, suse_fixtures, tmp_path):
    """patch(1) is the judge: the diff turns the old text into the new one."""
    import random
    import shutil
    import subprocess

    if not shutil.which("patch"):
        pytest.fail("patch is not installed (make test installs it)")
    old = (suse_fixtures / "susefirewall2" / "SuSEfirewall2.sysconfig").read_text()
    rng = random.Random(2026)
    for trial in range(60):
        lines = old.splitlines(keepends=True)
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(lines))
            action = rng.choice(("change", "insert", "delete", "append"))
            if action == "change":
                lines[where] = 'FW_CHANGED="yes"\n'
            elif action == "insert":
                lines.insert(where, "# inserted\n")
            elif action == "delete":
                del lines[where]
            else:
                lines.append('NO_FINAL_NEWLINE="x"')
        new = "".join(lines)
        (tmp_path / "old").write_text(old)
        (tmp_path / "change.diff").write_text(sysconfig_mod._diff("old", old, new))
        subprocess.run(
            [
                "patch",
                "-s",
                "-o",
                str(tmp_path / "patched"),
                str(tmp_path / "old"),
                str(tmp_path / "change.diff"),
            ],
            check=True,
        )
        assert (tmp_path / "patched").read_text() == new, trial
