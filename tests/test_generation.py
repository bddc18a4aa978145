"""Where a VAE's codes lie (aggregate-posterior statistics), densities to sample from, and the
figures that show them."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402

from aecourse import explorer, generation, plots  # noqa: E402


def test_statistics_of_posteriors_at_the_prior_are_the_prior():
    stats = generation.posterior_statistics(np.zeros((5, 3)), np.zeros((5, 3)))
    np.testing.assert_allclose(stats.mean, 0)
    np.testing.assert_allclose(stats.variance, 1)
    np.testing.assert_allclose(stats.kl, 0)
    assert not stats.active().any()


def test_statistics_match_their_closed_forms():
    z_mean = np.array([[1.0, -2.0], [3.0, 0.0]])
    z_log_var = np.array([[0.0, np.log(4.0)], [np.log(0.25), 0.0]])
    stats = generation.posterior_statistics(z_mean, z_log_var)
    np.testing.assert_allclose(stats.mean, [2.0, -1.0])
    np.testing.assert_allclose(stats.variance_of_means, [1.0, 1.0])
    np.testing.assert_allclose(stats.mean_variance, [(1 + 0.25) / 2, (4 + 1) / 2])
    np.testing.assert_allclose(stats.variance, [1.625, 3.5])
    # KL(N(m, s^2) || N(0, 1)) = (m^2 + s^2 - 1 - log s^2) / 2, averaged over the two examples
    kl_first = ((1 + 1 - 1 - 0) + (9 + 0.25 - 1 - np.log(0.25))) / 4
    kl_second = ((4 + 4 - 1 - np.log(4.0)) + (0 + 1 - 1 - 0)) / 4
    np.testing.assert_allclose(stats.kl, [kl_first, kl_second])
    np.testing.assert_array_equal(stats.active(threshold=1.0), [True, True])
    np.testing.assert_array_equal(stats.active(threshold=2.0), [True, False])


def test_samples_of_the_aggregate_posterior_have_its_moments():
    rng = np.random.default_rng(1)
    z_mean = rng.normal(0.5, 2.0, (200, 3))
    z_log_var = rng.uniform(-2, 1, (200, 3))
    stats = generation.posterior_statistics(z_mean, z_log_var)
    z = generation.sample_aggregate_posterior(z_mean, z_log_var, 100_000, seed=2)
    assert z.shape == (100_000, 3) and z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), stats.mean, atol=0.05)
    np.testing.assert_allclose(z.var(axis=0), stats.variance, rtol=0.03)


def test_statistics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        generation.posterior_statistics(np.zeros((4, 3)), np.zeros((4, 2)))


def test_gaussian_fit_recovers_a_correlated_gaussian_and_samples_from_it():
    rng = np.random.default_rng(0)
    covariance = np.array([[2.0, 1.2, 0.0], [1.2, 1.0, -0.3], [0.0, -0.3, 0.5]])
    codes = rng.multivariate_normal([1.0, -1.0, 0.0], covariance, 50_000)
    fit = generation.fit_gaussian(codes)
    np.testing.assert_allclose(fit.mean, [1.0, -1.0, 0.0], atol=0.03)
    np.testing.assert_allclose(fit.covariance, covariance, atol=0.05)
    samples = fit.sample(50_000, seed=3)
    assert samples.shape == (50_000, 3) and samples.dtype == np.float32
    np.testing.assert_allclose(np.cov(samples, rowvar=False), covariance, atol=0.06)
    np.testing.assert_array_equal(fit.sample(5, seed=4), fit.sample(5, seed=4))
    diagonal = generation.fit_gaussian(codes, diagonal=True)
    assert diagonal.covariance[0, 1] == 0 and diagonal.covariance[0, 0] == pytest.approx(2.0, abs=0.05)


def test_gaussian_fit_of_degenerate_codes_still_samples():
    codes = np.repeat(np.arange(4.0)[:, None], 2, axis=1)  # two identical dimensions: singular
    assert np.isfinite(generation.fit_gaussian(codes).sample(10)).all()
    with pytest.raises(ValueError, match="at least 2 codes"):
        generation.fit_gaussian(np.zeros((1, 3)))


def test_touches_border_finds_structures_on_any_edge():
    maps = np.zeros((5, 6, 6), np.uint8)
    maps[0, 2:4, 2:4] = 3  # in the middle
    maps[1, 0, 3] = 1  # top
    maps[2, 5, 2] = 2  # bottom
    maps[3, 3, 0] = 1  # left
    maps[4, 2, 5] = 3  # right
    np.testing.assert_array_equal(generation.touches_border(maps), [False, True, True, True, True])


def test_posterior_statistics_plot_names_the_ranges(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    stats = generation.posterior_statistics(np.array([[0.0, 1.0], [2.0, 1.0]]), np.zeros((2, 2)))
    plots.plot_posterior_statistics(stats)
    titles = [axis.get_title() for axis in plt.gcf().axes]
    plt.close("all")
    assert titles == ["variance: 1.00 to 2.00", "mean: +1.00 to +1.00",
                      "KL: 0.50 to 1.00 nats, 2 of 2 active (> 0.05)"]


def fake_label_decoder(calls):
    def decode(points):
        calls.append(np.asarray(points).copy())
        return np.full((len(points), 8, 8), 2, np.uint8)
    return decode


def test_explorer_draws_label_maps_at_the_given_points(monkeypatch):
    monkeypatch.setattr(explorer, "widgets_available", lambda: False)
    monkeypatch.setattr(plt, "show", lambda: None)
    calls, chosen = [], np.array([[-5.0, 0.0], [5.0, 2.0]])
    points = np.random.default_rng(0).normal(0, 4, (30, 2))
    assert explorer.latent_explorer(fake_label_decoder(calls), points, np.arange(30) % 3, image_shape=(8, 8),
                                    extent=8.0, label_map=True, class_names=["A", "B", "C"],
                                    axis_names=("PC 1", "PC 2"), static_points=chosen) is None
    figure = plt.gcf()
    scatter, *maps = figure.axes
    plt.close("all")
    np.testing.assert_array_equal(calls[0], chosen)
    assert (scatter.get_xlabel(), scatter.get_ylabel()) == ("PC 1", "PC 2")
    assert [t.get_text() for t in scatter.get_legend().get_texts()] == ["A", "B", "C"]
    assert len(maps) == 2 and maps[0].images[0].cmap is plots.LABEL_COLOURS


def test_explorer_sliders_carry_the_axis_names(monkeypatch):
    monkeypatch.setattr(explorer, "widgets_available", lambda: True)
    monkeypatch.setattr(plt, "show", lambda: None)
    calls = []
    panel = explorer.latent_explorer(fake_label_decoder(calls), np.zeros((3, 2)), [0, 1, 2], image_shape=(8, 8),
                                     extent=8.0, label_map=True, axis_names=("PC 1", "PC 2"))
    sliders = [child for child in panel.children if hasattr(child, "min")]
    assert [s.description for s in sliders] == ["PC 1", "PC 2"]
    sliders[1].value = -3.0
    plt.close("all")
    np.testing.assert_allclose(calls[-1], [[0.0, -3.0]])
