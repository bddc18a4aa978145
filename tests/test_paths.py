"""The data-folder rule (aecourse.paths): argument, $AECOURSE_DATA, course folder, per-user folder."""

from pathlib import Path

import pytest

from aecourse import paths
from aecourse.cardiac.dataset import load_split
from aecourse.tools import data as data_tool
from aecourse.tools import prepare_cardiac

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No data settings in the environment; the per-user folder redirected into tmp."""
    for name in (paths.ENV_DATA, paths.ENV_COURSE_ROOT, paths.ENV_CARDIAC_SIZE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_rule_order(clean_env, monkeypatch):
    tmp = clean_env
    # 3. the checkout this (editable) package runs from: the course data folder
    assert paths.data_dir() == REPO / "data"
    assert "checkout" in paths.data_dir_and_reason()[1]
    monkeypatch.setenv(paths.ENV_COURSE_ROOT, str(tmp / "course"))
    assert paths.data_dir() == tmp / "course" / "data"
    # 2. $AECOURSE_DATA beats the course folder
    monkeypatch.setenv(paths.ENV_DATA, str(tmp / "env"))
    assert paths.data_dir() == tmp / "env"
    assert paths.data_dir_and_reason()[1] == "$AECOURSE_DATA"
    # 1. an explicit folder beats everything
    assert paths.data_dir(tmp / "explicit") == tmp / "explicit"
    assert paths.mnist_dir(tmp / "explicit") == tmp / "explicit" / "mnist"


def test_outside_a_course_checkout_the_per_user_folder(clean_env, monkeypatch):
    monkeypatch.setattr(paths, "_checkout_root", lambda: None)  # as in a regular (wheel) install
    assert paths.course_root() is None
    assert paths.data_dir() == clean_env / "xdg" / "aecourse"
    assert "per-user" in paths.data_dir_and_reason()[1]


def test_checkout_detection_needs_the_markers(tmp_path, monkeypatch):
    fake_package = tmp_path / "site-packages" / "aecourse"
    fake_package.mkdir(parents=True)
    monkeypatch.setattr(paths, "__file__", str(fake_package / "paths.py"))
    assert paths._checkout_root() is None
    for marker in paths.CHECKOUT_MARKERS:
        (tmp_path / "site-packages" / marker).write_text("")
    assert paths._checkout_root() == tmp_path / "site-packages"


def test_cardiac_size_setting(clean_env, monkeypatch):
    assert paths.cardiac_size() == 128
    monkeypatch.setenv(paths.ENV_CARDIAC_SIZE, "256")
    assert paths.cardiac_size() == 256
    assert paths.cardiac_size(64) == 64  # the argument wins
    with pytest.raises(ValueError, match="multiple of 16"):
        paths.cardiac_size(100)
    monkeypatch.setenv(paths.ENV_CARDIAC_SIZE, "big")
    with pytest.raises(ValueError, match="AECOURSE_CARDIAC_SIZE"):
        paths.cardiac_size()


def test_unprepared_size_names_the_file_and_the_command(clean_env):
    folder = clean_env / "data"
    with pytest.raises(FileNotFoundError) as error:
        paths.cardiac_h5(256, data_dir=folder)
    message = str(error.value)
    assert str(folder / "cardiac_256.h5") in message
    assert "`aecourse-prepare-cardiac --size 256`" in message
    with pytest.raises(FileNotFoundError, match=r"`aecourse-prepare-cardiac` "):
        paths.cardiac_h5(data_dir=folder)
    assert paths.cardiac_h5(256, data_dir=folder, must_exist=False) == folder / "cardiac_256.h5"


def test_prepare_at_a_size_then_load_that_size(clean_env, monkeypatch, capsys):
    """`aecourse-prepare-cardiac --size N` writes where cardiac_h5(N) looks; other sizes say how to make them."""
    monkeypatch.setenv(paths.ENV_DATA, str(clean_env / "data"))
    assert prepare_cardiac.main(["--size", "64", "--n-train", "4", "--n-test", "1", "--quiet"]) == 0
    assert f"Data folder: {clean_env / 'data'} ($AECOURSE_DATA)" in capsys.readouterr().out
    made = paths.cardiac_h5(64)
    assert made == clean_env / "data" / "cardiac_64.h5"
    assert (clean_env / "data" / "acdc_phantoms").is_dir()
    assert load_split(made, "train").images.shape[1:] == (64, 64)
    monkeypatch.setenv(paths.ENV_CARDIAC_SIZE, "64")
    assert paths.cardiac_h5() == made  # the notebook's default call follows the setting
    monkeypatch.delenv(paths.ENV_CARDIAC_SIZE)
    with pytest.raises(FileNotFoundError, match="Prepared here: cardiac_64.h5"):
        paths.cardiac_h5()
    assert prepare_cardiac.main(["--size", "100", "--quiet"]) == 2
    assert "multiple of 16" in capsys.readouterr().err


def test_data_command_reports_folder_and_contents(clean_env, capsys):
    (clean_env / "d" / "mnist").mkdir(parents=True)
    (clean_env / "d" / "mnist" / "mnist.npz").write_bytes(b"")
    (clean_env / "d" / "cardiac_128.h5").write_bytes(b"")
    assert data_tool.where_main(["--data-dir", str(clean_env / "d")]) == 0
    out = capsys.readouterr().out
    assert f"aecourse data folder: {clean_env / 'd'}" in out and "given explicitly" in out
    assert "mnist.npz" in out and "cardiac_128.h5" in out
    assert data_tool.where_main(["--path-only"]) == 0
    assert capsys.readouterr().out.strip() == str(REPO / "data")
