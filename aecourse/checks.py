"""Helpers for the notebooks' test cells: shapes, weights and clear failure messages.

They inspect a model through its weights and outputs only, so a test built on them
accepts any model-building style (Sequential, functional, subclassed).
"""

import os

import keras
import numpy as np


def to_numpy(value):
    """A tensor (or nested list of tensors) as numpy arrays."""
    if isinstance(value, (list, tuple)):
        return [to_numpy(item) for item in value]
    if isinstance(value, dict):
        return [to_numpy(item) for item in value.values()]
    return np.asarray(keras.ops.convert_to_numpy(value))


def expect_shape(value, shape, what):
    """Fail with a readable message unless ``value`` has ``shape``."""
    actual = tuple(np.shape(value))
    assert actual == tuple(shape), f"{what} should have shape {tuple(shape)}, got {actual}"


def expect_model(model, what):
    assert isinstance(model, keras.Model), (
        f"{what} should return a keras.Model, got {type(model).__name__}")


def kernel_shapes(model):
    """The shapes of every weight matrix/kernel (ndim >= 2), sorted."""
    return sorted(tuple(int(d) for d in w.shape) for w in model.weights if len(w.shape) >= 2)


def zero_biases(model):
    """Set every bias vector (1-D weight) of ``model`` to zero, in place."""
    for weight in model.weights:
        if len(weight.shape) == 1:
            weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
    return model


def grading_rng(cell_id):
    """The random generator of one hidden test cell.

    While grading, seeded from the student's notebook seed (``AECOURSE_GRADING_SEED``, set by
    the grader from the course secret; see :mod:`aecourse.grading.seeds`) and the cell's ID: the
    same inputs each time a notebook is regraded, other inputs for every student. Elsewhere
    (a self-learner running the hidden tests), fresh randomness.
    """
    from aecourse.grading.seeds import SEED_ENV, cell_seed

    seed = os.environ.get(SEED_ENV)
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(cell_seed(int(seed), cell_id))


def likely_cause(misconception_id):
    """"Likely cause: ..." for a visible check's message: the catalogued student hint
    (:mod:`aecourse.grading.misconceptions`), where to look without the answer."""
    from aecourse.grading.misconceptions import CATALOGUE

    for misconception in CATALOGUE:
        if misconception.id == misconception_id:
            return f"Likely cause: {misconception.hint}"
    raise KeyError(f"no catalogued misconception {misconception_id!r}")


def done(what=None):
    """The last line of a test cell in the student's notebook: what the visible checks found,
    and that the hidden tests come at grading time."""
    if what:
        print(f"{what} OK. More tests run when your notebook is graded.")
    else:
        print("This cell's tests are hidden: they run when your notebook is graded.")


def _first_line(error):
    """The line of an exception's message that says what went wrong (Keras wraps it in more)."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("Exception encountered when calling")]
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def run_compiled(fn, *arrays, what, hint=""):
    """``fn(*arrays)`` run the way ``fit`` runs a training step: traced into a TensorFlow graph
    with the batch size unknown (None). Returns the result as numpy; fails with a readable
    message where ``fn`` cannot run there (numpy on a symbolic tensor, a shape read with
    ``.shape``, whose batch size is None). Call ``fn`` eagerly first: an unanswered cell's
    NotImplementedError then shows as such."""
    import tensorflow as tf

    arrays = [np.asarray(a, "float32") for a in arrays]
    specs = [tf.TensorSpec((None, *a.shape[1:]), "float32") for a in arrays]
    try:
        return to_numpy(tf.function(fn, input_signature=specs, autograph=False)(*arrays))
    except Exception as error:  # the student's code failed inside the graph: say where and why
        raise AssertionError(f"{what} fails inside a compiled training step, where the batch size is "
                             f"unknown ({_first_line(error)}). {hint}".rstrip()) from None


def with_identity_weights(model, inputs, signs, biases=None):
    """``model(inputs)`` as numpy (list outputs joined on the last axis), after setting each kernel
    (weight matrix) to ``sign * identity``, the sign given by the kernel's shape (``signs = {shape:
    +1, -1 or 0}``), and its biases to 0, or to ``biases[shape]`` for those of a shape given there.

    With identity kernels, unit j of each Dense layer sees unit j of the layer before and
    nothing else, so the model applies its activations one after the other to known values,
    whatever the model's style. A kernel of another shape fails (wrong layer sizes)."""
    biases = biases or {}
    for weight in model.weights:
        shape = tuple(int(d) for d in weight.shape)
        if len(shape) == 1:
            weight.assign(np.broadcast_to(biases.get(shape, 0.0), shape).astype("float32"))
            continue
        assert shape in signs, (f"a weight matrix of shape {shape} where the layer sizes give only "
                                f"{sorted(signs)}: fix the layer sizes first")
        weight.assign(signs[shape] * np.eye(*shape, dtype="float32"))
    outputs = to_numpy(model(inputs))
    return np.concatenate(outputs, axis=-1) if isinstance(outputs, list) else outputs


def expect_relu_stack(model, inputs, a, kernels, last, sigmoid_output=False):
    """Check the activations of a stack of three Dense layers: ReLU on the two hidden ones, and
    on the last one none (or a sigmoid if ``sigmoid_output``). ``kernels`` are the kernel shapes,
    first, second and last (several shapes for the last layer: each one accepted, as two heads
    or one). With identity weights (:func:`with_identity_weights`), output unit j of
    ``model(inputs)`` sees the first-layer pre-activations ``a[:, j]``.

    The last layer is checked alone first (its kernel zero, its biases known values); then the
    second kernel is negated (a correct stack gives out(0) everywhere) and not (out(relu(a))).
    Each kind of wrong activation breaks these in its own way, which the messages name."""
    first, second, *lasts = kernels
    out = (lambda t: 1 / (1 + np.exp(-t))) if sigmoid_output else (lambda t: t)
    rule = "be a sigmoid" if sigmoid_output else "have no activation"
    close = lambda u, v: np.allclose(u, v, rtol=1e-5, atol=1e-5)

    def run(s2, s3, biases=None):
        return with_identity_weights(model, inputs, {first: 1, second: s2, **{k: s3 for k in lasts}}, biases)

    # The same values in both layouts of the last layer: two heads of width w, or one of 2w.
    period = lasts[0][1]
    t = lambda n: np.resize(np.linspace(-8, 8, period), n)
    alone = run(1, 0, {(k[1],): t(k[1]) for k in lasts})
    assert close(alone, out(t(alone.shape[-1]))), f"the {last} should {rule}"
    base = out(0.0)
    minus = run(-1, 1)  # the second layer sees -relu(a) <= 0: a ReLU outputs 0 everywhere
    assert not (minus < base - 1e-5).any(), \
        "the second hidden layer lets negative values through: it should be a ReLU"
    assert not (minus > base + 1e-5)[a > 0].any(), \
        "the second hidden layer gives non-zero outputs for negative inputs: it should be a ReLU"
    assert not (minus > base + 1e-5)[a < 0].any(), \
        "the first hidden layer lets negative values through: it should be a ReLU"
    plus, expected = run(1, 1), out(np.maximum(a, 0))
    assert close(plus[a <= 0], expected[a <= 0]), \
        "a hidden layer gives non-zero outputs for negative inputs: it should be a ReLU"
    assert close(plus, expected), "a hidden layer changes positive values: it should be a ReLU (which keeps them)"


# -- Activation probes: weights the test sets, outputs it can predict (cardiac encoder and decoder) --

class Kernel:
    """One Dense or convolution kernel of a model, as the probes route channels through it.

    ``n_in`` / ``n_out``: its input and output channels (units for a Dense layer). A Dense kernel
    between a grid and a vector reads or writes the grid's channels by index modulo ``group_in`` /
    ``group_out`` (the channel of a flattened channels-last grid).
    """

    def __init__(self, variable, kind, n_in, n_out):
        self.variable, self.kind, self.n_in, self.n_out = variable, kind, n_in, n_out
        self.group_in, self.group_out = n_in, n_out

    def route(self, routes):
        """Set the kernel to carry input channel i to output channel o with weight w, for every
        (i, o): w in ``routes``, alike at every spatial tap (so signs survive any up/downsampling)."""
        value = np.zeros(tuple(self.variable.shape), dtype="float32")
        for (i, o), weight in routes.items():
            if self.kind == "dense":
                value[i::self.group_in, o::self.group_out] = weight
            elif self.kind == "conv":  # (h, w, in, out)
                value[:, :, i, o] = weight / (value.shape[0] * value.shape[1])
            else:  # Conv2DTranspose: (h, w, out, in)
                value[:, :, o, i] = weight / (value.shape[0] * value.shape[1])
        self.variable.assign(value)


def model_kernels(model):
    """Every Dense and 2-D convolution kernel of ``model``, nested layers included, in layer order."""
    found = []
    for layer in model._flatten_layers(include_self=False):  # Keras' own walk through nested layers
        kernel = getattr(layer, "kernel", None)
        shape = tuple(int(d) for d in getattr(kernel, "shape", ()))
        if isinstance(layer, keras.layers.Conv2DTranspose):
            found.append(Kernel(kernel, "transposed", shape[3], shape[2]))
        elif len(shape) == 4:
            found.append(Kernel(kernel, "conv", shape[2], shape[3]))
        elif len(shape) == 2:
            found.append(Kernel(kernel, "dense", *shape))
    return found


def channel_chain(kernels, channels):
    """The convolution kernels ordered along ``channels`` (the i-th maps channels[i] to channels[i + 1]),
    or None when the model's convolutions do not connect those channel counts exactly."""
    remaining = [k for k in kernels if k.kind != "dense"]
    chain = []
    for pair in zip(channels, channels[1:]):
        match = next((k for k in remaining if (k.n_in, k.n_out) == pair), None)
        if match is None:
            return None
        remaining.remove(match)
        chain.append(match)
    return chain if not remaining else None


def _near_zero(values, scale):
    return np.abs(values).max(initial=0) <= 1e-5 * scale


def expect_relu_chain(run, hidden, outputs, names, output_problem):
    """Check that every layer of ``hidden`` (kernels in the order the data flows) is followed by a
    ReLU and that the ``outputs`` kernels (the last layer or heads) are linear, by probing.

    The model's biases must be zero. ``run()`` evaluates the model on a batch [x, 3 x] whose input
    channel 0 is positive and returns its outputs with the output channels on the last axis (slots);
    the probes route signals through channels 0-2 only. A ReLU turns a negative signal into exactly
    0, keeps a positive one and maps 0 to 0; linear, leaky, tanh, sigmoid, softplus... do not. The
    first failing layer is named ``names[i]``; ``output_problem`` is the message for the outputs.
    """
    def probe(hidden_routes, output_routes):
        for kernel, routes in zip(hidden, hidden_routes):
            kernel.route(routes)
        for kernel in outputs:
            kernel.route(output_routes)
        return np.asarray(run(), dtype="float64")

    last = len(hidden)
    # Two adjacent layers with the same channels (an upsampling layer and a convolution): their order.
    for p in range(last - 1):
        if (hidden[p].n_in, hidden[p].n_out) == (hidden[p + 1].n_in, hidden[p + 1].n_out):
            routes = [{(0, 0): 1.0}] * p + [{(0, 1): 1.0}, {(1, 2): 1.0}] + [{(2, 2): 1.0}] * (last - p - 2)
            if not (probe(routes, {(2, 2): 1.0})[..., 2] > 0).any():
                hidden[p], hidden[p + 1] = hidden[p + 1], hidden[p]
    # The outputs: a positive and a negative signal kept, an empty channel left at 0.
    out = probe([{(0, 0): 1.0}] * last, {(0, 0): 1.0, (0, 1): -1.0})
    out_scale = np.abs(out).max()
    assert out_scale > 0 and (out[..., 0] > 0).all() and (out[..., 1] < 0).all() \
        and _near_zero(out[..., 2:], out_scale), output_problem
    # Each hidden layer, last first (a probe passes the layers after it only through positive signals):
    # layer L splits the signal into -s (channel 0) and +s (channel 1); the next layer flips channel 0
    # back, so whatever layer L let through of -s reaches the output; channel 2 stays empty.
    for layer in reversed(range(last)):
        routes = [{(0, 0): 1.0}] * layer + [{(0, 0): -1.0, (0, 1): 1.0}]
        if layer + 1 < last:
            routes.append({(0, 0): -1.0, (1, 1): 1.0, (2, 2): 1.0})
        routes += [{(0, 0): 1.0, (1, 1): 1.0, (2, 2): 1.0}] * (last - len(routes))
        probed = probe(routes, {(0, 0): 1.0, (1, 1): 1.0, (2, 2): 1.0})
        scale = np.abs(probed).max()
        assert scale > 0 and (probed[..., 1] > 0).all() and _near_zero(probed[..., [0, 2]], scale) \
            and _near_zero(probed[..., 3:], scale), \
            f"{names[layer]}: its activation does not behave like a ReLU (negative inputs to 0, positive kept)"
    # With zero biases, ReLU layers and a linear output make the model positively homogeneous.
    assert np.allclose(out[1], 3 * out[0], rtol=1e-4, atol=1e-6 * out_scale), \
        f"{output_problem} (with zero biases, scaling the input by 3 should scale the output by 3)"
