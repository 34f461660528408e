"""The values sysconfig.update turns into a file's text, and those it refuses: Python
booleans become the variable type's own words (bash reads them back), a fractional
number is refused, and each refusal of a value of the wrong type or one that cannot be
written safely is worded whole, with nothing written."""

import pytest


@pytest.mark.parametrize(
    "type_spec, value, written",
    [
        ("boolean", True, "true"),
        ("boolean", False, "false"),
        ("Boolean", False, "false"),
        ("yesno", True, "yes"),
        ("yesno", False, "no"),
        # Any other type: YAML's booleans come from yes/no, on/off.
        ("string", False, "no"),
        ("string", True, "yes"),
    ],
)
def test_python_booleans_become_the_words_of_the_variables_type(
    sysconfig_mod, tmp_path, bash, type_spec, value, written
):
    path = tmp_path / "flags"
    path.write_text(f'## Type: {type_spec}\nFLAG="unset"\n')

    result = sysconfig_mod.update(str(path), {"FLAG": value})

    assert result["values"] == {"FLAG": written}
    assert path.read_text() == f'## Type: {type_spec}\nFLAG="{written}"\n'
    assert bash(path) == {"FLAG": written}


@pytest.mark.parametrize("value", [1.1, 0.5, -2.0])
def test_a_fractional_number_is_refused_asking_for_a_quoted_string(sysconfig_mod, tmp_path, value):
    path = tmp_path / "versioned"
    text = 'VERSION="1.10"\n'
    path.write_text(text)

    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"VERSION": value})

    assert str(err.value) == (
        f"{path}: VERSION: {value!r} arrived as a number and may have lost digits on the "
        "way (YAML reads 1.10 as 1.1): give it as a quoted string. Nothing was changed"
    )
    assert path.read_text() == text


@pytest.mark.parametrize(
    "type_spec, value, why",
    [
        ("ip", "host", "must be an IP address"),
        ("ip4", "host", "must be an IPv4 address"),
        ("ip6", "host", "must be an IPv6 address"),
        ("ip4", "::1", "must be an IPv4 address"),
        ("ip6", "10.0.0.1", "must be an IPv6 address"),
        # An open bound is named as infinite.
        ("integer(:5)", "6", "must be an integer in -inf..5"),
        ("integer(1:)", "0", "must be an integer in 1..inf"),
        ("integer(1:5)", "0", "must be an integer in 1..5"),
    ],
)
def test_an_address_or_number_out_of_its_type_is_refused_with_the_whole_reason(
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


@pytest.mark.parametrize(
    "value, why",
    [
        (
            "one\ntwo",
            "contains a newline; YaST and systemd read one value per line, so it cannot be written",
        ),
        (
            "one\x1btwo",
            "contains control character '\\x1b'; YaST and systemd read one value per line, "
            "so it cannot be written",
        ),
        (
            "it's $HOME",
            'contains a single quote together with one of " \\ $ `; no quoting reads back '
            "the same in bash, systemd and YaST",
        ),
        (
            'don\'t "quote"',
            'contains a single quote together with one of " \\ $ `; no quoting reads back '
            "the same in bash, systemd and YaST",
        ),
        ("caf\udce9", "is not valid UTF-8, which systemd refuses to load"),
        (
            '--opt OTHER="x"',
            'contains NAME="..."; YaST would read that part of the line as a variable of its own',
        ),
    ],
)
def test_a_value_no_reader_would_read_back_is_refused_with_the_whole_reason(
    sysconfig_mod, tmp_path, value, why
):
    path = tmp_path / "options"
    text = 'OPTS="--debug"\n'
    path.write_text(text)

    with pytest.raises(sysconfig_mod.SaltInvocationError) as err:
        sysconfig_mod.update(str(path), {"OPTS": value})

    assert str(err.value) == f"{path}: OPTS={value!r} {why}. Nothing was changed"
    assert path.read_text() == text
