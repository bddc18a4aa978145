"""Dice per structure and anatomical plausibility on hand-made label maps."""

import re

import numpy as np
import pytest

from aecourse.cardiac import anatomy
from aecourse.cardiac.anatomy import (
    CRITERIA,
    criteria_failures,
    criteria_values,
    dice_per_slice,
    dice_per_structure,
    failed_criteria,
    failure_table,
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


# ----------------------------------------------------------------------------- each criterion

def heart(size=SIZE, lv=8, myo=12, rv=18, rv_where=None):
    """LV disk, myocardial ring, RV crescent (where ``rv_where(rows, cols)``, else on the left)."""
    rows, cols = np.mgrid[:size, :size]
    centre = size // 2
    r = np.hypot(rows - centre, cols - centre)
    side = rv_where(rows - centre, cols - centre) if rv_where else cols < centre - 3
    labels = np.zeros((size, size), np.uint8)
    labels[(r >= myo) & (r < rv) & side] = RV
    labels[r < myo] = MYOCARDIUM
    labels[r < lv] = LV
    return labels


def polar():
    """Offsets from the centre of :func:`heart`'s default map: rows, columns, radius."""
    rows, cols = np.mgrid[:SIZE, :SIZE] - CENTRE
    return rows, cols, np.hypot(rows, cols)


def set_where(labels, where, value):
    labels = labels.copy()
    labels[where] = value
    return labels


def small_heart():
    """A 1-pixel myocardial ring round a 5 x 5 LV, the RV against its left side."""
    labels = np.zeros((11, 14), np.uint8)
    labels[2:9, 5:12] = MYOCARDIUM
    labels[3:8, 6:11] = LV
    labels[2:9, 2:5] = RV
    return labels


def failing_and_passing():
    """Criterion name: (map drawn to fail it, map drawn to pass it, spacing in mm, the other
    criteria the failing map cannot help failing)."""
    rows, cols, r = polar()
    clean = heart()
    wrap = dict(rv_where=lambda dr, dc: ~((dc > 0) & (np.abs(dr) < 5)))  # all round but a gap
    ring_corners = small_heart()
    return {
        # the LV pixels round a hole of background touch the background
        "hole in LV": (set_where(clean, (CENTRE, CENTRE), 0), clean, 1.5, ["LV touches background"]),
        "hole in RV": (set_where(clean, (CENTRE, CENTRE - 15), 0), clean, 1.5, []),
        # the myocardium may enclose the LV, not a hole in its wall
        "hole in myocardium": (set_where(clean, (CENTRE, CENTRE + 10), 0), clean, 1.5, []),
        # a myocardial band across the cavity cuts the LV in two
        "LV disconnected": (set_where(clean, (rows == 0) & (r < 8), MYOCARDIUM), clean, 1.5, []),
        "RV disconnected": (set_where(clean, (clean == RV) & (np.abs(rows) < 2), 0), clean, 1.5, []),
        # an island one pixel off the wall (farther off, the space between would be a concavity)
        "myocardium disconnected": (set_where(clean, (slice(CENTRE - 1, CENTRE + 2), slice(CENTRE + 13, CENTRE + 16)),
                                              MYOCARDIUM), clean, 1.5, []),
        # a gap all round between cavity and wall: a hole in the wall too, and the LV touches it
        "hole between LV and myocardium": (set_where(clean, (r >= 7) & (r < 8), 0), clean, 1.5,
                                           ["hole in myocardium", "LV touches background"]),
        # a pocket of background closed by the RV on one side, the myocardium on the other
        "hole between RV and myocardium": (set_where(clean, (r >= 12) & (r < 14) & (np.abs(rows) < 4) & (cols < 0), 0),
                                           clean, 1.5, []),
        "RV detached from myocardium": (set_where(clean, (clean == RV) & (r < 14), 0), clean, 1.5, []),
        # the ring's two corners on the RV's side turned RV: each touches one LV pixel (diagonally)
        "LV touches RV": (set_where(ring_corners, ([2, 8], [5, 5]), RV), ring_corners, 1.5, []),
        "LV touches background": (set_where(ring_corners, ([2, 8], [11, 11]), 0), ring_corners, 1.5, []),
        # a myocardial tongue 3 pixels wide into the cavity: a concavity 6 pixels (9 mm) deep
        "LV concavity": (set_where(clean, (cols > 0) & (np.abs(rows) < 2) & (r < 8), MYOCARDIUM), clean, 1.5, []),
        # an RV wrapped round the heart: 32 pixels (48 mm) deep at the centre, against 24 (36 mm,
        # as in the phantoms' dilated RVs: more than the paper's 30 mm)
        "RV concavity": (heart(72, rv=32, **wrap), heart(72, rv=24, **wrap), 1.5, []),
        # a notch 3 pixels wide and deep in the epicardium
        "myocardium concavity": (set_where(clean, (cols > 0) & (np.abs(rows) < 2) & (r >= 9), 0), clean, 1.5, []),
        # a slit of a cavity in a long wall; a square cavity passes
        "LV circularity": (set_where(set_where(np.zeros((8, 40), np.uint8), (slice(2, 6), slice(2, 38)), MYOCARDIUM),
                                     (slice(3, 5), slice(3, 37)), LV),
                           set_where(set_where(np.zeros((14, 14), np.uint8), (slice(1, 13), slice(1, 13)), MYOCARDIUM),
                                     (slice(3, 11), slice(3, 11)), LV), 1.5, []),
        "myocardium circularity": (set_where(np.zeros((6, 40), np.uint8), (slice(2, 4), slice(1, 39)), MYOCARDIUM),
                                   apex_map(), 1.5, []),
    }


def test_criteria_cover_the_paper_and_come_in_order():
    names = [criterion.name for criterion in CRITERIA]
    assert len(names) == len(set(names)) == 16
    assert list(criteria_values(clean_map())) == names
    assert set(failing_and_passing()) == set(names)  # every criterion has its own test below
    assert all(criterion.description for criterion in CRITERIA)


@pytest.mark.parametrize("name", [criterion.name for criterion in CRITERIA])
def test_each_criterion_on_maps_drawn_to_fail_and_to_pass_it(name):
    failing, passing, spacing, also_failing = failing_and_passing()[name]
    expected = [c.name for c in CRITERIA if c.name == name or c.name in also_failing]
    assert failed_criteria(failing, spacing) == expected
    assert not is_plausible(failing, spacing)
    assert len(plausibility_problems(failing, spacing)) == len(expected)
    assert failed_criteria(passing, spacing) == []
    assert is_plausible(passing, spacing)


def test_small_holes_between_structures_are_tolerated_by_area():
    """Up to 9 mm² (4 pixels of 1.5 mm, 9 of 1 mm) between LV and myocardium pass."""
    rows, cols, r = polar()
    rim = np.argwhere((r >= 7) & (r < 8) & (cols > 0) & (rows >= 0))  # LV pixels along the wall
    assert len(rim) >= 10
    for n, spacing, fails in ((4, 1.5, False), (5, 1.5, True), (9, 1.0, False), (10, 1.0, True)):
        labels = set_where(clean_map(), tuple(rim[:n].T), 0)
        assert criteria_values(labels, spacing)["hole between LV and myocardium"] == pytest.approx(n * spacing ** 2)
        assert ("hole between LV and myocardium" in failed_criteria(labels, spacing)) == fails, (n, spacing)


def test_one_lv_pixel_may_touch_the_rv_or_the_background_two_may_not():
    for label, name, column in ((RV, "LV touches RV", 5), (0, "LV touches background", 11)):
        one = set_where(small_heart(), (2, column), label)  # a corner of the ring, diagonal to the LV
        two = set_where(one, (8, column), label)
        assert criteria_values(one)[name] == 1 and failed_criteria(one) == []
        assert criteria_values(two)[name] == 2 and failed_criteria(two) == [name]


def test_an_rv_without_myocardium_is_detached():
    rv_alone = np.where(clean_map() == RV, RV, 0).astype(np.uint8)
    assert failed_criteria(rv_alone) == ["RV detached from myocardium"]


def test_distances_are_in_mm():
    """A 5 x 10 notch in a 20 x 20 square: 9 pixels deep once its rim is left aside."""
    square = np.zeros((24, 24), np.uint8)
    square[2:22, 2:22] = MYOCARDIUM
    square[2:12, 10:15] = 0
    for spacing in (1.0, 2.0, (1.0, 1.0)):
        assert criteria_values(square, spacing)["myocardium concavity"] == pytest.approx(9 * np.max(spacing))
    detached = failing_and_passing()["RV detached from myocardium"][0]
    gaps = [criteria_values(detached, spacing)["RV detached from myocardium"] for spacing in (1.0, 2.0)]
    assert gaps[0] > 0 and gaps[1] == pytest.approx(2 * gaps[0])
    tongue = failing_and_passing()["LV concavity"][0]
    assert criteria_values(tongue, 1.5)["LV concavity"] == pytest.approx(9.0)
    assert "LV concavity" not in failed_criteria(tongue, 0.5)  # the same notch, 3 mm deep
    with pytest.raises(ValueError, match="spacing_mm"):
        criteria_values(square, 0.0)


def test_circularity_of_simple_shapes():
    rows, cols = np.mgrid[:24, :24]
    disk = (np.hypot(rows - 12, cols - 12) < 10) * LV
    square = set_where(np.zeros((14, 14), np.uint8), (slice(2, 12), slice(2, 12)), LV)
    bar = set_where(np.zeros((24, 6), np.uint8), (slice(2, 22), slice(2, 4)), LV)
    values = [criteria_values(m.astype(np.uint8))["LV circularity"] for m in (disk, square, bar)]
    assert values == pytest.approx([0.89, 0.83, 0.27], abs=0.01)
    # two pixels joined at a corner: the contour is 8 half-diagonals long (the saddle cell counts two)
    corner = set_where(np.zeros((4, 4), np.uint8), ([1, 2], [1, 2]), LV)
    assert criteria_values(corner)["LV circularity"] == pytest.approx(4 * np.pi * 2 / (8 * np.sqrt(0.5)) ** 2)


def test_paper_thresholds_are_kept_and_the_rv_limit_is_raised_for_the_phantoms():
    assert (anatomy.PAPER_LV_CONCAVITY_MAX_MM, anatomy.PAPER_RV_CONCAVITY_MAX_MM,
            anatomy.PAPER_MYOCARDIUM_CONCAVITY_MAX_MM, anatomy.PAPER_CIRCULARITY_MIN) == (4, 30, 0, 0.2)
    assert anatomy.RV_CONCAVITY_MAX_MM == 45
    _, phantom_like, spacing, _ = failing_and_passing()["RV concavity"]
    depth = criteria_values(phantom_like, spacing)["RV concavity"]
    assert anatomy.PAPER_RV_CONCAVITY_MAX_MM < depth <= anatomy.RV_CONCAVITY_MAX_MM


def test_problem_lines_name_the_measure():
    failing = failing_and_passing()
    assert plausibility_problems(failing["LV concavity"][0]) == ["LV concavity 9.0 mm (plausible up to 4 mm)"]
    assert plausibility_problems(failing["myocardium circularity"][0])[0].startswith("myocardium circularity 0.")
    assert plausibility_problems(failing["hole between RV and myocardium"][0])[0].startswith(
        "hole between RV and myocardium (")


def test_counts_per_criterion_on_a_batch():
    failing = failing_and_passing()
    maps = np.stack([clean_map(), failing["hole in RV"][0], failing["hole in LV"][0], failing["hole in RV"][0]])
    counts = criteria_failures(maps)
    assert list(counts) == [criterion.name for criterion in CRITERIA]
    assert {name: n for name, n in counts.items() if n} == {"hole in RV": 2, "hole in LV": 1,
                                                             "LV touches background": 1}
    assert criteria_failures(np.eye(4, dtype=np.float32)[maps]) == counts  # scores as well as labels
    table = failure_table(maps)
    assert "hole in RV" in table and "2 ( 50.0%)" in table
    assert re.fullmatch(r"any of them +3 \( *75\.0%\) +of 4 maps", table.splitlines()[-1])


def test_convex_hull_matches_a_triangulation():
    """The hull of the pixels' edge midpoints, against scipy's Delaunay on random shapes."""
    from scipy.spatial import Delaunay
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = np.pad(rng.random((16, 16)) < rng.uniform(0.01, 0.5), 1)
        midpoints = (np.argwhere(mask)[:, None, :] + [[-0.5, 0], [0.5, 0], [0, -0.5], [0, 0.5]]).reshape(-1, 2)
        centres = np.argwhere(np.ones_like(mask))
        expected = Delaunay(midpoints).find_simplex(centres, tol=1e-9).reshape(mask.shape) >= 0
        assert np.array_equal(anatomy._convex_hull(mask), expected)


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


def test_verdict_names_the_edge_first_then_the_first_criterion_and_counts_them():
    assert anatomy.verdict(clean_map()) == "plausible"
    holed = with_change(clean_map(), (CENTRE, CENTRE), 0)
    assert failed_criteria(holed)[0] == "hole in LV"
    assert anatomy.verdict(holed) == f"hole in LV ({len(failed_criteria(holed))} criteria failed)"
    stray = with_change(clean_map(), (slice(40, 43), slice(40, 43)), RV)
    assert failed_criteria(stray) == ["RV disconnected"]
    assert anatomy.verdict(stray) == "RV disconnected"
    off_edge = with_change(holed, (0, slice(0, SIZE)), RV)
    failed = failed_criteria(off_edge)
    assert len(failed) > 1
    assert anatomy.verdict(off_edge) == f"runs off the edge ({len(failed)} criteria failed)"
