"""Synthetic cardiac cine-MR short-axis exams, written in the exact layout of the ACDC data set.

Real ACDC cannot be redistributed, so the course (and its tests) run the real converter
(:mod:`aecourse.cardiac.acdc`) on these phantoms when ACDC is not at hand::

    <root>/training/patient001/Info.cfg                      "ED: 1", "ES: 12", "Group: DCM", ...
    <root>/training/patient001/patient001_frame01.nii.gz     image, (X, Y, Z) int16
    <root>/training/patient001/patient001_frame01_gt.nii.gz  labels, (X, Y, Z) uint8
    <root>/training/patient001/patient001_frame12[_gt].nii.gz
    <root>/testing/patient101/...                            likewise

(no ``patientXXX_4d.nii.gz``: only the labelled ED and ES frames are written). The voxel
spacing is in the NIfTI header; the labels are 0 background, 1 RV cavity, 2 myocardium,
3 LV cavity.

Anatomy model. Each slice is drawn in polar coordinates around the LV axis, in millimetres:
the LV cavity and the myocardium are star-shaped about it (so the myocardium always encloses
the cavity) and the RV cavity is a crescent of the LV's outer wall around the septum, so it
touches the myocardium. Along the long axis (``s`` = 0 at the base, 1 at the apex) the LV is
two nested half-ellipsoids: the epicardium ends at ``s`` = 1, the cavity earlier (at
``s`` = ``cavity_length``, 0.86-0.91), so the apical slices show a myocardial disk and no
cavity; the RV ends before both (``rv_length``, 0.72-0.85). End-systole keeps
the myocardial area of every angular sector of end-diastole (the wall is incompressible), so
a smaller cavity gives a thicker wall. The groups differ as in :data:`GROUP_SHAPES` (DCM: big
cavity, thin wall, weak contraction; HCM: thick wall, thicker septum, small cavity; MINF: a
thinned akinetic sector; RV: a wide, weakly contracting RV). Each patient also gets a random
pose (centre +-25 mm, rotation +-40 degrees, long-axis tilt), size, smooth shape harmonics and a
smooth elastic warp (invertible: its gradient stays below 0.7, so no label tears or folds).
The 6-12 slices run from near the base to around the apex; one past the apex is empty, as
happens in real stacks.

Images: one intensity per tissue (blood, myocardium, papillary muscles, pericardial fat) over
a chest (body, subcutaneous fat, lungs, aorta, spine, liver towards the apex), then blur, a
smooth multiplicative bias field and Rician noise, stored as int16.

Everything is deterministic given the seed: each patient draws from its own
``numpy.random.SeedSequence`` child, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from .dataset import GROUPS, LV, MYOCARDIUM, PHASES, RV

PHANTOM_VERSION = 1
MANIFEST_NAME = "phantoms.json"

SLICE_COUNTS = np.arange(6, 13)  # slices per volume, 6..12 ...
SLICE_COUNT_WEIGHTS = np.array([2, 3, 6, 12, 22, 25, 30]) / 100  # ... about 10.4 on average
SLICE_SPACINGS_MM = np.array([5.0, 6.5, 7.0, 8.0, 10.0])
SLICE_SPACING_WEIGHTS = np.array([0.1, 0.1, 0.1, 0.1, 0.6])
MIN_RV_PIXELS = 8  # smaller RV remnants near its tip are dropped, as annotators do

_N_ANGLES = 1024  # resolution of the lookup tables of the angular profiles
_ANGLES = -np.pi + (np.arange(_N_ANGLES) + 0.5) * (2 * np.pi / _N_ANGLES)


@dataclass(frozen=True)
class GroupShape:
    """Uniform ranges (low, high) of the shape parameters of one diagnostic group."""

    lv_cavity_mm: tuple[float, float]  # ED LV cavity radius at the base
    wall_mm: tuple[float, float]  # ED wall thickness at the base
    lv_contraction: tuple[float, float]  # ES / ED endocardial radius
    rv_width_mm: tuple[float, float]  # ED width of the RV crescent at the base
    rv_half_angle_deg: tuple[float, float]  # how far the RV wraps around the LV, each side
    rv_contraction: tuple[float, float]  # ES / ED RV width
    septal_thickening: tuple[float, float] = (0.0, 0.0)  # extra relative septal thickness
    infarct: bool = False  # a thinned, akinetic sector of the wall


GROUP_SHAPES = {
    "NOR": GroupShape((22, 26), (7.5, 9.5), (0.62, 0.72), (16, 22), (65, 80), (0.55, 0.70)),
    "MINF": GroupShape((25, 30), (7.5, 9.0), (0.78, 0.86), (16, 22), (65, 80), (0.60, 0.75),
                       infarct=True),
    "DCM": GroupShape((31, 37), (5.0, 6.5), (0.86, 0.94), (16, 24), (65, 80), (0.75, 0.90)),
    "HCM": GroupShape((18, 22), (13, 17), (0.50, 0.60), (14, 20), (60, 75), (0.55, 0.70),
                      septal_thickening=(0.2, 0.5)),
    "RV": GroupShape((21, 25), (7.0, 9.0), (0.64, 0.74), (30, 40), (85, 100), (0.80, 0.92)),
}


@dataclass
class PhantomExam:
    """One synthetic exam: ED and ES volumes (X, Y, Z), spacing in mm and Info.cfg values."""

    group: str
    images: dict[str, np.ndarray]  # phase -> int16 volume
    labels: dict[str, np.ndarray]  # phase -> uint8 volume
    spacing_mm: tuple[float, float, float]
    info: dict[str, object]  # ED, ES, Group, Height, NbFrame, Weight
    slice_positions: np.ndarray  # s of every slice: 0 base, 1 apex


@dataclass(frozen=True)
class _Heart:
    """Shape parameters of one patient (mm, radians) and its angular lookup tables."""

    epi_radius: float
    wall: float
    lv_contraction: float
    rv_width: float
    rv_half_angle: float
    rv_contraction: float
    cavity_length: float  # s where the LV cavity ends
    rv_length: float  # s where the RV ends
    infarct_thinning: float  # wall factor in the infarct (1: no infarct)
    infarct_start: float  # s where the infarct begins (it runs to the apex)
    epi_lut: np.ndarray  # relative epicardial radius per angle
    wall_lut: np.ndarray  # relative wall thickness per angle (septal thickening included)
    infarct_lut: np.ndarray  # 0..1 weight of the infarct per angle
    rv_lut: np.ndarray  # relative RV width per angle
    fat_lut: np.ndarray  # pericardial fat thickness per angle, mm


@dataclass(frozen=True)
class _Pose:
    centre_mm: np.ndarray  # LV axis at the base, from the middle of the field of view
    tilt_mm: np.ndarray  # drift of the LV axis from base to apex
    rotation: float  # direction of the septum / RV
    warp_amplitude_mm: np.ndarray  # (K, 2) elastic warp: sum of K smooth sine waves
    warp_wavevector: np.ndarray  # (K, 2) rad / mm
    warp_phase: np.ndarray  # (K,)


# ----------------------------------------------------------------------------- sampling

def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def _harmonics(rng: np.random.Generator, amplitude: float, orders=(2, 3, 4)) -> np.ndarray:
    """A smooth random relative profile 1 + sum_k a_k cos(k theta + phi_k) on _ANGLES."""
    profile = np.ones(_N_ANGLES)
    for order in orders:
        profile += rng.uniform(0, amplitude) * np.cos(order * _ANGLES + rng.uniform(0, 2 * np.pi))
    return profile


def _sector(centre: float, half_width: float) -> np.ndarray:
    """Smooth 0..1 window (cos^2) on _ANGLES, 1 at ``centre``, 0 beyond ``half_width``."""
    offset = np.angle(np.exp(1j * (_ANGLES - centre)))
    return np.where(np.abs(offset) < half_width,
                    np.cos(0.5 * np.pi * offset / half_width) ** 2, 0.0)


def _sample_heart(shape: GroupShape, rng: np.random.Generator) -> _Heart:
    cavity, wall = _uniform(rng, shape.lv_cavity_mm), _uniform(rng, shape.wall_mm)
    epi_lut = _harmonics(rng, 0.03) + rng.uniform(0, 0.06) * np.cos(2 * (_ANGLES - rng.uniform(0, np.pi)))
    septum = _sector(0.0, np.radians(55))
    wall_lut = _harmonics(rng, 0.06) * (1 + _uniform(rng, shape.septal_thickening) * septum)
    infarct_lut = np.zeros(_N_ANGLES)
    thinning, infarct_start = 1.0, 1.0
    if shape.infarct:  # anywhere but the septum: anterior, lateral or inferior
        centre = rng.uniform(np.radians(70), np.radians(290))
        infarct_lut = _sector(centre, np.radians(rng.uniform(35, 55)))
        thinning, infarct_start = rng.uniform(0.35, 0.50), rng.uniform(0.0, 0.5)
    fat_lut = rng.uniform(2.5, 5.0) * (_sector(np.radians(rng.uniform(60, 100)), 0.6)
                                       + _sector(-np.radians(rng.uniform(60, 100)), 0.6))
    return _Heart(
        epi_radius=cavity + wall,
        wall=wall,
        lv_contraction=_uniform(rng, shape.lv_contraction),
        rv_width=_uniform(rng, shape.rv_width_mm),
        rv_half_angle=np.radians(_uniform(rng, shape.rv_half_angle_deg)),
        rv_contraction=_uniform(rng, shape.rv_contraction),
        cavity_length=rng.uniform(0.86, 0.91),
        rv_length=rng.uniform(0.72, 0.85),
        infarct_thinning=thinning,
        infarct_start=infarct_start,
        epi_lut=epi_lut,
        wall_lut=wall_lut,
        infarct_lut=infarct_lut,
        rv_lut=_harmonics(rng, 0.05, orders=(1, 2, 3)),
        fat_lut=fat_lut,
    )


def _sample_pose(rng: np.random.Generator) -> _Pose:
    n_waves = 3
    wavelength = rng.uniform(60, 120, n_waves)  # mm; |amplitude| <= 2.1 mm: |gradient| < 0.7
    direction = rng.uniform(0, 2 * np.pi, n_waves)
    wavevector = (2 * np.pi / wavelength)[:, None] * np.stack([np.cos(direction), np.sin(direction)], 1)
    return _Pose(
        centre_mm=rng.uniform(-25, 25, 2),
        tilt_mm=rng.uniform(-8, 8, 2),
        rotation=np.radians(200 + rng.uniform(-40, 40)),
        warp_amplitude_mm=rng.uniform(-1.5, 1.5, (n_waves, 2)),
        warp_wavevector=wavevector,
        warp_phase=rng.uniform(0, 2 * np.pi, n_waves),
    )


def _sample_info(group: str, rng: np.random.Generator) -> dict[str, object]:
    """Info.cfg values, in the key order of ACDC."""
    n_frames = int(rng.choice([25, 28, 30, 30, 30, 35]))
    ed = 1 if rng.random() < 0.9 else int(rng.integers(2, 4))
    es = ed + int(round(n_frames * rng.uniform(0.30, 0.42)))
    return {"ED": ed, "ES": es, "Group": group,
            "Height": round(float(rng.uniform(150, 195)), 1),
            "NbFrame": n_frames,
            "Weight": round(float(rng.uniform(50, 115)), 1)}


# ----------------------------------------------------------------------------- geometry

@dataclass(frozen=True)
class _Polar:
    """Per-pixel coordinates about the LV axis of one slice, mm (shared by ED and ES)."""

    u: np.ndarray  # heart frame: septum and RV along +u
    v: np.ndarray
    r: np.ndarray
    angle: np.ndarray  # -pi..pi, 0 at the septum
    angle_index: np.ndarray  # index into the angular lookup tables


@dataclass(frozen=True)
class _SliceRadii:
    """Boundaries of the structures of one slice and phase, per pixel, mm."""

    polar: _Polar
    endo: np.ndarray  # LV cavity boundary
    epi: np.ndarray  # outer myocardial boundary
    rv_outer: np.ndarray  # outer RV boundary (== epi outside the RV sector)
    mean_endo: float  # typical cavity radius of the slice (for papillary muscles)


def _warped_grid(shape_xy: tuple[int, int], spacing: float, pose: _Pose) -> np.ndarray:
    """Physical coordinates (2, X, Y) of every pixel after the smooth elastic warp."""
    axes = [(np.arange(n, dtype=np.float32) - (n - 1) / 2) * spacing for n in shape_xy]
    xy = np.stack(np.meshgrid(*axes, indexing="ij"))
    warped = xy.copy()
    for amplitude, wavevector, phase in zip(pose.warp_amplitude_mm, pose.warp_wavevector, pose.warp_phase):
        wave = np.sin(wavevector[0] * xy[0] + wavevector[1] * xy[1] + phase)
        warped += amplitude[:, None, None].astype(np.float32) * wave
    return warped


def _half_ellipsoid(s: float) -> float:
    """Relative radius of a half-ellipsoid at relative depth ``s``: 1 at 0, 0 from 1 on."""
    return float(np.sqrt(max(0.0, 1 - s * s)))


def _polar(pose: _Pose, grid: np.ndarray, s: float) -> _Polar:
    """Coordinates about the (tilted) LV axis at slice position ``s``."""
    centre = pose.centre_mm + pose.tilt_mm * s
    dx, dy = grid[0] - centre[0], grid[1] - centre[1]
    cos, sin = np.cos(pose.rotation), np.sin(pose.rotation)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy
    angle = np.arctan2(v, u)
    index = ((angle + np.pi) * (_N_ANGLES / (2 * np.pi))).astype(np.intp) % _N_ANGLES
    return _Polar(u, v, np.hypot(u, v), angle, index)


def _slice_radii(heart: _Heart, polar: _Polar, s: float, phase: str) -> _SliceRadii:
    """Boundaries of the LV cavity, myocardium and RV for slice position ``s`` and ``phase``."""
    idx = polar.angle_index
    outer_profile = _half_ellipsoid(s)
    cavity_profile = _half_ellipsoid(s / heart.cavity_length)
    infarct_here = float(np.clip((s - heart.infarct_start) / 0.1, 0, 1))
    infarct = heart.infarct_lut[idx] * infarct_here
    base_epi = heart.epi_radius * heart.epi_lut[idx]
    base_wall = heart.wall * heart.wall_lut[idx] * (1 - (1 - heart.infarct_thinning) * infarct)
    epi = base_epi * outer_profile
    endo = np.maximum(base_epi - base_wall, 1.0) * cavity_profile
    mean_endo = (heart.epi_radius - heart.wall) * cavity_profile
    rv_width = heart.rv_width
    if phase == "ES":  # contraction at constant myocardial area per sector; infarct akinetic
        contraction = heart.lv_contraction + (1 - heart.lv_contraction) * infarct
        endo_es = contraction * endo
        epi = np.sqrt(endo_es ** 2 + epi ** 2 - endo ** 2)
        endo = endo_es
        mean_endo *= heart.lv_contraction
        rv_width *= heart.rv_contraction

    rv_profile = _half_ellipsoid(s / heart.rv_length)
    half_angle = heart.rv_half_angle * (0.6 + 0.4 * rv_profile)
    crescent = np.clip(1 - (polar.angle / half_angle) ** 2, 0, None) ** 0.75
    rv_outer = epi + rv_width * rv_profile * heart.rv_lut[idx] * crescent
    return _SliceRadii(polar, endo, epi, rv_outer, mean_endo)


def _slice_labels(radii: _SliceRadii) -> np.ndarray:
    """Label map of one slice; the RV keeps its largest part only (a crescent's tip may break)."""
    r = radii.polar.r
    labels = np.zeros(r.shape, np.uint8)
    rv = (r >= radii.epi) & (r < radii.rv_outer)
    if rv.any():
        parts, n_parts = ndimage.label(rv)
        sizes = np.bincount(parts.ravel())[1:]
        rv = parts == 1 + int(np.argmax(sizes)) if sizes.max() >= MIN_RV_PIXELS else np.zeros_like(rv)
    labels[rv] = RV
    labels[r < radii.epi] = MYOCARDIUM
    labels[r < radii.endo] = LV
    return labels


# ----------------------------------------------------------------------------- images

@dataclass(frozen=True)
class _Scene:
    """Tissue intensities and the static chest around the heart (X, Y)."""

    blood: float
    myocardium: float
    fat: float
    soft_tissue: float
    liver: float
    chest: np.ndarray  # intensity of the chest without the heart and liver
    liver_mask: np.ndarray  # where the liver is, once it shows (apical slices)


def _ellipse(grid: np.ndarray, centre, semi_axes) -> np.ndarray:
    return ((grid[0] - centre[0]) / semi_axes[0]) ** 2 + ((grid[1] - centre[1]) / semi_axes[1]) ** 2 < 1


def _sample_scene(grid: np.ndarray, pose: _Pose, rng: np.random.Generator) -> _Scene:
    blood = rng.uniform(0.85, 1.0)
    soft, fat, lung = rng.uniform(0.28, 0.38), rng.uniform(0.70, 0.90), rng.uniform(0.03, 0.08)
    body_centre = pose.centre_mm + rng.uniform([-40, 10], [-20, 30])
    body_axes = rng.uniform([150, 105], [185, 130])
    fat_layer = rng.uniform(6, 15)
    chest = np.zeros(grid.shape[1:], np.float32)
    chest[_ellipse(grid, body_centre, body_axes)] = fat
    chest[_ellipse(grid, body_centre, body_axes - fat_layer)] = soft
    for side in (-1, 1):
        lung_centre = body_centre + [side * rng.uniform(70, 90), rng.uniform(-10, 10)]
        chest[_ellipse(grid, lung_centre, rng.uniform([45, 65], [60, 85]))] = lung
    spine_centre = body_centre + [0, -rng.uniform(70, 85)]
    chest[_ellipse(grid, spine_centre, (16, 16))] = 0.2
    aorta_centre = spine_centre + [rng.uniform(15, 30), rng.uniform(15, 25)]
    aorta_radius = rng.uniform(10, 14)
    chest[_ellipse(grid, aorta_centre, (aorta_radius, aorta_radius))] = 0.9 * blood
    liver_centre = body_centre + rng.uniform([-60, 10], [-40, 40])
    liver_mask = _ellipse(grid, liver_centre, rng.uniform([70, 50], [90, 70]))
    return _Scene(blood, rng.uniform(0.22, 0.32), fat, soft, rng.uniform(0.35, 0.45), chest, liver_mask)


def _slice_image(scene: _Scene, radii: _SliceRadii, labels: np.ndarray, heart: _Heart, s: float,
                 papillary_angles: np.ndarray) -> np.ndarray:
    """Noise-free intensities of one slice."""
    polar = radii.polar
    image = scene.chest.copy()
    if s > 0.5:
        image[scene.liver_mask] = scene.liver
    image[polar.r < radii.rv_outer + 10] = scene.soft_tissue  # mediastinum hugging the heart
    image[polar.r < radii.epi + heart.fat_lut[polar.angle_index]] = scene.fat
    image[labels == MYOCARDIUM] = scene.myocardium
    image[labels == RV] = 0.95 * scene.blood
    image[labels == LV] = scene.blood
    if radii.mean_endo > 8:  # papillary muscles: dark in the image, labelled as LV cavity
        for angle in papillary_angles:
            centre = 0.7 * radii.mean_endo * np.array([np.cos(angle), np.sin(angle)])
            muscle = (polar.u - centre[0]) ** 2 + (polar.v - centre[1]) ** 2 < (0.15 * radii.mean_endo) ** 2
            image[muscle & (labels == LV)] = scene.myocardium
    return image


def _acquire(volume: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, smooth bias field and Rician noise; returns an int16 volume."""
    blur = rng.uniform(0.4, 0.9)  # pixels, in-plane only
    volume = ndimage.gaussian_filter(volume, sigma=(blur, blur, 0))
    nx, ny, _ = volume.shape
    x = np.linspace(-1, 1, nx, dtype=np.float32)[:, None]
    y = np.linspace(-1, 1, ny, dtype=np.float32)[None, :]
    a, b, c = rng.uniform(-0.3, 0.3, 3)
    volume *= np.exp(a * x + b * y + c * (x * x + y * y))[:, :, None]
    sigma = rng.uniform(0.015, 0.04)
    noise = rng.standard_normal((2, *volume.shape), dtype=np.float32) * sigma
    volume = np.sqrt((volume + noise[0]) ** 2 + noise[1] ** 2)
    return np.round(volume * rng.uniform(300, 900)).astype(np.int16)


# ----------------------------------------------------------------------------- exams

def sample_acquisition(rng: np.random.Generator) -> tuple[tuple[int, int], float, float, np.ndarray]:
    """Matrix (X, Y), in-plane and slice spacing (mm) and slice positions (0 base, 1 apex).

    The first draws of :func:`make_exam`: a patient's slice count is known without the exam.
    """
    shape_xy = tuple(int(n) for n in rng.integers(200, 261, 2))
    n_slices = int(rng.choice(SLICE_COUNTS, p=SLICE_COUNT_WEIGHTS))
    pixel = round(float(rng.uniform(1.37, 1.68)), 4)
    slice_spacing = float(rng.choice(SLICE_SPACINGS_MM, p=SLICE_SPACING_WEIGHTS))
    positions = np.linspace(rng.uniform(0.0, 0.08), rng.uniform(0.93, 1.02), n_slices)
    return shape_xy, pixel, slice_spacing, positions


def make_exam(group: str, rng: np.random.Generator) -> PhantomExam:
    """Draw one synthetic exam of diagnostic ``group`` (one of GROUPS)."""
    if group not in GROUP_SHAPES:
        raise ValueError(f"group must be one of {GROUPS}, not {group!r}")
    shape_xy, pixel, slice_spacing, positions = sample_acquisition(rng)
    heart = _sample_heart(GROUP_SHAPES[group], rng)
    pose = _sample_pose(rng)
    grid = _warped_grid(shape_xy, pixel, pose)
    scene = _sample_scene(grid, pose, rng)
    papillary_angles = np.radians(180 + np.array([-1, 1]) * rng.uniform(35, 60))

    volume_shape = (*shape_xy, len(positions))
    labels = {phase: np.zeros(volume_shape, np.uint8) for phase in PHASES}
    images = {phase: np.zeros(volume_shape, np.float32) for phase in PHASES}
    for k, s in enumerate(positions):
        polar = _polar(pose, grid, s)
        for phase in PHASES:
            radii = _slice_radii(heart, polar, s, phase)
            labels[phase][:, :, k] = _slice_labels(radii)
            images[phase][:, :, k] = _slice_image(scene, radii, labels[phase][:, :, k], heart, s,
                                                  papillary_angles)
    acquired = {phase: _acquire(images[phase], rng) for phase in PHASES}
    return PhantomExam(group, acquired, labels, (pixel, pixel, slice_spacing),
                       _sample_info(group, rng), positions)


def write_exam(exam: PhantomExam, patient_dir: Path) -> None:
    """Write ``exam`` as an ACDC patient folder (Info.cfg and the ED/ES frames with ground truth)."""
    patient_dir.mkdir(parents=True, exist_ok=True)
    patient = patient_dir.name
    (patient_dir / "Info.cfg").write_text("".join(f"{k}: {v}\n" for k, v in exam.info.items()))
    affine = np.diag([*exam.spacing_mm, 1.0])
    for phase in PHASES:
        stem = patient_dir / f"{patient}_frame{exam.info[phase]:02d}"
        for volume, suffix in ((exam.images[phase], ""), (exam.labels[phase], "_gt")):
            nifti = nib.Nifti1Image(volume, affine)
            nifti.header.set_xyzt_units("mm", "sec")
            nib.save(nifti, f"{stem}{suffix}.nii.gz")


@dataclass(frozen=True)
class PhantomJob:
    """One patient to write: ``<split_dir>/<patient_id>`` of ``group``, drawn from ``seed``."""

    split_dir: str  # "training" or "testing"
    patient_id: str
    group: str
    seed: np.random.SeedSequence


def plan_phantoms(n_train: int = 100, n_test: int = 50, seed: int = 0) -> list[PhantomJob]:
    """The patients :func:`write_acdc_phantoms` writes, each with its own seed sequence."""
    sequences = np.random.SeedSequence(seed).spawn(n_train + n_test + 1)
    group_rng = np.random.default_rng(sequences.pop())
    jobs = []
    for split_dir, first, count in (("training", 1, n_train), ("testing", n_train + 1, n_test)):
        for number, group in enumerate(_balanced_groups(count, group_rng), start=first):
            jobs.append(PhantomJob(split_dir, f"patient{number:03d}", group, sequences[number - 1]))
    return jobs


def _write_patient(root_and_job: tuple[Path, PhantomJob]) -> None:
    root, job = root_and_job
    exam = make_exam(job.group, np.random.default_rng(job.seed))
    write_exam(exam, root / job.split_dir / job.patient_id)


def _balanced_groups(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` groups in random order, as balanced as ``n`` allows (ACDC: 20 + 10 per group)."""
    return [str(g) for g in rng.permutation(np.resize(np.array(GROUPS), n))]


def _manifest(n_train: int, n_test: int, seed: int) -> dict:
    return {"generator": __name__, "version": PHANTOM_VERSION,
            "n_train": n_train, "n_test": n_test, "seed": seed}


def phantoms_up_to_date(root: str | Path, n_train: int = 100, n_test: int = 50, seed: int = 0) -> bool:
    """Whether ``root`` holds a complete phantom set made with these settings."""
    manifest = Path(root) / MANIFEST_NAME
    try:
        return json.loads(manifest.read_text()) == _manifest(n_train, n_test, seed)
    except (OSError, ValueError):
        return False


def _clear_root(root: Path) -> None:
    """Empty a previous phantom set; refuse to touch a folder that is not one."""
    if not root.exists() or not any(root.iterdir()):
        return
    if not (root / MANIFEST_NAME).exists():
        raise FileExistsError(
            f"{root} is not empty and holds no {MANIFEST_NAME}, so it is not a phantom folder made "
            "here: choose an empty or new folder (nothing was written)."
        )
    (root / MANIFEST_NAME).unlink()
    for split_dir in ("training", "testing"):
        shutil.rmtree(root / split_dir, ignore_errors=True)


def _default_workers(n_jobs: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 1 if n_jobs < 8 else max(1, min(cores, 8))


def write_acdc_phantoms(root: str | Path, n_train: int = 100, n_test: int = 50, seed: int = 0,
                        progress: bool = True, workers: int | None = None) -> Path:
    """Write ``n_train`` + ``n_test`` synthetic patients in the ACDC layout under ``root``.

    Training patients are ``patient001..``, testing patients continue the numbering (as
    ACDC's 101-150); groups are balanced within each folder. A ``phantoms.json`` manifest is
    written last, so an interrupted run is never mistaken for a complete one. A previous
    phantom set in ``root`` is replaced; any other non-empty folder is refused.
    """
    root = Path(root)
    _clear_root(root)
    jobs = [(root, job) for job in plan_phantoms(n_train, n_test, seed)]
    n_workers = workers or _default_workers(len(jobs))
    bar = tqdm(total=len(jobs), desc="phantoms", unit="patient", disable=not progress)
    with bar:
        if n_workers == 1:
            for job in jobs:
                _write_patient(job)
                bar.update()
        else:
            with ProcessPoolExecutor(n_workers) as pool:
                for _ in pool.map(_write_patient, jobs):
                    bar.update()
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST_NAME).write_text(json.dumps(_manifest(n_train, n_test, seed), indent=1) + "\n")
    return root
