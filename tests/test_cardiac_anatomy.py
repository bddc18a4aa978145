"""Dice per structure and anatomical plausibility on hand-made label maps."""

import numpy as np
import pytest

from aecourse.cardiac.anatomy import (
    dice_per_slice,
    dice_per_structure,
    is_plausible,
    plausibility_problems,
    plausibility_rate,
)
from aecourse.cardiac.dataset import LV, MYOCARDIUM, RV

SIZE, CENTRE = 48, 24


def radius_map():
    rows, cols = np.mgrid[:SIZE, :SIZE]
    return np.hypot(rows - CENTRE, cols - CENTRE), cols


def clean_map():
    """LV disk (r < 8) in a myocardial ring (r < 12), RV crescent (12 <= r < 18) on the left."""
    r, cols = radius_map()
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[(r >= 12) & (r < 18) & (cols < CENTRE - 3)] = RV
    labels[r < 12] = MYOCARDIUM
    labels[r < 8] = LV
    return labels


def apex_map():
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[radius_map()[0] < 6] = MYOCARDIUM
    return labels


def with_change(labels, index, value):
    labels = labels.copy()
    labels[index] = value
    return labels


# ----------------------------------------------------------------------------- plausibility

@pytest.mark.parametrize("label_map", [clean_map(), apex_map(), np.zeros((SIZE, SIZE), np.uint8),
                                       np.where(clean_map() == RV, 0, clean_map())],
                         ids=["full", "apex", "empty", "no-RV"])
def test_plausible_maps_pass(label_map):
    assert plausibility_problems(label_map) == []
    assert is_plausible(label_map)


def defects():
    r, cols = radius_map()
    clean = clean_map()
    moved_rv = np.where(clean == RV, 0, clean)
    moved_rv[(r >= 14) & (r < 18) & (cols < CENTRE - 3)] = RV  # a gap of 2 pixels to the ring
    return {
        "hole in LV": (with_change(clean, (CENTRE, CENTRE), 0), "hole in LV"),
        "hole in myocardium": (with_change(clean, (CENTRE, CENTRE + 10), 0), "hole in myocardium"),
        "hole in RV": (with_change(clean, (CENTRE, CENTRE - 15), 0), "hole in RV"),
        "RV split": (np.where((clean == RV) & (np.abs(np.arange(SIZE) - CENTRE)[:, None] < 2), 0, clean),
                     "RV in 2 disconnected parts"),
        "myo island": (with_change(clean, (slice(1, 4), slice(40, 43)), MYOCARDIUM),
                       "myocardium in 2 disconnected parts"),
        "RV detached": (moved_rv, "RV does not touch the myocardium"),
        "ring open": (np.where((clean == MYOCARDIUM) & (cols > CENTRE + 5) & (np.abs(r - 10) < 3)
                               & (np.abs(np.arange(SIZE) - CENTRE)[:, None] < 2), 0, clean),
                      "LV touches the background"),
        "septum gone": (np.where((clean == MYOCARDIUM) & (cols < CENTRE - 3), RV, clean),
                        "LV touches the RV"),
        "LV without myocardium": (np.where(clean == MYOCARDIUM, 0, clean), "LV touches the background"),
        "LV at the border": (with_change(clean, (slice(0, 3), slice(22, 26)), LV),
                             "LV touches the background"),
    }


@pytest.mark.parametrize("name", list(defects()))
def test_each_defect_is_flagged(name):
    label_map, expected = defects()[name]
    problems = plausibility_problems(label_map)
    assert expected in problems
    assert not is_plausible(label_map)


def test_corner_contact_is_enough_for_rv():
    labels = np.zeros((10, 10), np.uint8)
    labels[2:5, 2:5] = MYOCARDIUM
    labels[5:7, 5:7] = RV  # touches the myocardium at one corner only
    assert "RV does not touch the myocardium" not in plausibility_problems(labels)


def test_plausibility_rate_on_labels_and_scores():
    maps = np.stack([clean_map(), defects()["hole in RV"][0], apex_map(), np.zeros((SIZE, SIZE), np.uint8)])
    assert plausibility_rate(maps) == 0.75
    one_hot = np.eye(4, dtype=np.float32)[maps]
    assert plausibility_rate(one_hot) == 0.75
    with pytest.raises(ValueError):
        plausibility_rate(clean_map())


# ----------------------------------------------------------------------------- dice

def test_dice_identical_and_disjoint():
    clean = clean_map()
    assert dice_per_structure(clean, clean) == {"RV": 1.0, "myocardium": 1.0, "LV": 1.0}
    shifted = np.roll(clean, SIZE // 2, axis=1)  # no structure overlaps its shifted copy
    assert dice_per_structure(clean, shifted) == {"RV": 0.0, "myocardium": 0.0, "LV": 0.0}


def test_dice_known_overlap_and_absent_structures():
    true = np.zeros((4, 4), np.uint8)
    pred = np.zeros((4, 4), np.uint8)
    true[0, :4] = LV  # 4 pixels
    pred[0, :2] = LV  # 2 of them
    pred[3, 3] = MYOCARDIUM  # only in pred
    scores = dice_per_structure(true, pred)
    assert scores["LV"] == pytest.approx(2 * 2 / (4 + 2))
    assert scores["myocardium"] == 0.0
    assert scores["RV"] == 1.0  # absent from both
    batch = dice_per_structure(np.stack([true, true]), np.stack([pred, true]))
    assert batch["LV"] == pytest.approx(2 * 6 / (8 + 6))
    with pytest.raises(ValueError):
        dice_per_structure(true, pred[:3])


def test_dice_per_slice_scores_each_slice_and_skips_absent_structures():
    clean, apex = clean_map(), apex_map()
    true = np.stack([clean, apex, clean])
    pred = np.stack([clean, np.zeros_like(apex), np.roll(clean, SIZE // 2, axis=1)])
    scores = dice_per_slice(true, pred)
    assert scores.shape == (3, 3)
    assert np.array_equal(scores[0], [1.0, 1.0, 1.0])
    assert np.isnan(scores[1, 0]) and np.isnan(scores[1, 2])  # no RV or LV in either map of the apex
    assert scores[1, 1] == 0.0  # its myocardium was missed
    assert np.array_equal(scores[2], [0.0, 0.0, 0.0])
    # each slice agrees with dice_per_structure on that slice alone
    for index in range(3):
        alone = dice_per_structure(true[index], pred[index])
        expected = [alone[name] if (true[index] == label).any() or (pred[index] == label).any() else np.nan
                    for name, label in (("RV", RV), ("myocardium", MYOCARDIUM), ("LV", LV))]
        assert np.array_equal(scores[index], expected, equal_nan=True)
    with pytest.raises(ValueError):
        dice_per_slice(clean, clean)  # one map, not a batch
