"""A trained VAE's log-likelihood, bounded from below: the ELBO and the importance-weighted bound.

For an image x, a diagonal Gaussian q(z|x) from the encoder, the prior N(0, I) and a Bernoulli
decoder, with z_1..z_K drawn from q(z|x) and log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x):

* ``elbo``: E_q[log p(x|z)] (the mean of log p(x|z_k)) minus KL(q(z|x) || N(0, I)) in closed form;
* ``iwae``: logsumexp_k(log w_k) - log K (Burda et al. 2015), a lower bound on log p(x) whose
  expectation never decreases with K and tends to log p(x).

Both in nats, one value per example. They are bounds on a log-probability only for binary
pixels: for grey levels the Bernoulli "likelihood" is not a density over images.
"""

import math
from dataclasses import dataclass

import numpy as np
from keras import config, ops

LOG_2PI = math.log(2 * math.pi)


@dataclass
class Bounds:
    """Per-example bounds on log p(x), in nats, from ``k`` samples of z per example."""

    elbo: np.ndarray
    iwae: np.ndarray
    k: int
    kl: np.ndarray  # KL(q(z|x) || N(0, I)) in closed form: the rate

    @property
    def distortion(self):
        """E_q[-log p(x|z)] per example (the reconstruction term, over the same K codes): -ELBO - KL."""
        return -self.elbo - self.kl

    @property
    def gap(self):
        """IWAE minus ELBO per example: how much of KL(q(z|x) || p(z|x)) the K samples recover."""
        return self.iwae - self.elbo


def bernoulli_log_likelihood(x, decoded, logits=False):
    """log p(x|z) summed over the last axis, from the decoder's Bernoulli means or logits.

    Logits: x * l - softplus(l), exact for any l. Means: clipped into [eps, 1 - eps] first
    (eps = ``keras.config.epsilon()``, as the course's reconstruction loss does), so a saturated
    sigmoid costs at most -log(eps) = 16.1 nats per pixel instead of inf; the clipped means are
    still a Bernoulli distribution, so for binary x the result stays an exact log-probability.
    """
    if logits:
        return ops.sum(x * decoded - ops.softplus(decoded), axis=-1)
    eps = config.epsilon()
    decoded = ops.clip(decoded, eps, 1 - eps)
    return ops.sum(x * ops.log(decoded) + (1 - x) * ops.log(1 - decoded), axis=-1)


def log_likelihood_bounds(encoder, decoder, x, k=500, *, logits=False, seed=0, max_rows=16_384):
    """ELBO and importance-weighted bound on log p(x) for each row of ``x``, in nats.

    ``encoder(x)`` returns ``(z_mean, z_log_var)``; ``decoder(z)`` returns Bernoulli means (or
    logits, with ``logits=True``) of the pixels. ``x`` is flattened to (n, pixels). The noise comes
    from ``numpy.random.default_rng(seed)``; the decoder sees at most ``max_rows`` codes per call,
    which bounds the memory and does not change the results.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    x = np.asarray(x, np.float32).reshape(len(x), -1)
    rng = np.random.default_rng(seed)
    per_call = max(1, max_rows // k)
    elbo, iwae, kls = [], [], []
    for start in range(0, len(x), per_call):
        batch = x[start:start + per_call]
        z_mean, z_log_var = (np.asarray(ops.convert_to_numpy(t), np.float32) for t in encoder(batch))
        m, d = z_mean.shape
        eps = rng.standard_normal((m, k, d), dtype=np.float32)
        z = z_mean[:, None] + np.exp(0.5 * z_log_var)[:, None] * eps  # (m, k, d)
        decoded = ops.reshape(decoder(z.reshape(m * k, d)), (m, k, -1))
        log_px_z = ops.convert_to_numpy(bernoulli_log_likelihood(batch[:, None], decoded, logits))
        log_px_z = log_px_z.astype(np.float64)
        log_pz = -0.5 * np.sum(np.square(z, dtype=np.float64) + LOG_2PI, axis=-1)
        log_qz = -0.5 * np.sum(np.square(eps, dtype=np.float64) + z_log_var[:, None] + LOG_2PI, axis=-1)
        log_w = log_px_z + log_pz - log_qz  # (m, k)
        top = log_w.max(axis=1, keepdims=True)  # logsumexp: exp(-150) and less would underflow
        iwae.append(top[:, 0] + np.log(np.mean(np.exp(log_w - top), axis=1)))
        kl = -0.5 * np.sum(1 + z_log_var - np.square(z_mean) - np.exp(z_log_var), axis=-1, dtype=np.float64)
        elbo.append(log_px_z.mean(axis=1) - kl)
        kls.append(kl)
    return Bounds(np.concatenate(elbo), np.concatenate(iwae), k, np.concatenate(kls))
