"""Helpers behind what a student reads: the download fallback's reason, the progress line."""

import socket
import types
from urllib.error import HTTPError, URLError

from aecourse import mnist, training


def raised_like_keras(cause):
    """keras.utils.get_file re-raises a bare Exception while handling the real error."""
    try:
        try:
            raise cause
        except Exception:
            raise Exception("URL fetch failure on https://...: None -- details")  # noqa: B904
    except Exception as error:
        return error


def test_failure_reason_names_the_real_cause():
    offline = raised_like_keras(URLError(socket.gaierror(-2, "Name or service not known")))
    assert mnist.failure_reason(offline) == "no network (Name or service not known)"
    forbidden = raised_like_keras(HTTPError("https://...", 403, "Forbidden", None, None))
    assert mnist.failure_reason(forbidden) == "the server answered HTTP 403 (Forbidden)"
    corrupt = ValueError("Incomplete or corrupted file detected. The sha256 file hash does not match")
    assert "corrupted" in mnist.failure_reason(corrupt)
    assert mnist.failure_reason(RuntimeError("odd")) == "RuntimeError: odd"


def test_losses_text_pairs_training_and_validation():
    logs = {"kl": 6.5634, "loss": 143.61, "reconstruction": 137.2, "val_kl": 6.2, "val_loss": 155.5,
            "val_reconstruction": 149.3}
    assert training.losses_text(logs) == "kl 6.563/6.2, loss 143.6/155.5, rec 137.2/149.3 (train/val)"
    assert training.losses_text({"loss": 2.0}) == "loss 2"


def test_progress_bar_ends_full_when_training_stops_early(monkeypatch, capsys):
    monkeypatch.setattr(training, "QUICK", False)
    monkeypatch.setattr(training, "widgets_available", lambda: False)
    progress = training.EpochProgress(100, "model")
    progress.set_model(types.SimpleNamespace(stop_training=False))
    progress.on_train_begin()
    for epoch in range(40):
        progress.on_epoch_end(epoch, {"loss": 1.0, "val_loss": 2.0})
    progress.model.stop_training = True  # as EarlyStopping does
    progress.on_train_end()
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "model (stopped early)" in last and "40/40" in last and "loss 1/2 (train/val)" in last


def test_the_vae_samples_z_in_validation_too():
    """A sampler that returns the mean outside training (an accepted answer) still draws in
    evaluate(): the validation loss estimates the same ELBO that training minimises."""
    import keras
    import numpy as np
    from keras import layers, ops

    from aecourse.models import VariationalAutoencoder

    class MeanOutsideTraining(keras.layers.Layer):
        seen = []

        def call(self, inputs, training=None):
            self.seen.append(training)
            z_mean, z_log_var = inputs
            return z_mean + (ops.exp(0.5 * z_log_var) if training else 0.0)

    inputs = keras.Input((4,))
    encoder = keras.Model(inputs, [layers.Dense(2)(inputs), layers.Dense(2)(inputs)])
    decoder = keras.Sequential([keras.Input((2,)), layers.Dense(4, activation="sigmoid")])
    vae = VariationalAutoencoder(
        encoder, decoder, MeanOutsideTraining(),
        reconstruction_loss=lambda x, x_hat: ops.sum(ops.square(x - x_hat), axis=-1),
        kl_divergence=lambda m, v: ops.sum(ops.square(m), axis=-1),
        negative_elbo=lambda x, x_hat, m, v, beta: ops.mean(ops.sum(ops.square(x - x_hat), axis=-1)), beta=1.0)
    vae.compile(optimizer="adam", run_eagerly=True)
    vae.evaluate(np.random.rand(8, 4).astype("float32"), verbose=0)
    assert MeanOutsideTraining.seen and all(MeanOutsideTraining.seen)
