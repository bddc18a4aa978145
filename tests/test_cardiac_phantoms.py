"""Synthetic ACDC exams: layout on disk, anatomy, group differences, determinism."""

import re
from collections import Counter

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from aecourse.cardiac.acdc import crop_volume
from aecourse.cardiac.anatomy import criteria_failures, plausibility_problems
from aecourse.cardiac.dataset import DEFAULT_SPACING_MM, GROUPS, LV, MYOCARDIUM, PHASES, RV
from aecourse.cardiac.phantoms import (
    make_exam,
    phantoms_up_to_date,
    plan_phantoms,
    sample_acquisition,
    write_acdc_phantoms,
)

EXAMS_PER_GROUP = 3
INFO_LINE = {
    "ED": r"ED: \d+", "ES": r"ES: \d+", "Group": r"Group: (NOR|MINF|DCM|HCM|RV)",
    "Height": r"Height: \d+\.\d", "NbFrame": r"NbFrame: \d+", "Weight": r"Weight: \d+\.\d",
}


@pytest.fixture(scope="module")
def exams():
    """A few exams per group, drawn from fixed seeds."""
    return {group: [make_exam(group, np.random.default_rng(100 * g + i)) for i in range(EXAMS_PER_GROUP)]
            for g, group in enumerate(GROUPS)}


@pytest.fixture(scope="module")
def phantom_root(tmp_path_factory):
    return write_acdc_phantoms(tmp_path_factory.mktemp("acdc") / "root", n_train=5, n_test=5, seed=1,
                               progress=False)


def all_exams(exams):
    return [exam for group_exams in exams.values() for exam in group_exams]


def mid_slice(exam, s=0.35):
    return int(np.argmin(np.abs(exam.slice_positions - s)))


def pixel_area_mm2(exam):
    return exam.spacing_mm[0] * exam.spacing_mm[1]


def group_mean(exams, group, measure, phase="ED"):
    return np.mean([measure(exam.labels[phase][:, :, mid_slice(exam)], exam) for exam in exams[group]])


def lv_area(label_map, exam):
    return (label_map == LV).sum() * pixel_area_mm2(exam)


def rv_area(label_map, exam):
    return (label_map == RV).sum() * pixel_area_mm2(exam)


def mean_wall_mm(label_map, exam):
    """Wall thickness of an annulus with the same areas: sqrt((LV + myo) / pi) - sqrt(LV / pi)."""
    cavity = lv_area(label_map, exam)
    outer = cavity + (label_map == MYOCARDIUM).sum() * pixel_area_mm2(exam)
    return np.sqrt(outer / np.pi) - np.sqrt(cavity / np.pi)


def wall_thinning(label_map, exam, n_sectors=16):
    """Thinnest / median wall thickness over angular sectors around the LV (1: uniform wall)."""
    myo, lv = label_map == MYOCARDIUM, label_map == LV
    thickness = ndimage.distance_transform_edt(~lv) + ndimage.distance_transform_edt(myo | lv)
    centre = np.argwhere(lv).mean(axis=0)
    points = np.argwhere(myo)
    angle = np.arctan2(*(points - centre).T)
    sector = ((angle + np.pi) / (2 * np.pi) * n_sectors).astype(int) % n_sectors
    per_sector = [np.median(thickness[myo][sector == k]) for k in range(n_sectors)]
    return min(per_sector) / np.median(per_sector)


# ----------------------------------------------------------------------------- layout on disk

def test_folder_layout_matches_acdc(phantom_root):
    training = sorted(p.name for p in (phantom_root / "training").iterdir())
    testing = sorted(p.name for p in (phantom_root / "testing").iterdir())
    assert training == [f"patient{i:03d}" for i in range(1, 6)]
    assert testing == [f"patient{i:03d}" for i in range(6, 11)]
    for folder in [*(phantom_root / "training").iterdir(), *(phantom_root / "testing").iterdir()]:
        lines = (folder / "Info.cfg").read_text().splitlines()
        assert [line.split(":")[0] for line in lines] == list(INFO_LINE)
        for line in lines:
            assert re.fullmatch(INFO_LINE[line.split(":")[0]], line), line
        info = dict(line.split(": ") for line in lines)
        frames = {f"{folder.name}_frame{int(info[phase]):02d}{suffix}.nii.gz"
                  for phase in PHASES for suffix in ("", "_gt")}
        assert {p.name for p in folder.iterdir()} == frames | {"Info.cfg"}


def test_nifti_volumes_look_like_acdc(phantom_root):
    for folder in (phantom_root / "training").iterdir():
        for image_path in folder.glob("*_frame??.nii.gz"):
            image = nib.load(image_path)
            labels = nib.load(str(image_path).replace(".nii.gz", "_gt.nii.gz"))
            assert image.shape == labels.shape and image.ndim == 3
            assert 200 <= image.shape[0] <= 260 and 200 <= image.shape[1] <= 260 and 6 <= image.shape[2] <= 12
            dx, dy, dz = image.header.get_zooms()
            assert 1.37 <= dx <= 1.68 and dx == dy and 5 <= dz <= 10
            assert image.get_data_dtype() == np.int16 and labels.get_data_dtype() == np.uint8
            assert set(np.unique(np.asarray(labels.dataobj))) <= {0, 1, 2, 3}
            assert np.asarray(image.dataobj).std() > 0


def test_groups_balanced_and_enough_slices_by_default():
    jobs = plan_phantoms()
    per_folder = Counter((job.split_dir, job.group) for job in jobs)
    assert all(per_folder["training", g] == 20 and per_folder["testing", g] == 10 for g in GROUPS)
    training_slices = sum(2 * len(sample_acquisition(np.random.default_rng(job.seed))[3])
                          for job in jobs if job.split_dir == "training")
    assert training_slices >= 1900  # as many ED + ES slices as ACDC's training set


def test_manifest_and_refusal(phantom_root, tmp_path):
    assert phantoms_up_to_date(phantom_root, n_train=5, n_test=5, seed=1)
    assert not phantoms_up_to_date(phantom_root, n_train=5, n_test=5, seed=2)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_acdc_phantoms(foreign, n_train=1, n_test=0, progress=False)
    assert (foreign / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- determinism

def test_same_seed_same_exam_other_seed_other_exam():
    first, again, other = (make_exam("NOR", np.random.default_rng(seed)) for seed in (5, 5, 6))
    for phase in PHASES:
        assert np.array_equal(first.images[phase], again.images[phase])
        assert np.array_equal(first.labels[phase], again.labels[phase])
    assert first.info == again.info and first.spacing_mm == again.spacing_mm
    assert first.labels["ED"].shape != other.labels["ED"].shape or not np.array_equal(
        first.labels["ED"], other.labels["ED"])


def test_written_set_does_not_depend_on_workers(tmp_path):
    roots = [write_acdc_phantoms(tmp_path / f"w{n}", n_train=2, n_test=1, seed=4, progress=False, workers=n)
             for n in (1, 2)]
    files = sorted(p.relative_to(roots[0]) for p in roots[0].rglob("*.nii.gz"))
    assert len(files) == 12
    for name in files:
        a, b = (np.asarray(nib.load(root / name).dataobj) for root in roots)
        assert np.array_equal(a, b)


# ----------------------------------------------------------------------------- anatomy

def test_every_slice_is_anatomically_plausible(exams):
    for exam in all_exams(exams):
        for phase in PHASES:
            for k in range(exam.labels[phase].shape[2]):
                problems = plausibility_problems(exam.labels[phase][:, :, k], spacing_mm=exam.spacing_mm[:2])
                assert problems == [], (exam.group, phase, k)


def test_converted_slices_stay_plausible(exams):
    """As the converter makes them (128 x 128 at 1.5 mm, nearest-neighbour labels), the slices
    keep their anatomy: resampling may split a thin RV tip now and then, nothing more."""
    maps = np.concatenate([crop_volume(np.zeros(exam.labels[phase].shape, np.float32), exam.labels[phase],
                                       exam.spacing_mm[:2]).labels
                           for exam in all_exams(exams) for phase in PHASES])
    failures = {name: n for name, n in criteria_failures(maps, DEFAULT_SPACING_MM).items() if n}
    assert set(failures) <= {"RV disconnected"} and sum(failures.values()) <= 0.01 * len(maps), failures


def test_base_to_apex(exams):
    apical_slices = 0
    for exam in all_exams(exams):
        for phase in PHASES:
            labels = exam.labels[phase]
            heart_area = ((labels == LV) | (labels == MYOCARDIUM)).sum(axis=(0, 1))
            assert np.all(np.diff(heart_area) <= 0.02 * heart_area[:-1]), "cross-section must shrink"
            for k, s in enumerate(exam.slice_positions):
                rv_pixels, lv_pixels = (labels[:, :, k] == RV).sum(), (labels[:, :, k] == LV).sum()
                if s <= 0.3:
                    assert rv_pixels > 0 and lv_pixels > 0
                if s >= 0.86:
                    assert rv_pixels == 0, "the RV ends before the apex"
                if 0.92 <= s < 0.99:
                    apical_slices += 1
                    assert lv_pixels == 0 and (labels[:, :, k] == MYOCARDIUM).sum() > 0
    assert apical_slices > 0


def test_end_systole_smaller_cavity_thicker_wall(exams):
    for exam in all_exams(exams):
        ed, es = (exam.labels[phase][:, :, mid_slice(exam)] for phase in PHASES)
        assert lv_area(es, exam) < lv_area(ed, exam)
        assert mean_wall_mm(es, exam) > mean_wall_mm(ed, exam)


def test_groups_differ_as_intended(exams):
    assert group_mean(exams, "DCM", lv_area) > 1.5 * group_mean(exams, "NOR", lv_area)
    assert group_mean(exams, "DCM", mean_wall_mm) < group_mean(exams, "NOR", mean_wall_mm)
    assert group_mean(exams, "HCM", mean_wall_mm) > 1.4 * group_mean(exams, "NOR", mean_wall_mm)
    assert group_mean(exams, "HCM", lv_area) < group_mean(exams, "NOR", lv_area)
    assert group_mean(exams, "RV", rv_area) > 1.5 * group_mean(exams, "NOR", rv_area)

    def ejection(group):  # ES / ED LV area at mid-ventricle: high means weak contraction
        return group_mean(exams, group, lv_area, "ES") / group_mean(exams, group, lv_area, "ED")

    assert ejection("DCM") > ejection("NOR") + 0.2
    assert ejection("MINF") > ejection("NOR")

    def thinnest_sector(group):  # at s = 0.6, where every infarct has begun
        return np.mean([wall_thinning(e.labels["ED"][:, :, mid_slice(e, 0.6)], e) for e in exams[group]])

    assert thinnest_sector("MINF") < thinnest_sector("NOR") - 0.15
