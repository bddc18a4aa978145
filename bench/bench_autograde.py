"""Autograde cost: seconds to autograde one student's notebook, next to the floor.

The floor is nbgrader autograding a notebook that only imports Keras and runs one
test cell, measured in the same run on the same machine, with the grading sandbox and
without it (AECOURSE_UNSAFE_NO_SANDBOX=1), to give the sandbox's own cost. Usage:

    .venv/bin/python -m bench.bench_autograde [--assignments mnist_autoencoders cardiac_vae] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from aecourse.course import ASSIGNMENTS, Course

FLOOR = "floor_keras_import"


def floor_notebook():
    """One setup cell importing Keras, one graded test cell."""
    setup = nbformat.v4.new_code_cell("import keras\nimport numpy as np")
    test = nbformat.v4.new_code_cell(
        '"""A trivial test."""\nassert np.ones(3).sum() == 3',
        metadata={"nbgrader": {"grade": True, "grade_id": "trivial", "locked": True, "points": 1,
                               "schema_version": 3, "solution": False, "task": False}})
    return nbformat.v4.new_notebook(cells=[setup, test])


MODES = {"sandboxed": {}, "no sandbox": {"AECOURSE_UNSAFE_NO_SANDBOX": "1"}}


def timed_autograde(course, assignment, student, env):
    start = time.perf_counter()
    course.run("autograde", assignment, "--force", "--student", student, env=env)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", nargs="+", default=list(ASSIGNMENTS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        course = Course.copy_of(Path(folder) / "course", assignments=args.assignments)
        (course.root / "source" / FLOOR).mkdir(parents=True)
        nbformat.write(floor_notebook(), course.root / "source" / FLOOR / f"{FLOOR}.ipynb")
        times = {}
        for assignment in [FLOOR, *args.assignments]:
            course.generate_release(assignment)
            solution = course.notebook("source", assignment)
            for repeat in range(args.repeats):
                course.submit(f"student{repeat}", assignment, solution)
            for mode, env in MODES.items():
                times[assignment, mode] = runs = [timed_autograde(course, assignment, f"student{repeat}", env)
                                                  for repeat in range(args.repeats)]
                scores = course.summary(assignment, "student0")
                print(f"{assignment:24s} {mode:10s} median {statistics.median(runs):5.1f} s "
                      f"(runs: {', '.join(f'{t:.1f}' for t in runs)}); "
                      f"autograded score {scores['code_score']:g}/{scores['max_code_score']:g}", flush=True)
        for mode in MODES:
            floor = statistics.median(times[FLOOR, mode])
            for assignment in args.assignments:
                ratio = statistics.median(times[assignment, mode]) / floor
                print(f"{mode:10s} {assignment}: {ratio:.2f} x the bare-Keras floor (target: at most 2 x)")
        for assignment in [FLOOR, *args.assignments]:
            extra = statistics.median(times[assignment, "sandboxed"]) / statistics.median(times[assignment, "no sandbox"])  # noqa: E501
            print(f"sandbox cost, {assignment}: {100 * (extra - 1):+.0f}% per notebook (target: at most +10%)")


if __name__ == "__main__":
    main()
