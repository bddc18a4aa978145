"""Convert the official ACDC download into one HDF5 file of fixed-size 2-D slices.

Input (the ``database`` folder of the official download, or any folder laid out like it)::

    <acdc_root>/training/patient001/Info.cfg          ED: 1 / ES: 12 / Group: DCM / Height: 184.0 /
                                                      NbFrame: 30 / Weight: 95.0
    <acdc_root>/training/patient001/patient001_frame01.nii.gz      image (X, Y, Z)
    <acdc_root>/training/patient001/patient001_frame01_gt.nii.gz   labels 0 bg, 1 RV, 2 myo, 3 LV
    <acdc_root>/training/patient001/patient001_frame12[_gt].nii.gz (the ES frame)
    <acdc_root>/testing/patient101/...                              likewise

Only ``Info.cfg`` and the ED/ES frames with their ``_gt`` files are read (not ``_4d``).
``ED``, ``ES``, ``Group`` (one of NOR, MINF, DCM, HCM, RV), ``Height`` and ``Weight`` are
required in Info.cfg; ``NbFrame`` is optional. Anything missing or malformed raises
:class:`AcdcFormatError`, naming the file and how to fix it; ``out_path`` is then left as it was.

Processing of every volume (ED and ES of every patient):

1. the image is scaled to [0, 1] by its own 1st and 99th percentiles (clipped);
2. the in-plane grid is resampled to ``spacing_mm`` (linear for images, nearest neighbour for
   labels) and cropped/padded to ``size`` x ``size`` around the heart: the centre of the
   non-background voxels of the volume's label map (padding: 0 image, background label). The
   default 1.5 mm x 128 gives a 192 mm field: even a dilated heart (LV + RV, rarely more than
   ~120 mm across) keeps a margin; ``crop_margin_mm`` records it per volume (negative: cut);
3. a slice is kept when its resampled label map has at least ``MIN_FOREGROUND_PIXELS`` (10,
   about 22 mm^2) non-background pixels: slices above the base or beyond the apex carry no
   labels and would teach "empty heart" as a shape.

Splits, by patient: ``testing/`` -> ``test``; ``training/`` -> ``train`` / ``val``, stratified
by group (per group ``round(val_fraction * n)`` patients to val, at least 1 when the group has 2
or more, drawn with ``numpy.random.default_rng(seed)``).

HDF5 schema (``FILE_FORMAT`` = "aecourse-cardiac-h5/1"), H = W = ``size``::

    /                          attrs: format, size, spacing_mm, val_fraction, seed,
                                      min_foreground_pixels, class_names, groups, source,
                                      synthetic (the source holds phantoms.json: phantoms)
    /splits/<train|val|test>/  one row per kept slice, rows ordered patient, phase, slice
                               (chunks of 32 slices, gzip: ~0.5 s to load train):
        images       (N, H, W) float32 in [0, 1]; first axis of a slice = NIfTI X
        labels       (N, H, W) uint8 in 0..3
        patients     (N,) bytes  "patient001"
        groups       (N,) bytes  "NOR" ...
        phases       (N,) bytes  "ED" / "ES"
        slice_index  (N,) int16  z index of the slice in the original volume
    /patients/<patientXXX>/    attrs: group, height_cm, weight_kg, nb_frames (-1: absent),
                                      split, source_folder ("training" / "testing")
    /patients/<patientXXX>/<ED|ES>/
        attrs: frame, split, row_start, row_stop (rows of /splits/<split>/...),
               original_spacing_mm (3,), original_shape (3,), heart_centre_voxel (2,),
               crop_margin_mm (negative: labels cut by the crop), intensity_percentiles (2,)
        image, label, slice_index   views (HDF5 virtual datasets) of those rows

The file is written to a temporary file next to ``out_path`` and renamed at the end, so a
failed run leaves neither a partial file nor a damaged previous one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from .dataset import CLASS_NAMES, DEFAULT_SPACING_MM, FILE_FORMAT, GROUPS, PHASES, SPLITS
from .phantoms import MANIFEST_NAME

DEFAULT_SIZE = 128
MIN_FOREGROUND_PIXELS = 10
INTENSITY_PERCENTILES = (1.0, 99.0)
REQUIRED_INFO_KEYS = ("ED", "ES", "Group", "Height", "Weight")
SOURCE_FOLDERS = {"training": None, "testing": "test"}  # folder -> fixed split (None: train/val)
_CHUNK_SLICES = 32

_REDOWNLOAD = "restore it from the official ACDC download (re-extract the patient folder)"


class AcdcFormatError(ValueError):
    """The ACDC folder does not look like the official download; names the file and the fix."""

    def __init__(self, path: str | Path, problem: str, fix: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}. How to fix: {fix}.")


@dataclass(frozen=True)
class AcdcPatient:
    """One patient folder and its Info.cfg values."""

    patient_id: str
    folder: Path
    source_folder: str  # "training" or "testing"
    ed_frame: int
    es_frame: int
    group: str
    height_cm: float
    weight_kg: float
    nb_frames: int  # -1 when Info.cfg has no NbFrame

    def frame_paths(self, phase: str) -> tuple[Path, Path]:
        """(image, label) files of the ED or ES frame."""
        frame = self.ed_frame if phase == "ED" else self.es_frame
        stem = self.folder / f"{self.patient_id}_frame{frame:02d}"
        return Path(f"{stem}.nii.gz"), Path(f"{stem}_gt.nii.gz")


# ----------------------------------------------------------------------------- reading

def read_info(path: Path) -> dict[str, str]:
    """Parse an ACDC Info.cfg (``Key: value`` lines) and check the required keys are there."""
    fix = f"{_REDOWNLOAD}; it must hold the lines {', '.join(k + ': ...' for k in REQUIRED_INFO_KEYS)}"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise AcdcFormatError(path, f"cannot read Info.cfg ({err.__class__.__name__})", fix) from err
    info = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise AcdcFormatError(path, f"line {number} is not 'Key: value': {line!r}", fix)
        info[key.strip()] = value.strip()
    missing = [key for key in REQUIRED_INFO_KEYS if not info.get(key)]
    if missing:
        raise AcdcFormatError(path, f"Info.cfg lacks {', '.join(missing)}", fix)
    return info


def _read_patient(folder: Path, source_folder: str) -> AcdcPatient:
    path = folder / "Info.cfg"
    info = read_info(path)
    try:
        patient = AcdcPatient(
            patient_id=folder.name,
            folder=folder,
            source_folder=source_folder,
            ed_frame=int(info["ED"]),
            es_frame=int(info["ES"]),
            group=info["Group"],
            height_cm=float(info["Height"]),
            weight_kg=float(info["Weight"]),
            nb_frames=int(info.get("NbFrame", -1)),
        )
    except ValueError as err:
        raise AcdcFormatError(path, f"a value is not a number ({err})",
                              "ED, ES and NbFrame must be integers, Height and Weight numbers") from err
    if patient.group not in GROUPS:
        raise AcdcFormatError(path, f"unknown Group {patient.group!r}", f"use one of {', '.join(GROUPS)}")
    return patient


def find_patients(acdc_root: str | Path) -> list[AcdcPatient]:
    """All patients of ``training/`` then ``testing/`` (sorted), with their Info.cfg read."""
    root = Path(acdc_root)
    if not any((root / name).is_dir() for name in SOURCE_FOLDERS) and (root / "database").is_dir():
        root = root / "database"  # the official archive unpacks to ACDC/database/{training,testing}
    patients = [
        _read_patient(folder, name)
        for name in SOURCE_FOLDERS
        if (root / name).is_dir()
        for folder in sorted((root / name).glob("patient*"))
        if folder.is_dir()
    ]
    if not patients:
        raise AcdcFormatError(
            root, "no patient folders (training/patientXXX or testing/patientXXX) found",
            "pass the folder that holds ACDC's training/ and testing/ folders "
            "(the 'database' folder of the official download)")
    return patients


def _load_nifti(path: Path, role: str) -> tuple[np.ndarray, tuple[float, ...]]:
    """Data and voxel spacing of a 3-D NIfTI (trailing singleton axes dropped)."""
    if not path.is_file():
        raise AcdcFormatError(
            path, f"{role} file is missing",
            f"{_REDOWNLOAD}, or correct ED/ES in {path.parent / 'Info.cfg'} (they name the frames)")
    try:
        nifti = nib.load(path)
        data = np.asanyarray(nifti.dataobj)
        spacing = tuple(float(z) for z in nifti.header.get_zooms()[:3])
    except Exception as err:  # nibabel, gzip and zlib raise many types for damaged files
        raise AcdcFormatError(path, f"cannot be read as NIfTI ({err.__class__.__name__}: {err})",
                              _REDOWNLOAD) from err
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise AcdcFormatError(path, f"expected a 3-D volume (X, Y, Z), got shape {data.shape}",
                              f"{_REDOWNLOAD}; the frame files are 3-D, the _4d file is not used")
    return data, spacing


def _load_frame(patient: AcdcPatient, phase: str):
    """Image (float32), labels (uint8) and voxel spacing of one phase, checked."""
    image_path, label_path = patient.frame_paths(phase)
    image, spacing = _load_nifti(image_path, f"{phase} image")
    labels, _ = _load_nifti(label_path, f"{phase} label")
    if image.shape != labels.shape:
        raise AcdcFormatError(
            label_path, f"label shape {labels.shape} differs from image shape {image.shape} "
            f"of {image_path.name}", f"{_REDOWNLOAD}; the _gt file must label the same frame")
    if not np.array_equal(labels, np.round(labels)) or labels.min() < 0 or labels.max() > 3:
        bad = np.unique(labels[(labels < 0) | (labels > 3) | (labels != np.round(labels))])
        raise AcdcFormatError(
            label_path, f"labels must be 0..3 (background, RV, myocardium, LV), found {bad[:10].tolist()}",
            f"{_REDOWNLOAD}; other label files (e.g. another tool's output) are not ACDC ground truth")
    return image.astype(np.float32), labels.astype(np.uint8), spacing


# ----------------------------------------------------------------------------- resampling

@dataclass(frozen=True)
class CroppedVolume:
    """One volume as kept slices of ``size`` x ``size`` and what was done to it."""

    images: np.ndarray  # (n, size, size) float32
    labels: np.ndarray  # (n, size, size) uint8
    slice_index: np.ndarray  # (n,) z index in the original volume
    heart_centre_voxel: np.ndarray  # (2,) x, y
    crop_margin_mm: float
    intensity_percentiles: np.ndarray  # (2,) original intensities mapped to 0 and 1


def normalise_intensity(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale by the volume's percentiles to [0, 1]; returns the image and the percentiles."""
    low, high = np.percentile(image, INTENSITY_PERCENTILES)
    scaled = (image - low) / max(high - low, 1e-6)
    return np.clip(scaled, 0, 1).astype(np.float32), np.array([low, high])


def crop_volume(image: np.ndarray, labels: np.ndarray, spacing_xy: tuple[float, float],
                size: int = DEFAULT_SIZE, spacing_mm: float = DEFAULT_SPACING_MM) -> CroppedVolume:
    """Resample in-plane to ``spacing_mm`` and crop/pad ``size`` x ``size`` around the heart."""
    foreground = labels > 0
    if foreground.any():
        xs, ys = np.nonzero(foreground.any(axis=2))
        weights = foreground.sum(axis=2)[xs, ys]
        centre = np.array([np.average(xs, weights=weights), np.average(ys, weights=weights)])
        extent_mm = np.max(np.abs(np.stack([xs, ys], 1) - centre) * np.asarray(spacing_xy), axis=0)
        margin = float(size * spacing_mm / 2 - extent_mm.max())
    else:
        centre, margin = (np.array(image.shape[:2]) - 1) / 2, float(size * spacing_mm / 2)
    step = np.array([spacing_mm / spacing_xy[0], spacing_mm / spacing_xy[1], 1.0])  # input voxels
    offset = np.array([*(centre - step[:2] * (size - 1) / 2), 0.0])
    out_shape = (size, size, image.shape[2])
    normalised, percentiles = normalise_intensity(image)
    resampled = [
        ndimage.affine_transform(volume, step, offset, output_shape=out_shape, order=order,
                                 mode="constant", cval=0).transpose(2, 0, 1)
        for volume, order in ((normalised, 1), (labels, 0))
    ]
    keep = np.flatnonzero((resampled[1] > 0).sum(axis=(1, 2)) >= MIN_FOREGROUND_PIXELS)
    return CroppedVolume(resampled[0][keep], resampled[1][keep], keep.astype(np.int16),
                         centre, margin, percentiles)


# ----------------------------------------------------------------------------- splits

def split_patients(patients: list[AcdcPatient], val_fraction: float = 0.2, seed: int = 0) -> dict[str, str]:
    """Patient id -> "train" / "val" / "test"; training patients stratified by group."""
    splits = {p.patient_id: SOURCE_FOLDERS[p.source_folder] for p in patients}
    rng = np.random.default_rng(seed)
    for group in GROUPS:
        ids = sorted(p.patient_id for p in patients if p.group == group and splits[p.patient_id] is None)
        n_val = int(round(val_fraction * len(ids)))
        if val_fraction > 0 and len(ids) >= 2:
            n_val = min(max(n_val, 1), len(ids) - 1)
        for position, patient_id in enumerate(rng.permutation(ids)):
            splits[str(patient_id)] = "val" if position < n_val else "train"
    return splits


# ----------------------------------------------------------------------------- writing

class _SplitWriter:
    """Appends slices to the resizable flat arrays of one split, in blocks of several chunks."""

    def __init__(self, h5: h5py.File, split: str, size: int):
        node = h5.require_group(f"splits/{split}")
        stack = dict(shape=(0, size, size), maxshape=(None, size, size), chunks=(_CHUNK_SLICES, size, size),
                     compression="gzip", shuffle=True)
        self.arrays = {
            "images": node.create_dataset("images", dtype=np.float32, compression_opts=1, **stack),
            "labels": node.create_dataset("labels", dtype=np.uint8, compression_opts=4, **stack),
        }
        columns = (("patients", "S32"), ("groups", "S4"), ("phases", "S2"), ("slice_index", np.int16))
        for name, dtype in columns:
            self.arrays[name] = node.create_dataset(name, (0,), dtype, maxshape=(None,), chunks=(1024,))
        self.rows = 0
        self.pending: list[dict[str, np.ndarray]] = []

    def append(self, volume: CroppedVolume, patient: AcdcPatient, phase: str) -> tuple[int, int]:
        """Queue one volume's kept slices; returns their rows (start, stop) in the split."""
        n = len(volume.images)
        self.pending.append({"images": volume.images, "labels": volume.labels,
                             "slice_index": volume.slice_index, "patients": [patient.patient_id] * n,
                             "groups": [patient.group] * n, "phases": [phase] * n})
        self.rows += n
        if sum(len(block["images"]) for block in self.pending) >= 8 * _CHUNK_SLICES:
            self.flush()
        return self.rows - n, self.rows

    def flush(self) -> None:
        """Write the queued slices (few, large writes: a compressed chunk is not rewritten often)."""
        if not self.pending:
            return
        for name, array in self.arrays.items():
            values = np.concatenate([np.asarray(block[name], dtype=array.dtype) for block in self.pending])
            start = array.shape[0]
            array.resize(start + len(values), axis=0)
            array[start:] = values
        self.pending = []


def _add_views(h5: h5py.File, node: h5py.Group, split: str, rows: tuple[int, int]) -> None:
    """Per-volume ``image``/``label``/``slice_index`` as virtual views of the split's rows."""
    for view, name in (("image", "images"), ("label", "labels"), ("slice_index", "slice_index")):
        source = h5[f"splits/{split}/{name}"]
        layout = h5py.VirtualLayout((rows[1] - rows[0], *source.shape[1:]), source.dtype)
        layout[...] = h5py.VirtualSource(".", source.name, shape=source.shape)[rows[0]:rows[1]]
        node.create_virtual_dataset(view, layout)


def _write_patient(h5: h5py.File, writer: _SplitWriter, patient: AcdcPatient, split: str,
                   size: int, spacing_mm: float) -> list[tuple[h5py.Group, tuple[int, int]]]:
    node = h5.create_group(f"patients/{patient.patient_id}")
    node.attrs.update(group=patient.group, height_cm=patient.height_cm, weight_kg=patient.weight_kg,
                      nb_frames=patient.nb_frames, split=split, source_folder=patient.source_folder)
    volumes = []
    for phase in PHASES:
        image, labels, spacing = _load_frame(patient, phase)
        volume = crop_volume(image, labels, spacing[:2], size, spacing_mm)
        rows = writer.append(volume, patient, phase)
        phase_node = node.create_group(phase)
        phase_node.attrs.update(
            frame=patient.ed_frame if phase == "ED" else patient.es_frame, split=split,
            row_start=rows[0], row_stop=rows[1], original_spacing_mm=spacing, original_shape=image.shape,
            heart_centre_voxel=volume.heart_centre_voxel, crop_margin_mm=volume.crop_margin_mm,
            intensity_percentiles=volume.intensity_percentiles)
        volumes.append((phase_node, rows))
    return volumes


def convert_acdc(acdc_root: str | Path, out_path: str | Path, size: int = DEFAULT_SIZE,
                 spacing_mm: float = DEFAULT_SPACING_MM, val_fraction: float = 0.2, seed: int = 0,
                 progress: bool = True) -> Path:
    """Convert an ACDC folder into the HDF5 file ``out_path`` (schema in the module docstring)."""
    if size < 8 or spacing_mm <= 0 or not 0 <= val_fraction < 1:
        raise ValueError("need size >= 8, spacing_mm > 0 and 0 <= val_fraction < 1")
    patients = find_patients(acdc_root)
    splits = split_patients(patients, val_fraction, seed)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp_name = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")  # same folder: atomic rename
    try:
        with h5py.File(temp_name, "w") as h5:
            h5.attrs.update(format=FILE_FORMAT, size=size, spacing_mm=spacing_mm, val_fraction=val_fraction,
                            seed=seed, min_foreground_pixels=MIN_FOREGROUND_PIXELS,
                            class_names=list(CLASS_NAMES), groups=list(GROUPS),
                            source=str(Path(acdc_root).resolve()),
                            synthetic=(Path(acdc_root) / MANIFEST_NAME).is_file())
            writers = {split: _SplitWriter(h5, split, size) for split in SPLITS}
            views = []
            ordered = sorted(patients, key=lambda p: (SPLITS.index(splits[p.patient_id]), p.patient_id))
            for patient in tqdm(ordered, desc="ACDC -> HDF5", unit="patient", disable=not progress):
                split = splits[patient.patient_id]
                for node, rows in _write_patient(h5, writers[split], patient, split, size, spacing_mm):
                    views.append((node, split, rows))
            for writer in writers.values():
                writer.flush()
            for node, split, rows in views:  # after the last resize: views have fixed shapes
                _add_views(h5, node, split, rows)
        os.replace(temp_name, out_path)
    except BaseException:
        temp_name.unlink(missing_ok=True)
        raise
    return out_path
