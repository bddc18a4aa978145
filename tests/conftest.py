"""Shared fixtures: one temporary nbgrader course, both assignments, graded once per test session.

Every graded submission of the suite (solution, untouched release, typical mistakes, other
correct answers, hostile and broken notebooks, the demo class of `make course`) goes into one
class, graded by the kit's parallel grader (``aecourse-grade``: sandboxed kernels on Dask
workers, nbgrader recording).
"""

import hashlib
import os
import socket
import stat
from pathlib import Path

import nbformat
import pytest

from aecourse.course import Course, solution_answers, with_answers
from aecourse.grading import seeds
from aecourse.grading.parallel import ClassGrader
from aecourse.tools import demo_class
from submissions import apply

ASSIGNMENTS = ("mnist_autoencoders", "cardiac_vae")
# The demo class's students already in the class under other names (solution, untouched).
DEMO_DUPLICATES = ("demo-solution", "demo-untouched")
# Budgets for the test course: a loop that never ends costs 20 s, not the course's 30.
# A smaller process limit for the test class's jails than the course's 512.
PIDS_ENV, TEST_PIDS = "AECOURSE_KERNEL_PIDS", "128"
TEST_BUDGETS = "\nc.GradingExecute.cell_timeout = 20\nc.GradingExecute.notebook_timeout = 120\n"


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def entry_digest(path):
    """A file's sha256; a link's target or a special file's kind (never followed, never read)."""
    if path.is_symlink():
        return f"link to {os.readlink(path)}"
    return file_digest(path) if stat.S_ISREG(path.lstat().st_mode) else f"special {stat.S_IFMT(path.lstat().st_mode)}"


def folder_digests(folder):
    return {str(p.relative_to(folder)): entry_digest(p) for p in sorted(Path(folder).rglob("*"))
            if not p.is_dir() or p.is_symlink()}


class GradedAssignment:
    """One assignment of the graded class: scores, graded notebooks and feedback, by student."""

    def __init__(self, course, assignment):
        self.course, self.assignment = course, assignment
        self.submitted = {}  # student -> submitted folder
        self.digests = {}  # student -> {file: sha256} before grading

    def scores(self, student):
        return self.course.cell_scores(self.assignment, student)

    def total(self, student):
        """(autograded score, its maximum): the written answers await a person."""
        summary = self.course.summary(self.assignment, student)
        return summary["code_score"], summary["max_code_score"]

    def autograded(self, student):
        return nbformat.read(self.course.notebook("autograded", self.assignment, student), as_version=4)

    def feedback_html(self, student):
        return next((self.course.root / "feedback" / student / self.assignment).glob("*.html")).read_text()


def output_text(notebook):
    """Every text output of a notebook (streams, errors, plain-text results), joined."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("ename", ""), output.get("evalue", ""),
                      output.get("data", {}).get("text/plain", "")]
    return "\n".join(parts)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """{assignment: GradedAssignment}: the whole suite's class, graded in one parallel run."""
    import cardiac_submissions
    import mnist_submissions
    import trust_submissions

    catalogues = {"mnist_autoencoders": mnist_submissions, "cardiac_vae": cardiac_submissions}
    course = Course.copy_of(tmp_path_factory.mktemp("course"), assignments=ASSIGNMENTS)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(TEST_BUDGETS)
    # The course secret is the one the grader's environment will hold (AECOURSE_GRADING_SECRET, which
    # the jail must never show): seeds are the same with or without it in the environment.
    secret_file = course.root / seeds.SECRET_FILE
    secret_file.write_text(trust_submissions.SECRET_ENV[seeds.SECRET_ENV_NAME])
    secret_file.chmod(0o600)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    graded = {}
    for assignment in ASSIGNMENTS:
        graded[assignment] = result = GradedAssignment(course, assignment)
        source = course.notebook("source", assignment)
        release = course.generate_release(assignment)
        solutions = solution_answers(source)
        result.submitted = {"solution": course.submit("solution", assignment, source).parent,
                            "untouched": course.submit("untouched", assignment, release).parent}
        catalogue = catalogues[assignment]
        for submission in [*catalogue.MUTANTS, *catalogue.ALTERNATIVES]:
            notebook = with_answers(source, apply(solutions, submission))
            result.submitted[submission.name] = course.submit(submission.name, assignment, notebook).parent
        for student, notebook in demo_class.demo_submissions(course, assignment).items():
            if student not in DEMO_DUPLICATES:  # the demo class's other students: its known mistakes
                result.submitted[student] = course.submit(student, assignment, notebook).parent
    for case in trust_submissions.CASES:
        other = next(a for a in ASSIGNMENTS if a != case.assignment)
        ctx = trust_submissions.Context(course.root, course.notebook("source", case.assignment),
                                        course.notebook("release", case.assignment),
                                        course.notebook("source", other), listener.getsockname()[1])
        folder = course.root / "submitted" / case.name / case.assignment
        folder.mkdir(parents=True)
        trust_submissions.write_files(folder, case.build(ctx))
        graded[case.assignment].submitted[case.name] = folder
    for result in graded.values():
        result.digests = {student: folder_digests(folder) for student, folder in result.submitted.items()}
    saved = {name: os.environ.get(name) for name in [*trust_submissions.SECRET_ENV, PIDS_ENV]}
    os.environ.update(trust_submissions.SECRET_ENV)  # the grader's secrets, which no jail may show
    os.environ[PIDS_ENV] = TEST_PIDS  # the fork bomb meets the jail's process limit in seconds, not 20
    try:
        ClassGrader(course, workers=2, progress=False).grade(list(ASSIGNMENTS))
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
        listener.close()
    return graded


@pytest.fixture(scope="session")
def graded(graded_class):
    """graded(assignment) -> GradedAssignment (kept for the tests written per assignment)."""
    return graded_class.__getitem__
