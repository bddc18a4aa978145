"""aecourse.bounds on a model whose log-likelihood is known: a 2-D latent and a small Bernoulli decoder.

log p(x) = log of the integral of p(x|z) N(z; 0, I) over z, computed on a fine grid (the integrand
is smooth and negligible beyond |z| = 7, so the grid sum is exact to far better than the
Monte-Carlo errors tested here). The encoder is a Gaussian near the true posterior, deliberately
off (shifted, wider), so that the ELBO lies visibly below log p(x).
"""

import math

import keras
import numpy as np
import pytest

from aecourse.bounds import bernoulli_log_likelihood, log_likelihood_bounds

PIXELS, LATENT = 12, 2
GRID = np.linspace(-7, 7, 561)  # steps of 0.025; the posteriors here have standard deviations of 0.3 and more
CELL = (GRID[1] - GRID[0]) ** 2
Z = np.stack(np.meshgrid(GRID, GRID, indexing="ij"), -1).reshape(-1, LATENT)
# q's mean is off by 0.2, its variance 3 times the posterior's: a wide proposal keeps the importance
# weights tame (v below, 1.3 to 2.2 here) while the ELBO lies 1.3 to 2.5 nats below log p(x)
SHIFT, WIDER = 0.2, 3.0


def make_decoder(logits=False, seed=3):
    rng = np.random.default_rng(seed)
    decoder = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(8, activation="tanh"),
                                keras.layers.Dense(PIXELS, activation=None if logits else "sigmoid")])
    decoder.set_weights([rng.normal(0, 1.2, (LATENT, 8)), rng.normal(0, 0.3, 8),
                         rng.normal(0, 1.3, (8, PIXELS)), rng.normal(0, 0.5, PIXELS)])
    return decoder


DECODER = make_decoder()


GRID_PROBS = np.asarray(DECODER(Z.astype("float32")), np.float64)  # the decoder's means at each grid point


def exact(x):
    """On the grid: log p(x), the posterior's mean and variance, log p(x|z) at each grid point."""
    log_lik = x @ np.log(GRID_PROBS).T + (1 - x) @ np.log1p(-GRID_PROBS).T  # (examples, grid points)
    log_joint = log_lik - 0.5 * (Z ** 2).sum(axis=1) - LATENT / 2 * math.log(2 * math.pi)
    top = log_joint.max(axis=1, keepdims=True)
    log_px = top[:, 0] + np.log(np.exp(log_joint - top).sum(axis=1) * CELL)
    weights = np.exp(log_joint - log_px[:, None]) * CELL  # the posterior's mass per grid cell
    mean = weights @ Z
    return log_px, mean, weights @ Z ** 2 - mean ** 2, log_lik, weights


_posteriors = {}


def encoder(x):
    """q(z|x): a Gaussian with the posterior's variance tripled and its mean moved off."""
    x = np.asarray(x, np.float64)
    new = {row.tobytes(): row for row in x if row.tobytes() not in _posteriors}
    if new:
        _, mean, var, _, _ = exact(np.array(list(new.values())))
        _posteriors.update(zip(new, zip(mean + SHIFT, np.log(WIDER * var))))
    z_mean, z_log_var = zip(*(_posteriors[row.tobytes()] for row in x))
    return np.array(z_mean, "float32"), np.array(z_log_var, "float32")


def q_density(x):
    z_mean, z_log_var = (np.asarray(t, np.float64) for t in encoder(x))
    var = np.exp(z_log_var)[:, None]
    return np.exp(-0.5 * ((Z - z_mean[:, None]) ** 2 / var).sum(-1)) / (2 * math.pi * np.sqrt(var.prod(-1)))


def exact_elbo_and_spread(x):
    """The ELBO under q, and v = Var_q[w / p(x)]: the IWAE estimate's variance is about v / K."""
    log_px, _, _, log_lik, weights = exact(x)
    q = q_density(x)
    z_mean, z_log_var = encoder(x)
    kl = -0.5 * (1 + z_log_var - z_mean ** 2 - np.exp(z_log_var)).sum(-1)
    elbo = (q * log_lik).sum(axis=1) * CELL - kl
    v = (weights ** 2 / (q * CELL)).sum(axis=1) - 1
    return log_px, elbo, v


@pytest.fixture(scope="module")
def digits():
    """Six binary "images" of 12 pixels, drawn from the model itself."""
    rng = np.random.default_rng(0)
    probs = np.asarray(DECODER(rng.standard_normal((6, LATENT)).astype("float32")))
    return (rng.random(probs.shape) < probs).astype(np.float64)


def test_the_grid_integral_matches_plain_monte_carlo(digits):
    """The reference itself: p(x) = E_{z ~ N(0, I)}[p(x|z)], estimated from 10^6 prior draws,
    agrees with the grid within 5 standard errors (relative errors of about 1% here)."""
    z = np.random.default_rng(9).standard_normal((10 ** 6, LATENT)).astype("float32")
    probs = np.asarray(DECODER(z), np.float64)
    p_x_z = np.exp(digits @ np.log(probs).T + (1 - digits) @ np.log1p(-probs).T)  # (examples, draws)
    error = p_x_z.std(axis=1) / np.sqrt(z.shape[0])
    np.testing.assert_array_less(np.abs(p_x_z.mean(axis=1) - np.exp(exact(digits)[0])), 5 * error)


def test_elbo_and_iwae_bracket_the_exact_log_likelihood(digits):
    log_px, exact_elbo, v = exact_elbo_and_spread(digits)
    assert (log_px - exact_elbo > 0.1).all(), "the test needs a visible gap"
    k = 4000
    bounds = log_likelihood_bounds(encoder, DECODER, digits, k=k, seed=1)
    # The ELBO's Monte-Carlo part is a mean of K draws of log p(x|z), z ~ q: its standard error,
    # from the grid, is 0.05 to 0.08 nats at K = 4000; 6 standard errors fail a right estimate
    # with probability 2e-9, and a missing or doubled KL term (1 nat or more) fails.
    log_lik, q = exact(digits)[3], q_density(digits)
    spread = np.sqrt((q * log_lik ** 2).sum(1) * CELL - ((q * log_lik).sum(1) * CELL) ** 2)
    np.testing.assert_array_less(np.abs(bounds.elbo - exact_elbo), 6 * spread / math.sqrt(k))
    # The IWAE estimate: about N(log p(x) - v / 2K, v / K) by the delta method; 6 standard
    # deviations plus the bias (v is computed from the grid: 1.3 to 2.2 here, so 0.11 to 0.14 nats).
    tolerance = 6 * np.sqrt(v / k) + v / (2 * k)
    np.testing.assert_array_less(np.abs(bounds.iwae - log_px), tolerance)
    np.testing.assert_array_less(bounds.elbo, bounds.iwae)
    assert (bounds.gap > 0.5 * (log_px - exact_elbo)).all(), "K = 4000 should recover most of the gap"


def test_rate_and_distortion_split_the_elbo(digits):
    """Bounds.kl is the closed-form KL to the prior (the rate); Bounds.distortion, E_q[-log p(x|z)]
    over the K codes, matches the grid's expectation within 6 standard errors."""
    k = 4000
    bounds = log_likelihood_bounds(encoder, DECODER, digits, k=k, seed=1)
    z_mean, z_log_var = encoder(digits)
    kl = -0.5 * (1 + z_log_var - z_mean ** 2 - np.exp(z_log_var)).sum(-1)
    np.testing.assert_allclose(bounds.kl, kl, rtol=1e-6)
    log_lik, q = exact(digits)[3], q_density(digits)
    expected = -(q * log_lik).sum(1) * CELL
    spread = np.sqrt((q * log_lik ** 2).sum(1) * CELL - expected ** 2)
    np.testing.assert_array_less(np.abs(bounds.distortion - expected), 6 * spread / math.sqrt(k))
    np.testing.assert_allclose(bounds.distortion + bounds.kl, -bounds.elbo, rtol=1e-9)


def test_iwae_bound_tightens_towards_log_px_as_k_grows(digits):
    """E[IWAE_K] rises from the ELBO (K = 1) to log p(x). Each expectation is estimated as the mean
    over 1,000 independent estimates for one image; its standard error is measured from them."""
    x = np.repeat(digits[:1], 1000, axis=0)
    log_px, exact_elbo, v = (value[0] for value in exact_elbo_and_spread(digits[:1]))
    means, errors = [], []
    for k in (1, 10, 100, 1000):
        iwae = log_likelihood_bounds(encoder, DECODER, x, k=k, seed=k).iwae
        means.append(iwae.mean())
        errors.append(iwae.std() / math.sqrt(len(iwae)))
    means, errors = np.array(means), np.array(errors)
    # K = 1: log w itself, whose expectation is the ELBO (5 standard errors)
    assert abs(means[0] - exact_elbo) < 5 * errors[0], (means, exact_elbo)
    # K = 1 -> 10 -> 100 gains, each by more than 4 combined standard errors (the expected gains,
    # about 2.4 and v / 2 (1/10 - 1/100) = 0.08 nats, are about 16 and 5 of them; from 100 to
    # 1000 the expected gain, 0.008 nats, is under 2 of them, so it is not tested)
    steps = np.diff(means)[:2]
    assert (steps > 4 * np.hypot(errors[1:3], errors[:2])).all(), (means, errors)
    # at K = 1000 the remaining bias, v / 2K, is 0.001 nats: the mean is log p(x) within 5
    # standard errors (one of them 0.0013 nats) plus that bias
    assert abs(log_px - means[-1]) < 5 * errors[-1] + v / 2000, (log_px, means, errors)


def test_logits_and_means_give_the_same_bounds(digits):
    decoder = make_decoder(logits=True)
    from_logits = log_likelihood_bounds(encoder, decoder, digits, k=64, logits=True, seed=5)
    from_means = log_likelihood_bounds(encoder, DECODER, digits, k=64, seed=5)
    np.testing.assert_allclose(from_logits.iwae, from_means.iwae, atol=1e-4)
    np.testing.assert_allclose(from_logits.elbo, from_means.elbo, atol=1e-4)


def test_batching_changes_nothing(digits):
    one_call = log_likelihood_bounds(encoder, DECODER, digits, k=50, seed=2)
    many_calls = log_likelihood_bounds(encoder, DECODER, digits, k=50, seed=2, max_rows=50)
    np.testing.assert_allclose(one_call.iwae, many_calls.iwae, rtol=1e-6)
    np.testing.assert_allclose(one_call.elbo, many_calls.elbo, rtol=1e-6)
    assert not np.allclose(one_call.iwae, log_likelihood_bounds(encoder, DECODER, digits, k=50, seed=3).iwae)


def test_saturated_decoder_and_large_images_stay_finite():
    """784 pixels, a decoder sure of the wrong value on half of them: log w is near -6,000, where
    exp underflows to 0; the logsumexp keeps the bound finite and exact."""
    x = (np.arange(784) % 2).astype("float32")[None].repeat(3, 0)
    zeros = lambda batch: (np.zeros((len(batch), 2), "float32"), np.zeros((len(batch), 2), "float32"))  # noqa: E731
    wrong = lambda z: np.ones((len(z), 784), "float32")  # every pixel ink, exactly 1.0  # noqa: E731
    bounds = log_likelihood_bounds(zeros, wrong, x, k=100)
    # q is the prior and p(x|z) does not depend on z: every bound is log p(x|z), with the means
    # clipped to 1 - eps in float32 (1 - 2^-23): 392 pixels of log(1 - mean), 392 of log(mean)
    top = float(np.float32(1 - keras.config.epsilon()))
    expected = 392 * (math.log(1 - top) + math.log(top))
    np.testing.assert_allclose(bounds.iwae, expected, rtol=1e-5)
    np.testing.assert_allclose(bounds.elbo, expected, rtol=1e-5)


def test_bernoulli_log_likelihood_matches_the_formula():
    rng = np.random.default_rng(4)
    x = (rng.random((5, 30)) < 0.5).astype("float32")
    logit = rng.normal(0, 3, (5, 30))
    p = 1 / (1 + np.exp(-logit))
    expected = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(-1)
    np.testing.assert_allclose(bernoulli_log_likelihood(x, p.astype("float32")), expected, rtol=1e-4)
    np.testing.assert_allclose(bernoulli_log_likelihood(x, logit.astype("float32"), logits=True), expected, rtol=1e-4)


def test_k_must_be_positive(digits):
    with pytest.raises(ValueError, match="k must be at least 1"):
        log_likelihood_bounds(encoder, DECODER, digits, k=0)
