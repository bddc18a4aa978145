"""The main job of `make course`: autograde a small demo class, with feedback and grades.

For each assignment, the demo students submit: the instructor's own notebook
(`demo-solution`), the release untouched (`demo-untouched`), the release with
the first half of the answers filled in (`demo-half`), and the solution with one
typical mistake each (`DEMO_MISTAKES`, which the class report must find). nbgrader
then autogrades them, writes their feedback and exports the gradebook; a summary
is printed.

Only the demo students' folders (IDs starting with "demo-") are written: real
students' submissions are never touched.
"""

import argparse
import shutil
import sys

from aecourse.course import ASSIGNMENTS, Course, solution_answers, with_answers
from aecourse.grading.parallel import ClassGrader
from aecourse.grading.report import write_reports

DEMO_PREFIX = "demo-"
# The demo students' known mistakes, which the class report must find:
# {assignment: {student: (misconception id, answer cell, text of the solution, what the student wrote)}}
DEMO_MISTAKES = {
    "mnist_autoencoders": {
        "demo-loss-slips": ("kl_sign_flipped", "kl_divergence", "return -0.5 *", "return 0.5 *"),
        "demo-noise-once": ("noise_drawn_once", "sampling_layer", "seed=self.seed_generator", "seed=1234")},
    "cardiac_vae": {
        "demo-loss-slips": ("softmax_before_logits_loss", "losses", "categorical_crossentropy(y_true, logits,",
                            "categorical_crossentropy(y_true, ops.softmax(logits),"),
        "demo-noise-once": ("noise_drawn_once", "sampling_layer", "seed=self.seed_generator", "seed=1234")},
}


def with_mistake(solutions, grade_id, old, new):
    """The solution answers with ``old`` replaced by ``new`` in answer cell ``grade_id``."""
    if solutions[grade_id].count(old) != 1:
        raise ValueError(f"expected {old!r} once in the solution of {grade_id}")
    return dict(solutions, **{grade_id: solutions[grade_id].replace(old, new)})


# First and last names of the demo students, as the formgrader lists them ("Last, First").
DEMO_NAMES = {f"{DEMO_PREFIX}solution": ("Solution", "Demo"), f"{DEMO_PREFIX}untouched": ("Untouched", "Demo"),
              f"{DEMO_PREFIX}half": ("Half", "Demo"), f"{DEMO_PREFIX}loss-slips": ("Loss-Slips", "Demo"),
              f"{DEMO_PREFIX}noise-once": ("Noise-Once", "Demo")}


def demo_submissions(course, assignment):
    """{student: notebook} for the demo class of one assignment."""
    source = course.notebook("source", assignment)
    release = course.notebook("release", assignment)
    solutions = solution_answers(source)
    first_half = dict(list(solutions.items())[: len(solutions) // 2])
    mistakes = {student: with_answers(source, with_mistake(solutions, *edit))
                for student, (_, *edit) in DEMO_MISTAKES.get(assignment, {}).items()}
    return {f"{DEMO_PREFIX}solution": source,
            f"{DEMO_PREFIX}untouched": release,
            f"{DEMO_PREFIX}half": with_answers(release, first_half),
            **mistakes}


def clear_demo(course, assignment):
    for folder in ("submitted", "autograded", "feedback"):
        for path in (course.root / folder).glob(f"{DEMO_PREFIX}*/{assignment}"):
            shutil.rmtree(path)


def grade_demo_class(course, assignments):
    """Submit, autograde and give feedback to the demo class; [(assignment, student, summary)]."""
    students = {}
    for assignment in assignments:
        print(f"== {assignment}: submitting the demo class", flush=True)
        clear_demo(course, assignment)
        students[assignment] = demo_submissions(course, assignment)
        for student, notebook in students[assignment].items():
            course.add_student(student, *DEMO_NAMES.get(student, (None, None)))
            course.submit(student, assignment, notebook, timestamp=True)
    print("== autograding the demo class: sandboxed kernels, one worker per core, then nbgrader records "
          "the grades and writes the feedback", flush=True)
    ClassGrader(course, force=True).grade(list(assignments), f"{DEMO_PREFIX}*")
    return [(assignment, student, course.summary(assignment, student))
            for assignment in assignments for student in students[assignment]]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-demo-class", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    course = Course()
    rows = grade_demo_class(course, args.assignments)
    grades = course.export_grades(course.root / "grades.csv")

    print("\nDemo class, autograded scores")
    print(f"{'assignment':22s} {'student':16s} {'autograded':>12s}  written answers")
    for assignment, student, summary in rows:
        auto = f"{summary['code_score']:g} / {summary['max_code_score']:g}"
        manual = "await manual grading" if summary["needs_manual_grade"] else "-"
        print(f"{assignment:22s} {student:16s} {auto:>12s}  {manual}")
    print(f"\nAutograded notebooks: {course.root / 'autograded'}/<student>/<assignment>/")
    print(f"Feedback (HTML):      {course.root / 'feedback'}/<student>/<assignment>/")
    print(f"Grades exported to:   {grades}")
    for path in write_reports(course, args.assignments):
        print(f"Class report:         {path}")
    print("Grade the written answers in the formgrader: `make lab-instructor`, then Nbgrader > Formgrader.")
    expected_full = all(s["code_score"] == s["max_code_score"] for _, student, s in rows
                        if student == f"{DEMO_PREFIX}solution")
    expected_zero = all(s["code_score"] == 0 for _, student, s in rows if student == f"{DEMO_PREFIX}untouched")
    if not (expected_full and expected_zero):
        print("UNEXPECTED: the solution should score full marks and the untouched release 0.")
        sys.exit(1)


if __name__ == "__main__":
    raise SystemExit(main())
