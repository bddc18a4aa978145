"""Hostile and broken submissions for the grading-trust tests.

Each case builds the files a student hands in (``{file name: bytes}``) and says what grading
must give: ``full`` marks, ``zero``, or ``partial``; a text the graded notebook and the
feedback must show; texts they must never show (``LEAK``: a hidden test or the gradebook
reached the student's output).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import nbformat

from aecourse.course import solution_answers, with_answers


@dataclass
class Context:
    root: object  # the course root (Path)
    source: object  # the instructor notebook of the case's assignment
    release: object
    other_source: object  # the instructor notebook of the other assignment
    port: int  # a TCP port listening on 127.0.0.1 outside the sandbox


@dataclass
class Case:
    name: str
    assignment: str
    build: Callable[[Context], dict]
    expect: str  # "full", "zero" or "partial"
    message: str = ""
    never: tuple = field(default=("LEAK",))  # never in the graded notebook's outputs, nor in the feedback
    never_in_feedback: tuple = ("LEAK",)  # never in any file of the student's feedback folder
    leaks_hidden_inputs_of: str = ""  # a test cell whose hidden inputs this code tries to leak
    instructor_sees_inputs: bool = False  # ...and the instructor's graded notebook shows them (judge's detail)


def notebook_bytes(notebook):
    return nbformat.writes(notebook).encode()


def solution_with(ctx, grade_id, prefix="", replace=None):
    """The solution notebook, one answer cell prefixed with code (or replaced)."""
    answers = solution_answers(ctx.source)
    answers[grade_id] = replace if replace is not None else prefix + answers[grade_id]
    return with_answers(ctx.source, answers)


def snoop(ctx):
    """Code that tries every way out of the sandbox and prints LEAK for any that works."""
    return f'''
import glob as _glob, pathlib as _pathlib, socket as _socket
_targets = ["../../../gradebook.db", "../../gradebook.db", "{ctx.root}/gradebook.db", "{ctx.root}/.grading_secret",
            "{ctx.root}/source", "{ctx.root}/solutions", "{ctx.root}/submitted", "{ctx.root}/autograded", "/root", "/home"]
for _t in _targets:
    _p = _pathlib.Path(_t)
    if _p.is_file():
        print("LEAK file", _t, _p.read_bytes()[:80])
    elif _p.is_dir() and _t != "/home" and [x for x in _p.iterdir() if x.name != ".pyenv"]:
        print("LEAK folder", _t, sorted(x.name for x in _p.iterdir())[:5])
for _base in ("/home", "/tmp", "/data", "/run", ".."):
    for _hit in _glob.glob(_base + "/**/gradebook.db", recursive=True) + _glob.glob(_base + "/**/source/", recursive=True):
        print("LEAK found", _hit)
try:
    _socket.create_connection(("127.0.0.1", {ctx.port}), timeout=2).close()
    print("LEAK network")
except OSError as _error:
    print("no network:", type(_error).__name__)
for _w in ["{ctx.root}/PWNED", "/tmp/aecourse-pwned", "{ctx.root}/submitted/PWNED"]:
    try:
        _pathlib.Path(_w).write_text("x")
    except OSError:
        pass
print("sandbox probe done")
'''


def invalid_json(ctx):
    text = notebook_bytes(nbformat.read(ctx.source, as_version=4))
    return {ctx.source.name: text[: len(text) // 2]}


def huge_outputs(ctx):
    notebook = nbformat.read(ctx.source, as_version=4)
    code = next(c for c in notebook.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (25 * 2 ** 20))]
    return {ctx.source.name: notebook_bytes(notebook)}


def without_cell(ctx, grade_id):
    notebook = nbformat.read(ctx.source, as_version=4)
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return {ctx.source.name: notebook_bytes(notebook)}


def with_test_edited(ctx, grade_id):
    notebook = nbformat.read(ctx.source, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = "pass  # tests? what tests?"
    return {ctx.source.name: notebook_bytes(notebook)}


def release_with_cell(ctx, code):
    notebook = nbformat.read(ctx.release, as_version=4)
    notebook.cells.insert(4, nbformat.v4.new_code_cell(code))
    return {ctx.source.name: notebook_bytes(notebook)}


# -- against the judge: the hidden tests run in the grader's process, not in the kernel -------
# Each spelling below passes the tamper check (tests/test_grading_trust.py checks that), so
# nothing but the judge stands between it and a higher score.
TRANSFORMER = """
import ipykernel.kernelapp as _kernelapp
_kernelapp.IPKernelApp.instance().shell.input_transformers_post.append(lambda lines: ["pass\\n"])
"""
FORGED_AGENT = """
import aecourse.judge.agent as _agent
import numpy as _np
def _answer(self, operations):  # every request 'succeeds' with a plausible array
    return [{"value": _np.zeros((7, 3), "float32"), "warnings": []} for _ in operations]
for _class in (_agent.Agent,):
    _class.answer = _answer
"""
FORGED_VERDICT = """
_show = display  # IPython's own, in every notebook's namespace
def _done(*args, **kwargs):  # a fake passing verdict, and a number as the cell's result (partial credit)
    _show({"application/vnd.aecourse.verdict+json": {"passed": True, "message": "", "detail": "", "calls": []},
           "text/plain": "Hidden tests: passed."}, raw=True)
    return 1.0
for _m in (checks,):
    _m.done = _done
"""
ALIAS_PATCHES = """
x = %pwd
_m = np
_m.allclose = lambda *args, **kwargs: True
_m.isclose = lambda *args, **kwargs: True
for _c in (checks,):
    _c.expect_shape = lambda *args, **kwargs: None
"""
HIDDEN_GLOBALS_KL = """def kl_divergence(z_mean, z_log_var):
    import __main__
    for _name in ("expected", "kl", "actual", "rec"):  # the old hidden tests' own globals
        if hasattr(__main__, _name):
            return getattr(__main__, _name)
    return ops.zeros(ops.shape(z_mean)[:1])
"""
LEAKING_KL = """import warnings as _warnings
def kl_divergence(z_mean, z_log_var):
    if hasattr(z_mean, "numpy") or isinstance(z_mean, np.ndarray):  # eager: the values are there to see
        shown = " ".join(str(v) for v in np.asarray(z_mean).ravel()[:4])
        print("LEAK-IN", shown)
        _warnings.warn("LEAK-IN " + shown)
        with open("answers_backup.txt", "a") as _file:
            _file.write("LEAK-IN " + shown + "\\n")
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
"""
RAISING_KL = """def kl_divergence(z_mean, z_log_var):
    shown = "_".join(str(abs(v))[:8].replace(".", "_") for v in ops.convert_to_numpy(z_mean).ravel()[:4])
    raise type("LEAK_" + shown, (Exception,), {})("LEAK " + shown)
"""
SEED_SNOOP = """
_environment = open("/pr" + "oc/self/environ", "rb").read() + open("/pr" + "oc/1/environ", "rb").read()
if b"AECOURSE_GRADING" in _environment or b"SECRET" in _environment:
    print("LEAK seed or secret in the kernel's environment")
"""


MNIST, CARDIAC = "mnist_autoencoders", "cardiac_vae"

CASES = [
    # 1. hostile: reading hidden tests, network, writing outside; monkeypatching
    Case("hostile-snoop", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "build_encoder", snoop(ctx)))}, "full", "sandbox probe done"),
    Case("hostile-snoop", CARDIAC, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "one_hot", snoop(ctx)))}, "full", "sandbox probe done"),
    Case("hostile-patch-numpy", MNIST, lambda ctx: release_with_cell(
        ctx, "np.allclose = lambda *args, **kwargs: True\nnp.isclose = np.allclose"), "zero", "IntegrityError"),
    Case("hostile-patch-checks", CARDIAC, lambda ctx: release_with_cell(
        ctx, "checks.expect_shape = lambda *args, **kwargs: None"), "zero", "IntegrityError"),
    Case("hostile-patch-builtins", MNIST, lambda ctx: release_with_cell(
        ctx, "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})"), "zero", "IntegrityError"),
    # 2. hostile against the judge: tests that never run, forged answers and verdicts, patched
    # comparisons, the hidden tests' own globals, hidden inputs sent out, the seed
    Case("judge-input-transformer", MNIST, lambda ctx: release_with_cell(ctx, TRANSFORMER), "zero"),
    Case("judge-input-transformer", CARDIAC, lambda ctx: release_with_cell(ctx, TRANSFORMER), "zero"),
    Case("judge-forged-agent", MNIST, lambda ctx: release_with_cell(ctx, FORGED_AGENT), "zero"),
    Case("judge-forged-agent", CARDIAC, lambda ctx: release_with_cell(ctx, FORGED_AGENT), "zero"),
    Case("judge-forged-verdict", MNIST, lambda ctx: release_with_cell(ctx, FORGED_VERDICT), "zero"),
    Case("judge-alias-patches", MNIST, lambda ctx: release_with_cell(ctx, ALIAS_PATCHES), "zero"),
    Case("judge-alias-patches", CARDIAC, lambda ctx: release_with_cell(ctx, ALIAS_PATCHES), "zero"),
    Case("judge-hidden-globals", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "kl_divergence", replace=HIDDEN_GLOBALS_KL))}, "partial"),
    Case("judge-leak-inputs", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "kl_divergence", replace=LEAKING_KL))}, "full", never=(),
        never_in_feedback=(), leaks_hidden_inputs_of="test_kl_values"),
    Case("judge-leak-by-exception", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "kl_divergence", replace=RAISING_KL))}, "partial", never=(),
        never_in_feedback=(), leaks_hidden_inputs_of="test_kl_values",  # its visible check shows LEAK
        instructor_sees_inputs=True),
    Case("judge-seed-snoop", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "build_encoder", SEED_SNOOP))}, "full"),
    # 3. broken
    Case("broken-syntax", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "kl_divergence", replace="def kl_divergence(z_mean, z_log_var)\n    return 0"))},
        "partial", "SyntaxError"),
    Case("broken-infinite-loop", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "kl_divergence", "while True:\n    pass\n"))}, "partial", "CellTimeoutError"),
    Case("broken-kernel-dies", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "sampling_layer", "import faulthandler\nfaulthandler._sigsegv()\n"))},
        "partial", "died"),
    Case("broken-memory-blowup", MNIST, lambda ctx: {ctx.source.name: notebook_bytes(
        solution_with(ctx, "negative_elbo", "hoard = bytearray(64 * 2 ** 30)\n"))}, "partial", "MemoryError"),
    Case("broken-test-deleted", MNIST, lambda ctx: without_cell(ctx, "test_kl_values"), "full"),
    Case("broken-test-edited", MNIST, lambda ctx: with_test_edited(ctx, "test_elbo_values"), "full"),
    Case("broken-invalid-json", MNIST, invalid_json, "zero", "not valid JSON"),
    Case("broken-renamed", MNIST, lambda ctx: {"my_vae_homework.ipynb": ctx.source.read_bytes()},
         "full", "was graded in its place"),
    Case("broken-missing", CARDIAC, lambda ctx: {"notes.txt": b"I forgot the notebook"}, "zero",
         "was handed in"),
    Case("broken-other-assignment", MNIST, lambda ctx: {ctx.source.name: ctx.other_source.read_bytes()},
         "zero", "the notebook of `cardiac_vae`"),
    Case("broken-huge-outputs", MNIST, huge_outputs, "full", "they were removed before grading"),
]
