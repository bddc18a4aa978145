"""The judge's view of the student's notebook: proxies whose every use is a request to the agent.

``student.build_encoder(7)`` asks the kernel to call the notebook's ``build_encoder`` and gives
back what it returned: arrays and numbers as they are, any other object (a model, a layer) as a
:class:`Remote` that can be called, asked for a method, or probed in turn. What comes back is
only data (:mod:`aecourse.judge.wire`), decoded and size-checked here.

Two links carry the requests: :class:`KernelLink` (grading: the agent runs in the sandboxed
kernel, the judge in the grader's process) and :class:`LocalLink` (a notebook run by the
instructor, the mutation benchmark: the agent and the judge share the interpreter; the same wire
format, so both modes run the same code).
"""

from __future__ import annotations

import base64
import builtins
import json

from aecourse.judge import wire

#: Exception names a student may read in their feedback: Python's and TensorFlow's own. Any other
#: name is the student's to choose, so it could carry the hidden inputs out: it reads "an error".
KNOWN_ERRORS = frozenset(name for name, value in vars(builtins).items()
                         if isinstance(value, type) and issubclass(value, BaseException)) | {
    "InvalidArgumentError", "ResourceExhaustedError", "FailedPreconditionError", "UnimplementedError",
    "InternalError", "OutOfRangeError", "NotFoundError", "UnknownError", "OperatorNotAllowedInGraphError"}


class StudentError(Exception):
    """The student's code raised an exception while the judge used it. ``type_name`` is safe to show
    the student; ``message`` (the student's own text, which may hold the hidden inputs) is not."""

    def __init__(self, what, type_name, message):
        self.what = what
        self.type_name = type_name if type_name in KNOWN_ERRORS else "an error"
        self.message = f"{type_name}: {message}"
        super().__init__(f"{what} raised {self.type_name}: {message}")


class LinkError(Exception):
    """The kernel gave no usable answer (it died, timed out, or sent something that is not data)."""


class LocalLink:
    """The agent in this interpreter, over the notebook's namespace."""

    def __init__(self, namespace):
        from aecourse.judge.agent import Agent

        self.agent = Agent(namespace)

    def send(self, operations):
        request = json.loads(json.dumps(wire.encode(operations)))
        answer = self.agent.answer(wire.decode(request, wire.Limits(bytes=2 ** 31, items=10 ** 6)))
        return wire.decode(json.loads(json.dumps(wire.encode(answer))))


class KernelLink:
    """The agent in the student's kernel, reached through the grader's notebook client.

    ``run(code)`` executes code in the kernel and returns its outputs (nbformat outputs); the
    answer is the last display output of type :data:`wire.MIME`.
    """

    def __init__(self, run, limits=wire.Limits()):  # noqa: B008
        self.run, self.limits = run, limits

    def send(self, operations):
        request = base64.b64encode(json.dumps(wire.encode(operations)).encode()).decode("ascii")
        outputs = self.run(f"import aecourse.judge.agent\naecourse.judge.agent.serve({request!r})")
        answers = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")
                   and wire.MIME in o.get("data", {})]
        if not answers:
            failed = [o.get("ename", "") for o in outputs if o.get("output_type") == "error"]
            if "CellTimeoutError" in failed:
                raise LinkError("your code did not finish in time when they called it (a loop that never ends?)")
            known = [name for name in failed if name in KNOWN_ERRORS]  # any other name is the student's text
            raise LinkError("the kernel gave no answer" + (f" ({known[-1]})" if known else ""))
        try:
            results = wire.decode(answers[-1]["data"][wire.MIME], self.limits)
        except wire.WireError as error:
            raise LinkError(f"the kernel's answer is not data the judge accepts: {error}") from None
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise LinkError("the kernel's answer is not a list of results")
        return results


class Session:
    """Requests to one notebook's agent, with the kernel assignments queued until the next call."""

    def __init__(self, link):
        self.link = link
        self.queued = []
        self.warnings = []
        self.log = []  # what was asked, for the instructor: "call build_encoder(int 17)"

    def queue(self, op, **args):
        self.queued.append({"op": op, "args": args})

    def ask(self, what, op, **args):
        """The value of one operation (after the queued ones); StudentError if the student's code raised."""
        operations = self.queued + [{"op": op, "args": args}]
        self.queued = []
        self.log.append(f"{op} {what}({describe(args.get('args', args.get('arrays', ())))})")
        results = self.link.send(operations)
        if len(results) > len(operations):
            raise LinkError("the kernel answered more than it was asked")
        for result in results:
            if "error" in result:
                error = result["error"] if isinstance(result["error"], dict) else {}
                raise StudentError(what, str(error.get("type", "")), str(error.get("message", ""))[:1500])
        if len(results) != len(operations) or "value" not in results[-1]:
            raise LinkError("the kernel's answer is incomplete")
        self.warnings = [str(w) for w in results[-1].get("warnings", [])][:10]
        return self.wrap(results[-1]["value"], what)

    def wrap(self, value, what):
        if isinstance(value, wire.Handle):
            return Remote(self, value, what)
        if isinstance(value, list):
            return [self.wrap(item, what) for item in value]
        if isinstance(value, dict):
            return {key: self.wrap(item, what) for key, item in value.items()}
        return value


def describe(values):
    """A short account of a request's inputs for the instructor: shapes of arrays, values of numbers."""
    parts = []
    for value in values if isinstance(values, (list, tuple)) else [values]:
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            parts.append(f"{value.dtype}{list(value.shape)}")
        elif isinstance(value, (list, tuple)):
            parts.append(f"[{describe(value)}]")
        else:
            parts.append(f"{value!r:.40}")
    return ", ".join(parts)


def unwrap(value):
    """Arguments for the wire: Remote objects as their handles."""
    if isinstance(value, Remote):
        if not isinstance(value._target, wire.Handle):
            raise TypeError(f"pass {value._what} by calling it in the kernel, not as an argument")
        return value._target
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    return value


class Remote:
    """An object in the student's kernel: call it, call its methods (``remote.count_params()``)."""

    def __init__(self, session, target, what):
        self._session, self._target, self._what = session, target, what

    def __call__(self, *args, **kwargs):
        return self._session.ask(self._what, "call", target=self._target, args=unwrap(args),
                                 kwargs=unwrap(kwargs))

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            return self._session.ask(f"{self._what}.{method}", "call", target=self._target, method=method,
                                     args=unwrap(args), kwargs=unwrap(kwargs))
        return call

    def __repr__(self):
        return f"<{self._what} in the student's kernel>"


class Student:
    """The student's notebook as the judge sees it: ``student.NAME`` is the global NAME there."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return Remote(self._session, name, name)
