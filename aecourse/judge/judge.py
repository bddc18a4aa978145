"""The checks a hidden test makes, in the judge's process, on what the student's kernel sends back.

A hidden test cell's code runs here (``student, judge = session(globals(), cell_id)``): it draws
its inputs from ``judge.rng``, asks the kernel to evaluate the student's answers on them through
``student`` (:mod:`aecourse.judge.remote`), and compares what comes back with values it computes
itself, with :meth:`Judge.check` and the helpers below. Each failure names what is wrong for the
student and keeps the numbers for the instructor (:class:`HiddenTestFailure`).
"""

from __future__ import annotations

import numpy as np

from aecourse.judge import probes
from aecourse.judge.remote import Remote
from aecourse.judge.verdicts import HiddenTestFailure


class Judge:
    """The hidden tests' toolbox for one test cell: its random inputs and its checks."""

    channel_chain = staticmethod(probes.channel_chain)

    def __init__(self, session, rng):
        self.session, self.rng = session, rng

    # -- verdicts ---------------------------------------------------------------------------
    def check(self, condition, message, detail=""):
        """Fail with ``message`` (shown to the student) unless ``condition``; ``detail`` (values,
        hidden inputs) is shown to the instructor only."""
        if not condition:
            raise HiddenTestFailure(message, detail)

    def array(self, value, what):
        """``value`` as a float64 array, or a failure saying that ``what`` gave no array of numbers."""
        if isinstance(value, Remote) or value is None or isinstance(value, (str, dict)):
            raise HiddenTestFailure(f"{what} should be an array of numbers", f"got {value!r:.200}")
        try:
            array = np.asarray(value, dtype="float64")
        except (TypeError, ValueError):
            raise HiddenTestFailure(f"{what} should be an array of numbers",
                                    "got a ragged list or something else") from None
        return array

    def expect_shape(self, value, shape, what):
        actual = tuple(np.shape(self.array(value, what)))
        self.check(actual == tuple(shape), f"{what} has the wrong shape",
                   f"{what} should have shape {tuple(shape)}, got {actual}")

    def expect_arrays(self, values, count, what):
        """``values`` as ``count`` arrays (a model with several outputs), or a failure."""
        self.check(isinstance(values, list) and len(values) == count,
                   f"{what} should return a list of {count} arrays",
                   f"got {type(values).__name__} of length {len(values) if isinstance(values, list) else '-'}")
        return [self.array(value, what) for value in values]

    def expect_model(self, obj, what):
        self.check(isinstance(obj, Remote) and self.describe(obj)["model"], f"{what} should return a keras.Model",
                   f"got {obj!r:.200}")

    # -- what the kernel is asked -----------------------------------------------------------
    def describe(self, obj):
        """{"type", "model", "layer", "callable"} of an object in the kernel."""
        return self.session.ask(obj._what, "describe", target=obj._target)

    def kernel_shapes(self, model):
        """The shapes of every weight matrix or kernel (2 or more dimensions), sorted."""
        shapes = self.session.ask(model._what, "weight_shapes", target=model._target)
        return sorted(tuple(int(d) for d in shape) for shape in shapes if len(shape) >= 2)

    def model_kernels(self, model):
        """Every Dense and 2-D convolution kernel of ``model`` (:class:`probes.Kernel`), nested layers
        included, in the order the layers were created."""
        found = self.session.ask(model._what, "kernels", target=model._target)
        kernels = []
        for index, entry in enumerate(found):
            self.check(isinstance(entry, dict) and entry.get("kind") in ("dense", "conv", "transposed")
                       and isinstance(entry.get("shape"), list), f"{model._what}: its kernels cannot be read")
            expected_rank = 2 if entry["kind"] == "dense" else 4
            self.check(len(entry["shape"]) == expected_rank and all(isinstance(d, int) and 0 < d < 10 ** 6
                                                                    for d in entry["shape"]),
                       f"{model._what}: its kernels cannot be read")

            def assign(value, index=index):
                self.session.queue("assign", target=model._target, index=index, value=value)
            kernels.append(probes.Kernel(entry["kind"], entry["shape"], assign))
        return kernels

    def zero_biases(self, model):
        """Set every bias vector of ``model`` to zero (queued until the model next runs)."""
        self.session.queue("zero_biases", target=model._target)

    def expect_relu_chain(self, run, hidden, outputs, names, output_problem, sigmoid_output=False):
        probes.expect_relu_chain(run, hidden, outputs, names, output_problem, sigmoid_output)

    def expect_no_gaps(self, run, chain, problem):
        probes.expect_no_gaps(run, chain, problem)

    def gradient(self, function, *arrays, wrt=(0,), pack=False, extra=(), **kwargs):
        """(value, [d sum(value) / d arrays[i] for i in wrt]) of ``function(*arrays, *extra, **kwargs)``,
        taken in the kernel with a GradientTape; a gradient is None where none flows. With ``pack``,
        the arrays are passed as one list (a layer called on [z_mean, z_log_var])."""
        answer = self.session.ask(function._what, "gradient", target=function._target,
                                  arrays=[np.asarray(a, "float32") for a in arrays], wrt=list(wrt), pack=pack,
                                  extra=list(extra), kwargs=kwargs)
        self.check(isinstance(answer, dict) and isinstance(answer.get("gradients"), list)
                   and len(answer["gradients"]) == len(wrt), f"{function._what}: its gradients cannot be read")
        return answer.get("value"), answer["gradients"]

    def compiled(self, function, *arrays, what, hint="", calls=1, known_batch=False, pack=False, extra=(),
                 **kwargs):
        """``function(*arrays)`` traced into a TensorFlow graph as ``fit`` runs a training step (the
        batch size unknown unless ``known_batch``), run ``calls`` times: the list of results."""
        from aecourse.judge.remote import StudentError

        try:
            results = self.session.ask(function._what, "compiled", target=function._target,
                                       arrays=[np.asarray(a, "float32") for a in arrays], pack=pack,
                                       extra=list(extra), kwargs=kwargs, calls=calls, known_batch=known_batch)
        except StudentError as error:
            where = "a compiled training step" + ("" if known_batch else ", where the batch size is unknown")
            raise HiddenTestFailure(f"{what} fails inside {where} ({error.type_name}). {hint}".rstrip(),
                                    error.message) from None
        self.check(isinstance(results, list) and len(results) == calls, f"{what}: a compiled run gave no result")
        return results

    @property
    def warnings(self):
        """The warnings the kernel reported for the last request (texts)."""
        return self.session.warnings
