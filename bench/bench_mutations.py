"""Mutation benchmark: how many small slips in the solutions the tests catch; and the solution graded
with many hidden-test seeds.

    python -m bench.bench_mutations [--assignments A ...] [--limit N] [--seed S] [--cell GRADE_ID]
    python -m bench.bench_mutations --seeds 50

Every single-token mutation of the code between ``### BEGIN SOLUTION`` / ``### END SOLUTION``
(:mod:`bench.mutations`) is graded in one kernel per assignment (:mod:`bench.kernel_grader`, quick
mode, one hidden-test seed per mutant, varied between mutants). A mutant is *killed* when some test
cell fails. The kill rate leaves out the mutants judged equivalent in ``bench/equivalent_mutants.toml``
(matched by answer cell and the changed line's text, whitespace ignored); every survivor is listed,
for a person to judge. The bar (issue 8): at least 95% of the non-equivalent mutants killed.

``--seeds N`` grades the untouched solution N times, each with another hidden-test seed, and counts
the failures per test cell (the bar: none).

Exit status: 2 if the solution itself fails a test before mutating (every result would be wrong),
1 if a seed run fails, 0 otherwise (the kill rate is reported, not asserted).
Results: build/bench/mutations.json, build/bench/seeds.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

from aecourse.course import ASSIGNMENTS, REPO_ROOT
from bench.kernel_grader import KernelGrader, NotebookBroken
from bench.mutations import mutants as cell_mutants

EQUIVALENTS = Path(__file__).with_name("equivalent_mutants.toml")
OUT_DIR = REPO_ROOT / "build" / "bench"
BAR = 0.95


def derived_seed(*parts):
    """A 62-bit hidden-test seed from ``parts``: fixed for one mutant, varied between mutants."""
    return int.from_bytes(hashlib.sha256("\0".join(map(str, parts)).encode()).digest()[:8], "big") >> 2


def _squeeze(text):
    return re.sub(r"\s+", "", text)


def load_equivalents(path=EQUIVALENTS):
    """The judged-equivalent mutants: [{assignment?, cell, old, new, why}]."""
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("mutant", [])
    for entry in entries:
        missing = {"cell", "old", "new", "why"} - set(entry)
        if missing:
            raise SystemExit(f"{path.name}: an entry lacks {sorted(missing)}: {entry}")
    return entries


def find_equivalent(mutant, assignment, entries):
    for entry in entries:
        if (entry["cell"] == mutant.cell and entry.get("assignment", assignment) == assignment
                and _squeeze(entry["old"]) == _squeeze(mutant.old) and _squeeze(entry["new"]) == _squeeze(mutant.new)):
            return entry
    return None


def failed(results):
    return {name: message for name, (passed, message) in results.items() if not passed}


def how_killed(failures):
    """'assert' if some test's check failed, 'timeout', or 'crash' (only errors: the code did not run)."""
    messages = list(failures.values())
    if any(m.startswith(("AssertionError", "HiddenTestFailure")) for m in messages):
        return "assert"
    if any("CellTimeoutError" in m for m in messages):
        return "timeout"
    return "crash"


class SolutionFails(RuntimeError):
    pass


def die(message):
    print(f"ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def check_solution(grader, seed):
    failures = failed(grader.grade({}, seed))
    if failures:
        raise SolutionFails("; ".join(f"{name}: {message}" for name, message in failures.items()))


def grade_mutants(grader, mutants, seed, check_every, progress):
    """{index: record} for every mutant; the solution is re-graded every ``check_every`` mutants, and a
    batch after which it fails (a mutant poisoned the kernel) is graded again in a fresh kernel."""
    records, batch = {}, []
    for index, mutant in enumerate(mutants):
        records[index] = grade_one(grader, mutant, seed)
        progress(index, mutant, records[index])
        batch.append(index)
        if len(batch) == check_every or index == len(mutants) - 1:
            try:
                check_solution(grader, derived_seed(seed, "check", index))
            except SolutionFails as error:
                grader.restart(f"the solution fails after mutants {batch[0]}-{batch[-1]}: {error}")
                check_solution(grader, derived_seed(seed, "check", index))  # still failing: stop
                for again in batch:  # which one poisons the kernel: grade each, then check
                    records[again] = grade_one(grader, mutants[again], seed)
                    try:
                        check_solution(grader, derived_seed(seed, "check", again))
                    except SolutionFails as poisoned:
                        records[again]["poisons_kernel"] = str(poisoned)
                        grader.restart(f"mutant {again} poisoned the kernel")
            batch = []
    return records


def grade_one(grader, mutant, seed):
    mutant_seed = derived_seed(seed, mutant.source)
    started = time.perf_counter()
    failures = failed(grader.grade({mutant.cell: mutant.source}, mutant_seed))
    return {"cell": mutant.cell, "line": mutant.line, "kind": mutant.kind, "old": mutant.old, "new": mutant.new,
            "seed": mutant_seed, "seconds": round(time.perf_counter() - started, 2),
            "killed": bool(failures), "how": how_killed(failures) if failures else None, "failures": failures}


def run_assignment(assignment, args, equivalents):
    with KernelGrader(assignment, cell_timeout=args.cell_timeout) as grader:
        try:
            check_solution(grader, derived_seed(args.seed, "solution"))
        except SolutionFails as error:
            die(f"the solution of {assignment} fails its own tests, so every mutation result would be "
                f"wrong: {error}")
        generated = [m for cell, code in grader.solutions.items() if args.cell in (None, cell)
                     for m in cell_mutants(cell, code)]
        chosen = generated
        if args.limit and len(generated) > args.limit:
            picked = sorted(random.Random(f"{args.seed}:{assignment}").sample(range(len(generated)), args.limit))
            chosen = [generated[i] for i in picked]
        print(f"{assignment}: {len(generated)} mutants of {len(grader.solutions)} answer cells"
              + (f", grading a sample of {len(chosen)} (--limit)" if chosen is not generated else ""), flush=True)
        started = time.perf_counter()

        def progress(index, mutant, record):
            status = f"KILLED ({record['how']})" if record["killed"] else "survived"
            print(f"  [{index + 1}/{len(chosen)}] {mutant.cell}:{mutant.line} {mutant.kind}: "
                  f"{shorten(mutant.new)}  {status}", flush=True)

        try:
            records = grade_mutants(grader, chosen, args.seed, args.check_every, progress)
        except SolutionFails as error:
            die(f"the solution of {assignment} fails in a fresh kernel after some mutants: {error}")
        for index, record in records.items():  # does the survival depend on the seed?
            if not record["killed"] and args.survivor_seeds:
                extra = [derived_seed(args.seed, "again", k, chosen[index].source) for k in range(args.survivor_seeds)]
                killed = sum(bool(failed(grader.grade({chosen[index].cell: chosen[index].source}, seed)))
                             for seed in extra)
                record["other_seeds"] = {"tried": len(extra), "killed": killed}
        seconds = time.perf_counter() - started
        restarts = grader.restarts
    matched = []
    for index, mutant in enumerate(chosen):
        entry = find_equivalent(mutant, assignment, equivalents)
        records[index]["equivalent"] = entry["why"] if entry else None
    for entry in equivalents:
        if entry.get("assignment", assignment) == assignment and any(
                find_equivalent(m, assignment, [entry]) for m in generated):
            matched.append(entry)
    return {"assignment": assignment, "generated": len(generated), "graded": len(chosen),
            "seconds": round(seconds, 1), "kernel_restarts": restarts,
            "mutants": [records[i] for i in range(len(chosen))], "matched_equivalents": matched,
            "cells": [cell for cell in grader.solutions if args.cell in (None, cell)]}


def shorten(text, width=90):
    return text if len(text) <= width else text[:width - 3] + "..."


def rate(killed, total):
    return f"{killed / total:.1%}" if total else "-"


def report(runs, equivalents, only_cell=None):
    print("\nMutation kill rate (killed / non-equivalent mutants; crash = killed by an error, not a check)")
    header = f"{'assignment':20} {'answer cell':24} {'mutants':>7} {'equiv':>5} {'killed':>6} {'crash':>5} {'survived':>8} {'kill rate':>9}"  # noqa: E501
    print(header)
    print("-" * len(header))
    overall = Counter()
    for run in runs:
        cells = defaultdict(Counter)
        for record in run["mutants"]:
            count = cells[record["cell"]]
            count["mutants"] += 1
            if record["equivalent"]:
                count["equiv"] += 1
            elif record["killed"]:
                count["killed"] += 1
                count["crash"] += record["how"] == "crash"
            else:
                count["survived"] += 1
        total = Counter()
        for cell, count in cells.items():
            total.update(count)
            print(f"{run['assignment']:20} {cell:24} {count['mutants']:7} {count['equiv']:5} {count['killed']:6} "
                  f"{count['crash']:5} {count['survived']:8} {rate(count['killed'], count['killed'] + count['survived']):>9}")  # noqa: E501
        run["summary"] = dict(total, kill_rate=total["killed"] / max(1, total["killed"] + total["survived"]))
        print(f"{run['assignment']:20} {'ALL':24} {total['mutants']:7} {total['equiv']:5} {total['killed']:6} "
              f"{total['crash']:5} {total['survived']:8} {rate(total['killed'], total['killed'] + total['survived']):>9}"  # noqa: E501
              f"   ({run['graded']} of {run['generated']} graded in {run['seconds']:.0f} s, "
              f"{run['kernel_restarts']} kernel restarts)")
        overall.update(total)
    print(f"{'overall':45} {overall['mutants']:7} {overall['equiv']:5} {overall['killed']:6} {overall['crash']:5} "
          f"{overall['survived']:8} {rate(overall['killed'], overall['killed'] + overall['survived']):>9}"
          f"   (bar: {BAR:.0%})")

    print("\nSurvivors (not killed, not judged equivalent): a test should catch each, or it is equivalent")
    for run in runs:
        for record in run["mutants"]:
            if not record["killed"] and not record["equivalent"]:
                print(f"  {run['assignment']} {record['cell']}:{record['line']} [{record['kind']}]"
                      f"{other_seeds(record)}\n      {record['old']}\n   -> {record['new']}")
    print("\nJudged equivalent (bench/equivalent_mutants.toml), left out of the kill rate")
    for run in runs:
        for record in run["mutants"]:
            if record["equivalent"]:
                verdict = ("KILLED: a test rejects it, or it is not equivalent" if record["killed"]
                           else "survived" + other_seeds(record).replace(" (", ", ").rstrip(")"))
                print(f"  {run['assignment']} {record['cell']}:{record['line']}  {record['new']}  ({verdict})\n"
                      f"      why: {' '.join(record['equivalent'].split())}")
    # entries in the scope of this run (its answer cells; all of them: also unknown cells) that match no mutant
    cells = {(run["assignment"], cell) for run in runs for cell in run["cells"]}
    everything = len(runs) == len(ASSIGNMENTS) and only_cell is None
    matched = [id(entry) for run in runs for entry in run["matched_equivalents"]]
    stale = [e for e in equivalents if id(e) not in matched and only_cell in (None, e["cell"])
             and (everything or any(c == e["cell"] and e.get("assignment", a) == a for a, c in cells))]
    if stale:
        print("\nEquivalent entries that match no mutant of today's solutions (remove or update them):")
        for entry in stale:
            print(f"  {entry['cell']}: {entry['old']}  ->  {entry['new']}")
    poisoned = [m for run in runs for m in run["mutants"] if m.get("poisons_kernel")]
    for record in poisoned:
        print(f"\nWARNING: {record['cell']}:{record['line']} {record['new']} left the kernel broken: {record['poisons_kernel']}")  # noqa: E501
    for run in runs:
        del run["matched_equivalents"], run["cells"]
    return {"runs": runs, "overall": dict(overall), "stale_equivalents": stale}


def other_seeds(record):
    again = record.get("other_seeds")
    return f" (killed with {again['killed']} of {again['tried']} other seeds)" if again else ""


def run_seeds(args):
    """Grade the untouched solution ``args.seeds`` times with other seeds; failures per test cell."""
    results, failures_total = [], 0
    for assignment in args.assignments:
        with KernelGrader(assignment, cell_timeout=args.cell_timeout) as grader:
            failures, started = defaultdict(list), time.perf_counter()
            for i in range(args.seeds):
                seed = derived_seed(args.seed, "seeds", assignment, i)
                for name, message in failed(grader.grade({}, seed)).items():
                    failures[name].append({"seed": seed, "message": message})
                print(f"  {assignment}: seed {i + 1}/{args.seeds}, failures so far "
                      f"{sum(map(len, failures.values()))}", flush=True)
            seconds = time.perf_counter() - started
            tests = grader.test_ids
        print(f"\n{assignment}: the solution graded {args.seeds} times with fresh hidden-test seeds "
              f"({seconds:.0f} s)")
        for name in tests:
            print(f"  {name:36} {len(failures.get(name, [])):3} failures"
                  + "".join(f"\n      seed {f['seed']}: {f['message']}" for f in failures.get(name, [])))
        failures_total += sum(map(len, failures.values()))
        results.append({"assignment": assignment, "seeds": args.seeds, "seconds": round(seconds, 1),
                        "failures": {name: failures.get(name, []) for name in tests}})
    print(f"\nfailures in all: {failures_total} (the bar: 0)")
    write(args.out or OUT_DIR / "seeds.json", results)
    return 1 if failures_total else 0


def write(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    print(f"written: {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", nargs="+", default=list(ASSIGNMENTS), choices=list(ASSIGNMENTS))
    parser.add_argument("--limit", type=int, help="grade a random sample of this many mutants per assignment")
    parser.add_argument("--seed", type=int, default=0, help="varies the sample and the hidden-test seeds")
    parser.add_argument("--cell", help="only the mutants of this answer cell (grade_id)")
    parser.add_argument("--seeds", type=int, help="instead: grade the solution this many times with fresh seeds")
    parser.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (then a fresh kernel)")
    parser.add_argument("--survivor-seeds", type=int, default=3,
                        help="grade each survivor again with this many other seeds (is its survival seed luck?)")
    parser.add_argument("--check-every", type=int, default=25, help="re-grade the solution every N mutants")
    parser.add_argument("--out", type=Path, help="the JSON file (default build/bench/mutations.json or seeds.json)")
    args = parser.parse_args(argv)
    if args.seeds:
        return run_seeds(args)
    equivalents = load_equivalents()
    started = time.perf_counter()
    runs = [run_assignment(assignment, args, equivalents) for assignment in args.assignments]
    data = report(runs, equivalents, args.cell)
    data["seconds"] = round(time.perf_counter() - started, 1)
    write(args.out or OUT_DIR / "mutations.json", data)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NotebookBroken as error:
        die(str(error))
