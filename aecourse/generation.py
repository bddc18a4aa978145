"""Where a VAE's codes lie, and densities to generate from.

A VAE's prior is N(0, I), but the decoder only learns the region its training codes occupy: the
*aggregate posterior* q(z) = mean over training examples of q(z | x). Where q(z) and the prior
differ, prior samples land where the decoder has seen nothing. :func:`posterior_statistics`
measures the difference per dimension; :func:`fit_gaussian` fits a density to the codes to draw
from instead; :func:`sample_aggregate_posterior` draws from q(z) itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PosteriorStatistics:
    """Per latent dimension, over a set of examples (arrays of shape (latent_dim,)).

    If q(z) matched the prior N(0, I), ``mean`` would be 0 and ``variance`` 1 in every dimension.
    """

    mean: np.ndarray  # E[mu]: the mean of q(z)
    variance_of_means: np.ndarray  # Var(mu): how far apart the examples' codes are
    mean_variance: np.ndarray  # E[sigma^2]: how wide each example's posterior is
    kl: np.ndarray  # mean KL(q(z_j | x) || N(0, 1)) in nats

    @property
    def variance(self) -> np.ndarray:
        """Var(z) under q(z) = Var(mu) + E[sigma^2] (the law of total variance)."""
        return self.variance_of_means + self.mean_variance

    def active(self, threshold: float = 0.05) -> np.ndarray:
        """Which dimensions carry information: mean KL above ``threshold`` nats."""
        return self.kl > threshold


def posterior_statistics(z_mean, z_log_var) -> PosteriorStatistics:
    """The aggregate posterior's moments and the KL per dimension, from the encoder's outputs
    (``z_mean``, ``z_log_var``: (N, latent_dim) arrays) on N examples."""
    z_mean = np.asarray(z_mean, np.float64)
    z_log_var = np.asarray(z_log_var, np.float64)
    if z_mean.ndim != 2 or z_mean.shape != z_log_var.shape:
        raise ValueError(f"expected z_mean and z_log_var of the same shape (N, latent_dim), "
                         f"got {z_mean.shape} and {z_log_var.shape}")
    variance = np.exp(z_log_var)
    kl = 0.5 * (np.square(z_mean) + variance - 1.0 - z_log_var)
    return PosteriorStatistics(mean=z_mean.mean(axis=0), variance_of_means=z_mean.var(axis=0),
                               mean_variance=variance.mean(axis=0), kl=kl.mean(axis=0))


@dataclass(frozen=True)
class GaussianFit:
    """A Gaussian N(mean, covariance) fitted to latent codes."""

    mean: np.ndarray  # (d,)
    covariance: np.ndarray  # (d, d)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` codes drawn from the fit, (n, d) float32."""
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.mean, self.covariance, size=n, method="cholesky").astype(np.float32)


def fit_gaussian(codes, diagonal: bool = False) -> GaussianFit:
    """The Gaussian with the mean and (full, or ``diagonal``) covariance of ``codes`` (N, d).

    A small ridge (1e-6 of the mean variance) keeps the covariance positive definite.
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"expected at least 2 codes as an (N, latent_dim) array, got shape {codes.shape}")
    covariance = np.cov(codes, rowvar=False).reshape(codes.shape[1], codes.shape[1])
    if diagonal:
        covariance = np.diag(np.diag(covariance))
    covariance = covariance + 1e-6 * np.mean(np.diag(covariance)) * np.eye(len(covariance))
    return GaussianFit(codes.mean(axis=0), covariance)


def sample_aggregate_posterior(z_mean, z_log_var, n: int, seed: int = 0) -> np.ndarray:
    """``n`` codes from q(z): pick an example at random, then z ~ N(mu, sigma^2) of that example."""
    z_mean, z_log_var = np.asarray(z_mean), np.asarray(z_log_var)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(z_mean), n)
    noise = rng.standard_normal((n, z_mean.shape[1]))
    return (z_mean[rows] + np.exp(0.5 * z_log_var[rows]) * noise).astype(np.float32)


def touches_border(label_maps) -> np.ndarray:
    """For each (H, W) map of an (N, H, W) batch, whether any structure (label > 0) reaches the
    image's edge: ground-truth hearts sit in the middle of the crop, so a sample that runs off
    the edge is drawn where the decoder learned nothing."""
    maps = np.asarray(label_maps)
    if maps.ndim != 3:
        raise ValueError(f"expected (N, H, W) label maps, got shape {maps.shape}")
    edges = np.concatenate([maps[:, 0, :], maps[:, -1, :], maps[:, :, 0], maps[:, :, -1]], axis=1)
    return (edges > 0).any(axis=1)
