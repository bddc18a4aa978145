"""``aecourse-grade`` (``make grade``): autograde the whole class, give feedback, export grades.

    aecourse-grade                      # every assignment, every student in submitted/
    aecourse-grade mnist_autoencoders --workers 2 --force
    aecourse-grade --scheduler tcp://scheduler.example.org:8786   # an existing Dask cluster
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aecourse.course import ASSIGNMENTS, Course
from aecourse.grading import lms, sandbox
from aecourse.grading.execute import GraderFailure
from aecourse.grading.parallel import ClassGrader
from aecourse.grading.report import write_reports


def summary_table(outcomes):
    lines = [f"{'assignment':20s} {'student':24s} {'score':>11s} {'run (s)':>8s}  notes"]
    for o in sorted(outcomes, key=lambda o: (o.assignment, o.student)):
        score = f"{o.score:g} / {o.max_score:g}" if o.score is not None else "-"
        notes = " | ".join(o.problems) if o.problems else ""
        lines.append(f"{o.assignment:20s} {o.student:24s} {score:>11s} {o.seconds:8.1f}  {notes[:160]}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("assignments", nargs="*", help=f"default: {' '.join(ASSIGNMENTS)}")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (holds nbgrader_config.py)")
    parser.add_argument("--student", default="*", help="grade only students whose ID matches this glob")
    parser.add_argument("--workers", type=int, default=None, help="local workers (default: one per core)")
    parser.add_argument("--scheduler", help="address of a Dask scheduler to grade on, instead of local workers")
    parser.add_argument("--force", action="store_true", help="regrade submissions that have not changed too")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code unsandboxed (a single-user self-study machine only)")
    parser.add_argument("--no-export", action="store_true",
                        help="skip `nbgrader export` to grades.csv, and the LMS files grades-canvas.csv, grades-moodle.csv")  # noqa: E501
    parser.add_argument("--lms-map", type=Path, help="id map for the LMS files, header nbgrader_id,lms_id[,email] "
                                                     f"(default: {lms.DEFAULT_MAP} in the course root, if there)")
    args = parser.parse_args(argv)
    if args.unsafe_no_sandbox:
        os.environ["AECOURSE_UNSAFE_NO_SANDBOX"] = "1"
        print("WARNING: grading WITHOUT the sandbox: student code can read the hidden tests.", flush=True)
    course = Course(args.root)
    if not (course.root / "nbgrader_config.py").exists():
        parser.error(f"{course.root} holds no nbgrader_config.py: run from the course root or pass --root")
    assignments = args.assignments or [a for a in ASSIGNMENTS if (course.root / "release" / a).is_dir()]
    try:
        outcomes = ClassGrader(course, workers=args.workers, scheduler=args.scheduler,
                               force=args.force).grade(assignments, args.student)
    except (sandbox.SandboxUnavailable, GraderFailure) as error:
        print(f"Cannot grade: {error}", file=sys.stderr)
        return 2
    if not outcomes:
        print("Nothing to grade: every submission is graded already (use --force to regrade).")
    else:
        print(summary_table(outcomes))
        problems = sum(bool(o.problems) for o in outcomes)
        print(f"\n{len(outcomes)} notebooks graded, {problems} with a grader's note (see the notes column).")
    lms_error = None
    if not args.no_export:
        course.export_grades(course.root / "grades.csv")
        print(f"Grades exported to {course.root / 'grades.csv'}; feedback in {course.root / 'feedback'}/.")
        try:
            print("\n".join(lms.write_for_grading(course, args.lms_map)))
        except lms.LmsExportError as error:
            lms_error = error
    if outcomes:
        for path in write_reports(course, assignments):
            print(f"Class report: {path}")
    if lms_error:
        print(f"LMS grade files not written: {lms_error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
