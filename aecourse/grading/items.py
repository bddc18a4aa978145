"""Item analysis: how hard each graded cell was, and whether it tells stronger students from weaker.

Pure functions over a students x items score matrix, in points, with NaN where an item is not
graded yet for that student (a written answer awaiting a person). Classical test theory:

* difficulty: the share of the available points earned, mean score / maximum score;
* discrimination: the corrected item-total correlation, Pearson's r (point-biserial for a
  right/wrong item) between the item's score and the rest of the score, the total of the other
  items without this one. It is undefined (None, with the reason) for fewer than
  ``MIN_STUDENTS`` students, or when the item or the rest is the same for every student.

An item not graded for every student has no figures yet ("not graded yet"): the answers scored
first (nbgrader scores a blank written answer 0 by itself) are not a fair sample. The rest counts
only the items graded for every student, so a student awaiting a grader is not a weak student.

The class report (:mod:`.report`) shows them for every test cell and written question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_STUDENTS = 3
FULL_MARKS = "everyone gets full marks"
NOBODY_SCORES = "nobody scores"
NEGATIVE = "negative discrimination: good students fail it more than weak ones: usually a broken test"


@dataclass(frozen=True)
class ItemStats:
    students: int  # students this item is graded for
    difficulty: float | None  # None: not graded for every student yet, or worth no points
    discrimination: float | None
    why_undefined: str = ""  # why discrimination is None, in words
    flags: tuple = ()  # FULL_MARKS, NOBODY_SCORES, NEGATIVE


def difficulty(scores: np.ndarray, max_scores) -> np.ndarray:
    """Mean score / maximum score per item, over the students it is graded for (NaN: none)."""
    scores = np.asarray(scores, dtype=float)
    max_scores = np.asarray(max_scores, dtype=float)
    graded = ~np.isnan(scores)
    totals = np.where(graded, scores, 0.0).sum(axis=0)
    counts = graded.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((counts > 0) & (max_scores > 0), totals / counts / max_scores, np.nan)


def rest_scores(scores: np.ndarray) -> np.ndarray:
    """students x items: each student's total over the items graded for everyone, minus that item."""
    scores = np.asarray(scores, dtype=float)
    complete = ~np.isnan(scores).any(axis=0)
    total = scores[:, complete].sum(axis=1, keepdims=True)
    return total - np.where(complete, scores, 0.0)


def same_for_all(values: np.ndarray) -> bool:
    return bool(np.allclose(values, values[0], rtol=0, atol=1e-9))


def correlation(x: np.ndarray, y: np.ndarray) -> tuple[float | None, str]:
    """Pearson's r of two score vectors, or (None, why it is undefined)."""
    if len(x) < MIN_STUDENTS:
        return None, f"{len(x)} students graded: it needs at least {MIN_STUDENTS}"
    if same_for_all(x):
        return None, "every student has the same score on it"
    if same_for_all(y):
        return None, "the rest of the score is the same for every student"
    dx, dy = x - x.mean(), y - y.mean()
    return float(dx @ dy / np.sqrt((dx @ dx) * (dy @ dy))), ""


def analyse(scores: np.ndarray, max_scores) -> list[ItemStats]:
    """One :class:`ItemStats` per item (column) of ``scores``."""
    scores = np.asarray(scores, dtype=float).reshape(len(scores), len(max_scores))
    rests = rest_scores(scores)
    shares = difficulty(scores, max_scores)
    stats = []
    for item, maximum in enumerate(max_scores):
        graded = int((~np.isnan(scores[:, item])).sum())
        if graded < len(scores) or not graded:
            stats.append(ItemStats(graded, None, None, "not graded yet"))
            continue
        x, rest = scores[:, item], rests[:, item]
        r, why = correlation(x, rest)
        flags = ((FULL_MARKS,) if maximum > 0 and np.allclose(x, maximum) else ()) + \
                ((NOBODY_SCORES,) if np.allclose(x, 0) else ()) + \
                ((NEGATIVE,) if r is not None and r < 0 else ())
        share = None if np.isnan(shares[item]) else float(shares[item])
        stats.append(ItemStats(graded, share, r, why, flags))
    return stats
