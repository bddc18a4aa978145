"""Metrics on cardiac label maps (0 background, 1 RV, 2 myocardium, 3 LV): Dice and plausibility.

Dice (:func:`dice_per_structure`) is computed for each structure over all pixels given (one map
or a whole batch): on a batch, it is *pooled*, so large basal slices weigh most. A structure
absent from both maps counts as 1.0: nothing to find, nothing found, as on apical slices without
RV; absent from one only, it counts as 0.0. :func:`dice_per_slice` scores every slice on its own
(NaN where a structure is absent from both), so that failures on small slices show.

Plausibility follows the anatomical criteria of Painchaud et al., "Cardiac segmentation with
strong anatomical guarantees" (IEEE TMI 2020) for ACDC short-axis slices, with their thresholds
(those of the authors' code, vitalab/vital). :data:`CRITERIA` lists the 16; a map is plausible
when it passes them all:

==========================================  ==========================================  ===========
criterion                                   measured                                    plausible
==========================================  ==========================================  ===========
hole in LV / RV / myocardium                pixels of other labels the structure        0
                                            encloses (the myocardium's LV cavity is
                                            not a hole; a hole in the cavity is the
                                            LV's)
LV / RV / myocardium disconnected           pixels outside the structure's largest part 0
hole between LV and myocardium,             area enclosed by the two structures         <= 9 mm²
hole between RV and myocardium              together but by neither alone, mm²
RV detached from myocardium                 gap between RV and myocardium, mm           0
LV touches RV / LV touches background       LV pixels next to an RV / background pixel  <= 1
LV / RV / myocardium concavity              depth of the deepest concavity, mm          <= 4 / 45 / 0
LV / myocardium circularity                 4 pi area / perimeter²                      >= 0.2
==========================================  ==========================================  ===========

Definitions. Structures are 8-connected (diagonal neighbours join) and the regions between them
4-connected; "next to" means among the 8 neighbours. The image border counts as background.
Concavity and circularity are measured on the structure with its holes filled (the myocardium
with the cavity it encloses: the epicardium's shape). *Concavity*: the pixels of the convex hull
(of the pixels' edge midpoints) outside the structure, less a one-pixel rim (a 3 x 3 erosion:
digital staircases are no concavity), and the depth is their largest distance to the outside of
the hull, in mm: the spacing matters (``spacing_mm``, default :data:`DEFAULT_SPACING_MM`, the
converter's; read a prepared file's with :func:`aecourse.cardiac.dataset.pixel_spacing_mm`).
The myocardium's limit of 0 mm allows no concavity at all beyond that rim. *Circularity*: the
perimeter is the length of the marching-squares contour (a digital disk of radius 10 pixels
scores 0.89, a 10 x 10 square 0.83, a 20 x 2 bar 0.27).
A criterion on an absent structure passes (NaN), so an empty map, or an apical one with
myocardium (and maybe LV) but no RV, is plausible.

Where this differs from the authors' code, on purpose:

- the RV's concavity may reach 45 mm, not 30: the kit's phantoms need it
  (:data:`RV_CONCAVITY_MAX_MM` says why; :data:`PAPER_RV_CONCAVITY_MAX_MM` keeps theirs);
- the image border counts as background (a structure cut by the border touches the background;
  their maps are padded with nothing);
- an RV with no myocardium at all is detached (their code measures no gap then, and passes it);
- a structure's holes are 4-connected regions (theirs 8: a ring closed at one corner had none);
- the tolerance for holes between structures is an area, 9 mm², where theirs is H x W / 2**14
  pixels, 4 pixels of about 1.5 mm on their 256 x 256 maps: an area does not change with the
  field of view.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..generation import touches_border
from .dataset import BACKGROUND, CLASS_NAMES, DEFAULT_SPACING_MM, LV, MYOCARDIUM, RV

STRUCTURES = {CLASS_NAMES[label]: label for label in (RV, MYOCARDIUM, LV)}
_EIGHT_NEIGHBOURS = np.ones((3, 3), bool)
_FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)

# Thresholds of the authors' code (vitalab/vital, ACDC), kept by name; the ones used follow.
PAPER_LV_CONCAVITY_MAX_MM = 4.0
PAPER_RV_CONCAVITY_MAX_MM = 30.0
PAPER_MYOCARDIUM_CONCAVITY_MAX_MM = 0.0
PAPER_CIRCULARITY_MIN = 0.2  # LV and myocardium
PAPER_HOLE_BETWEEN_MAX_PIXELS = 4  # H x W / 2**14 on their 256 x 256 maps of about 1.5 mm
PAPER_FRONTIER_MAX_PIXELS = 1  # LV pixels next to the RV, or to the background

LV_CONCAVITY_MAX_MM = PAPER_LV_CONCAVITY_MAX_MM
# The kit's synthetic phantoms fail the paper's 30 mm: their dilated RVs (group RV) wrap further
# round the septum than ACDC's. Of the kit's 150 patients, 2% of the slices (all of that group)
# measure 30 to 37 mm, at their own spacing as on the 128 x 128 maps at 1.5 mm; the most seen in
# other phantom exams is 40.3 mm. 45 mm keeps every ground-truth slice plausible, with a margin.
RV_CONCAVITY_MAX_MM = 45.0
MYOCARDIUM_CONCAVITY_MAX_MM = PAPER_MYOCARDIUM_CONCAVITY_MAX_MM
CIRCULARITY_MIN = PAPER_CIRCULARITY_MIN
HOLE_BETWEEN_MAX_MM2 = PAPER_HOLE_BETWEEN_MAX_PIXELS * 1.5 ** 2
FRONTIER_MAX_PIXELS = PAPER_FRONTIER_MAX_PIXELS


class Criterion(NamedTuple):
    """One anatomical criterion: its name (a key of :func:`criteria_values`) and what it checks."""

    name: str
    description: str


CRITERIA = (
    Criterion("hole in LV", "pixels of other labels enclosed by the LV: none"),
    Criterion("hole in RV", "pixels of other labels enclosed by the RV: none"),
    Criterion("hole in myocardium", "pixels enclosed by the myocardium, its LV cavity apart: none"),
    Criterion("LV disconnected", "LV pixels outside its largest part: none"),
    Criterion("RV disconnected", "RV pixels outside its largest part: none"),
    Criterion("myocardium disconnected", "myocardium pixels outside its largest part: none"),
    Criterion("hole between LV and myocardium",
              f"area enclosed by LV and myocardium together: at most {HOLE_BETWEEN_MAX_MM2:g} mm²"),
    Criterion("hole between RV and myocardium",
              f"area enclosed by RV and myocardium together: at most {HOLE_BETWEEN_MAX_MM2:g} mm²"),
    Criterion("RV detached from myocardium", "gap between RV and myocardium: none (a corner is contact)"),
    Criterion("LV touches RV", f"LV pixels next to the RV: at most {FRONTIER_MAX_PIXELS}"),
    Criterion("LV touches background", f"LV pixels next to the background: at most {FRONTIER_MAX_PIXELS}"),
    Criterion("LV concavity", f"deepest concavity of the LV: at most {LV_CONCAVITY_MAX_MM:g} mm"),
    Criterion("RV concavity", f"deepest concavity of the RV: at most {RV_CONCAVITY_MAX_MM:g} mm"),
    Criterion("myocardium concavity",
              f"deepest concavity of the epicardium: at most {MYOCARDIUM_CONCAVITY_MAX_MM:g} mm"),
    Criterion("LV circularity", f"4 pi area / perimeter² of the LV: at least {CIRCULARITY_MIN:g}"),
    Criterion("myocardium circularity",
              f"4 pi area / perimeter² of the epicardium: at least {CIRCULARITY_MIN:g}"),
)
_NAMES = tuple(criterion.name for criterion in CRITERIA)
_LIMITS = {  # name: (largest plausible value, smallest plausible value)
    **{name: (0.0, None) for name in _NAMES[:6]},
    "hole between LV and myocardium": (HOLE_BETWEEN_MAX_MM2, None),
    "hole between RV and myocardium": (HOLE_BETWEEN_MAX_MM2, None),
    "RV detached from myocardium": (0.0, None),
    "LV touches RV": (FRONTIER_MAX_PIXELS, None),
    "LV touches background": (FRONTIER_MAX_PIXELS, None),
    "LV concavity": (LV_CONCAVITY_MAX_MM, None),
    "RV concavity": (RV_CONCAVITY_MAX_MM, None),
    "myocardium concavity": (MYOCARDIUM_CONCAVITY_MAX_MM, None),
    "LV circularity": (None, CIRCULARITY_MIN),
    "myocardium circularity": (None, CIRCULARITY_MIN),
}
_ROUNDING = 1e-9  # float noise in the distances and areas compared with the limits

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


def criteria_values(label_map: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> dict[str, float]:
    """What each criterion of :data:`CRITERIA` measures on one 2-D map, by name.

    NaN where a structure the criterion needs is absent (the criterion then passes).
    ``spacing_mm``: the pixel spacing, one number or (rows, columns).
    """
    return {name: value for name, value, _ in _measure(*_prepare(label_map, spacing_mm))}


def failed_criteria(label_map: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> list[str]:
    """Names of the criteria one 2-D map fails, in the order of :data:`CRITERIA`."""
    return [name for name, value, _ in _measure(*_prepare(label_map, spacing_mm)) if not _passes(name, value)]


def plausibility_problems(label_map: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> list[str]:
    """Anatomical problems of one 2-D label map, one line per failed criterion (empty: plausible)."""
    return [_problem(name, value, parts) for name, value, parts in _measure(*_prepare(label_map, spacing_mm))
            if not _passes(name, value)]


def verdict(label_map: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> str:
    """One map's anatomy in a few words, e.g. for a figure's titles: "plausible", or its most
    telling problem and how many criteria it fails. Running off the image's edge is named first
    (no true map in the cropped slices does: the map was drawn where the decoder learned
    nothing), then the first failed criterion in the order of :data:`CRITERIA` (holes and
    disconnected parts before shapes)."""
    failed = failed_criteria(label_map, spacing_mm)
    if not failed:
        return "plausible"
    off_edge = bool(touches_border(np.asarray(label_map)[None])[0])
    headline = "runs off the edge" if off_edge else failed[0]
    return headline if len(failed) == 1 else f"{headline} ({len(failed)} criteria failed)"


def is_plausible(label_map: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> bool:
    """Whether one 2-D label map passes every criterion of :data:`CRITERIA` (stops at the first failed)."""
    return all(_passes(name, value) for name, value, _ in _measure(*_prepare(label_map, spacing_mm)))


def plausibility_rate(maps: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> float:
    """Fraction of plausible maps among ``maps``.

    ``maps``: label maps (N, H, W), or per-class scores (N, H, W, C) such as one-hot maps,
    softmax outputs or logits, turned into labels by argmax over the last axis.
    """
    return float(np.mean([is_plausible(m, spacing_mm) for m in _label_batch(maps)]))


def criteria_failures(maps: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> dict[str, int]:
    """How many of ``maps`` fail each criterion, by name in the order of :data:`CRITERIA`.

    ``maps`` as for :func:`plausibility_rate`. A map can fail several criteria: the counts do
    not add up to the implausible maps (:func:`failure_table` shows both).
    """
    counts = dict.fromkeys(_NAMES, 0)
    for label_map in _label_batch(maps):
        for name in failed_criteria(label_map, spacing_mm):
            counts[name] += 1
    return counts


def failure_table(maps: np.ndarray, spacing_mm=DEFAULT_SPACING_MM) -> str:
    """A text table: each criterion, how many of ``maps`` fail it, and what passes."""
    failures = [failed_criteria(m, spacing_mm) for m in _label_batch(maps)]
    width = max(map(len, _NAMES))
    lines = [f"{'criterion':{width}}  {'maps failing':>14}  plausible when"]
    for criterion in CRITERIA:
        count = sum(criterion.name in failed for failed in failures)
        lines.append(f"{criterion.name:{width}}  {count:>6} ({count / len(failures):6.1%})  "
                     f"{criterion.description.split(': ')[-1]}")
    implausible = sum(bool(failed) for failed in failures)
    lines.append(f"{'any of them':{width}}  {implausible:>6} ({implausible / len(failures):6.1%})  "
                 f"of {len(failures)} maps")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- measurements

def _label_batch(maps: np.ndarray) -> np.ndarray:
    maps = np.asarray(maps)
    if maps.ndim == 4:
        maps = maps.argmax(axis=-1)
    if maps.ndim != 3:
        raise ValueError(f"expected (N, H, W) labels or (N, H, W, C) scores, got shape {maps.shape}")
    if len(maps) == 0:
        raise ValueError("no maps given")
    return maps


def _prepare(label_map: np.ndarray, spacing_mm) -> tuple[np.ndarray, tuple[float, float]]:
    """The map cropped to its foreground and padded with background (the border is background)."""
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"expected one 2-D label map, got shape {label_map.shape}")
    spacing = tuple(float(s) for s in np.broadcast_to(np.asarray(spacing_mm, float), (2,)))
    if min(spacing) <= 0:
        raise ValueError(f"spacing_mm must be positive (mm per pixel), got {spacing_mm!r}")
    rows, cols = np.nonzero(label_map != BACKGROUND)
    if len(rows) == 0:
        return np.zeros((1, 1), label_map.dtype), spacing
    box = label_map[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # same measures, faster
    return np.pad(box, 1, constant_values=BACKGROUND), spacing


def _measure(padded: np.ndarray, spacing: tuple[float, float]):
    """Yield (name, value, parts) for each criterion in the order of CRITERIA, computing each
    only when asked (``parts``: the structure's number of parts, for the disconnection criteria)."""
    masks = {label: padded == label for label in STRUCTURES.values()}
    rv, myo, lv = masks[RV], masks[MYOCARDIUM], masks[LV]
    outside = {label: _outside(mask) for label, mask in masks.items()}  # 4-connected regions around
    filled = {label: regions != regions[0, 0] for label, (regions, _) in outside.items()}
    for name, label in _ORDER:
        interior = lv if label == MYOCARDIUM else None
        yield f"hole in {name}", _hole_pixels(masks[label], interior, filled[label]), None
    for name, label in _ORDER:
        parts, outside_largest = _parts(masks[label])
        yield f"{name} disconnected", outside_largest, parts
    pixel_area = spacing[0] * spacing[1]
    for name, label in (("LV", LV), ("RV", RV)):
        pixels = _hole_between_pixels(masks[label], myo, outside[label], outside[MYOCARDIUM])
        yield f"hole between {name} and myocardium", pixels * pixel_area, None
    yield "RV detached from myocardium", _gap_mm(rv, myo, spacing), None
    yield "LV touches RV", _pixels_next_to(lv, rv), None
    yield "LV touches background", _pixels_next_to(lv, padded == BACKGROUND), None
    for name, label in _ORDER:
        yield f"{name} concavity", _concavity_mm(filled[label], spacing), None
    for name, label in _ORDER[::2]:
        yield f"{name} circularity", _circularity(filled[label]), None


_ORDER = (("LV", LV), ("RV", RV), ("myocardium", MYOCARDIUM))  # as in CRITERIA


def _passes(name: str, value: float) -> bool:
    if np.isnan(value):
        return True  # the structure is absent
    largest, smallest = _LIMITS[name]
    return ((largest is None or value <= largest + _ROUNDING)
            and (smallest is None or value >= smallest - _ROUNDING))


def _problem(name: str, value: float, parts: int | None) -> str:
    """One readable line for a failed criterion."""
    if name.endswith("disconnected"):
        return f"{name.split()[0]} in {parts} disconnected parts"
    if name == "RV detached from myocardium":
        return "RV does not touch the myocardium"
    if name.startswith("LV touches"):
        return f"LV touches the {name.split()[-1]}"
    if name.startswith("hole between"):
        return f"{name} ({value:.0f} mm²)"
    largest, smallest = _LIMITS[name]
    if name.endswith("concavity"):
        return f"{name} {value:.1f} mm (plausible up to {largest:g} mm)"
    if name.endswith("circularity"):
        return f"{name} {value:.2f} (plausible from {smallest:g})"
    return name  # holes in one structure


def _outside(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected regions of the pixels not in ``mask`` (0 on ``mask``) and how many there are.

    On a map padded with background, the region at [0, 0] is the one around; the others are holes.
    """
    return ndimage.label(~mask, structure=_FOUR_NEIGHBOURS)


def _grow(mask: np.ndarray, diagonal: bool = True) -> np.ndarray:
    """``mask`` and its 8 (or 4) neighbours within the array: a 3 x 3 (or cross) dilation."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    across = grown.copy() if diagonal else mask
    grown[:, 1:] |= across[:, :-1]
    grown[:, :-1] |= across[:, 1:]
    return grown


def _hole_pixels(mask: np.ndarray, interior: np.ndarray | None, filled: np.ndarray) -> float:
    """Pixels enclosed by ``mask`` (with ``interior``, which it may enclose) that border ``mask``."""
    if not mask.any():
        return np.nan
    if interior is None:
        return float(np.count_nonzero(filled & ~mask))  # every enclosed region borders the mask
    regions, n = _outside(mask | interior)
    enclosed = np.ones(n + 1, bool)
    enclosed[[0, regions[0, 0]]] = False
    if not enclosed[regions].any():
        return 0.0
    bordering = np.zeros(n + 1, bool)
    bordering[regions[_grow(mask, diagonal=False)]] = True
    return float(np.count_nonzero((enclosed & bordering)[regions]))


def _parts(mask: np.ndarray) -> tuple[int, float]:
    """Number of 8-connected parts and the pixels outside the largest."""
    if not mask.any():
        return 0, np.nan
    regions, n = ndimage.label(mask, structure=_EIGHT_NEIGHBOURS)
    if n == 1:
        return 1, 0.0
    sizes = np.bincount(regions.ravel())[1:]
    return n, float(sizes.sum() - sizes.max())


def _hole_between_pixels(first: np.ndarray, second: np.ndarray, first_outside: tuple[np.ndarray, int],
                         second_outside: tuple[np.ndarray, int]) -> float:
    """Pixels enclosed by the two structures together, once each has the holes that do not hold
    the other filled in (a structure's own holes are counted by its own criterion)."""
    if not (first.any() and second.any()):
        return np.nan
    union = _fill_holes_without(first, second, *first_outside) | _fill_holes_without(second, first, *second_outside)
    regions, _ = _outside(union)
    return float(np.count_nonzero((regions != regions[0, 0]) & ~union))


def _fill_holes_without(mask: np.ndarray, other: np.ndarray, regions: np.ndarray, n: int) -> np.ndarray:
    """``mask`` with those of its holes (``regions`` from :func:`_outside`) filled that hold no
    pixel of ``other``."""
    kept = np.zeros(n + 1, bool)
    kept[regions[other]] = True
    kept[regions[0, 0]] = True  # the region around is no hole
    return mask | ~kept[regions]  # label 0 is the mask itself


def _gap_mm(rv: np.ndarray, myo: np.ndarray, spacing: tuple[float, float]) -> float:
    """Distance from the RV's neighbours to the myocardium (0 when they touch, even at a corner)."""
    if not rv.any():
        return np.nan
    if not myo.any():
        return np.inf
    near_rv = _grow(rv)
    if (near_rv & myo).any():
        return 0.0
    return float(ndimage.distance_transform_edt(~myo, sampling=spacing)[near_rv].min())


def _pixels_next_to(mask: np.ndarray, other: np.ndarray) -> float:
    """Pixels of ``mask`` with a pixel of ``other`` among their 8 neighbours."""
    if not mask.any():
        return np.nan
    return float(np.count_nonzero(mask & _grow(other)))


def _convex_hull(mask: np.ndarray) -> np.ndarray:
    """Pixels whose centre lies in the convex hull of the edge midpoints of ``mask``'s pixels.

    Row by row, the hull spans from the lower convex envelope of the rows' first pixels to the
    upper envelope of their last pixels (the other pixels cannot be vertices).
    """
    rows = np.flatnonzero(mask.any(axis=1))
    in_rows = mask[rows]
    first = in_rows.argmax(axis=1).astype(float)
    last = (mask.shape[1] - 1 - in_rows[:, ::-1].argmax(axis=1)).astype(float)
    at = np.stack([rows - 0.5, rows, rows + 0.5], axis=1).ravel().tolist()  # edge midpoints' rows
    left, right = np.repeat(first, 3), np.repeat(last, 3)
    left[1::3] -= 0.5  # at the pixel's own row, the midpoint of its outer edge
    right[1::3] += 0.5
    span = np.arange(rows[0], rows[-1] + 1)  # gaps between parts included
    start = np.interp(span, *_envelope(at, left.tolist(), upper=False)) - _ROUNDING
    stop = np.interp(span, *_envelope(at, right.tolist(), upper=True)) + _ROUNDING
    columns = np.arange(mask.shape[1])
    hull = np.zeros_like(mask)
    hull[span] = (columns >= start[:, None]) & (columns <= stop[:, None])
    return hull


def _envelope(xs: list[float], ys: list[float], upper: bool) -> tuple[list[float], list[float]]:
    """Vertices of the lower (or upper) convex envelope of points sorted by x: a monotone chain."""
    sign = -1.0 if upper else 1.0
    hull_x, hull_y = [], []
    for x, y in zip(xs, ys):
        y *= sign
        while len(hull_x) >= 2 and ((hull_x[-1] - hull_x[-2]) * (y - hull_y[-2])
                                    <= (hull_y[-1] - hull_y[-2]) * (x - hull_x[-2])):
            hull_x.pop()
            hull_y.pop()
        hull_x.append(x)
        hull_y.append(y)
    return hull_x, [sign * y for y in hull_y]


def _concavity_mm(filled: np.ndarray, spacing: tuple[float, float]) -> float:
    """Depth of the deepest concavity (mm): how far inside the convex hull a pixel outside the
    structure lies, the one-pixel rim of the hull's extra pixels left aside."""
    if not filled.any():
        return np.nan
    hull = _convex_hull(filled)
    concave = ~_grow(~(hull & ~filled))  # 3 x 3 erosion (the hull does not reach the array's edge)
    if not concave.any():
        return 0.0
    return float(ndimage.distance_transform_edt(hull, sampling=spacing)[concave].max())


# Length of the marching-squares contour in one 2 x 2 cell, by which of its corners are in:
# one or three corners: a diagonal cut (sqrt(1/2)); two side by side: a straight cut (1);
# two opposite: two diagonal cuts.
_CELL_CONTOUR = np.zeros(16)  # index: 1 top left + 2 top right + 4 bottom left + 8 bottom right
_CELL_CONTOUR[[1, 2, 4, 7, 8, 11, 13, 14]] = np.sqrt(0.5)
_CELL_CONTOUR[[3, 5, 10, 12]] = 1.0
_CELL_CONTOUR[[6, 9]] = 2 * np.sqrt(0.5)


def _circularity(filled: np.ndarray) -> float:
    """4 pi area / perimeter², the perimeter on the marching-squares contour."""
    if not filled.any():
        return np.nan
    m = filled.astype(np.uint8)  # padded with background: the contour closes
    cells = m[:-1, :-1] + 2 * m[:-1, 1:] + 4 * m[1:, :-1] + 8 * m[1:, 1:]
    perimeter = _CELL_CONTOUR[cells].sum()
    return float(4 * np.pi * np.count_nonzero(filled) / perimeter ** 2)
