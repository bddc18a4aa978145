"""nbgrader autograde on the cardiac VAE assignment: full marks, zero, and every typical mistake."""

import pytest

from cardiac_submissions import ALTERNATIVES, MUTANTS
from conftest import file_digest

pytestmark = pytest.mark.grading


def test_solution_scores_full_marks(graded_cardiac):
    scores = graded_cardiac.scores("solution")
    autograded = {gid: s for gid, s in scores.items() if gid.startswith("test_")}
    assert autograded, "no autograded test cell found"
    lost = {gid: s for gid, s in autograded.items() if s[0] != s[1]}
    assert not lost, f"the solution lost points on {lost}"


def test_untouched_release_scores_zero_without_crashing(graded_cardiac):
    scores = graded_cardiac.scores("untouched")
    assert scores, "the untouched release was not graded"
    assert all(score == 0 for score, _ in scores.values()), scores


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mistake_loses_points_where_expected(graded_cardiac, mutant):
    scores = graded_cardiac.scores(mutant.name)
    for grade_id in mutant.must_fail:
        score, maximum = scores[grade_id]
        assert score < maximum, f"{mutant.name} kept full marks on {grade_id}"
    score, maximum = graded_cardiac.total(mutant.name)
    assert score < maximum, f"{mutant.name} scored full marks ({score}/{maximum})"


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_other_correct_answers_score_full_marks(graded_cardiac, alternative):
    scores = graded_cardiac.scores(alternative.name)
    lost = {gid: s for gid, s in scores.items() if gid.startswith("test_") and s[0] != s[1]}
    assert not lost, f"{alternative.name} lost points on {lost}"


def test_submitted_files_are_never_modified(graded_cardiac):
    for student, path in graded_cardiac.submitted.items():
        assert file_digest(path) == graded_cardiac.digests[student], f"{path} changed during grading"
