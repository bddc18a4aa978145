"""Segmentation failures drawn on purpose: broken maps for a trained VAE to repair.

Painchaud et al. ("Cardiac segmentation with strong anatomical guarantees", IEEE TMI 2020) repair
implausible segmentations with a VAE trained on plausible ones: a map goes through the encoder,
and the decoder, which has only learned hearts, gives back a plausible map close to it. To try
that on maps whose truth is known, :func:`corrupt_maps` breaks plausible ground-truth maps the way
segmentation networks fail, each kind breaking one criterion of
:data:`aecourse.cardiac.anatomy.CRITERIA`:

=======================  ========================================================  ===============================
kind                     what is drawn                                             criterion it breaks
=======================  ========================================================  ===============================
``papillary muscle``     a disk of myocardium inside the LV cavity (ACDC labels    hole in LV
                         the papillary muscles LV; networks often do not)
``open myocardium``      a wedge of the myocardial ring, on the side away from     LV touches background
                         the RV, set to background
``detached RV``          the RV moved away from the heart's centre                 RV detached from myocardium
``stray RV``             a small RV blob away from the heart (a false positive)    RV disconnected
=======================  ========================================================  ===============================

A kind is drawn only where the slice has what it needs (an RV, an LV wide enough for the disk),
and a corrupted map is kept only if it fails the criterion its kind names (checked, not assumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import ndimage

from .anatomy import dice_per_structure, failed_criteria, is_plausible
from .dataset import BACKGROUND, DEFAULT_SPACING_MM, LV, MYOCARDIUM, RV

Rng = np.random.Generator


def _disk(shape: tuple[int, int], centre, radius: float) -> np.ndarray:
    rows, columns = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius ** 2


def _centre(mask: np.ndarray) -> np.ndarray:
    return np.array(ndimage.center_of_mass(mask))


def papillary_muscle(label_map: np.ndarray, rng: Rng) -> np.ndarray | None:
    """A disk of myocardium, 2 or 3 pixels in radius, well inside the LV cavity."""
    lv = label_map == LV
    depth = ndimage.distance_transform_edt(np.pad(lv, 1))[1:-1, 1:-1]
    radius = int(rng.integers(2, 4))
    inside = np.argwhere(depth >= radius + 2)
    if not len(inside):
        return None
    out = label_map.copy()
    out[_disk(out.shape, inside[rng.integers(len(inside))], radius) & lv] = MYOCARDIUM
    return out


def open_myocardium(label_map: np.ndarray, rng: Rng) -> np.ndarray | None:
    """The myocardium within 15 to 25 degrees of the ray from the RV's centre through the LV's,
    set to background: the ring opens on the lateral wall."""
    lv, rv, myocardium = (label_map == label for label in (LV, RV, MYOCARDIUM))
    if not (lv.any() and rv.any() and myocardium.any()):
        return None
    centre = _centre(lv)
    away = centre - _centre(rv)
    rows, columns = np.indices(label_map.shape)
    angle_to_away = np.arctan2(rows - centre[0], columns - centre[1]) - np.arctan2(away[0], away[1])
    half_width = np.deg2rad(rng.uniform(15, 25))
    wedge = np.abs(np.angle(np.exp(1j * angle_to_away))) <= half_width
    out = label_map.copy()
    out[wedge & myocardium] = BACKGROUND
    return out


def detached_rv(label_map: np.ndarray, rng: Rng) -> np.ndarray | None:
    """The RV moved 3 to 5 pixels further from the LV's centre, painted over background only."""
    lv, rv = label_map == LV, label_map == RV
    if not (lv.any() and rv.any()):
        return None
    direction = _centre(rv) - _centre(lv)
    shift = direction / max(np.linalg.norm(direction), 1e-9) * rng.uniform(3, 5)
    moved = ndimage.shift(rv.astype(float), shift, order=0) > 0.5
    out = label_map.copy()
    out[rv] = BACKGROUND
    out[moved & (out == BACKGROUND)] = RV
    return out


def stray_rv(label_map: np.ndarray, rng: Rng) -> np.ndarray | None:
    """A disk of RV, 2 or 3 pixels in radius, at least 8 pixels from the heart and 4 from the edge."""
    heart = label_map != BACKGROUND
    if not heart.any():
        return None
    radius = int(rng.integers(2, 4))
    far = ndimage.distance_transform_edt(~heart) >= 8 + radius
    margin = radius + 4
    far[:margin], far[-margin:], far[:, :margin], far[:, -margin:] = False, False, False, False
    places = np.argwhere(far)
    if not len(places):
        return None
    out = label_map.copy()
    out[_disk(out.shape, places[rng.integers(len(places))], radius)] = RV
    return out


@dataclass(frozen=True)
class Corruption:
    """One kind of failure: how to draw it, and the criterion of CRITERIA it must make fail."""

    draw: Callable[[np.ndarray, Rng], np.ndarray | None]
    breaks: str


CORRUPTIONS = {
    "papillary muscle": Corruption(papillary_muscle, "hole in LV"),
    "open myocardium": Corruption(open_myocardium, "LV touches background"),
    "detached RV": Corruption(detached_rv, "RV detached from myocardium"),
    "stray RV": Corruption(stray_rv, "RV disconnected"),
}


@dataclass(frozen=True)
class CorruptedMaps:
    """Broken copies of some ground-truth maps: row ``i`` of ``maps`` is ``truth_rows[i]`` broken
    by ``kinds[i]``."""

    maps: np.ndarray  # (N, H, W) uint8
    truth_rows: np.ndarray  # (N,) rows of the maps given to corrupt_maps
    kinds: np.ndarray  # (N,) str, keys of CORRUPTIONS

    def __len__(self) -> int:
        return len(self.maps)

    def of_kind(self, kind: str) -> np.ndarray:
        """The rows (of this object) broken by ``kind``."""
        return np.flatnonzero(self.kinds == kind)


def corrupt_maps(label_maps: np.ndarray, per_kind: int, kinds=tuple(CORRUPTIONS), seed: int = 0,
                 spacing_mm=DEFAULT_SPACING_MM) -> CorruptedMaps:
    """Up to ``per_kind`` broken maps of each kind, from plausible maps of ``label_maps`` (N, H, W).

    Maps are tried in a random order (``seed``); each plausible map is broken by one kind at most,
    the kinds taking turns, and kept only if it then fails the criterion its kind breaks.
    """
    label_maps = np.asarray(label_maps)
    if label_maps.ndim != 3:
        raise ValueError(f"expected (N, H, W) label maps, got shape {label_maps.shape}")
    unknown = set(kinds) - set(CORRUPTIONS)
    if unknown:
        raise ValueError(f"unknown corruption {sorted(unknown)}: choose from {list(CORRUPTIONS)}")
    rng = np.random.default_rng(seed)
    wanted = {kind: per_kind for kind in kinds}
    maps, rows, names = [], [], []
    for row in rng.permutation(len(label_maps)):
        if not any(wanted.values()):
            break
        if not is_plausible(label_maps[row], spacing_mm):
            continue
        for kind in sorted(wanted, key=wanted.get, reverse=True):  # the kind furthest from its count first
            if not wanted[kind]:
                break
            broken = CORRUPTIONS[kind].draw(label_maps[row], rng)
            if broken is not None and CORRUPTIONS[kind].breaks in failed_criteria(broken, spacing_mm):
                maps.append(broken), rows.append(row), names.append(kind)
                wanted[kind] -= 1
                break
    return CorruptedMaps(np.array(maps, dtype=np.uint8).reshape(-1, *label_maps.shape[1:]),
                         np.array(rows, dtype=int), np.array(names, dtype=str))


@dataclass(frozen=True)
class RepairScore:
    """How a repair did on the broken maps of one kind (or ``"all"``): shares of maps, and Dice
    against the ground truth, pooled over those maps and averaged over RV, myocardium and LV."""

    kind: str
    maps: int
    plausible_before: float
    plausible_after: float
    criterion_fixed: float  # share no longer failing the criterion its kind broke
    dice_before: float
    dice_after: float


def repair_scores(truth_maps: np.ndarray, corrupted: CorruptedMaps, repaired: np.ndarray,
                  spacing_mm=DEFAULT_SPACING_MM) -> list[RepairScore]:
    """One :class:`RepairScore` per kind present in ``corrupted``, then one for all of them.

    ``truth_maps``: the maps given to :func:`corrupt_maps`; ``repaired``: what the repair made of
    ``corrupted.maps``, row for row.
    """
    repaired = np.asarray(repaired)
    if repaired.shape != corrupted.maps.shape:
        raise ValueError(f"repaired maps {repaired.shape} do not match the corrupted maps {corrupted.maps.shape}")
    truth = np.asarray(truth_maps)[corrupted.truth_rows]
    kinds = [kind for kind in CORRUPTIONS if len(corrupted.of_kind(kind))]
    groups = [(kind, corrupted.of_kind(kind)) for kind in kinds] + [("all", np.arange(len(corrupted)))]
    scores = []
    for kind, rows in groups:
        if not len(rows):
            continue
        fixed = [CORRUPTIONS[corrupted.kinds[row]].breaks not in failed_criteria(repaired[row], spacing_mm)
                 for row in rows]
        scores.append(RepairScore(
            kind, len(rows),
            float(np.mean([is_plausible(m, spacing_mm) for m in corrupted.maps[rows]])),
            float(np.mean([is_plausible(m, spacing_mm) for m in repaired[rows]])),
            float(np.mean(fixed)),
            _mean_dice(truth[rows], corrupted.maps[rows]), _mean_dice(truth[rows], repaired[rows])))
    return scores


def format_repair_scores(scores: list[RepairScore]) -> str:
    """The scores as a plain-text table, one line per kind."""
    lines = [f"{'broken by':18} {'maps':>5} {'plausible':>17} {'criterion':>10} {'Dice (mean)':>15}",
             f"{'':18} {'':>5} {'before':>8} {'after':>8} {'fixed':>10} {'before':>7} {'after':>7}"]
    for s in scores:
        lines.append(f"{s.kind:18} {s.maps:>5} {s.plausible_before:>8.1%} {s.plausible_after:>8.1%} "
                     f"{s.criterion_fixed:>10.1%} {s.dice_before:>7.3f} {s.dice_after:>7.3f}")
    return "\n".join(lines)


def _mean_dice(truth: np.ndarray, maps: np.ndarray) -> float:
    return float(np.mean(list(dice_per_structure(truth, maps).values())))
