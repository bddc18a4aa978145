"""Hostile and broken submissions for the grading-trust tests.

Each case builds the files a student hands in (``{file name: bytes}``, or a :class:`Link`,
:class:`HardLink` or :class:`Fifo`) and says what grading must give: ``full`` marks, ``zero``, or ``partial``; a text the graded notebook and the
feedback must show; texts they must never show (``LEAK``: a hidden test or the gradebook
reached the student's output).
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Link:
    """A symbolic link handed in, to ``target``."""
    target: str


@dataclass(frozen=True)
class HardLink:
    """A hard link handed in, to the file ``target``."""
    target: str


@dataclass(frozen=True)
class Fifo:
    """A named pipe handed in."""


def write_files(folder, files):
    """Write a case's hand-in into ``folder``."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target, path)
        elif isinstance(content, HardLink):
            os.link(content.target, path)
        elif isinstance(content, Fifo):
            os.mkfifo(path)
        else:
            path.write_bytes(content)


#: What must never reach a file the student gets back.
SECRET_ENV = {"AECOURSE_GRADING_SECRET": "grader-secret-4bd1e0", "JUPYTERHUB_API_TOKEN": "hub-token-93c2aa",
              "AECOURSE_DATABASE_URL": "postgresql://grader:db-password-77f1@db/grades"}
#: A file that code handed in creates if it ever runs as the grader, outside the jail.
RAN_OUTSIDE = "RAN-OUTSIDE-THE-JAIL"


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
        print("LE" + "AK file", _t, _p.read_bytes()[:80])
    elif _p.is_dir() and _t != "/home" and [x for x in _p.iterdir() if x.name != ".pyenv"]:
        print("LE" + "AK folder", _t, sorted(x.name for x in _p.iterdir())[:5])
for _base in ("/home", "/tmp", "/data", "/run", ".."):
    for _hit in _glob.glob(_base + "/**/gradebook.db", recursive=True) + _glob.glob(_base + "/**/source/", recursive=True):
        print("LE" + "AK found", _hit)
try:
    _socket.create_connection(("127.0.0.1", {ctx.port}), timeout=2).close()
    print("LE" + "AK network")
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
    print("LE" + "AK seed or secret in the kernel's environment")
"""


def outside_marker(ctx, label):
    """Python that leaves a mark in the course root: it must never run (it is code handed in)."""
    return (f"import pathlib as _p\n_p.Path({str(ctx.root / RAN_OUTSIDE)!r}).write_text({label!r})\n"
            f"print('LE' + 'AK ran as the grader: {label}')\n").encode()


def solution_files(ctx, grade_id, prefix="", **extra):
    """The solution, one answer cell prefixed with ``prefix``, and ``extra`` files beside it."""
    return {ctx.source.name: notebook_bytes(solution_with(ctx, grade_id, prefix)), **extra}


def code_beside(ctx):
    """Code handed in beside the notebook, every way Python could pick it up."""
    return {"aecourse/__init__.py": outside_marker(ctx, "aecourse package"),
            "aecourse/grading/__init__.py": outside_marker(ctx, "aecourse.grading"),
            "aecourse/grading/sandbox.py": outside_marker(ctx, "sandbox module"),
            "ipykernel_launcher.py": outside_marker(ctx, "ipykernel_launcher"),
            "sitecustomize.py": outside_marker(ctx, "sitecustomize"),
            "usercustomize.py": outside_marker(ctx, "usercustomize"),
            "zz_evil.pth": b"import pathlib; pathlib.Path(" + repr(str(ctx.root / RAN_OUTSIDE)).encode() + b").write_text('pth')\n",
            "numpy.py": outside_marker(ctx, "numpy shadow"),
            "helpers.py": outside_marker(ctx, "helpers")}


IMPORT_PROBE = """
try:
    import helpers
    print("LE" + "AK imported a file handed in")
except ImportError:
    print("handed-in code not importable")
"""


def links_probe(ctx):
    """Links made at run time in the working folder, to the gradebook and the secret."""
    return f"""
import os as _os
for _target, _name in [({str(ctx.root / "gradebook.db")!r}, "answers_backup.html"),
                       ("../../../gradebook.db", "answers_backup2.html"),
                       ({str(ctx.root / ".grading_secret")!r}, "secret.txt"), ("/pr" + "oc/1/environ", "env.txt")]:
    try:
        _os.symlink(_target, _name)
    except OSError as _error:
        print("no link", _error)
    try:
        _os.link(_target, _name + ".hard")
    except OSError as _error:
        print("no hard link", type(_error).__name__)
try:
    _os.mkfifo("pipe.txt")
except OSError:
    pass
print("links made:", sorted(_os.listdir(".")))
"""


def environment_probe(ctx):
    """Look for the grader's secrets and host paths in every place the jail might show them."""
    reversed_secrets = [value[::-1] for value in SECRET_ENV.values()]  # the secrets never show in the source
    return f"""
import os as _os, glob as _glob
_seen = ""
for _f in ["/pr" + "oc/1/environ", "/pr" + "oc/self/environ", "/pr" + "oc/1/cmdline", "/pr" + "oc/self/mountinfo",
           "/pr" + "oc/1/mountinfo", "/pr" + "oc/self/cgroup"] + _glob.glob("/pr" + "oc/[0-9]*/environ"):
    try:
        _seen += open(_f, "rb").read().decode(errors="replace")
    except OSError:
        pass
_seen += _os.getcwd() + " " + str(sorted(_os.listdir("/"))) + str(sorted(_os.listdir("/opt")))
for _secret in {reversed_secrets!r}:
    if _secret[::-1] in _seen:
        print("LE" + "AK secret", len(_secret))
print("mountinfo says:", _seen[-3000:])
print("environment probe done")
"""


def fork_bomb():
    return """
import os as _os, time as _time
_fork = getattr(_os, "fo" + "rk")
_children = []
try:
    for _i in range(100000):
        _pid = _fork()
        if _pid == 0:
            _time.sleep(20)
            _os._exit(0)
        _children.append(_pid)
except OSError as _error:
    print("fork stopped after", len(_children), type(_error).__name__)
for _pid in _children:
    _os.kill(_pid, 9)
    _os.waitpid(_pid, 0)
"""


def disk_filler():
    return """
_written = {}
for _where in ("filler.bin", "/tmp/filler.bin", "/home/student/filler.bin"):
    _written[_where] = 0
    try:
        with open(_where, "wb") as _f:
            for _i in range(4096):
                _f.write(b"0" * 2 ** 20)
                _written[_where] += 1
    except OSError as _error:
        print("disk full at", _where, _written[_where], "MB:", type(_error).__name__)
    import os as _os
    _os.remove(_where)
print("disk filler done", _written)
"""


def interrupt_swallower():
    return """
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        print("interrupt ignored")
"""


HTML_ATTACK = ("<script>alert('XSS-script')</script><img src=x onerror=\"alert('XSS-onerror')\">"
               "<a href=\"javascript:alert('XSS-href')\">click</a><iframe src=\"javascript:alert('XSS-frame')\"></iframe>")
SVG_ATTACK = ("<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert('XSS-svg-onload')\">"
              "<script>alert('XSS-svg-script')</script><circle r='4'/></svg>")


def html_attack(ctx, grade_id):
    """Markdown cells and rich outputs carrying scripts, event handlers and javascript: URLs."""
    notebook = solution_with(ctx, grade_id, f"""
class _Page:
    def _repr_html_(self):
        return {HTML_ATTACK!r}
    def _repr_svg_(self):
        return {SVG_ATTACK!r}
_Page()
""")
    index = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown")
    notebook.cells.insert(index + 1, nbformat.v4.new_markdown_cell(
        f"My notes.\n\n{HTML_ATTACK}\n\n[a link](javascript:alert('XSS-md-link'))\n\n{SVG_ATTACK}"))
    return {ctx.source.name: notebook_bytes(notebook)}


def linked_notebook(ctx):
    """The notebook handed in is a link to another student's graded notebook (here: the solution)."""
    return {ctx.source.name: Link(str(ctx.root / "submitted" / "solution" / ctx.source.parent.name / ctx.source.name))}


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

#: The cases of the jail (issue 14): each must leave nothing outside and leak nothing back.
JAIL_CASES = [
    # code handed in is data: never imported, by the grader (outside) nor by the kernel
    Case("jail-code-beside", MNIST, lambda ctx: solution_files(ctx, "build_encoder", IMPORT_PROBE, **code_beside(ctx)),
         "full", "was set aside"),
    Case("jail-code-beside", CARDIAC, lambda ctx: solution_files(ctx, "one_hot", IMPORT_PROBE, **code_beside(ctx)),
         "full", "handed-in code not importable"),
    # links: handed in (to the gradebook, the secret, a folder, a device), made at run time, hard links, FIFOs
    Case("jail-links-handed-in", MNIST, lambda ctx: solution_files(
        ctx, "build_decoder", "",
        **{"answers_backup.html": Link(str(ctx.root / "gradebook.db")), "data/secret.txt": Link("../../../../.grading_secret"),
           "source_copy": Link(str(ctx.root / "source")), "zeros.bin": Link("/dev/zero"), "pipe.txt": Fifo(),
           "notes.txt": b"my own notes", "data/points.csv": b"1,2\n3,4\n"}), "full", "is a symbolic link"),
    Case("jail-hard-link", CARDIAC, lambda ctx: solution_files(
        ctx, "one_hot", "", **{"backup.ipynb.txt": HardLink(str(ctx.source))}), "full", "is a hard link"),
    Case("jail-links-made", MNIST, lambda ctx: solution_files(ctx, "build_encoder", links_probe(ctx)), "full", "links made"),
    Case("jail-links-made", CARDIAC, lambda ctx: solution_files(ctx, "build_cardiac_encoder", links_probe(ctx)),
         "full", "links made"),
    Case("jail-linked-notebook", MNIST, linked_notebook, "zero", "is a symbolic link"),
    # the grader's environment and paths
    Case("jail-environment", MNIST, lambda ctx: solution_files(ctx, "reconstruction_loss", environment_probe(ctx)),
         "full", "environment probe done"),
    Case("jail-environment", CARDIAC, lambda ctx: solution_files(ctx, "one_hot", environment_probe(ctx)),
         "full", "environment probe done"),
    # limits of the whole jail
    Case("jail-fork-bomb", MNIST, lambda ctx: solution_files(ctx, "build_encoder", fork_bomb()), "full", "fork stopped"),
    Case("jail-disk-filler", CARDIAC, lambda ctx: solution_files(ctx, "one_hot", disk_filler()), "full", "disk full at"),
    Case("jail-one-huge-line", MNIST, lambda ctx: solution_files(ctx, "negative_elbo", "print('x' * 48 * 2 ** 20)\n"),
         "partial", "printed more than"),
    Case("jail-many-lines", CARDIAC, lambda ctx: solution_files(
        ctx, "losses", "for _i in range(300000):\n    print('y' * 70)\n"), "partial", "printed more than"),
    Case("jail-interrupt-swallowed", MNIST, lambda ctx: solution_files(ctx, "kl_divergence", interrupt_swallower()),
         "partial", "did not stop when interrupted"),
    # pages: no script from student content in feedback, formgrader or report
    Case("jail-html", MNIST, lambda ctx: html_attack(ctx, "build_encoder"), "full"),
    Case("jail-html", CARDIAC, lambda ctx: html_attack(ctx, "one_hot"), "full"),
]
CASES += JAIL_CASES
