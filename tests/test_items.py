"""Item analysis (aecourse/grading/items.py): the figures of a small class equal a hand computation."""

import numpy as np
import pytest

from aecourse.grading import items

NAN = float("nan")

# 5 students x 3 items: A (1 point) and B (2 points) agree with the total; C (1 point) is passed by
# the two weakest students only, as a broken test would be.
#            A  B  C      total
CLASS = [[1, 2, 0],  # 3
         [1, 2, 0],  # 3
         [1, 2, 0],  # 3
         [0, 1, 1],  # 2
         [0, 0, 1]]  # 1
MAX_SCORES = [1, 2, 1]


def test_difficulty_by_hand():
    # A: (1+1+1+0+0) / 5 / 1 = 0.6;  B: (2+2+2+1+0) / 5 / 2 = 1.4 / 2 = 0.7;  C: (0+0+0+1+1) / 5 / 1 = 0.4
    assert items.difficulty(CLASS, MAX_SCORES) == pytest.approx([0.6, 0.7, 0.4])


def test_corrected_item_total_correlation_by_hand():
    stats = items.analyse(CLASS, MAX_SCORES)
    a, b, c = stats
    # A against the rest B + C = [2, 2, 2, 2, 1]: deviations of A from 0.6 are [.4, .4, .4, -.6, -.6], of
    # the rest from 1.8 are [.2, .2, .2, .2, -.8]; sum of products .08*3 - .12 + .48 = 0.6;
    # sums of squares 1.2 and 0.8: r = 0.6 / sqrt(1.2 * 0.8) = 0.6 / sqrt(0.96) = 0.612372
    assert a.discrimination == pytest.approx(0.612372, abs=1e-6)
    assert a.flags == () and a.students == 5 and a.difficulty == pytest.approx(0.6)
    # B against the rest A + C = [1, 1, 1, 1, 1]: the same for everyone, so r is undefined
    assert b.discrimination is None and b.why_undefined == "the rest of the score is the same for every student"
    assert b.flags == ()
    # C against the rest A + B = [3, 3, 3, 1, 0]: deviations of C from 0.4 are [-.4, -.4, -.4, .6, .6], of
    # the rest from 2 are [1, 1, 1, -1, -2]; sum of products -1.2 - .6 - 1.2 = -3.0; sums of squares
    # 1.2 and 8: r = -3 / sqrt(9.6) = -0.968246
    assert c.discrimination == pytest.approx(-0.968246, abs=1e-6)
    assert c.flags == (items.NEGATIVE,)


def test_rest_counts_only_items_graded_for_everyone():
    # the third item awaits a grader for the first student: no student's rest includes it
    scores = [[1, 2, NAN],
              [0, 1, 3]]
    # totals over the first two items: 3 and 1; minus each item (the third is not in the total)
    assert items.rest_scores(scores).tolist() == [[2, 1, 3], [1, 0, 1]]


def test_full_marks_nobody_scores_and_not_graded_yet():
    #         full  none  written (nobody graded)  written (2 of 4 graded)
    scores = [[1, 0, NAN, 2],
              [1, 0, NAN, NAN],
              [1, 0, NAN, NAN],
              [1, 0, NAN, 0]]
    full, none, ungraded, partial = items.analyse(scores, [1, 2, 2, 2])
    assert full.flags == (items.FULL_MARKS,) and full.difficulty == 1.0
    assert full.discrimination is None and full.why_undefined == "every student has the same score on it"
    assert none.flags == (items.NOBODY_SCORES,) and none.difficulty == 0.0 and none.discrimination is None
    assert ungraded == items.ItemStats(0, None, None, "not graded yet")
    # no figures until every answer is graded: the first scored are no fair sample
    assert partial == items.ItemStats(2, None, None, "not graded yet")


def test_too_few_students():
    # 2 students: r is undefined however the scores differ
    stats = items.analyse([[1, 0], [0, 1]], [1, 1])
    assert [s.discrimination for s in stats] == [None, None]
    assert stats[0].why_undefined == "2 students graded: it needs at least 3"
    assert [s.difficulty for s in stats] == [0.5, 0.5]  # (1 + 0) / 2 / 1


def test_an_empty_class():
    stats = items.analyse(np.zeros((0, 2)), [1, 1])
    assert [s.why_undefined for s in stats] == ["not graded yet", "not graded yet"]
