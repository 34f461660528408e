"""What the module writes is read back exactly by bash, by systemd and by YaST."""

import pytest

VALUES = [
    "plain",
    "--storage-driver=btrfs --log-level=warn",
    "tab\tseparated",
    "  leading and trailing spaces  ",
    "$(touch {marker})",
    "`touch {marker}`",
    "${{HOME}} and $HOME",
    "back\\slash and trailing\\",
    'say "hello"',
    "it's",
    "100% #not a comment; &| <> ()",
    "ümlaut ✓",
    "a=b,c:d/e@f+g%h",
    "",
]


@pytest.mark.skip_if_not_root
def test_every_value_reads_back_the_same_in_bash_systemd_and_yast(
    modules, tmp_path, bash, systemd, yast
):
    marker = tmp_path / "owned"
    path = tmp_path / "readers"
    # Each value goes into a variable that starts double-quoted, one that
    # starts single-quoted and one that starts bare: the module keeps a
    # variable's own quoting when that can hold the value.
    lines, wanted = ["## Type: string"], {}
    for number, template in enumerate(VALUES):
        value = template.format(marker=marker)
        for style, empty in (("D", '""'), ("S", "''"), ("B", "")):
            key = f"V{number}_{style}"
            lines.append(f"{key}={empty}")
            wanted[key] = value
    path.write_text("\n".join(lines) + "\n")

    modules.sysconfig.update(str(path), wanted)

    assert bash(path) == wanted
    assert not marker.exists()
    assert systemd(path) == wanted
    assert yast(path) == wanted
    assert modules.sysconfig.items(str(path)) == wanted


@pytest.mark.skip_if_not_root
def test_a_real_template_after_a_change_reads_the_same_everywhere(
    modules, sandbox_root, bash, systemd, yast
):
    path = sandbox_root / "etc" / "sysconfig" / "docker"
    modules.sysconfig.set(
        "docker",
        "DOCKER_OPTS",
        "--data-root=/var/lib/docker --log-level=warn",
        root=str(sandbox_root),
    )
    expected = {"DOCKER_OPTS": "--data-root=/var/lib/docker --log-level=warn"}
    assert bash(path) == systemd(path) == yast(path) == expected
