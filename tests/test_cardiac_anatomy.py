"""Dice per structure and anatomical plausibility on hand-made label maps."""

import re

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import Delaunay

from aecourse.cardiac import anatomy
from aecourse.cardiac.anatomy import (
    SPACING_MM,
    circularity,
    concavity,
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


def heart(size=96, lv=14, myo=20, rv=28, rv_half_angle=60):
    """LV disk (r < lv) in a ring (r < myo), RV (myo <= r < rv) within rv_half_angle degrees of the left."""
    rows, cols = np.mgrid[:size, :size] - size // 2
    r = np.hypot(rows, cols)
    from_left = 180 - np.abs(np.degrees(np.arctan2(rows, cols)))
    labels = np.zeros((size, size), np.uint8)
    labels[(r >= myo) & (r < rv) & (from_left < rv_half_angle)] = RV
    labels[r < myo] = MYOCARDIUM
    labels[r < lv] = LV
    return labels


def rows_cols(size=SIZE):
    rows, cols = np.mgrid[:size, :size]
    return rows - size // 2, cols - size // 2


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
        "RV inside the ring": (with_change(clean, (CENTRE, CENTRE + 10), RV), "hole in myocardium"),
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


def test_a_hole_in_the_myocardium_is_not_a_hole_between_it_and_the_lv():
    problems = plausibility_problems(defects()["hole in myocardium"][0])
    assert problems == ["hole in myocardium"]


# -------------------------------------------------- holes between structures (Painchaud et al.)

def test_pocket_between_lv_and_myocardium():
    r, cols = radius_map()
    rows = rows_cols()[0]
    pocket = clean_map()
    pocket[(r >= 7) & (r < 9) & (cols > CENTRE + 4) & (np.abs(rows) <= 1)] = 0  # on the endocardium
    problems = plausibility_problems(pocket)
    assert "hole between LV and myocardium" in problems
    assert "hole in myocardium" not in problems and "hole in LV" not in problems
    # the same pixels inside the cavity only, or inside the wall only, are holes of one structure
    in_lv = with_change(clean_map(), (slice(CENTRE - 1, CENTRE + 2), slice(CENTRE + 3, CENTRE + 6)), 0)
    in_wall = with_change(clean_map(), (slice(CENTRE - 1, CENTRE + 2), slice(CENTRE + 9, CENTRE + 11)), 0)
    assert "hole in LV" in plausibility_problems(in_lv)  # (and the LV touches that background)
    assert plausibility_problems(in_wall) == ["hole in myocardium"]
    assert not any(p.startswith("hole between") for p in plausibility_problems(in_lv))


def test_gap_closed_between_rv_and_myocardium():
    r, _ = radius_map()
    rows = rows_cols()[0]
    clean = clean_map()
    gap = np.where((clean == RV) & (r < 13.5) & (np.abs(rows) <= 2), 0, clean)  # RV still touches
    assert plausibility_problems(gap) == ["hole between RV and myocardium"]
    assert "hole between RV and myocardium" not in plausibility_problems(clean)
    # a gap open at both ends of the crescent is not a hole (the RV is then detached)
    detached = defects()["RV detached"][0]
    assert "hole between RV and myocardium" not in plausibility_problems(detached)


def test_holes_between_need_both_structures():
    no_rv = np.where(clean_map() == RV, 0, clean_map())
    assert plausibility_problems(no_rv) == []
    rv_only = np.where(clean_map() == RV, RV, 0)  # alone, its concave side encloses nothing
    assert not any(p.startswith("hole") for p in plausibility_problems(rv_only))


# ---------------------------------------------------------------- concavity (Painchaud et al.)

def test_convex_shapes_have_no_concavity():
    rows, cols = rows_cols(64)
    for radius in (3, 6, 11, 20):
        assert concavity(np.hypot(rows, cols) < radius) == 0.0
    ellipse = (rows * np.cos(0.5) + cols * np.sin(0.5)) ** 2 / 400 + (cols * np.cos(0.5) - rows * np.sin(0.5)) ** 2 / 36 < 1
    assert concavity(ellipse) == 0.0
    assert concavity(np.ones((5, 30), bool)) == 0.0
    assert concavity(np.eye(9, dtype=bool)) == 0.0  # a line
    assert concavity(np.zeros((9, 9), bool)) == 0.0
    ring = (np.hypot(rows, cols) < 20) & (np.hypot(rows, cols) >= 12)
    assert concavity(ring) == 0.0  # holes are filled first: the outline is a disc


def test_concavity_is_the_depth_of_a_notch_in_mm():
    notch = np.ones((20, 20), bool)
    notch[:8, 7:12] = False  # 5 pixels wide, 8 deep, from the top edge
    # eroded by 3x3, the pocket keeps rows 1-6 of columns 8-10; its deepest pixel (row 6, column 9)
    # is 7 pixels below the row above the square, the nearest outside the hull
    assert concavity(notch, spacing_mm=1.0) == pytest.approx(7.0)
    assert concavity(notch, spacing_mm=1.5) == pytest.approx(10.5)
    # (row, column) spacing: with rows 2 mm apart, the nearest outside is 10 columns to the side
    assert concavity(notch, spacing_mm=(2.0, 1.0)) == pytest.approx(10.0)
    narrow = np.ones((20, 20), bool)
    narrow[:8, 9:11] = False  # under 3 pixels across: ignored
    assert concavity(narrow) == 0.0


def test_digital_convex_hull_holds_exactly_the_pixel_centres_in_the_hull():
    rng = np.random.default_rng(3)
    for _ in range(20):
        blob = np.pad(ndimage.gaussian_filter(rng.random((30, 30)), 2) > 0.52, 1)
        if blob.sum() < 3:
            continue
        points = np.argwhere(blob)
        grid = np.argwhere(np.ones_like(blob))
        expected = (Delaunay(points).find_simplex(grid, tol=1e-9) >= 0).reshape(blob.shape)
        assert np.array_equal(anatomy._digital_convex_hull(blob), expected | blob)


def test_lv_concavity():
    r, cols = radius_map()
    rows = rows_cols()[0]
    notch = clean_map()
    notch[(r < 8) & (cols > CENTRE + 1) & (np.abs(rows) <= 2)] = MYOCARDIUM  # the wall bulges in
    problems = plausibility_problems(notch)
    assert len(problems) == 1 and re.fullmatch(r"LV concavity \d+\.\d > 4", problems[0])
    assert float(problems[0].split()[2]) == pytest.approx(concavity(notch == LV))
    narrow = clean_map()
    narrow[(r < 8) & (cols > CENTRE + 1) & (rows == 0)] = MYOCARDIUM  # one pixel wide: tolerated
    assert plausibility_problems(narrow) == []
    assert concavity(clean_map() == LV) == 0.0


def test_rv_concavity():
    assert plausibility_problems(heart(rv_half_angle=60)) == []  # a crescent is concave, within 30 mm
    assert 0 < concavity(heart(rv_half_angle=60) == RV) < 30
    wrapped = heart(rv=30, rv_half_angle=130)  # the RV wraps most of the way round the LV
    problems = plausibility_problems(wrapped)
    assert len(problems) == 1 and re.fullmatch(r"RV concavity \d+\.\d > 30", problems[0])
    depth = concavity(wrapped == RV)
    assert depth > 30
    assert plausibility_problems(wrapped, spacing_mm=SPACING_MM * 29 / depth) == []  # smaller pixels
    assert is_plausible(wrapped, spacing_mm=1.0) and plausibility_rate(wrapped[None], spacing_mm=1.0) == 1.0


def test_myocardium_concavity():
    rows, cols = rows_cols(96)
    r = np.hypot(rows, cols)
    thick = heart(lv=8, myo=16)
    assert plausibility_problems(thick) == []
    dent = np.where((r >= 12) & (cols > 6) & (np.abs(rows) <= 3), 0, thick)  # epicardium dented
    problems = plausibility_problems(dent)
    assert len(problems) == 1 and re.fullmatch(r"myocardium concavity \d+\.\d > 0", problems[0])
    shallow = np.where((r >= 14) & (cols > 6) & (np.abs(rows) <= 2), 0, thick)  # 2 pixels deep
    assert plausibility_problems(shallow) == []
    # an open ring fails: its cavity is a pocket of the outline
    assert any(p.startswith("myocardium concavity") for p in plausibility_problems(defects()["ring open"][0]))


# -------------------------------------------------------------- circularity (Painchaud et al.)

def test_circularity_of_discs_and_bars():
    rows, cols = rows_cols(100)
    for radius in (3, 5, 8, 13, 21, 34, 45):
        assert circularity(np.hypot(rows, cols) < radius) == pytest.approx(1.0, abs=0.07)
    assert circularity(np.ones((20, 20), bool)) == pytest.approx(np.pi / 4, rel=0.15)
    bar = np.ones((2, 40), bool)  # exact: 4 pi 80 / 84^2 = 0.14
    assert circularity(bar) == pytest.approx(4 * np.pi * 80 / 84 ** 2, rel=0.15)
    ring = (np.hypot(rows, cols) < 20) & (np.hypot(rows, cols) >= 12)
    assert circularity(ring) == pytest.approx(circularity(np.hypot(rows, cols) < 20))  # holes filled
    assert np.isnan(circularity(np.zeros((5, 5), bool)))


def test_lv_circularity():
    labels = np.zeros((64, 64), np.uint8)
    labels[31:33, 12:52] = LV  # a slit of 2 x 40 pixels
    labels = np.where(ndimage.binary_dilation(labels == LV, iterations=3) & (labels == 0), MYOCARDIUM, labels)
    problems = plausibility_problems(labels)
    assert len(problems) == 1 and re.fullmatch(r"LV circularity 0\.\d\d < 0.2", problems[0])
    assert plausibility_problems(clean_map()) == []


def test_myocardium_circularity():
    bar = np.zeros((64, 64), np.uint8)
    bar[30:33, 7:57] = MYOCARDIUM  # an apical slice drawn as a 3 x 50 bar
    assert plausibility_problems(bar) == [f"myocardium circularity {circularity(bar == MYOCARDIUM):.2f} < 0.2"]
    assert plausibility_problems(apex_map()) == []


def test_shape_criteria_skip_absent_structures():
    assert plausibility_problems(np.where(clean_map() == LV, MYOCARDIUM, clean_map())) == []  # no cavity
    assert plausibility_problems(np.zeros((8, 8), np.uint8)) == []


def test_messages_never_round_onto_the_limit():
    assert anatomy._shown(4.03, 4.0) == "4.03"
    assert anatomy._shown(6.14, 4.0) == "6.1"
    assert anatomy._shown(0.1996, 0.2, 2) == "0.1996"


def test_default_spacing_is_the_prepared_data_sets():
    from aecourse.cardiac.acdc import DEFAULT_SPACING_MM

    assert SPACING_MM == DEFAULT_SPACING_MM


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
