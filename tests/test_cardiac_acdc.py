"""The ACDC converter, run on phantoms written in the official layout, and loading its output."""

import shutil

import h5py
import nibabel as nib
import numpy as np
import pytest

from aecourse.cardiac.acdc import MIN_FOREGROUND_PIXELS, AcdcFormatError, convert_acdc, crop_volume, read_info
from aecourse.cardiac.dataset import GROUPS, PHASES, SPLITS, describe_file, load_split, split_summary
from aecourse.cardiac.phantoms import write_acdc_phantoms


@pytest.fixture(scope="module")
def acdc_root(tmp_path_factory):
    """10 training patients (2 per group) and 5 testing patients."""
    return write_acdc_phantoms(tmp_path_factory.mktemp("acdc") / "root", n_train=10, n_test=5, seed=3,
                               progress=False)


@pytest.fixture(scope="module")
def converted(acdc_root, tmp_path_factory):
    return convert_acdc(acdc_root, tmp_path_factory.mktemp("out") / "cardiac.h5", progress=False)


@pytest.fixture(scope="module")
def mini_root(tmp_path_factory):
    """2 training patients and 1 testing patient, for the broken-input tests."""
    return write_acdc_phantoms(tmp_path_factory.mktemp("mini") / "root", n_train=2, n_test=1, seed=7,
                               progress=False)


def patients_by_split(h5_path):
    return {split: set(load_split(h5_path, split).patients) for split in SPLITS}


def groups_of(root, folder):
    return {p.name: read_info(p / "Info.cfg")["Group"] for p in (root / folder).iterdir()}


# ----------------------------------------------------------------------------- output

def test_shapes_dtypes_and_values(converted):
    for split in SPLITS:
        data = load_split(converted, split)
        n = len(data)
        assert n > 0
        assert data.images.shape == data.labels.shape == (n, 128, 128)
        assert data.images.dtype == np.float32 and data.labels.dtype == np.uint8
        assert 0 <= data.images.min() and data.images.max() <= 1 and data.images.std() > 0.05
        assert set(np.unique(data.labels)) == {0, 1, 2, 3}
        assert data.patients.shape == data.groups.shape == data.phases.shape == (n,)
        assert set(data.groups) <= set(GROUPS) and set(data.phases) == set(PHASES)
        assert ((data.labels > 0).sum(axis=(1, 2)) >= MIN_FOREGROUND_PIXELS).all()


def test_splits_by_patient_disjoint_and_stratified(acdc_root, converted):
    splits = patients_by_split(converted)
    training, testing = groups_of(acdc_root, "training"), groups_of(acdc_root, "testing")
    assert splits["train"].isdisjoint(splits["val"])
    assert splits["train"] | splits["val"] == set(training)
    assert splits["test"] == set(testing)
    for split in ("train", "val"):  # 2 patients per group: one each way
        assert sorted(training[p] for p in splits[split]) == sorted(GROUPS)
    summary = split_summary(converted)
    assert summary["val"]["patients"] == 5 and all(summary["val"]["slices_per_group"].values())
    report = describe_file(converted).splitlines()
    assert "synthetic phantoms" in report[0] and "128x128" in report[0]
    assert report[3].split()[:3] == ["val", "5", str(summary["val"]["slices"])]


def test_per_patient_records_match_sources_and_rows(acdc_root, converted):
    with h5py.File(converted, "r") as h5:
        every_patient = set(groups_of(acdc_root, "training")) | set(groups_of(acdc_root, "testing"))
        assert set(h5["patients"]) == every_patient
        node = h5["patients/patient002"]
        info = read_info(acdc_root / "training/patient002/Info.cfg")
        assert node.attrs["group"] == info["Group"] and node.attrs["height_cm"] == float(info["Height"])
        split = node.attrs["split"]
        for phase in PHASES:
            volume = node[phase]
            assert volume.attrs["frame"] == int(info[phase])
            nifti = nib.load(acdc_root / f"training/patient002/patient002_frame{int(info[phase]):02d}.nii.gz")
            spacing = volume.attrs["original_spacing_mm"]
            np.testing.assert_allclose(spacing, nifti.header.get_zooms(), rtol=1e-6)
            rows = slice(volume.attrs["row_start"], volume.attrs["row_stop"])
            flat = h5[f"splits/{split}"]
            assert np.array_equal(volume["image"][()], flat["images"][rows])
            assert np.array_equal(volume["label"][()], flat["labels"][rows])
            assert set(flat["patients"][rows].astype(str)) == {"patient002"}
            assert set(flat["phases"][rows].astype(str)) == {phase}
            assert np.all(np.diff(volume["slice_index"][()]) > 0)


def test_heart_is_centred(converted):
    labels = load_split(converted, "train").labels
    centre = np.argwhere(labels > 0)[:, 1:].mean(axis=0)
    assert np.all(np.abs(centre - 63.5) < 4)


def test_same_seed_same_file_other_seed_other_split(acdc_root, converted, tmp_path):
    again = convert_acdc(acdc_root, tmp_path / "again.h5", progress=False)
    for split in SPLITS:
        a, b = load_split(converted, split), load_split(again, split)
        assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
        assert np.array_equal(a.patients, b.patients)
    other = convert_acdc(acdc_root, tmp_path / "other.h5", seed=1, progress=False)
    assert patients_by_split(other)["val"] != patients_by_split(converted)["val"]
    assert patients_by_split(other)["test"] == patients_by_split(converted)["test"]


def test_size_and_spacing_settings(mini_root, tmp_path):
    base = load_split(convert_acdc(mini_root, tmp_path / "a.h5", progress=False), "train")
    small = load_split(convert_acdc(mini_root, tmp_path / "b.h5", size=64, progress=False), "train")
    coarse = load_split(convert_acdc(mini_root, tmp_path / "c.h5", spacing_mm=3.0, progress=False), "train")
    assert small.images.shape[1:] == (64, 64) and len(small) == len(base)
    ratio = (coarse.labels > 0).sum() / (base.labels > 0).sum()
    assert 0.2 < ratio < 0.3  # pixels twice as large: a quarter as many


def test_crop_volume_resamples_centres_and_keeps_labelled_slices():
    x, y = np.mgrid[:100, :80]
    disk = (x - 70) ** 2 + ((y - 20) * 2.0) ** 2 < 8 ** 2  # a circle of 8 mm in (1 mm, 2 mm) voxels
    labels = np.zeros((100, 80, 4), np.uint8)
    labels[70, 20:23, 1] = 3  # 3 pixels: not enough to keep the slice
    labels[disk, 2] = 2
    labels[disk, 3] = 3
    image = np.random.default_rng(0).normal(100, 20, labels.shape).astype(np.float32)
    volume = crop_volume(image, labels, (1.0, 2.0), size=32, spacing_mm=1.0)
    assert volume.slice_index.tolist() == [2, 3]
    assert volume.images.shape == (2, 32, 32) and 0 <= volume.images.min() and volume.images.max() <= 1
    area = (volume.labels[1] == 3).sum()
    assert abs(area - np.pi * 64) < 0.1 * np.pi * 64
    rows, cols = np.nonzero(volume.labels[1])
    assert abs(rows.mean() - 15.5) < 1 and abs(cols.mean() - 15.5) < 1
    assert abs(np.ptp(rows) - np.ptp(cols)) <= 1  # round again after resampling


def test_official_database_folder_and_missing_testing(mini_root, tmp_path):
    shutil.copytree(mini_root / "training", tmp_path / "ACDC" / "database" / "training")
    out = convert_acdc(tmp_path / "ACDC", tmp_path / "out.h5", progress=False)
    assert len(load_split(out, "test")) == 0 and load_split(out, "test").images.shape[1:] == (128, 128)
    assert len(load_split(out, "train")) > 0
    assert "ACDC data" in describe_file(out)  # no phantoms.json in the copy: taken for real data


def test_load_split_errors(tmp_path, converted):
    with pytest.raises(FileNotFoundError, match="aecourse-prepare-cardiac.*make data"):
        load_split(tmp_path / "absent.h5", "train")
    with pytest.raises(ValueError, match="split"):
        load_split(converted, "validation")
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="aecourse-prepare-cardiac"):
        load_split(tmp_path / "broken.h5", "train")


def test_command_line_reuses_phantoms_and_output(tmp_path, capsys):
    from aecourse.tools import prepare_cardiac as cli

    args = ["--n-train", "5", "--n-test", "1", "--phantoms-dir", str(tmp_path / "ph"),
            "--out", str(tmp_path / "c.h5"), "--size", "64", "--quiet"]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert "synthetic phantoms (no --acdc given)" in first and "Wrote 5 + 1 phantom exams" in first
    assert load_split(tmp_path / "c.h5", "train").images.shape[1:] == (64, 64)
    assert cli.main(args) == 0
    second = capsys.readouterr().out
    assert "already in" in second and "up to date" in second and "train" in second
    assert cli.main([*args, "--acdc", str(tmp_path / "nowhere")]) == 2
    assert "no patient folders" in capsys.readouterr().err


# ----------------------------------------------------------------------------- broken inputs

def frame_file(root, patient, phase, suffix=""):
    frame = int(read_info(root / "training" / patient / "Info.cfg")[phase])
    return root / "training" / patient / f"{patient}_frame{frame:02d}{suffix}.nii.gz"


def rewrite_info(root, change):
    path = root / "training/patient001/Info.cfg"
    path.write_text(change(path.read_text()))
    return path


def resave_labels(path, change):
    nifti = nib.load(path)
    nib.save(nib.Nifti1Image(change(np.asarray(nifti.dataobj).copy()), nifti.affine), path)
    return path


def set_voxel(labels, value):
    labels[0, 0, 0] = value
    return labels


def remove(path):
    path.unlink()
    return path


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def overwrite(path):
    path.write_bytes(b"not a nifti")
    return path


def remove_patients(root):
    for folder in ("training", "testing"):
        shutil.rmtree(root / folder)
    return root


BREAKAGES = {  # name -> (breaks the copy at root and returns the file to blame, words of the message)
    "missing image": (lambda r: remove(frame_file(r, "patient001", "ES")), "missing"),
    "missing labels": (lambda r: remove(frame_file(r, "patient002", "ED", "_gt")), "missing"),
    "shapes differ": (lambda r: resave_labels(frame_file(r, "patient001", "ED", "_gt"), lambda a: a[:-1]),
                      "differs from image shape"),
    "label 4": (lambda r: resave_labels(frame_file(r, "patient001", "ES", "_gt"), lambda a: set_voxel(a, 4)),
                "found [4]"),
    "not a NIfTI": (lambda r: overwrite(frame_file(r, "patient002", "ES")), "cannot be read as NIfTI"),
    "truncated": (lambda r: truncate(frame_file(r, "patient001", "ED")), "cannot be read as NIfTI"),
    "no Info.cfg": (lambda r: remove(r / "training/patient002/Info.cfg"), "cannot read Info.cfg"),
    "Info.cfg without ES": (lambda r: rewrite_info(r, lambda t: t.replace("ES:", "XX:")), "lacks ES"),
    "Info.cfg garbage": (lambda r: rewrite_info(r, lambda t: t + "garbage\n"), "line 7"),
    "ED not a number": (lambda r: rewrite_info(r, lambda t: t.replace("ED: ", "ED: one")), "not a number"),
    "unknown group": (lambda r: rewrite_info(r, lambda t: t.replace("Group: ", "Group: X")), "unknown Group"),
    "no patients": (remove_patients, "no patient folders"),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_broken_input_names_the_file_and_keeps_previous_output(name, mini_root, tmp_path):
    root = shutil.copytree(mini_root, tmp_path / "acdc")
    out_dir = tmp_path / "out"
    previous = convert_acdc(root, out_dir / "cardiac.h5", progress=False)
    previous_bytes = previous.read_bytes()
    break_input, words = BREAKAGES[name]
    blamed = break_input(root)
    with pytest.raises(AcdcFormatError) as caught:
        convert_acdc(root, previous, progress=False)
    message = str(caught.value)
    assert caught.value.path == blamed and str(blamed) in message
    assert words in message and "How to fix" in message
    assert isinstance(caught.value, ValueError)
    assert previous.read_bytes() == previous_bytes
    assert [p.name for p in out_dir.iterdir()] == ["cardiac.h5"]  # no temporary file left behind
    with pytest.raises(AcdcFormatError):
        convert_acdc(root, out_dir / "fresh.h5", progress=False)
    assert not (out_dir / "fresh.h5").exists()


def test_split_subsets_keep_rows_aligned():
    from aecourse.cardiac.dataset import CardiacSplit

    n = 10
    split = CardiacSplit(np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2), np.zeros((n, 2, 2), np.uint8),
                         np.array([f"p{i}" for i in range(n)]), np.array(["NOR"] * n), np.array(["ED"] * n))
    few = split.spread(4)
    assert len(few) == 4 and few.patients.tolist() == ["p0", "p3", "p6", "p9"]
    assert few.images[1, 0, 0] == 12.0  # row 3 of the images, like its patient
    assert len(split.spread(50)) == n
