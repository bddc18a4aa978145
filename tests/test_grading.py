"""nbgrader autograde, for real, on each assignment: the solution scores full marks, the untouched
release 0, every typical mistake loses points where it should, other correct answers keep them all."""

import pytest

import cardiac_submissions
import mnist_submissions
from conftest import folder_digests

pytestmark = pytest.mark.grading

CATALOGUES = {"mnist_autoencoders": mnist_submissions, "cardiac_vae": cardiac_submissions}
MUTANTS = [(assignment, mutant) for assignment, c in CATALOGUES.items() for mutant in c.MUTANTS]
ALTERNATIVES = [(assignment, alt) for assignment, c in CATALOGUES.items() for alt in c.ALTERNATIVES]


def case_id(case):
    return f"{case[0]}-{case[1].name}"


def lost_points(scores):
    return {gid: s for gid, s in scores.items() if gid.startswith("test_") and s[0] != s[1]}


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_solution_scores_full_marks(graded, assignment):
    scores = graded(assignment).scores("solution")
    assert any(gid.startswith("test_") for gid in scores), "no autograded test cell found"
    assert not lost_points(scores), f"the solution lost points on {lost_points(scores)}"


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_untouched_release_scores_zero_without_crashing(graded, assignment):
    scores = graded(assignment).scores("untouched")
    assert scores, "the untouched release was not graded"
    assert all(score == 0 for score, _ in scores.values()), scores


@pytest.mark.parametrize("case", MUTANTS, ids=case_id)
def test_mistake_loses_points_where_expected(graded, case):
    assignment, mutant = case
    scores = graded(assignment).scores(mutant.name)
    for grade_id in mutant.must_fail:
        score, maximum = scores[grade_id]
        assert score < maximum, f"{mutant.name} kept full marks on {grade_id}"
    score, maximum = graded(assignment).total(mutant.name)
    assert score < maximum, f"{mutant.name} scored full marks ({score}/{maximum})"


@pytest.mark.parametrize("case", ALTERNATIVES, ids=case_id)
def test_other_correct_answers_score_full_marks(graded, case):
    assignment, alternative = case
    scores = graded(assignment).scores(alternative.name)
    assert not lost_points(scores), f"{alternative.name} lost points on {lost_points(scores)}"


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_submitted_files_are_never_modified(graded, assignment):
    graded_assignment = graded(assignment)
    for student, folder in graded_assignment.submitted.items():
        assert folder_digests(folder) == graded_assignment.digests[student], f"{folder} changed during grading"
