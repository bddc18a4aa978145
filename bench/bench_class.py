"""A whole class, graded: `aecourse-grade` (parallel, sandboxed) against serial nbgrader.

A synthetic class of N students for each assignment (default 40): correct answers, blank
releases, the typical mistakes of tests/*_submissions.py, and the hostile and broken
notebooks of tests/trust_submissions.py, cycled until the class is full. It reports the wall
time of `aecourse-grade` for the whole class, the wall time of serial `nbgrader autograde`
(+ feedback) on the first K students of each assignment (K small: serial grading of a
whole class takes a quarter of an hour here), the per-notebook cost of both, and how many
correct notebooks lost points (`--solutions-only` grades N copies of each solution: the
"no right answer fails by chance" count, with every student's own hidden-test seed).

    PYTHONPATH=tests .venv/bin/python -m bench.bench_class [--students 40] [--serial 4] [--workers 2] [--solutions-only]
"""

import argparse
import itertools
import re
import socket
import tempfile
import time
from pathlib import Path

import nbformat

import cardiac_submissions
import mnist_submissions
import trust_submissions
from aecourse.course import ASSIGNMENTS, Course, NbgraderError, solution_answers, with_answers
from aecourse.grading.parallel import ClassGrader
from submissions import apply

CATALOGUES = {"mnist_autoencoders": mnist_submissions, "cardiac_vae": cardiac_submissions}


def class_members(course, assignment, port, solutions_only):
    """An endless cycle of (kind, files) for one assignment's synthetic class."""
    source, release = course.notebook("source", assignment), course.notebook("release", assignment)
    other = course.notebook("source", next(a for a in ASSIGNMENTS if a != assignment))
    answers = solution_answers(source)
    correct = ("correct", {source.name: source.read_bytes()})
    if solutions_only:
        return itertools.repeat(correct)
    members = [correct, ("blank", {source.name: release.read_bytes()})]
    catalogue = CATALOGUES[assignment]
    members += [(f"mistake:{m.name}", {source.name: nbformat.writes(with_answers(source, apply(answers, m))).encode()})
                for m in catalogue.MUTANTS]
    ctx = trust_submissions.Context(course.root, source, release, other, port)
    members += [(f"trust:{case.name}", case.build(ctx)) for case in trust_submissions.CASES
                if case.assignment == assignment]
    # correct answers are the most common in a real class: one in three
    return itertools.chain.from_iterable(zip(itertools.repeat(correct), members[1:], members[1:][::-1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--serial", type=int, default=4, help="students per assignment graded serially too")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--solutions-only", action="store_true")
    args = parser.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with tempfile.TemporaryDirectory() as folder:
        course = Course.copy_of(Path(folder) / "course")
        kinds = {}
        for assignment in ASSIGNMENTS:
            course.generate_release(assignment)
            members = class_members(course, assignment, listener.getsockname()[1], args.solutions_only)
            for number, (kind, files) in zip(range(args.students), members):
                student = f"s{number:03d}"
                target = course.root / "submitted" / student / assignment
                target.mkdir(parents=True)
                trust_submissions.write_files(target, files)  # links, FIFOs and hard links as handed in
                kinds[assignment, student] = kind
        total = len(kinds)
        start = time.perf_counter()
        outcomes = ClassGrader(course, workers=args.workers).grade(list(ASSIGNMENTS))
        parallel = time.perf_counter() - start
        print(f"\naecourse-grade: {total} notebooks in {parallel:.0f} s ({parallel / total:.1f} s per notebook)")
        wrong = [(o.assignment, o.student, o.score, o.max_score) for o in outcomes
                 if kinds[o.assignment, o.student] == "correct" and o.score != o.max_score]
        n_correct = sum(kind == "correct" for kind in kinds.values())
        print(f"correct notebooks that lost points: {len(wrong)} of {n_correct} {wrong[:5]}")
        if args.serial:
            start = time.perf_counter()
            pattern = "s00[0-" + str(args.serial - 1) + "]" if args.serial <= 10 else "*"
            failed = []
            for assignment in ASSIGNMENTS:
                for command in ("autograde", "generate_feedback"):
                    try:
                        course.run(command, assignment, "--force", "--student", pattern)
                    except NbgraderError as error:  # plain nbgrader gives up on broken submissions
                        failed += re.findall(r"error processing assignment '\S+' for student '(\S+)'", str(error))
            serial = time.perf_counter() - start
            count = 2 * min(args.serial, args.students)
            print(f"serial nbgrader (sandboxed kernels): {count} notebooks in {serial:.0f} s "
                  f"({serial / count:.1f} s per notebook; the class at that rate: {serial / count * total:.0f} s); "
                  f"students nbgrader could not grade: {sorted(set(failed))}")


if __name__ == "__main__":
    main()
