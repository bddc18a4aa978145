"""aecourse.sweep: active units, the measured rate and distortion, the sweep loop, fitted Gaussians,
the digit judge; and the rate-distortion figure that draws a sweep."""

import math

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from aecourse import plots  # noqa: E402
from aecourse.sweep import (  # noqa: E402
    DigitJudge,
    active_units,
    beta_sweep,
    fitted_gaussian_samples,
    measure,
    posterior_mean_variance,
    sweep_table,
)

PIXELS, LATENT = 12, 4


def test_active_units_follow_burdas_threshold():
    """Dimensions whose posterior mean varies over inputs by more than 0.01 are active."""
    rng = np.random.default_rng(0)
    spreads = np.array([0.5, 0.02, 0.005, 0.0])  # variances over the inputs
    z_means = rng.standard_normal((20_000, 4)) * np.sqrt(spreads) + np.array([3.0, -1.0, 2.0, 0.7])
    np.testing.assert_allclose(posterior_mean_variance(z_means), spreads, rtol=0.05, atol=1e-12)
    assert active_units(z_means).tolist() == [True, True, False, False]
    assert active_units(z_means, threshold=0.1).tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match="shape"):
        active_units(np.zeros(5))


class ToyVAE:
    """A fixed linear Gaussian encoder (dimension 3 ignores the input: a collapsed unit) and a
    fixed sigmoid decoder: the rate is known in closed form."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.weights = rng.normal(0, 1, (PIXELS, LATENT)).astype("float32")
        self.weights[:, 3] = 0.0
        self.log_var = np.array([-1.0, -0.5, 0.3, 0.0], "float32")
        self.decoder = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(PIXELS, activation="sigmoid")])

    def encoder(self, x):
        x = np.asarray(x, "float32")
        return x @ self.weights, np.tile(self.log_var, (len(x), 1))


@pytest.fixture(scope="module")
def binary_images():
    return (np.random.default_rng(1).random((300, PIXELS)) < 0.4).astype("float32")


def test_measure_gives_the_closed_form_rate_and_the_active_units(binary_images):
    model = ToyVAE()
    run = measure(model, binary_images, beta=2.0, k=5)
    z_mean, z_log_var = model.encoder(binary_images)
    kl = -0.5 * (1 + z_log_var - z_mean ** 2 - np.exp(z_log_var))
    np.testing.assert_allclose(run.kl_per_dimension, kl.mean(axis=0), rtol=1e-5)
    assert math.isclose(run.rate, kl.sum(axis=1).mean(), rel_tol=1e-5)
    assert run.active.tolist() == [True, True, True, False] and run.n_active == 3
    assert run.beta == 2.0 and run.model is model
    assert math.isclose(run.negative_elbo, run.rate + run.distortion)


def test_measure_distortion_is_the_expected_reconstruction_term(binary_images):
    """The distortion is E_q[-log p(x|z)]: against a plain Monte-Carlo estimate with many codes."""
    model = ToyVAE()
    run = measure(model, binary_images, beta=1.0, k=400, seed=3)
    z_mean, z_log_var = model.encoder(binary_images)
    rng = np.random.default_rng(7)
    z = z_mean[:, None] + np.exp(0.5 * z_log_var)[:, None] * rng.standard_normal((len(z_mean), 400, LATENT))
    probs = np.asarray(model.decoder(z.reshape(-1, LATENT).astype("float32")), np.float64)
    probs = probs.reshape(len(z_mean), 400, PIXELS)
    x = binary_images[:, None].astype(np.float64)
    expected = -(x * np.log(probs) + (1 - x) * np.log1p(-probs)).sum(-1).mean()
    assert abs(run.distortion - expected) < 0.02 * expected, (run.distortion, expected)


def test_beta_sweep_keeps_every_model_side_by_side(binary_images):
    built, trained, lines = [], [], []

    def build(beta):
        model = ToyVAE(seed=len(built))
        built.append((beta, model))
        return model

    def train(model):
        trained.append(model)
        return {"loss": [1.0]}

    runs = beta_sweep(build, train, [0.0, 1.0, 4.0], binary_images, k=3, report=lines.append)
    assert list(runs) == [0.0, 1.0, 4.0]
    assert [run.model for run in runs.values()] == [model for _, model in built] == trained
    assert len({id(run.model) for run in runs.values()}) == 3, "each beta gets its own model"
    assert all(run.history == {"loss": [1.0]} for run in runs.values())
    assert len(lines) == 3 and lines[1].startswith("beta = 1: rate") and "3 of 4 latent dimensions" in lines[1]
    table = sweep_table(runs).splitlines()
    assert len(table) == 4 and table[2].split()[0] == "1" and table[2].endswith("3 of 4")


def test_fitted_gaussian_samples_match_the_codes_moments():
    rng = np.random.default_rng(2)
    codes = rng.standard_normal((5000, 3)) @ np.array([[2.0, 0, 0], [1.0, 0.5, 0], [0, 0, 0.1]]) + 5
    samples = fitted_gaussian_samples(codes, 50_000, seed=1)
    assert samples.dtype == np.float32 and samples.shape == (50_000, 3)
    np.testing.assert_allclose(samples.mean(axis=0), codes.mean(axis=0), atol=0.03)
    np.testing.assert_allclose(np.cov(samples.T), np.cov(codes.T), atol=0.05)
    np.testing.assert_array_equal(fitted_gaussian_samples(codes, 4, seed=1), samples[:4])


def test_digit_judge_accepts_clear_images_and_rejects_blends():
    """Two classes of noisy copies of two prototypes: their prototypes are confidently named,
    a half-and-half blend of them is not."""
    rng = np.random.default_rng(4)
    prototypes = (rng.random((2, 64)) < 0.3).astype(float)
    labels = np.repeat([0, 1], 200)
    images = np.clip(prototypes[labels] + rng.normal(0, 0.3, (400, 64)), 0, 1)
    judge = DigitJudge(images, labels)
    blend = 0.5 * (prototypes[0] + prototypes[1])
    assert judge.digit_like(prototypes).tolist() == [True, True]
    assert judge.digit_like(blend[None]).tolist() == [False]
    assert judge.fraction_digit_like(np.stack([prototypes[0], blend, prototypes[1], blend])) == 0.5


def test_plot_rate_distortion_draws_one_point_per_beta(binary_images, monkeypatch):
    runs = beta_sweep(lambda beta: ToyVAE(seed=int(beta)), lambda model: None, [0.0, 1.0, 4.0],
                      binary_images, k=3, report=None)
    figures = []
    monkeypatch.setattr(plt, "show", lambda: figures.append(plt.gcf()))
    plots.plot_rate_distortion(runs)
    curve, units = figures[0].axes[:2]
    x, y = curve.lines[0].get_data()
    np.testing.assert_allclose(x, [run.rate for run in runs.values()])
    np.testing.assert_allclose(y, [run.distortion for run in runs.values()])
    assert len(curve.texts) == 3 and curve.texts[0].get_text().startswith("β = 0")
    assert len(units.lines) == 3 + 1  # a curve per run and the threshold
    plt.close("all")
