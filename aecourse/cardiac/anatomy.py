"""Metrics on cardiac label maps (0 background, 1 RV, 2 myocardium, 3 LV): Dice and plausibility.

Dice (:func:`dice_per_structure`) is computed for each structure over all pixels given (one map
or a whole batch): on a batch, it is *pooled*, so large basal slices weigh most. A structure
absent from both maps counts as 1.0: nothing to find, nothing found, as on apical slices without
RV; absent from one only, it counts as 0.0. :func:`dice_per_slice` scores every slice on its own
(NaN where a structure is absent from both), so that failures on small slices show.

Plausibility (:func:`plausibility_problems`) checks one 2-D map against the anatomy of a
short-axis slice, with the 16 criteria that Painchaud et al. used for ACDC ("Cardiac segmentation
with strong anatomical guarantees", IEEE TMI 2020; their code is ``vitalab/vital``, whose ACDC
anatomical metrics are ``vital/data/acdc/metrics/anatomical/*`` over
``vital/metrics/evaluate/segmentation.py``). A map is plausible when every criterion holds.

Conventions of this module. Structures are 8-connected (diagonal neighbours join); a hole is a
4-connected region of other labels enclosed by a structure; "touching" means sharing an edge,
except RV-myocardium contact, where a corner is enough. The image border counts as background.
Problems found, in this order:

- ``"hole in <structure>"``: a region enclosed by the RV alone, or by the LV alone, or by the
  myocardium alone where that region holds no LV pixel (the cavity the ring encloses is not a
  hole, and a hole inside the cavity is the cavity's);
- ``"<structure> in <n> disconnected parts"``;
- ``"RV does not touch the myocardium"``;
- ``"LV touches the background"`` / ``"LV touches the RV"`` (the myocardium must enclose the LV);
- ``"hole between LV and myocardium"`` / ``"hole between RV and myocardium"``: a region enclosed
  by the two structures together but by neither alone, as vital's ``count_holes_between_regions``
  defines it: each structure is taken with its own holes that hold no pixel of the other, and a
  hole of that union is a hole between them. A background pocket along the endocardium, between
  the LV and the ring, is one (before these criteria it was reported as a hole in the myocardium),
  and so is a gap left between the RV and the outside of the ring;
- ``"<structure> concavity <depth> > <limit>"`` for the LV (limit 4), RV (30) and myocardium (0),
  depths in mm (see below);
- ``"<structure> circularity <ratio> < 0.2"`` for the LV and the myocardium.

Concavity, as vital's ``measure_concavity`` measures it (its docstring: "depth (in mm) of a
concavity"): the structure with its holes filled, its convex hull, the pixels of the hull not in
the structure (the pockets) eroded by a 3x3 square (which drops pockets less than 3 pixels
across), and the largest distance, in mm, from a remaining pocket pixel to the nearest pixel
outside the hull; 0 when no pocket is left. The myocardium is filled too, so its concavity is
that of the *epicardial* outline (ring plus cavity), and an open ring, whose cavity is then a
pocket, fails. Choices made here: the hull is the digital convex hull, the pixels whose centres
lie in the convex hull of the structure's pixel centres (so that a digitised disc has no pocket
at all; skimage's ``convex_hull_image``, which vital calls, takes the hull of the pixels' edge
midpoints, a hull a little larger, whose extra slivers the erosion removes anyway); distances
are from pixel centre to pixel centre, times the pixel spacing, ``spacing_mm`` (default
:data:`SPACING_MM`, 1.5 mm, the spacing of the kit's prepared data set; vital's ACDC data keep the
scans' own in-plane spacing, 1.37-1.68 mm, and pass it to the metric, so the limits are in mm at
about this resolution). The smallest non-zero depth is 2 pixels (3 mm at 1.5 mm).

Circularity, as vital's ``measure_circularity``: the isoperimetric ratio 4 pi area / perimeter^2
of the structure with its holes filled (for the myocardium: the epicardial disc); 1 for a disc,
near 0 for a thin or very jagged shape. Area is the pixel count. vital measures the perimeter with
skimage's ``measure.perimeter(..., neighbourhood=4)``; scikit-image is not a dependency of the
kit, so the perimeter here is the Cauchy-Crofton estimate over 4 directions (pi/8 times the
number of label changes along rows and columns plus those along both diagonals divided by
sqrt 2), within about 5 % of the length of a straight edge of any direction. Measured: 0.99-1.07
for digital discs of radius 3 to 45 pixels, 0.90 for a square (exactly pi/4 = 0.785), 0.163 for a
2 x 40 bar (0.142 with the bar's outline); an estimator of this kind reads some shapes up to
about 15 % high, which matters little against a limit of 0.2 (a 2-pixel-thick slit fails it,
an ellipse of axes 1:10 passes). Spacing does not matter (pixels are assumed square).

Where this differs from vital: holes and disconnected parts here are counted as regions, not
pixels, with the connectivities above (vital takes 8-connected regions of the complement as
holes); vital ignores holes between structures of at most H*W/2^14 pixels (4 pixels on a 256x256
map, 1 on 128x128) and LV frontiers of a single pixel, and counts a diagonal LV-RV contact as a
frontier; here any such hole and any edge contact counts, and a corner contact does not.
Concavity and circularity are measured on all the pixels of a structure, even when it is in
several parts (as vital does), and are not checked for an absent structure.

An empty map, or an apical one with myocardium (and maybe LV) but no RV, is plausible.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from .dataset import BACKGROUND, CLASS_NAMES, LV, MYOCARDIUM, RV

STRUCTURES = {CLASS_NAMES[label]: label for label in (RV, MYOCARDIUM, LV)}
SPACING_MM = 1.5
"""Default pixel spacing for concavity depths: that of the kit's prepared data set
(``aecourse.cardiac.acdc.DEFAULT_SPACING_MM``)."""
CONCAVITY_LIMITS_MM = {"RV": 30.0, "myocardium": 0.0, "LV": 4.0}
"""Largest plausible concavity depth (mm) of each structure (Painchaud et al. 2020, vital)."""
CIRCULARITY_MINIMA = {"myocardium": 0.2, "LV": 0.2}
"""Smallest plausible circularity of each structure (Painchaud et al. 2020, vital)."""
_EIGHT_NEIGHBOURS = np.ones((3, 3), bool)
_FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)
_INSIDE_ALLOWED = {MYOCARDIUM: LV}  # a hole of the myocardium that holds LV is the cavity


def dice_per_structure(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Dice of RV, myocardium and LV between two label arrays of the same shape."""
    true, pred = np.asarray(true), np.asarray(pred)
    if true.shape != pred.shape:
        raise ValueError(f"shapes differ: true {true.shape}, pred {pred.shape}")
    scores = {}
    for name, label in STRUCTURES.items():
        in_true, in_pred = true == label, pred == label
        total = int(in_true.sum()) + int(in_pred.sum())
        overlap = int(np.logical_and(in_true, in_pred).sum())
        scores[name] = 2.0 * overlap / total if total else 1.0
    return scores


def dice_per_slice(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Dice of RV, myocardium and LV for each 2-D map of two (N, H, W) batches: shape (N, 3).

    A structure absent from both maps of a slice gives NaN (nothing to score), so ``np.nanmean``
    over the slices is the mean per-slice Dice.
    """
    true, pred = np.asarray(true), np.asarray(pred)
    if true.shape != pred.shape or true.ndim != 3:
        raise ValueError(f"expected two (N, H, W) batches of the same shape, got {true.shape} and {pred.shape}")
    labels = np.array(list(STRUCTURES.values()))
    in_true = true[..., None] == labels  # (N, H, W, 3)
    in_pred = pred[..., None] == labels
    total = in_true.sum(axis=(1, 2)) + in_pred.sum(axis=(1, 2))
    overlap = (in_true & in_pred).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2.0 * overlap / total, np.nan)


def plausibility_problems(label_map: np.ndarray, spacing_mm: float | tuple[float, float] = SPACING_MM) -> list[str]:
    """Anatomical problems of one 2-D label map (an empty list when it is plausible).

    ``spacing_mm``: pixel size in mm (one number, or (row, column)), for concavity depths only.
    """
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"expected one 2-D label map, got shape {label_map.shape}")
    rows, cols = np.nonzero(label_map != BACKGROUND)
    if len(rows) == 0:
        return []
    box = label_map[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # same topology, faster
    padded = np.pad(box, 1, constant_values=BACKGROUND)  # the border is background
    masks = {label: padded == label for label in STRUCTURES.values()}
    holes = {label: _hole_regions(mask) for label, mask in masks.items() if mask.any()}
    problems = []
    for name, label in STRUCTURES.items():
        if label not in holes:
            continue
        inner = masks[_INSIDE_ALLOWED[label]] if label in _INSIDE_ALLOWED else None
        if _own_holes(holes[label], inner).any():
            problems.append(f"hole in {name}")
        n_parts = ndimage.label(masks[label], structure=_EIGHT_NEIGHBOURS)[1]
        if n_parts > 1:
            problems.append(f"{name} in {n_parts} disconnected parts")
    if masks[RV].any() and not _touches(masks[RV], masks[MYOCARDIUM], _EIGHT_NEIGHBOURS):
        problems.append("RV does not touch the myocardium")
    if masks[LV].any():
        if _touches(masks[LV], padded == BACKGROUND, _FOUR_NEIGHBOURS):
            problems.append("LV touches the background")
        if _touches(masks[LV], masks[RV], _FOUR_NEIGHBOURS):
            problems.append("LV touches the RV")
    for label in (LV, RV):
        if label in holes and MYOCARDIUM in holes:
            union = (masks[label] | masks[MYOCARDIUM] | _own_holes(holes[label], masks[MYOCARDIUM])
                     | _own_holes(holes[MYOCARDIUM], masks[label]))
            if _hole_regions(union).any():
                problems.append(f"hole between {CLASS_NAMES[label]} and myocardium")
    for name, limit in CONCAVITY_LIMITS_MM.items():
        label = STRUCTURES[name]
        if label in holes:
            depth = _concavity_of_filled(masks[label] | (holes[label] > 0), spacing_mm)
            if depth > limit:
                problems.append(f"{name} concavity {_shown(depth, limit)} > {limit:g}")
    for name, minimum in CIRCULARITY_MINIMA.items():
        label = STRUCTURES[name]
        if label in holes:
            ratio = _circularity_of_filled(masks[label] | (holes[label] > 0))
            if ratio < minimum:
                problems.append(f"{name} circularity {_shown(ratio, minimum, 2)} < {minimum:g}")
    return problems


def is_plausible(label_map: np.ndarray, spacing_mm: float | tuple[float, float] = SPACING_MM) -> bool:
    """Whether one 2-D label map passes every check of :func:`plausibility_problems`."""
    return not plausibility_problems(label_map, spacing_mm)


def plausibility_rate(maps: np.ndarray, spacing_mm: float | tuple[float, float] = SPACING_MM) -> float:
    """Fraction of plausible maps among ``maps``.

    ``maps``: label maps (N, H, W), or per-class scores (N, H, W, C) such as one-hot maps,
    softmax outputs or logits, turned into labels by argmax over the last axis.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4:
        maps = maps.argmax(axis=-1)
    if maps.ndim != 3:
        raise ValueError(f"expected (N, H, W) labels or (N, H, W, C) scores, got shape {maps.shape}")
    if len(maps) == 0:
        raise ValueError("no maps given")
    return float(np.mean([is_plausible(m, spacing_mm) for m in maps]))


def concavity(mask: np.ndarray, spacing_mm: float | tuple[float, float] = SPACING_MM) -> float:
    """Depth (mm) of the deepest concavity of a binary mask, holes filled (module docstring).

    0.0 for a convex shape (or an empty mask); pockets less than 3 pixels across are ignored.
    """
    mask = np.pad(np.asarray(mask, bool), 1)
    return _concavity_of_filled(mask | (_hole_regions(mask) > 0), spacing_mm)


def circularity(mask: np.ndarray) -> float:
    """Isoperimetric ratio 4 pi area / perimeter^2 of a binary mask, holes filled; NaN if empty."""
    mask = np.pad(np.asarray(mask, bool), 1)
    if not mask.any():
        return float("nan")
    return _circularity_of_filled(mask | (_hole_regions(mask) > 0))


def _hole_regions(mask: np.ndarray) -> np.ndarray:
    """The holes of ``mask`` (4-connected regions of other pixels cut off from the array's border),
    numbered 1, 2, ... (0 elsewhere); ``mask`` must not touch the border."""
    regions = ndimage.label(~mask, structure=_FOUR_NEIGHBOURS)[0]
    regions[regions == regions[0, 0]] = 0
    return regions


def _own_holes(regions: np.ndarray, inner: np.ndarray | None = None) -> np.ndarray:
    """Pixels of the hole ``regions`` (from :func:`_hole_regions`), less those holding ``inner``."""
    holes = regions > 0
    if inner is None or not holes.any():
        return holes
    holding = np.unique(regions[holes & inner])
    return holes & ~np.isin(regions, holding) if len(holding) else holes


def _concavity_of_filled(filled: np.ndarray, spacing_mm) -> float:
    """Concavity depth (mm) of a hole-free mask that does not touch the array's border."""
    hull = _digital_convex_hull(filled)
    pockets = ndimage.binary_erosion(hull & ~filled, structure=_EIGHT_NEIGHBOURS)
    if not pockets.any():
        return 0.0
    rows, cols = np.nonzero(hull)
    window = (slice(rows.min() - 1, rows.max() + 2), slice(cols.min() - 1, cols.max() + 2))
    depth = ndimage.distance_transform_edt(hull[window], sampling=spacing_mm)
    return float(depth[pockets[window]].max())


def _digital_convex_hull(mask: np.ndarray) -> np.ndarray:
    """The pixels whose centres lie in the convex hull of the centres of ``mask``'s pixels."""
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return mask.copy()
    # only the first and last pixel of each row can be corners of the hull
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    ends = np.r_[starts[1:] - 1, len(rows) - 1]
    ends_rows, ends_cols = np.r_[rows[starts], rows[ends]], np.r_[cols[starts], cols[ends]]
    points = np.column_stack([ends_rows, ends_cols]).astype(float)
    try:
        equations = ConvexHull(points).equations  # rows (a, b, offset), see below
    except (QhullError, ValueError):  # fewer than 3 points or all on one line: already convex
        return mask.copy()
    # each half-plane a r + b c + offset <= 0 bounds the columns of row r from below (b < 0) or
    # above (b > 0); a hull row is the interval between the tightest bounds
    hull_rows = np.arange(rows.min(), rows.max() + 1, dtype=float)
    a, b, offset = (equations[:, i] for i in range(3))
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = (-offset[None, :] - a[None, :] * hull_rows[:, None]) / b[None, :]
    tolerance = 1e-9
    low = np.where(b < -tolerance, bound, -np.inf).max(axis=1)
    high = np.where(b > tolerance, bound, np.inf).min(axis=1)
    low, high = np.ceil(low - 1e-6).astype(int), np.floor(high + 1e-6).astype(int)
    columns = np.arange(mask.shape[1])
    hull = mask.copy()
    hull[rows.min():rows.max() + 1] |= (columns >= low[:, None]) & (columns <= high[:, None])
    return hull


def _circularity_of_filled(filled: np.ndarray) -> float:
    """4 pi area / perimeter^2, the perimeter by Cauchy-Crofton over 4 directions (pixel units)."""
    along_rows = np.count_nonzero(filled[:, 1:] != filled[:, :-1])
    along_cols = np.count_nonzero(filled[1:, :] != filled[:-1, :])
    diagonal = np.count_nonzero(filled[1:, 1:] != filled[:-1, :-1])
    antidiagonal = np.count_nonzero(filled[1:, :-1] != filled[:-1, 1:])
    perimeter = np.pi / 8 * (along_rows + along_cols + (diagonal + antidiagonal) / np.sqrt(2))
    return float(4 * np.pi * np.count_nonzero(filled) / perimeter ** 2)


def _shown(value: float, limit: float, decimals: int = 1) -> str:
    """``value`` rounded for a message, with more decimals where rounding would make it ``limit``."""
    while decimals < 6 and round(value, decimals) == limit:
        decimals += 1
    return f"{value:.{decimals}f}"


def _touches(mask: np.ndarray, other: np.ndarray, neighbours: np.ndarray) -> bool:
    return bool((ndimage.binary_dilation(mask, structure=neighbours) & other).any())
