"""Helpers for the visible checks of the notebooks' test cells: shapes, weights and clear messages.

They run in the student's kernel, for the student; the hidden tests run in the grader's
process (:mod:`aecourse.judge`). They inspect a model through its weights and outputs only, so
a check built on them accepts any model-building style (Sequential, functional, subclassed).
"""

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


def run_compiled(fn, *arrays, what, hint="", calls=1, known_batch=False):
    """``fn(*arrays)`` run the way ``fit`` runs a training step: traced into a TensorFlow graph
    with the batch size unknown (None). Returns the result as numpy (a list of ``calls`` results,
    the compiled function run again each time, if ``calls`` > 1); fails with a readable message
    where ``fn`` cannot run there (numpy on a symbolic tensor, a shape read with ``.shape``, whose
    batch size is None). With ``known_batch``, traced for the arrays' own shapes instead: numpy
    code then runs once, while tracing, and its values stay fixed in the graph. Call ``fn``
    eagerly first: an unanswered cell's NotImplementedError then shows as such."""
    import tensorflow as tf

    arrays = [np.asarray(a, "float32") for a in arrays]
    specs = [tf.TensorSpec(a.shape if known_batch else (None, *a.shape[1:]), "float32") for a in arrays]
    try:
        compiled = tf.function(fn, input_signature=specs, autograph=False)
        results = [to_numpy(compiled(*arrays)) for _ in range(calls)]
    except Exception as error:  # the student's code failed inside the graph: say where and why
        where = "a compiled training step" + ("" if known_batch else ", where the batch size is unknown")
        raise AssertionError(f"{what} fails inside {where} ({_first_line(error)}). {hint}".rstrip()) from None
    return results[0] if calls == 1 else results
