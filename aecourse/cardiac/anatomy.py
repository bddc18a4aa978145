"""Metrics on cardiac label maps (0 background, 1 RV, 2 myocardium, 3 LV): Dice and plausibility.

Dice (:func:`dice_per_structure`) is computed for each structure over all pixels given (one map
or a whole batch): on a batch, it is *pooled*, so large basal slices weigh most. A structure
absent from both maps counts as 1.0: nothing to find, nothing found, as on apical slices without
RV; absent from one only, it counts as 0.0. :func:`dice_per_slice` scores every slice on its own
(NaN where a structure is absent from both), so that failures on small slices show.

Plausibility (:func:`plausibility_problems`) checks one 2-D map against the anatomy of a
short-axis slice. Structures are 8-connected (diagonal neighbours join); a hole is a 4-connected
region of other labels enclosed by a structure and bordering it (for the myocardium, the LV
cavity it encloses is not a hole, and a hole inside the cavity is the cavity's); "touching"
means sharing an edge, except RV-myocardium contact, where a corner is enough. The image
border counts as background. Problems found:

- ``"hole in <structure>"``;
- ``"<structure> in <n> disconnected parts"``;
- ``"RV does not touch the myocardium"``;
- ``"LV touches the background"`` / ``"LV touches the RV"`` (the myocardium must enclose the LV).

An empty map, or an apical one with myocardium (and maybe LV) but no RV, is plausible.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .dataset import BACKGROUND, CLASS_NAMES, LV, MYOCARDIUM, RV

STRUCTURES = {CLASS_NAMES[label]: label for label in (RV, MYOCARDIUM, LV)}
_EIGHT_NEIGHBOURS = np.ones((3, 3), bool)
_FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)
_INSIDE_ALLOWED = {MYOCARDIUM: (LV,)}  # labels a structure may legitimately enclose


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


def plausibility_problems(label_map: np.ndarray) -> list[str]:
    """Anatomical problems of one 2-D label map (an empty list when it is plausible)."""
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"expected one 2-D label map, got shape {label_map.shape}")
    rows, cols = np.nonzero(label_map != BACKGROUND)
    if len(rows) == 0:
        return []
    box = label_map[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # same topology, faster
    padded = np.pad(box, 1, constant_values=BACKGROUND)  # the border is background
    masks = {label: padded == label for label in STRUCTURES.values()}
    problems = []
    for name, label in STRUCTURES.items():
        mask = masks[label]
        if not mask.any():
            continue
        with_interior = mask.copy()
        for inner in _INSIDE_ALLOWED.get(label, ()):
            with_interior |= masks[inner]
        if _has_hole(mask, with_interior):
            problems.append(f"hole in {name}")
        n_parts = ndimage.label(mask, structure=_EIGHT_NEIGHBOURS)[1]
        if n_parts > 1:
            problems.append(f"{name} in {n_parts} disconnected parts")
    if masks[RV].any() and not _touches(masks[RV], masks[MYOCARDIUM], _EIGHT_NEIGHBOURS):
        problems.append("RV does not touch the myocardium")
    if masks[LV].any():
        if _touches(masks[LV], padded == BACKGROUND, _FOUR_NEIGHBOURS):
            problems.append("LV touches the background")
        if _touches(masks[LV], masks[RV], _FOUR_NEIGHBOURS):
            problems.append("LV touches the RV")
    return problems


def is_plausible(label_map: np.ndarray) -> bool:
    """Whether one 2-D label map passes every check of :func:`plausibility_problems`."""
    return not plausibility_problems(label_map)


def plausibility_rate(maps: np.ndarray) -> float:
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
    return float(np.mean([is_plausible(m) for m in maps]))


def _has_hole(mask: np.ndarray, with_interior: np.ndarray) -> bool:
    """Whether a region enclosed by ``with_interior`` (and not part of it) borders ``mask``."""
    holes = ndimage.binary_fill_holes(with_interior) & ~with_interior
    return holes.any() and _touches(mask, holes, _FOUR_NEIGHBOURS)


def _touches(mask: np.ndarray, other: np.ndarray, neighbours: np.ndarray) -> bool:
    return bool((ndimage.binary_dilation(mask, structure=neighbours) & other).any())
