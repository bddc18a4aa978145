"""The VAE training wrapper both assignments share.

The learner writes the pieces (encoder, decoder, sampling layer, loss terms); this
class only wires them for ``fit``: encode, sample, decode, and minimise the
learner's negative ELBO, reporting its two terms as it trains.
"""

import keras
from keras import ops


class VariationalAutoencoder(keras.Model):
    """encoder(x) -> (z_mean, z_log_var); sampler -> z; decoder(z) -> reconstruction.

    ``call`` returns ``(reconstruction, z_mean, z_log_var)``. The loss functions follow
    the course's convention: ``reconstruction_loss(x, x_hat)`` and
    ``kl_divergence(z_mean, z_log_var)`` give one value per example, and
    ``negative_elbo(x, x_hat, z_mean, z_log_var, beta)`` their batch mean.
    """

    def __init__(self, encoder, decoder, sampler, *, reconstruction_loss,
                 kl_divergence, negative_elbo, beta, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.sampler = encoder, decoder, sampler
        self.reconstruction_loss = reconstruction_loss
        self.kl_divergence = kl_divergence
        self.negative_elbo = negative_elbo
        self.beta = beta
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        z_mean, z_log_var = self.encoder(x, training=training)
        # Always a draw, in validation too (a sampler may return the mean when not training): both
        # losses then estimate the same expectation, the one that early stopping watches.
        z = self.sampler([z_mean, z_log_var], training=True)
        return self.decoder(z, training=training), z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        x_hat, z_mean, z_log_var = y_pred
        self.reconstruction_tracker.update_state(ops.mean(self.reconstruction_loss(x, x_hat)))
        self.kl_tracker.update_state(ops.mean(self.kl_divergence(z_mean, z_log_var)))
        return self.negative_elbo(x, x_hat, z_mean, z_log_var, self.beta)

    def encode_mean(self, x, batch_size=256):
        """The posterior means, one latent vector per input (no sampling), as numpy."""
        means = [self.encoder(x[start:start + batch_size])[0] for start in range(0, len(x), batch_size)]
        return ops.convert_to_numpy(ops.concatenate(means, axis=0))


def training_step_source():
    """The source of the lines that wire encode, sample, decode and the ELBO into ``fit``.

    Displayed in the notebooks (as an ``IPython.display.Code``), so that the lesson reads the
    real code, not a copy that could drift from it.
    """
    import inspect
    import textwrap

    from IPython.display import Code

    methods = (VariationalAutoencoder.call, VariationalAutoencoder.compute_loss)
    return Code("\n".join(textwrap.dedent(inspect.getsource(method)) for method in methods),
                language="python")
