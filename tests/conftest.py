"""Shared fixtures: a temporary nbgrader course graded once per test session."""

import hashlib
import sys
from pathlib import Path

import pytest


from aecourse.course import Course, solution_answers, with_answers  # noqa: E402
from submissions import apply  # noqa: E402


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class GradedAssignment:
    """One assignment autograded for: the solution, the untouched release, mutants, alternatives."""

    def __init__(self, course, assignment, mutants, alternatives):
        self.course, self.assignment = course, assignment
        self.mutants, self.alternatives = mutants, alternatives
        source = course.notebook("source", assignment)
        release = course.generate_release(assignment)
        solutions = solution_answers(source)
        self.submitted = {"solution": course.submit("solution", assignment, source),
                          "untouched": course.submit("untouched", assignment, release)}
        for submission in [*mutants, *alternatives]:
            notebook = with_answers(source, apply(solutions, submission))
            self.submitted[submission.name] = course.submit(submission.name, assignment, notebook)
        self.digests = {student: file_digest(path) for student, path in self.submitted.items()}
        course.autograde(assignment)  # every student, in one nbgrader run

    def scores(self, student):
        return self.course.cell_scores(self.assignment, student)

    def total(self, student):
        scores = self.scores(student)
        return sum(s for s, _ in scores.values() if s is not None), sum(m for _, m in scores.values())


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(assignment) -> GradedAssignment, autograded once per test session."""
    import cardiac_submissions
    import mnist_submissions

    catalogues = {"mnist_autoencoders": mnist_submissions, "cardiac_vae": cardiac_submissions}
    done = {}

    def grade(assignment):
        if assignment not in done:
            course = Course.copy_of(tmp_path_factory.mktemp(assignment), assignments=[assignment])
            catalogue = catalogues[assignment]
            done[assignment] = GradedAssignment(course, assignment, catalogue.MUTANTS, catalogue.ALTERNATIVES)
        return done[assignment]

    return grade
