"""
make mutate: mutation testing of the modules named in setup.cfg's [mutmut]
section, against the fast tests, with a kill rate.

mutmut puts one small bug at a time into a function (a mutant) and runs the
tests that reach that function; a mutant no test notices survives. This
script runs mutmut, then judges each survivor against
tests/mutation/survivors.yaml, which the next run reads again:

- ``equivalent``: a mutant that behaves exactly as the original (the reason
  is given); it does not count;
- ``outside``: a function the fast tests cannot reach by design (it needs the
  running kernel or a Docker daemon; the reason names the test that proves
  it); its mutants do not count.

A mutant is a bug, and a bug in this code can write the host's files or
run programs (a ``python_shell=True`` mutant once started a real dockerd).
As root, mutmut therefore runs in a sandbox: network, mount and PID
namespaces of its own (loopback only), with /etc and /run under overlays
whose writes are thrown away, so that what a mutant writes there, and the
network it changes, never reach this machine, and every process it started
ends with the run. /var stays as it is: the tests judge the filesystem under
Docker's data-root on this machine, which an overlay would change.

The kill rate is the share of the remaining mutants that a test killed
(a mutant that ran out of time or crashed the test run counts as killed: the
tests noticed it). The run fails when the rate is below 90 % or when a
survivor is neither killed nor listed; it prints each such survivor with its
diff.

Usage: tools/mutate.py [--keep | --survivors | --report-only] [MUTANT ...]
  --keep         reuse mutants/ from the last run: mutmut tests only the
                 mutants it has no verdict for (a changed function's)
  --survivors    test again every mutant that survived the last run (after
                 new tests were written)
  --report-only  judge the last run again (after survivors.yaml changed)
  MUTANT         test these mutants again (mutmut's names; * is a
                 wildcard), e.g. '_modules.sysconfig.x__plan*'
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
SURVIVORS = REPO / "tests" / "mutation" / "survivors.yaml"
# mutmut's "segfault" is a test run that ended by SIGSEGV or SIGKILL: a mutant
# that loops while it grows a list runs until it is killed. It never passes.
KILLED = {"killed", "timeout", "segfault"}
# A mutant mutmut never got to (the run was cut short): no verdict either way.
UNTESTED = {"not checked", "check was interrupted by user"}
# The table's columns; "timeout" counts the killed mutants that ran out of time.
COLUMNS = ("mutants", "killed", "timeout", "equivalent", "outside", "survived", "untested")
REQUIRED_RATE = 0.90


def function_of(mutant):
    """``_modules.sysconfig.x__plan__mutmut_3`` -> ``_modules/sysconfig.py::_plan``;
    a method (``xǁ_Scannerǁexpand``) as ``_Scanner.expand``."""
    module, _, mangled = mutant.partition("__mutmut_")[0].rpartition(".")
    name = mangled.removeprefix("x_")
    if name.startswith("x\u01c1"):
        name = ".".join(name.split("\u01c1")[1:])
    return f"{module.replace('.', '/')}.py::{name}"


def change_of(diff):
    """The lines a mutant removes and adds, without indentation: ``- old``, ``+ new``."""
    return [
        f"{line[0]} {line[1:].strip()}"
        for line in diff.splitlines()
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]


def load_listed(path=SURVIVORS):
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    outside = {entry["function"]: entry["why"] for entry in data.get("outside") or []}
    equivalent = [
        {
            "function": entry["function"],
            "change": [line.strip() for line in entry["change"].strip().splitlines()],
            "why": entry["why"],
        }
        for entry in data.get("equivalent") or []
    ]
    for entry in [*(data.get("outside") or []), *(data.get("equivalent") or [])]:
        if not str(entry.get("why", "")).strip():
            sys.exit(f"{path}: {entry['function']} needs a reason (why)")
    return outside, equivalent


def results():
    """{mutant: (status, source path)} from mutmut's files under mutants/."""
    from mutmut.stats import status_by_exit_code  # noqa: PLC0415  (the venv's mutmut)

    found = {}
    for meta in sorted((REPO / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(REPO / "mutants").with_suffix("")
        data = json.loads(meta.read_text(encoding="utf-8"))
        for mutant, exit_code in data["exit_code_by_key"].items():
            found[mutant] = (status_by_exit_code[exit_code], source)
    return found


def diff_of(mutant, source):
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: PLC0415

    return get_diff_for_mutant(mutant, path=source)


# Run as the sandbox's first process: loopback up, then /etc and /run each
# under an overlay whose upper layer is a scratch directory ($1), then the
# command as its child. The shell stays process 1, which adopts the orphans:
# mutmut waits for any child, and would take an orphan for a worker.
SANDBOX = """
set -eu
ip link set lo up
for dir in /etc /run; do
    mkdir -p "$1$dir/upper" "$1$dir/work"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$1$dir/upper,workdir=$1$dir/work" "$dir"
done
shift
"$@"
"""


def sandboxed(command, scratch):
    """``command`` in namespaces of its own, as root; as another user, as it is (it
    cannot change the host's files or network then anyway)."""
    if os.geteuid() != 0:
        print("not root: mutmut runs without the sandbox", file=sys.stderr)
        return command
    return [
        "unshare",
        "--mount",
        "--net",
        "--pid",
        "--fork",
        "--mount-proc",
        "sh",
        "-c",
        SANDBOX,
        "sandbox",
        str(scratch),
        *command,
    ]


def refresh_copies(directory, kept=("_modules",)):
    """Before a run that keeps verdicts: remove everything mutmut copied into
    ``directory`` except the mutated sources (``kept``, where its verdicts
    are), so that it copies the tests anew. It only ever adds copies: a test
    file moved or deleted since would still run from its old place. Its test
    statistics go too, or tests written since would never run against a
    function that did not change."""
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.name in kept:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def run_mutmut(mutants, keep):
    if keep:
        refresh_copies(REPO / "mutants")
    else:
        shutil.rmtree(REPO / "mutants", ignore_errors=True)
    env = dict(os.environ)
    # Every mutant is a function of its own: a mutated module is tens of
    # thousands of lines, and Salt loads it anew for every state run. Its
    # bytecode, cached, saves compiling it each time (a second each).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The tests run inside mutants/: tell them where SUSE's files are.
    env.setdefault("SUSE_FIXTURES", str(REPO.parent / "shared" / "fixtures" / "suse"))
    command = [
        str(pathlib.Path(sys.executable).parent / "mutmut"),
        "run",
        f"--max-children={os.cpu_count() or 2}",
        *mutants,
    ]
    with tempfile.TemporaryDirectory(prefix="mutate-sandbox-") as scratch:
        return subprocess.run(
            sandboxed(command, scratch), cwd=REPO, env=env, check=False
        ).returncode


def report(found, outside, equivalent, partial, diff_of=diff_of):
    """Print the table, the kill rate and the unlisted survivors; return whether the
    run passes. ``found`` is ``{mutant: (status, source path)}``."""
    counts, unlisted, matched = {}, [], set()
    for mutant, (status, source) in sorted(found.items()):
        function = function_of(mutant)
        row = counts.setdefault(
            str(source),
            dict.fromkeys(COLUMNS, 0),
        )
        row["mutants"] += 1
        if function in outside:
            row["outside"] += 1
            matched.add(function)
        elif status in KILLED:
            row["killed"] += 1
            row["timeout"] += status == "timeout"
        elif status in UNTESTED:
            row["untested"] += 1
        else:
            diff = diff_of(mutant, source)
            change = change_of(diff)
            listed = [
                index
                for index, entry in enumerate(equivalent)
                if entry["function"] == function and entry["change"] == change
            ]
            if listed:
                row["equivalent"] += 1
                matched.update(listed)
            else:
                row["survived"] += 1
                unlisted.append((mutant, status, function, diff))

    widths = {"mutants": 8, "killed": 8, "timeout": 9, "equivalent": 8, "outside": 8}
    widths["untested"] = 9
    heads = {"equivalent": "equiv."}
    print(
        "\n"
        + f"{'module':<34}"
        + "".join(f"{heads.get(key, key):>{widths.get(key, 9)}}" for key in COLUMNS)
        + f"{'rate':>8}"
    )
    total = dict.fromkeys(COLUMNS, 0)
    for source, row in [*sorted(counts.items()), ("all", total)]:
        if source != "all":
            for key in total:
                total[key] += row[key]
        print(
            f"{source:<34}"
            + "".join(f"{row[key]:>{widths.get(key, 9)}}" for key in COLUMNS)
            + f"{rate(row):>8}"
        )

    for mutant, status, function, diff in unlisted:
        # The diff, then the entry survivors.yaml would need if no test can kill it.
        entry = "\n".join(f"      {line}" for line in change_of(diff))
        print(
            f"\n{status}: {mutant}\n{diff}\n  - function: {function}\n"
            f"    change: |\n{entry}\n    why: "
        )
    if not partial:
        stale = [entry["function"] for i, entry in enumerate(equivalent) if i not in matched]
        stale += [function for function in outside if function not in matched]
        for function in stale:
            print(f"{SURVIVORS.name}: {function} matches no survivor any more: remove it")
    checked = counted(total)
    kill_rate = total["killed"] / checked if checked else 1.0
    print(
        f"\nkill rate {kill_rate:.1%} ({total['killed']} of {checked} mutants that count); "
        f"{len(unlisted)} survivor(s) neither killed nor listed in {SURVIVORS.relative_to(REPO)}"
    )
    if total["untested"]:
        print(
            f"{total['untested']} mutant(s) not tested: the run was cut short; "
            "tools/mutate.py --keep tests them"
        )
    return kill_rate >= REQUIRED_RATE and not unlisted and not total["untested"]


def counted(row):
    """The mutants whose verdict counts: not listed, and tested."""
    return row["mutants"] - row["equivalent"] - row["outside"] - row["untested"]


def rate(row):
    checked = counted(row)
    return f"{row['killed'] / checked:.1%}" if checked else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--keep", action="store_true")
    choice.add_argument("--survivors", action="store_true")
    choice.add_argument("--report-only", action="store_true")
    parser.add_argument("mutants", nargs="*")
    args = parser.parse_args()
    mutants = args.mutants
    if args.survivors:
        mutants = [mutant for mutant, (status, _) in results().items() if status not in KILLED]
        if not mutants:
            print("no survivors to test again")
    if not args.report_only and (mutants or not args.survivors):
        code = run_mutmut(mutants, args.keep or args.survivors or bool(mutants))
        if code:
            return code
    outside, equivalent = load_listed()
    os.chdir(REPO)  # mutmut's readers work from the repository
    return 0 if report(results(), outside, equivalent, partial=bool(args.mutants)) else 1


if __name__ == "__main__":
    sys.exit(main())
