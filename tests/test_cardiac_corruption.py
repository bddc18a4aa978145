"""The capstone's broken maps: each kind breaks the criterion it names, and only as described;
the repair scores read back what a repair did."""

import numpy as np
import pytest

from aecourse.cardiac.anatomy import failed_criteria, is_plausible
from aecourse.cardiac.corruption import CORRUPTIONS, corrupt_maps, format_repair_scores, repair_scores
from aecourse.cardiac.dataset import BACKGROUND, LV, MYOCARDIUM, RV

SIZE, CENTRE = 96, 48


def heart(rv=True):
    """LV disk (r < 10) in a myocardial ring (r < 15), RV crescent (15 <= r < 22) on the left."""
    rows, cols = np.mgrid[:SIZE, :SIZE]
    r = np.hypot(rows - CENTRE, cols - CENTRE)
    labels = np.zeros((SIZE, SIZE), np.uint8)
    if rv:
        labels[(r >= 15) & (r < 22) & (cols < CENTRE - 4)] = RV
    labels[r < 15] = MYOCARDIUM
    labels[r < 10] = LV
    return labels


# What each kind may change: (label before, label after) pairs.
ALLOWED_CHANGES = {
    "papillary muscle": {(LV, MYOCARDIUM)},
    "open myocardium": {(MYOCARDIUM, BACKGROUND)},
    "detached RV": {(RV, BACKGROUND), (BACKGROUND, RV)},
    "stray RV": {(BACKGROUND, RV)},
}


def test_the_drawn_heart_is_plausible():
    assert is_plausible(heart()) and is_plausible(heart(rv=False))


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_each_kind_breaks_its_criterion_and_changes_only_what_it_says(kind):
    clean = heart()
    broken = CORRUPTIONS[kind].draw(clean, np.random.default_rng(3))
    assert CORRUPTIONS[kind].breaks in failed_criteria(broken)
    changed = broken != clean
    assert changed.any()
    assert set(zip(clean[changed].tolist(), broken[changed].tolist())) <= ALLOWED_CHANGES[kind]


@pytest.mark.parametrize("kind", ["open myocardium", "detached RV"])
def test_kinds_that_need_an_rv_skip_a_slice_without_one(kind):
    assert CORRUPTIONS[kind].draw(heart(rv=False), np.random.default_rng(0)) is None


def test_a_papillary_muscle_needs_room_in_the_cavity():
    tiny_cavity = np.where(heart() == LV, MYOCARDIUM, heart())
    tiny_cavity[CENTRE - 1:CENTRE + 2, CENTRE - 1:CENTRE + 2] = LV
    assert CORRUPTIONS["papillary muscle"].draw(tiny_cavity, np.random.default_rng(0)) is None


def test_corrupt_maps_takes_plausible_maps_only_and_counts_per_kind():
    implausible = heart()
    implausible[2:6, 2:6] = LV  # a second LV part
    maps = np.stack([heart(), implausible, heart(), heart(rv=False), heart(), heart()])
    corrupted = corrupt_maps(maps, per_kind=1, seed=5)
    assert sorted(corrupted.kinds) == sorted(CORRUPTIONS)
    assert 1 not in corrupted.truth_rows
    assert len(set(corrupted.truth_rows)) == len(corrupted)  # one kind per map
    for row, kind, broken in zip(corrupted.truth_rows, corrupted.kinds, corrupted.maps):
        assert CORRUPTIONS[kind].breaks in failed_criteria(broken)
        assert (broken != maps[row]).any()
    again = corrupt_maps(maps, per_kind=1, seed=5)
    assert np.array_equal(again.maps, corrupted.maps) and list(again.kinds) == list(corrupted.kinds)


def test_corrupt_maps_refuses_an_unknown_kind_and_a_single_map():
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt_maps(np.stack([heart()]), 1, kinds=("holes",))
    with pytest.raises(ValueError, match="expected"):
        corrupt_maps(heart(), 1)


def test_repair_scores_of_a_perfect_repair_and_of_none():
    maps = np.stack([heart()] * 8)
    corrupted = corrupt_maps(maps, per_kind=2, seed=1)
    perfect = repair_scores(maps, corrupted, maps[corrupted.truth_rows])
    untouched = repair_scores(maps, corrupted, corrupted.maps)
    assert [s.kind for s in perfect] == [*CORRUPTIONS, "all"]
    assert [s.maps for s in perfect] == [2, 2, 2, 2, 8]
    for s in perfect:
        assert (s.plausible_before, s.plausible_after, s.criterion_fixed, s.dice_after) == (0.0, 1.0, 1.0, 1.0)
        assert s.dice_before < 1.0
    for s in untouched:
        assert (s.plausible_after, s.criterion_fixed) == (0.0, 0.0)
        assert s.dice_after == s.dice_before
    table = format_repair_scores(perfect)
    assert "papillary muscle" in table and "100.0%" in table
    with pytest.raises(ValueError, match="do not match"):
        repair_scores(maps, corrupted, corrupted.maps[:1])
