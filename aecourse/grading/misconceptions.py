"""The mistakes students typically make, and how the autograder's output gives each away.

Each :class:`Misconception` has a *signature*: the test cells it makes fail, each with a
:class:`Clue` (a text in the failure message, and optionally how far the student's value is
from the expected one). The class report (:mod:`.report`) matches every student's failures
against this catalogue; the tests (``tests/*_submissions.py``) name, for each catalogued
mistake they grade, the misconception it must be reported as.

``hint`` is written for the student: where to look, not the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MNIST, CARDIAC = "mnist_autoencoders", "cardiac_vae"

# "expected [1.5 2.0]..., got [3.0 4.0]..." or "expected 757.095, got 764.845": a bracketed list or one number
_VALUES = r"(?:\[([^\]]*)\]|(-?[0-9](?:[0-9.eE+-]*[0-9])?))"
_EXPECTED_GOT = re.compile(rf"expected {_VALUES}(?:\.\.\.)?, got {_VALUES}")


def value_ratio(message: str) -> float | None:
    """The mean of got / expected in an "expected A, got B" failure message, or None."""
    found = _EXPECTED_GOT.search(message)
    if not found:
        return None
    listed, number, got_listed, got_number = found.groups()
    try:
        expected, got = ([float(v) for v in values.split()] for values in
                         (listed or number, got_listed or got_number))
    except ValueError:
        return None
    pairs = [(e, g) for e, g in zip(expected, got) if e != 0]
    return sum(g / e for e, g in pairs) / len(pairs) if pairs else None


@dataclass(frozen=True)
class Clue:
    """How one failing test cell shows a mistake: ``text`` in its message ("" for any failure),
    and, if given, got / expected within ``ratio`` = (low, high)."""

    text: str = ""
    ratio: tuple[float, float] | None = None

    def fits(self, message: str) -> bool:
        if self.text not in message:
            return False
        if self.ratio is None:
            return True
        ratio = value_ratio(message)
        return ratio is not None and self.ratio[0] <= ratio <= self.ratio[1]


@dataclass(frozen=True)
class Misconception:
    id: str
    assignment: str
    title: str  # for the instructor: "KL sign flipped"
    hint: str  # for the student: where to look, without the answer
    signature: dict = field(default_factory=dict)  # {test cell grade_id: Clue}

    def matches(self, failures: dict) -> bool:
        """Whether ``failures`` ({test cell: failure message}) show this mistake."""
        return all(cell in failures and clue.fits(failures[cell]) for cell, clue in self.signature.items())


def _m(assignment, id, title, hint, **signature):
    return Misconception(id, assignment, title, hint, signature)


STD = "The standard deviation is exp(z_log_var / 2): check how your sampling turns the log-variance into a scale."
CATALOGUE = (
    # -- MNIST: sampling (reparameterization)
    _m(MNIST, "std_is_exp_logvar", "std taken as exp(log_var), not exp(log_var / 2)", STD,
       test_sampling_statistics=Clue("sample standard deviations"), test_sampling_gradients=Clue("dz/dz_log_var")),
    _m(MNIST, "std_is_logvar", "log-variance used as the standard deviation", STD,
       test_sampling_shape=Clue("random draws, not zeros"), test_sampling_statistics=Clue("sample standard deviations"),
       test_sampling_fresh_noise=Clue("the noise is not fresh"), test_sampling_gradients=Clue("dz/dz_log_var")),
    _m(MNIST, "noise_not_gaussian", "noise drawn from the wrong distribution",
       "The noise epsilon must be standard normal: check which random function draws it.",
       test_sampling_statistics=Clue("sample means")),
    _m(MNIST, "noise_drawn_once", "noise drawn once, not per call",
       "Every call of the layer must draw new noise, also inside a compiled model: check how the noise is "
       "seeded and which library draws it.",
       test_sampling_shape=Clue("the noise is not fresh"), test_sampling_fresh_noise=Clue("the noise is not fresh")),
    _m(MNIST, "noise_static_shape", "noise shape read with z_mean.shape (None batch size in a compiled step)",
       "Inside a compiled training step the batch size is unknown (None): build the noise's shape with "
       "ops.shape(z_mean), not z_mean.shape, and draw the noise with keras.random, not numpy.",
       test_sampling_shape=Clue("compiled training step")),
    _m(MNIST, "noise_not_keras", "noise drawn with numpy, not keras.random",
       "Inside a Keras layer, random numbers must come from the backend (keras.random), or a compiled model "
       "cannot draw them.",
       test_sampling_shape=Clue("compiled training step"), test_sampling_fresh_noise=Clue("always the same")),
    _m(MNIST, "noise_one_per_dimension", "one noise vector shared by the whole batch",
       "Each row of the batch needs its own noise: compare the shape of your noise with the shape of z_mean.",
       test_sampling_statistics=Clue(), test_sampling_fresh_noise=Clue("every row should get its own noise")),
    # -- MNIST: KL divergence
    _m(MNIST, "kl_sign_flipped", "KL sign flipped",
       "A KL divergence is never negative: check the sign in front of your sum.",
       test_kl_values=Clue("check the sign")),
    _m(MNIST, "kl_without_half", "KL missing its factor 1/2",
       "Your KL is twice the closed form: compare the constant in front of the sum with the formula.",
       test_kl_values=Clue("expected", ratio=(1.9, 2.1))),
    _m(MNIST, "kl_without_one", "KL missing the +1 term",
       "KL(N(0, I) || N(0, I)) must be 0: write out the formula term by term and compare.",
       test_kl_shape=Clue("should be 0"), test_kl_values=Clue("expected")),
    _m(MNIST, "kl_mean_over_dimensions", "KL averaged over latent dimensions instead of summed",
       "The KL of independent dimensions adds up: check how you reduce over the latent axis.",
       test_kl_values=Clue("expected", ratio=(0.1, 0.51))),
    _m(MNIST, "kl_with_numpy", "KL computed with numpy (no gradient, fails in a compiled step)",
       "A loss term must be built from keras.ops, so that it runs inside a compiled training step and "
       "gradients flow through it: look for numpy calls in your KL.",
       test_kl_shape=Clue("compiled training step"), test_elbo_shape=Clue("compiled training step")),
    # -- MNIST: reconstruction loss and ELBO
    _m(MNIST, "reconstruction_over_batch", "reconstruction loss reduced over the batch, not the pixels",
       "The loss should give one value per image: check the axis you reduce over.",
       test_reconstruction_loss_shape=Clue("should have shape"), test_reconstruction_loss_values=Clue("should have shape")),  # noqa: E501
    _m(MNIST, "reconstruction_mean_over_pixels", "reconstruction loss averaged over pixels instead of summed",
       "The log-likelihood of an image is a sum over its pixels: compare the size of your loss with the formula.",
       test_reconstruction_loss_values=Clue("sum the cross-entropy over the pixels")),
    _m(MNIST, "reconstruction_log_of_zero", "log of a saturated sigmoid: x_hat not clipped before the log",
       "A sigmoid can return exactly 0 or 1, and log(0) is -inf: clip x_hat into [eps, 1 - eps] "
       "before taking logs.",
       test_reconstruction_loss_shape=Clue("exactly 0 or 1"), test_reconstruction_loss_values=Clue("exactly 0 or 1")),
    _m(MNIST, "reconstruction_clip_too_wide", "x_hat clipped too far from 0 and 1",
       "Your loss is right in the middle but not for predictions close to 0 or 1: check how far from 0 and 1 "
       "you clip x_hat.",
       test_reconstruction_loss_values=Clue("near 0 or 1")),
    _m(MNIST, "reconstruction_with_numpy", "reconstruction loss computed with numpy (no gradient, fails in a compiled step)",  # noqa: E501
       "A loss must be built from keras.ops, so that it runs inside a compiled training step and gradients "
       "flow through it: look for numpy calls in your reconstruction loss.",
       test_reconstruction_loss_shape=Clue("compiled training step"), test_elbo_shape=Clue("compiled training step")),
    _m(MNIST, "beta_ignored", "beta (the KL weight) ignored in the ELBO",
       "negative_elbo receives beta: check that it weights the KL term.",
       test_elbo_values=Clue("beta=0.00: expected", ratio=(1.0, 1.5))),
    _m(MNIST, "elbo_summed_over_batch", "ELBO summed over the batch instead of averaged",
       "The loss is a mean over the examples of the batch: check how you reduce it.",
       test_elbo_values=Clue("expected", ratio=(2.5, 20.0))),
    _m(MNIST, "elbo_with_numpy", "ELBO computed with numpy (no gradient, fails in a compiled step)",
       "The loss must be built from keras.ops, so that it runs inside a compiled training step and gradients "
       "flow through it: look for numpy calls in negative_elbo.",
       test_elbo_shape=Clue("compiled training step")),
    # -- MNIST: models
    _m(MNIST, "decoder_without_sigmoid", "decoder output not squashed into (0, 1)",
       "Pixels are probabilities: check the activation of the decoder's last layer.",
       test_decoder_shapes=Clue("should lie in [0, 1]"), test_decoder_activations=Clue("should be a sigmoid")),
    _m(MNIST, "activation_on_bottleneck", "activation on the bottleneck layer",
       "A code can be negative: check the activation of the encoder's last layer.",
       test_encoder_activations=Clue("bottleneck (last layer) should have no activation")),
    _m(MNIST, "hidden_not_relu", "encoder hidden layers not (all) ReLU",
       "Check the activation of each hidden layer of your encoder against the table in the assignment.",
       test_encoder_activations=Clue("does not behave like a ReLU")),
    _m(MNIST, "decoder_hidden_not_relu", "decoder hidden layers not (all) ReLU",
       "Check the activation of each hidden layer of your decoder against the table in the assignment.",
       test_decoder_activations=Clue("does not behave like a ReLU")),
    _m(MNIST, "vae_encoder_hidden_not_relu", "VAE encoder hidden layers not (all) ReLU",
       "Check the activation of each hidden layer of your VAE encoder: the same as the autoencoder's.",
       test_vae_encoder_architecture=Clue("does not behave like a ReLU")),
    _m(MNIST, "vae_encoder_activation_on_heads", "activation on the z_mean / z_log_var heads",
       "A mean or a log-variance can be negative: check the activation of the encoder's two heads.",
       test_vae_encoder_architecture=Clue("heads should have no activation")),
    _m(MNIST, "wrong_hidden_sizes", "hidden layer sizes not as specified",
       "Compare the sizes of your hidden layers with the architecture in the assignment.",
       test_encoder_architecture=Clue("weight matrices")),
    # -- cardiac: one-hot encoding
    _m(CARDIAC, "one_hot_channels_first", "one-hot classes on axis 1 (channels first)",
       "Keras images are channels last: check on which axis your one-hot classes end up.",
       test_one_hot_values=Clue("got (3, 4, 9, 7)")),
    _m(CARDIAC, "labels_not_one_hot", "labels kept as one channel, not one-hot",
       "The network needs one channel per class: compare your output's last axis with the number of classes.",
       test_one_hot_values=Clue("got (3, 9, 7, 1)")),
    _m(CARDIAC, "one_hot_integers", "one-hot maps left as integers",
       "Check the dtype your one-hot maps come out in.",
       test_one_hot_shape=Clue("expected float32")),
    _m(CARDIAC, "one_hot_classes_from_data", "number of classes taken from the data, not fixed at 4",
       "A batch of maps need not contain every label: check where your number of channels comes from.",
       test_one_hot_values=Clue("where some labels are absent")),
    # -- cardiac: encoder and decoder
    _m(CARDIAC, "encoder_missing_block", "encoder blocks missing (not every width used)",
       "Each width in `widths` makes one block of two convolutions: count your blocks.",
       test_encoder_architecture=Clue("convolution widths")),
    _m(CARDIAC, "encoder_not_downsampling", "an encoder block does not downsample",
       "Four blocks must shrink the map 16 times: check the strides of each block.",
       test_encoder_architecture=Clue("16x smaller grid")),
    _m(CARDIAC, "encoder_activation_on_heads", "activation on the z_mean / z_log_var heads",
       "A mean or a log-variance can be negative: check the activation of the encoder's heads.",
       test_encoder_architecture=Clue("the heads should be linear")),
    _m(CARDIAC, "encoder_hidden_activation", "encoder convolutions without ReLU (linear, leaky, tanh, sigmoid...)",
       "Every convolution of the encoder is followed by a ReLU: check the activation of the layer the message names.",
       test_encoder_architecture=Clue("does not behave like a ReLU")),
    _m(CARDIAC, "encoder_blocks_order", "encoder blocks not in the order of widths",
       "The i-th downsampling block has width widths[i]: check the order in which you go through widths.",
       test_encoder_architecture=Clue("in the order of widths")),
    _m(CARDIAC, "decoder_softmax_output", "decoder returns probabilities, not logits",
       "The loss expects logits: check the activation of the decoder's last layer.",
       test_decoder_architecture=Clue("should return logits")),
    _m(CARDIAC, "decoder_hidden_activation", "decoder hidden layers without ReLU",
       "Every hidden layer of the decoder (the Dense layer and each upsampling block's layers) is followed by a "
       "ReLU: check the activation of the layer the message names.",
       test_decoder_architecture=Clue("does not behave like a ReLU")),
    _m(CARDIAC, "decoder_blocks_order", "decoder blocks not in the reverse order of widths",
       "The decoder mirrors the encoder: check the order of the widths of its upsampling blocks.",
       test_decoder_architecture=Clue("in this order")),
    _m(CARDIAC, "decoder_height_width_swapped", "height and width swapped in the decoder",
       "Maps need not be square: check the order of the grid's dimensions where the Dense output becomes a grid.",
       test_decoder_shapes=Clue("has shape (2, 48, 64, 4)")),
    _m(CARDIAC, "decoder_upsampling_gaps", "upsampling that leaves gaps (a transposed convolution's kernel smaller "
       "than its stride)",
       "A transposed convolution writes one kernel-sized patch per input pixel, a stride apart: check that the "
       "kernels of your upsampling layers cover every output pixel.",
       test_decoder_architecture=Clue("some output pixels get nothing from the code")),
    _m(CARDIAC, "decoder_conv_instead_of_transpose", "Conv2D with stride 2 used to upsample",
       "A strided Conv2D shrinks its input: check which layer makes the map larger.",
       test_decoder_shapes=Clue("output size would be zero or negative")),
    _m(CARDIAC, "decoder_not_upsampling", "decoder never upsamples",
       "The decoder must bring a 16x smaller grid back to full size: check which layers make the map larger.",
       test_decoder_shapes=Clue("got (2, 4, 3, 4)"), test_decoder_architecture=Clue("did every block upsample?")),
    _m(CARDIAC, "decoder_block_short", "one decoder block does not upsample",
       "The output is half the size it should be: check that every decoder block doubles the map.",
       test_decoder_shapes=Clue("got (2, 32, 24, 4)"), test_decoder_architecture=Clue("did every block upsample?")),
    # -- cardiac: sampling
    _m(CARDIAC, "std_is_exp_logvar", "std taken as exp(log_var), not exp(log_var / 2)", STD,
       test_sampling=Clue("sample std"), test_sampling_gradients=Clue("dz/dz_log_var")),
    _m(CARDIAC, "noise_drawn_once", "noise drawn once, not per call",
       "Every call of the layer must draw new noise: check how the noise is seeded.",
       test_sampling=Clue("the noise is not fresh")),
    _m(CARDIAC, "noise_shape_not_dynamic", "noise a compiled model cannot draw (z_mean.shape, numpy)",
       "Inside a compiled model (as during fit) the batch size is unknown until it runs: take the noise's shape "
       "with ops.shape(z_mean), not z_mean.shape, and draw it with keras.random.",
       test_sampling=Clue("where the batch size is unknown")),
    _m(CARDIAC, "noise_shared", "one noise value shared by several elements of z",
       "Every element of z needs its own noise: compare the shape of your noise with the shape of z_mean.",
       test_sampling=Clue("its own noise")),
    _m(CARDIAC, "sampling_with_numpy", "z computed with numpy (no gradient, no compiled model)",
       "Inside a layer, compute with keras.ops: numpy cannot run in a compiled model and stops the gradients.",
       test_sampling=Clue("where the batch size is unknown"), test_sampling_gradients=Clue("no gradient reaches")),
    # -- cardiac: losses
    _m(CARDIAC, "softmax_before_logits_loss", "softmax applied before a from_logits loss",
       "A loss that expects logits applies the softmax itself: check what you pass it.",
       test_reconstruction_loss_values=Clue("a softmax was applied")),
    _m(CARDIAC, "cross_entropy_misapplied", "cross-entropy not told about logits, or on the wrong axis",
       "Check how your cross-entropy knows that the decoder gives logits, and over which axis it takes the classes.",
       test_reconstruction_loss_values=Clue("expected", ratio=(0.5, 10.0))),
    _m(CARDIAC, "cross_entropy_mean_over_pixels", "cross-entropy averaged over pixels instead of summed",
       "The log-likelihood of a map is a sum over its pixels: compare the size of your loss with the formula.",
       test_reconstruction_loss_values=Clue("expected", ratio=(0.0, 0.1))),
    _m(CARDIAC, "kl_formula", "KL divergence does not match the closed form",
       "Write out -0.5 * sum(1 + log_var - mu^2 - exp(log_var)) term by term, and check how you reduce over the "
       "latent axis.",
       test_kl_values=Clue("KL does not match")),
    _m(CARDIAC, "kl_sign_flipped", "KL sign flipped",
       "A KL divergence is never negative: check the sign in front of your sum.",
       test_losses_shapes=Clue("never negative"), test_kl_values=Clue("check the sign")),
    _m(CARDIAC, "kl_without_one", "KL missing the +1 term",
       "KL(N(0, I) || N(0, I)) must be 0: write out the formula term by term and compare.",
       test_losses_shapes=Clue("should be 0"), test_kl_values=Clue("KL does not match")),
    _m(CARDIAC, "kl_with_numpy", "KL computed with numpy (no gradient)",
       "Training needs the gradient of the KL: compute it with keras.ops, not numpy.",
       test_kl_values=Clue("compute the KL with keras.ops")),
    _m(CARDIAC, "reconstruction_with_numpy", "cross-entropy computed with numpy (no gradient)",
       "Training needs the gradient of the reconstruction loss: compute it with keras.ops, not numpy.",
       test_reconstruction_loss_values=Clue("no gradient reaches the logits")),
    _m(CARDIAC, "elbo_with_numpy", "negative ELBO computed with numpy (no gradient)",
       "Training minimises negative_elbo by its gradient: compute it with keras.ops, not numpy.",
       test_elbo_values=Clue("no gradient of negative_elbo")),
    _m(CARDIAC, "beta_renamed", "the KL weight's parameter renamed",
       "The tests pass the KL weight by keyword: keep the parameter name beta.",
       test_losses_shapes=Clue("unexpected keyword argument 'beta'"),
       test_elbo_values=Clue("unexpected keyword argument 'beta'")),
    _m(CARDIAC, "elbo_without_kl", "KL term left out of the ELBO",
       "The negative ELBO has two terms: check that both are in your sum.",
       test_elbo_values=Clue("expected", ratio=(0.5, 1.0))),
    _m(CARDIAC, "beta_ignored", "beta (the KL weight) ignored in the ELBO",
       "negative_elbo receives beta: check that it weights the KL term.",
       test_elbo_values=Clue("expected", ratio=(1.0, 1.5))),
    _m(CARDIAC, "elbo_summed_over_batch", "ELBO summed over the batch instead of averaged",
       "The loss is a mean over the examples of the batch: check how you reduce it.",
       test_elbo_values=Clue("expected", ratio=(1.9, 10.0))),
)


def for_assignment(assignment: str) -> list[Misconception]:
    return [m for m in CATALOGUE if m.assignment == assignment]


def diagnose(assignment: str, failures: dict) -> list[Misconception]:
    """The catalogued misconceptions that ``failures`` ({test cell: message}) show.

    A match whose cells are a strict subset of another match's is left out: the larger
    pattern explains those failures already (a log-variance used as the standard deviation
    also looks like exp(log_var) used as one, and more).
    """
    matched = [m for m in for_assignment(assignment) if m.matches(failures)]
    return [m for m in matched
            if not any(set(m.signature) < set(other.signature) for other in matched)]
