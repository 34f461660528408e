"""docs/guarantees.md: every README guarantee it maps names tests that exist."""

import ast
import functools
import re
from typing import NamedTuple

from tests.conftest import REPO_ROOT

GUARANTEES = REPO_ROOT / "docs" / "guarantees.md"
BENCHMARKS = "Benchmarks"

# A backticked span that starts with tests/ is a reference; it must be one of these.
REFERENCE = re.compile(r"`(tests/[^`]*)`")
TEST_ID = re.compile(r"tests/(?:[a-z_]+/)+[A-Za-z0-9_]+\.py::[A-Za-z_][A-Za-z0-9_]*")
BENCHMARK = re.compile(r"tests/bench/bench_[a-z0-9_]+\.py")
# A node id written without its backticks would not be collected.
BARE_TEST_ID = re.compile(r"(?<![`\w/])tests/\S+?\.py::\w+")


class Row(NamedTuple):
    line: int
    section: str
    cells: list


def _headings_rows_and_references():
    """The document's level-2 and level-3 headings, its table rows, and every
    reference with its line number."""
    headings, rows, references = [], [], []
    in_table = False
    section = None
    for number, line in enumerate(GUARANTEES.read_text(encoding="utf-8").splitlines(), 1):
        references += [(number, match) for match in REFERENCE.findall(line)]
        heading = re.match(r"(#{2,3}) (.+)", line)
        if heading:
            if len(heading.group(1)) == 2:
                section = heading.group(2).strip()
            headings.append((number, heading.group(2).strip(), section))
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not in_table:  # the header row; the separator row follows
            in_table = True
            continue
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            continue
        rows.append(Row(number, section, cells))
    return headings, rows, references


@functools.cache
def _module_functions(relative):
    """The names of the functions defined at module level in ``relative``."""
    tree = ast.parse((REPO_ROOT / relative).read_text(encoding="utf-8"), filename=relative)
    return {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _where(number):
    return f"docs/guarantees.md line {number}"


def test_every_reference_is_well_formed():
    _, _, references = _headings_rows_and_references()
    assert references, "no reference found in docs/guarantees.md"
    problems = [
        f"{_where(number)}: `{reference}` is neither tests/<dir>/<file>.py::<function> "
        "(no parametrize id) nor a benchmark script tests/bench/bench_<name>.py"
        for number, reference in references
        if not (TEST_ID.fullmatch(reference) or BENCHMARK.fullmatch(reference))
    ]
    for number, line in enumerate(GUARANTEES.read_text(encoding="utf-8").splitlines(), 1):
        problems += [
            f"{_where(number)}: {bare} is not in backticks" for bare in BARE_TEST_ID.findall(line)
        ]
    assert not problems, "\n".join(problems)


def test_every_test_reference_names_a_test_function_of_an_existing_file():
    _, _, references = _headings_rows_and_references()
    problems = []
    for number, reference in references:
        if not TEST_ID.fullmatch(reference):
            continue  # a benchmark script, or malformed: the test above reports it
        relative, name = reference.split("::")
        if not (REPO_ROOT / relative).is_file():
            problems.append(f"{_where(number)}: `{reference}`: {relative} does not exist")
        elif not name.startswith("test_"):
            problems.append(f"{_where(number)}: `{reference}`: {name} is not a test function")
        elif name not in _module_functions(relative):
            problems.append(
                f"{_where(number)}: `{reference}`: {relative} defines no function {name} "
                "at module level"
            )
    assert not problems, "\n".join(problems)


def test_every_benchmark_reference_names_an_existing_script():
    _, _, references = _headings_rows_and_references()
    problems = [
        f"{_where(number)}: `{reference}` does not exist"
        for number, reference in references
        if BENCHMARK.fullmatch(reference) and not (REPO_ROOT / reference).is_file()
    ]
    assert not problems, "\n".join(problems)


def test_every_row_names_a_test():
    _, rows, _ = _headings_rows_and_references()
    assert rows, "no table row found in docs/guarantees.md"
    problems = []
    for row in rows:
        if len(row.cells) != 2:
            problems.append(
                f"{_where(row.line)}: a row is | guarantee | tests |, not {len(row.cells)} cells"
            )
            continue
        if not row.cells[0]:
            problems.append(f"{_where(row.line)}: the row states no guarantee")
            continue
        named = REFERENCE.findall(row.cells[1])
        if row.section == BENCHMARKS:
            if not [reference for reference in named if BENCHMARK.fullmatch(reference)]:
                problems.append(f"{_where(row.line)}: {row.cells[0]!r} names no benchmark script")
        elif not [reference for reference in named if TEST_ID.fullmatch(reference)]:
            problems.append(f"{_where(row.line)}: {row.cells[0]!r} names no test")
    assert not problems, "\n".join(problems)


def test_every_section_has_a_table():
    """A table that lost its formatting would otherwise drop out of the checks above;
    a list of guarantees without tests has no place in the file."""
    headings, rows, _ = _headings_rows_and_references()
    starts = [number for number, _, _ in headings] + [float("inf")]
    problems = [
        f"{_where(number)}: section {title!r} has no table row"
        for (number, title, _), end in zip(headings, starts[1:], strict=True)
        if not [row for row in rows if number < row.line < end]
    ]
    assert not problems, "\n".join(problems)
