"""The judge's agent inside the student's kernel: it runs what the judge asks and sends back data.

This module runs in the student's interpreter, so nothing here is trusted: a student can replace
it, and the judge assumes as much. It holds no test, no expected value and no seed; it only
evaluates the notebook's own objects on inputs the judge sends (call a function or a model, take
a gradient, run a compiled step, list or set a model's kernels) and answers with arrays, numbers
and handles (:mod:`aecourse.judge.wire`). The judge decides every verdict from those answers.

A request is a list of operations, run in order until one fails; the answer lists their results.
"""

from __future__ import annotations

import base64
import json
import warnings

import numpy as np

from aecourse.judge import wire


class Agent:
    """Evaluates the judge's operations on the objects of one namespace (the notebook's globals)."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.objects = {}  # handle id -> object kept for the judge
        self.kernels = {}  # handle id -> [kernel variable], in the order the judge was told

    # -- the protocol ----------------------------------------------------------------------
    def answer(self, operations):
        """[result]: each {"value": ..., "warnings": [...]} or {"error": {"type", "message"}}; the
        first error ends the batch."""
        results = []
        for operation in operations:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    value = getattr(self, "op_" + operation["op"])(**operation.get("args", {}))
                    result = {"value": self.export(value)}
                except Exception as error:  # the student's code failed: say so, as data
                    result = {"error": {"type": type(error).__name__, "message": str(error)[:1500]}}
            result["warnings"] = [str(w.message)[:300] for w in caught[:10]]
            results.append(result)
            if "error" in result:
                break
        return results

    def export(self, value):
        """Arrays, numbers, strings and containers as data; any other object kept, as a handle."""
        import keras

        if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
            return value
        if isinstance(value, (list, tuple)):
            return [self.export(item) for item in value]
        if isinstance(value, dict):
            return {str(key): self.export(item) for key, item in value.items()}
        if keras.ops.is_tensor(value) or hasattr(value, "numpy"):
            return np.asarray(keras.ops.convert_to_numpy(value))
        handle = wire.Handle(len(self.objects) + 1)
        self.objects[handle.id] = value
        return handle

    def resolve(self, target):
        if isinstance(target, wire.Handle):
            return self.objects[target.id]
        if isinstance(target, str):
            if target not in self.namespace:
                raise NameError(f"name '{target}' is not defined")
            return self.namespace[target]
        raise TypeError("a target is a handle or a global name")

    def bound(self, target, method):
        obj = self.resolve(target)
        return getattr(obj, method) if method else obj

    # -- operations --------------------------------------------------------------------------
    def objects_in(self, value):
        """Arguments from the judge, with handles replaced by the objects they name."""
        if isinstance(value, wire.Handle):
            return self.objects[value.id]
        if isinstance(value, (list, tuple)):
            return type(value)(self.objects_in(item) for item in value)
        if isinstance(value, dict):
            return {key: self.objects_in(item) for key, item in value.items()}
        return value

    def op_call(self, target, method=None, args=(), kwargs=None):
        return self.bound(target, method)(*self.objects_in(list(args)), **self.objects_in(kwargs or {}))

    def op_describe(self, target):
        import keras

        obj = self.resolve(target)
        return {"type": type(obj).__name__, "model": isinstance(obj, keras.Model),
                "layer": isinstance(obj, keras.layers.Layer), "callable": callable(obj)}

    def op_weight_shapes(self, target):
        return [[int(d) for d in w.shape] for w in self.resolve(target).weights]

    def op_kernels(self, target):
        """Every Dense and 2-D convolution kernel, nested layers included, in creation order:
        [{"kind": "dense" | "conv" | "transposed", "shape": [...]}]."""
        import keras

        model, found = self.resolve(target), []
        for layer in model._flatten_layers(include_self=False):  # Keras' walk through nested layers
            kernel = getattr(layer, "kernel", None)
            shape = [int(d) for d in getattr(kernel, "shape", ())]
            if isinstance(layer, keras.layers.Conv2DTranspose):
                kind = "transposed"
            elif len(shape) == 4:
                kind = "conv"
            elif len(shape) == 2:
                kind = "dense"
            else:
                continue
            found.append((kind, shape, kernel))
        self.kernels[target.id] = [variable for _, _, variable in found]
        return [{"kind": kind, "shape": shape} for kind, shape, _ in found]

    def op_assign(self, target, index, value):
        self.kernels[target.id][index].assign(value)

    def op_zero_biases(self, target):
        for weight in self.resolve(target).weights:
            if len(weight.shape) == 1:
                weight.assign(np.zeros(weight.shape, dtype=weight.dtype))

    def op_gradient(self, target, method=None, arrays=(), wrt=(), pack=False, extra=(), kwargs=None):
        """{"value": f(...), "gradients": [d sum(f) / d arrays[i] for i in wrt] (None: no gradient)}."""
        import tensorflow as tf

        tensors = [tf.Variable(a) if i in wrt else tf.constant(a) for i, a in enumerate(arrays)]
        function = self.bound(target, method)
        with tf.GradientTape() as tape:
            value = self._apply(function, tensors, pack, extra, kwargs)
            total = tf.reduce_sum(tf.convert_to_tensor(value)) if tf.is_tensor(value) else None
        gradients = tape.gradient(total, [tensors[i] for i in wrt]) if total is not None else [None] * len(wrt)
        return {"value": value, "gradients": list(gradients)}

    def op_compiled(self, target, method=None, arrays=(), pack=False, extra=(), kwargs=None, calls=1,
                    known_batch=False):
        """[f(...)] for ``calls`` runs of f traced into one TensorFlow graph (the batch size unknown
        unless ``known_batch``), the way ``fit`` runs a training step."""
        import tensorflow as tf

        function = self.bound(target, method)
        specs = [tf.TensorSpec(a.shape if known_batch else (None, *a.shape[1:]), a.dtype) for a in arrays]
        compiled = tf.function(lambda *tensors: self._apply(function, tensors, pack, extra, kwargs),
                               input_signature=specs, autograph=False)
        return [compiled(*arrays) for _ in range(calls)]

    @staticmethod
    def _apply(function, tensors, pack, extra, kwargs):
        args = [list(tensors)] if pack else list(tensors)
        return function(*args, *extra, **(kwargs or {}))


_agents = {}


def serve(request: str):
    """Answer one request (base64 JSON, from the judge) as a display output of type wire.MIME."""
    from IPython import get_ipython
    from IPython.display import display

    shell = get_ipython()
    agent = _agents.setdefault(id(shell), Agent(shell.user_ns))
    operations = wire.decode(json.loads(base64.b64decode(request)), wire.Limits(bytes=2 ** 31, items=10 ** 6))
    display({wire.MIME: wire.encode(agent.answer(operations))}, raw=True)
