"""Helpers for the notebooks' test cells: shapes, weights and clear failure messages.

They inspect a model through its weights and outputs only, so a test built on them
accepts any model-building style (Sequential, functional, subclassed).
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


def zero_biases(model):
    """Set every bias vector (1-D weight) of ``model`` to zero, in place."""
    for weight in model.weights:
        if len(weight.shape) == 1:
            weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
    return model
