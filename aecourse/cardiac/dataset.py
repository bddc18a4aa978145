"""Label conventions of the cardiac data and fast loading of one split of the prepared HDF5 file.

The file is made by :func:`aecourse.cardiac.acdc.convert_acdc` (schema in that module's
docstring), usually through ``make data`` or ``aecourse-prepare-cardiac``; where it lives is
:func:`aecourse.paths.cardiac_h5`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

GROUPS = ("NOR", "MINF", "DCM", "HCM", "RV")
"""ACDC diagnostic groups: normal, previous myocardial infarction, dilated cardiomyopathy,
hypertrophic cardiomyopathy, abnormal right ventricle."""

CLASS_NAMES = ("background", "RV", "myocardium", "LV")
"""Label values 0..3 of the ACDC ground truth (RV and LV are the blood cavities)."""

BACKGROUND, RV, MYOCARDIUM, LV = range(len(CLASS_NAMES))
PHASES = ("ED", "ES")
SPLITS = ("train", "val", "test")
DEFAULT_SPACING_MM = 1.5
"""In-plane pixel spacing of the prepared slices unless ``aecourse-prepare-cardiac --spacing`` says
otherwise (the file records it: :func:`pixel_spacing_mm`)."""
FILE_FORMAT = "aecourse-cardiac-h5/1"
MAKE_COMMAND = "`aecourse-prepare-cardiac --size N --out FILE` (in the course repository: `make data`)"


@dataclass(frozen=True)
class CardiacSplit:
    """All slices of one split; row ``i`` of every array describes the same 2-D slice."""

    images: np.ndarray  # (N, H, W) float32 in [0, 1]
    labels: np.ndarray  # (N, H, W) uint8, values 0..3 (see CLASS_NAMES)
    patients: np.ndarray  # (N,) str, e.g. "patient001"
    groups: np.ndarray  # (N,) str, one of GROUPS
    phases: np.ndarray  # (N,) str, "ED" or "ES"

    def __len__(self) -> int:
        return len(self.images)

    def take(self, rows) -> "CardiacSplit":
        """The slices at ``rows`` (an index array or a slice), e.g. a small subset for quick runs."""
        return CardiacSplit(self.images[rows], self.labels[rows], self.patients[rows],
                            self.groups[rows], self.phases[rows])

    def spread(self, n: int) -> "CardiacSplit":
        """At most ``n`` slices spread evenly over the split (all patients and groups represented)."""
        return self.take(np.unique(np.linspace(0, len(self) - 1, min(n, len(self))).astype(int)))


def load_split(h5_path: str | Path, split: str) -> CardiacSplit:
    """Load one split ("train", "val" or "test") of the prepared cardiac file into memory."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    with _open(h5_path) as h5:
        node = h5["splits"][split]
        return CardiacSplit(
            images=node["images"][()].astype(np.float32, copy=False),
            labels=node["labels"][()].astype(np.uint8, copy=False),
            patients=node["patients"][()].astype(str),
            groups=node["groups"][()].astype(str),
            phases=node["phases"][()].astype(str),
        )


def split_summary(h5_path: str | Path) -> dict[str, dict]:
    """Counts per split: ``{split: {"patients": n, "slices": n, "slices_per_group": {...}}}``."""
    summary = {}
    with _open(h5_path) as h5:
        for split in SPLITS:
            node = h5["splits"][split]
            groups = Counter(node["groups"][()].astype(str))
            summary[split] = {
                "patients": len(set(node["patients"][()].astype(str))),
                "slices": int(node["images"].shape[0]),
                "slices_per_group": {g: groups.get(g, 0) for g in GROUPS},
            }
    return summary


def pixel_spacing_mm(h5_path: str | Path) -> float:
    """In-plane pixel spacing (mm) of the slices in the prepared file, e.g. for the anatomy checks."""
    with _open(h5_path) as h5:
        return float(h5.attrs["spacing_mm"])


def is_synthetic(h5_path: str | Path) -> bool:
    """Whether the prepared file was converted from synthetic phantoms rather than real ACDC."""
    with _open(h5_path) as h5:
        return bool(h5.attrs.get("synthetic"))


def describe_file(h5_path: str | Path) -> str:
    """A short report: where the data comes from, slice size, patients and slices per split and group."""
    source = "synthetic phantoms in the ACDC layout" if is_synthetic(h5_path) else "ACDC data"
    with _open(h5_path) as h5:
        size = int(h5.attrs["size"])
    spacing = pixel_spacing_mm(h5_path)
    lines = [f"{Path(h5_path).name}: {source}, {size}x{size} slices at {spacing:g} mm, split by patient",
             f"{'split':6} {'patients':>8} {'slices':>7} " + " ".join(f"{g:>5}" for g in GROUPS)]
    for split, counts in split_summary(h5_path).items():
        per_group = " ".join(f"{counts['slices_per_group'][g]:>5}" for g in GROUPS)
        lines.append(f"{split:6} {counts['patients']:>8} {counts['slices']:>7} {per_group}")
    return "\n".join(lines)


def _open(h5_path: str | Path) -> h5py.File:
    """Open the prepared file read-only, with errors that say how to make or remake it."""
    path = Path(h5_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Cardiac data file {path} not found. Make it with {MAKE_COMMAND}; "
            "add `--acdc /path/to/ACDC` to use the real ACDC data instead of synthetic phantoms."
        )
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} cannot be read as HDF5 ({err}). Remake it with {MAKE_COMMAND}.") from err
    if h5.attrs.get("format") != FILE_FORMAT or "splits" not in h5:
        h5.close()
        raise ValueError(
            f"{path} is not a cardiac file of format {FILE_FORMAT}. Remake it with {MAKE_COMMAND}."
        )
    return h5
