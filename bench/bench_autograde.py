"""Autograde cost: seconds to autograde one student's notebook, next to the floor.

The floor is nbgrader autograding a notebook that only imports Keras and runs one
test cell, measured in the same run on the same machine. Usage:

    .venv/bin/python -m bench.bench_autograde [--assignments mnist_autoencoders cardiac_vae] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from aecourse.course import ASSIGNMENTS, REPO_ROOT, Course

FLOOR = "floor_keras_import"


def floor_notebook():
    """One setup cell importing Keras, one graded test cell."""
    setup = nbformat.v4.new_code_cell("import keras\nimport numpy as np")
    test = nbformat.v4.new_code_cell(
        '"""A trivial test."""\nassert np.ones(3).sum() == 3',
        metadata={"nbgrader": {"grade": True, "grade_id": "trivial", "locked": True, "points": 1,
                               "schema_version": 3, "solution": False, "task": False}})
    return nbformat.v4.new_notebook(cells=[setup, test])


def timed_autograde(course, assignment, student):
    start = time.perf_counter()
    course.autograde(assignment, student)
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
            times[assignment] = [timed_autograde(course, assignment, f"student{repeat}")
                                 for repeat in range(args.repeats)]
            scores = course.summary(assignment, "student0")
            print(f"{assignment:24s} median {statistics.median(times[assignment]):5.1f} s "
                  f"(runs: {', '.join(f'{t:.1f}' for t in times[assignment])}); "
                  f"autograded score {scores['code_score']:g}/{scores['max_code_score']:g}", flush=True)
        floor = statistics.median(times[FLOOR])
        for assignment in args.assignments:
            ratio = statistics.median(times[assignment]) / floor
            print(f"{assignment}: {ratio:.2f} x the bare-Keras floor (target: at most 2 x)")


if __name__ == "__main__":
    main()
