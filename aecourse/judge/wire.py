"""What crosses between the judge and the student's kernel: JSON with numeric arrays, nothing else.

Both directions use :func:`encode` / :func:`decode`. Arrays travel as ``.npy`` bytes (base64),
read back with ``allow_pickle=False`` and only for numeric dtypes, so nothing the kernel sends can
run code or build an object in the judge: the judge gets numbers, strings, lists, dicts and
handles (opaque references to objects that stay in the kernel). :class:`Limits` caps what the
judge accepts (bytes, depth, items), so a hostile kernel cannot exhaust its memory either.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

#: The MIME type of the agent's answers in the kernel's display outputs.
MIME = "application/vnd.aecourse.judge+json"
#: Numeric dtype kinds an array may have: bool, signed and unsigned integers, floats.
ARRAY_KINDS = "biuf"


class WireError(ValueError):
    """What came over the wire is not data the judge accepts (wrong type, too big, malformed)."""


@dataclass(frozen=True)
class Limits:
    """How much the judge accepts in one answer."""

    bytes: int = 256 * 2 ** 20
    depth: int = 16
    items: int = 10_000
    text: int = 4_000


@dataclass(frozen=True)
class Handle:
    """An object that stays in the kernel (a model, a layer, a function), named by its number."""

    id: int


def encode(value):
    """A JSON-ready form of ``value`` (arrays, numbers, strings, None, lists, dicts, handles)."""
    if isinstance(value, Handle):
        return {"$handle": value.id}
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)  # np.save writes any layout
        return {"$array": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):  # a shape or a list of widths stays a tuple for the student's code
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": [[str(key), encode(item)] for key, item in value.items()]}
    raise WireError(f"cannot send a {type(value).__name__}")


class _Budget:
    def __init__(self, limits):
        self.limits, self.bytes, self.items = limits, 0, 0

    def spend(self, n_bytes=0):
        self.bytes += n_bytes
        self.items += 1
        if self.bytes > self.limits.bytes:
            raise WireError(f"the answer is larger than {self.limits.bytes // 2 ** 20} MB")
        if self.items > self.limits.items:
            raise WireError(f"the answer holds more than {self.limits.items} items")


def decode(value, limits: Limits = Limits()):
    """The value :func:`encode` made; raise WireError for anything else or anything too big."""
    return _decode(value, _Budget(limits), 0)


def _decode(value, budget, depth):
    if depth > budget.limits.depth:
        raise WireError("the answer is nested too deeply")
    budget.spend()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        if len(value) > budget.limits.text:
            raise WireError("a text in the answer is too long")
        return value
    if isinstance(value, list):
        return [_decode(item, budget, depth + 1) for item in value]
    if isinstance(value, dict):
        if set(value) == {"$array"} and isinstance(value["$array"], str):
            return _array(value["$array"], budget)
        if set(value) == {"$handle"} and type(value["$handle"]) is int:
            return Handle(value["$handle"])
        if set(value) == {"$tuple"} and isinstance(value["$tuple"], list):
            return tuple(_decode(item, budget, depth + 1) for item in value["$tuple"])
        if set(value) == {"$float"} and value["$float"] in ("nan", "inf", "-inf"):
            return float(value["$float"])
        if set(value) == {"$dict"} and isinstance(value["$dict"], list):
            pairs = value["$dict"]
            if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
                raise WireError("a malformed mapping in the answer")
            return {key: _decode(item, budget, depth + 1) for key, item in pairs}
    raise WireError(f"the answer holds something that is not data ({type(value).__name__})")


def _array(text, budget):
    budget.spend(len(text) * 3 // 4)
    try:
        array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as error:  # malformed base64 or .npy header, object arrays (pickles)
        raise WireError(f"an array in the answer cannot be read ({type(error).__name__})") from None
    if array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"an array of kind {array.dtype.kind!r} is not numeric data")  # not its dtype: field names are the sender's text  # noqa: E501
    return array
