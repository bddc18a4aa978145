"""Activation probes: the judge sets a model's weights, then predicts what its outputs must be.

A hidden test cannot ask a model which activations it applies: they may be arguments of its
layers, layers of their own or ``keras.ops`` calls, in a Sequential, functional or subclassed
model. What it can do, whatever the style: set every Dense and convolution kernel
(:meth:`aecourse.judge.judge.Judge.model_kernels`, :class:`Kernel`) so that chosen channels carry
chosen signals, set the biases to zero, and read the outputs. A ReLU turns a negative signal into
exactly 0, keeps a positive one at any scale and maps 0 to 0; linear, leaky, capped (ReLU6), tanh,
sigmoid, softplus... activations do not. :func:`expect_relu_chain` probes every layer of a chain
(:func:`channel_chain` orders its kernels) and names the first one that behaves otherwise.

This runs in the judge's process: the kernels are set, and the model run, in the student's
kernel (through the agent); the outputs come back as arrays and are judged here.
"""

import numpy as np

from aecourse.judge.verdicts import HiddenTestFailure

#: How much a probe amplifies the positive signal into one layer: far past a capped activation's cap.
GAIN = 1e3


class Kernel:
    """One Dense or convolution kernel of a model in the kernel, as the probes route channels through it.

    ``n_in`` / ``n_out``: its input and output channels (units for a Dense layer). A Dense kernel
    between a grid and a vector reads or writes the grid's channels by index modulo ``group_in`` /
    ``group_out`` (the channel of a flattened channels-last grid); a Dense head that holds two
    outputs side by side (z_mean and z_log_var) writes unit o of both with ``group_out`` = the
    width of one. ``assign(value)`` sets it (queued until the model next runs).
    """

    def __init__(self, kind, shape, assign):
        self.kind, self.shape, self.assign = kind, tuple(shape), assign
        if kind == "dense":
            self.n_in, self.n_out = self.shape
        elif kind == "conv":  # (h, w, in, out)
            self.n_in, self.n_out = self.shape[2], self.shape[3]
        else:  # Conv2DTranspose: (h, w, out, in)
            self.n_in, self.n_out = self.shape[3], self.shape[2]
        self.group_in, self.group_out = self.n_in, self.n_out

    def route(self, routes, centre_only=False):
        """Set the kernel to carry input channel i to output channel o with weight w, for every
        (i, o): w in ``routes``, alike at every spatial tap (so signs survive any up/downsampling),
        or, with ``centre_only``, at the centre tap of a (non-transposed) convolution only (so it
        mixes no neighbouring pixels)."""
        value = np.zeros(self.shape, dtype="float32")
        for (i, o), weight in routes.items():
            if self.kind == "dense":
                value[i::self.group_in, o::self.group_out] = weight
            elif self.kind == "conv" and centre_only:
                value[self.shape[0] // 2, self.shape[1] // 2, i, o] = weight
            elif self.kind == "conv":
                value[:, :, i, o] = weight / (value.shape[0] * value.shape[1])
            else:
                value[:, :, o, i] = weight / (value.shape[0] * value.shape[1])
        self.assign(value)


def channel_chain(kernels, channels):
    """``kernels`` ordered along ``channels`` (the i-th maps channels[i] to channels[i + 1]), or
    None when they do not connect those channel (or unit) counts exactly, every kernel used."""
    remaining = list(kernels)
    chain = []
    for pair in zip(channels, channels[1:]):
        match = next((k for k in remaining if (k.n_in, k.n_out) == pair), None)
        if match is None:
            return None
        remaining.remove(match)
        chain.append(match)
    return chain if not remaining else None


def _as_array(outputs):
    """A model's outputs as one float64 array; several outputs (heads) stacked on axis 1."""
    if isinstance(outputs, (list, tuple)):
        return np.stack([_as_array(output) for output in outputs], axis=1)
    return np.asarray(outputs, dtype="float64")


def _near_zero(values, scale):
    return np.abs(values).max(initial=0) <= 1e-5 * scale


def expect_relu_chain(run, hidden, outputs, names, output_problem, sigmoid_output=False):
    """Check that every layer of ``hidden`` (kernels in the order the data flows) is followed by a
    ReLU and that the ``outputs`` kernels (the last layer, or its heads) are linear, by probing.

    The model's biases must be zero. ``run()`` evaluates the model on a batch [x, 3 x] whose input
    channel 0 is positive and returns its outputs (several outputs are stacked on axis 1) with the
    output channels on the last axis; with ``sigmoid_output``, the outputs end in a sigmoid and are
    read through a logit. The probes route signals through channels 0-2 only. The first failing
    layer is named ``names[i]``; ``output_problem`` is the message for the outputs.
    """
    def probe(hidden_routes, output_routes):
        for kernel, routes in zip(hidden, hidden_routes):
            kernel.route(routes)
        for kernel in outputs:
            kernel.route(output_routes)
        values = _as_array(run())
        if sigmoid_output:
            with np.errstate(all="ignore"):  # outside (0, 1): NaN, which no check accepts
                values = np.log(values) - np.log1p(-values)
        return values

    last = len(hidden)
    # Two adjacent layers with the same channels (an upsampling layer and a convolution): their order.
    for p in range(last - 1):
        if (hidden[p].n_in, hidden[p].n_out) == (hidden[p + 1].n_in, hidden[p + 1].n_out):
            routes = [{(0, 0): 1.0}] * p + [{(0, 1): 1.0}, {(1, 2): 1.0}] + [{(2, 2): 1.0}] * (last - p - 2)
            if not (probe(routes, {(2, 2): 1.0})[..., 2] > 0).any():
                hidden[p], hidden[p + 1] = hidden[p + 1], hidden[p]
    # The outputs: a positive signal kept, its negative kept as its negative, an empty channel left at 0.
    out = probe([{(0, 0): 1.0}] * last, {(0, 0): 1.0, (0, 1): -1.0})
    out_scale = np.abs(out).max()
    _check(out_scale > 0 and (out[..., 0] > 0).all()
           and np.allclose(out[..., 1], -out[..., 0], rtol=1e-4, atol=1e-6 * out_scale)
           and _near_zero(out[..., 2:], out_scale), output_problem)
    # Each hidden layer, last first (a probe passes the layers after it only through positive signals):
    # layer L splits the signal into -s (channel 0) and +GAIN s (channel 1); the next layer flips
    # channel 0 back and scales channel 1 down by GAIN. Whatever L let through of -s reaches the output;
    # channel 2 stays empty; and through a ReLU (which keeps positive values at any scale) output 1 is
    # the output of the signal unsplit, out[..., 0], where a capped or saturating activation changes it.
    for layer in reversed(range(last)):
        routes = [{(0, 0): 1.0}] * layer + [{(0, 0): -1.0, (0, 1): GAIN},
                                            {(0, 0): -1.0, (1, 1): 1 / GAIN, (2, 2): 1.0}]
        routes += [{(0, 0): 1.0, (1, 1): 1.0, (2, 2): 1.0}] * (last - layer - 1)
        probed = probe(routes[:last], routes[last])  # routes[last]: the outputs'
        scale = np.abs(probed).max()
        _check(scale > 0 and (probed[..., 1] > 0).all() and _near_zero(probed[..., [0, 2]], scale)
               and _near_zero(probed[..., 3:], scale),
               f"{names[layer]}: its activation does not behave like a ReLU (negative inputs to 0, positive kept)")
        _check(np.allclose(probed[..., 1], out[..., 0], rtol=1e-4, atol=1e-6 * out_scale),
               f"{names[layer]}: its activation does not behave like a ReLU (it changes large positive inputs, "
               "which a ReLU keeps)")
    # With zero biases, ReLU layers and a linear output make the model positively homogeneous.
    _check(np.allclose(out[1], 3 * out[0], rtol=1e-4, atol=1e-6 * out_scale),
           f"{output_problem} (with zero biases, scaling the input by 3 should scale the output by 3)")


def expect_no_gaps(run, chain, problem):
    """Check that an upsampling path writes every output pixel: with every kernel of ``chain``
    (in the order the data flows) carrying a positive signal on channel 0 and the convolutions
    mixing no neighbours (centre tap only), a positive code must reach every pixel of the output.
    A transposed convolution whose kernel is smaller than its stride leaves pixels unwritten."""
    for kernel in chain:
        kernel.route({(0, 0): 1.0}, centre_only=True)
    out = _as_array(run())
    _check((out[..., 0] > 0).all(), problem)


def _check(condition, message):
    if not condition:
        raise HiddenTestFailure(message)
