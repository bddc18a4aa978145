"""``GradingExecute``: nbgrader's Execute step, made safe for a class.

It replaces ``nbgrader.preprocessors.Execute`` in ``c.Autograde.autograde_preprocessors``
(nbgrader_config.py), so ``nbgrader autograde`` itself grades this way:

1. the student's cells are checked for tampering first (:mod:`.integrity`, a first line with a
   clear message; no promise rests on it); a notebook that tampers is not run, and each of its
   test cells fails with the reason;
2. the kernel runs in the sandbox (:mod:`.sandbox`); test cells reach it without their hidden
   part, which never enters the student's interpreter;
3. after the last cell, the judge (:mod:`aecourse.judge.phase`) runs every hidden part in this
   process, with inputs drawn from the student's seed (:mod:`.seeds`), asking the kernel for
   data only; its verdict, not the kernel, decides each test cell's score;
4. each cell has a time budget, and so has the whole notebook; once the notebook's budget is
   spent, or the kernel dies (``os._exit``, a memory blow-up), the remaining cells are not
   run and each says why, so every test cell gets a score and nbgrader carries on;
5. with ``AECOURSE_REPLAY_DIR`` set, the outputs come from a notebook the parallel grader
   already ran in a worker (:mod:`.parallel`): nothing runs twice.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Bool, Integer

from aecourse.grading import integrity, sandbox, seeds
from aecourse.judge import phase, remote, verdicts, wire

REPLAY_ENV = "AECOURSE_REPLAY_DIR"


class SandboxKernelManager(AsyncKernelManager):
    """Starts the IPython kernel inside the sandbox, talking over Unix sockets in a private folder."""

    def __init__(self, **kwargs):
        kwargs.pop("kernel_name", None)
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="aecourse-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "aecourse.grading.sandbox", "--connection-file", "{connection_file}"],
            display_name="Python 3 (grading sandbox)", language="python", interrupt_mode="message",
            env={}, metadata={})

    async def cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


#: Errors the grader itself records in a notebook (as opposed to the student's own errors).
GRADER_ERRORS = ("IntegrityError", "DeadKernelError", "CellTimeoutError", "NotRun", "GradingError")
#: MIME types only the grader may write into a test cell (a kernel's own are dropped).
GRADER_MIMES = (verdicts.MIME, wire.MIME)


def error_output(ename, evalue):
    """A notebook error output that nbgrader scores 0 and feedback shows as ``ename: evalue``."""
    wrapped = textwrap.fill(f"{ename}: {evalue}", 110, subsequent_indent="    ")
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m{wrapped[len(ename):]}"])


def grader_problems(nb):
    """What the grader had to stop or refuse in a run notebook, in words (one line per kind)."""
    seen = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error" and output.ename in GRADER_ERRORS:
                seen.setdefault(output.ename, output.evalue)
    return [f"{name}: {text}" for name, text in seen.items() if name != "NotRun"]


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


class GradingExecute(Execute):
    """nbgrader's Execute with tamper check, sandbox, seeds, time budgets and kernel-death handling."""

    cell_timeout = Integer(30, help="Seconds one cell may run while grading.").tag(config=True)
    notebook_timeout = Integer(120, help="Seconds the whole notebook may run while grading.").tag(config=True)
    figures = Bool(False, help="Render the notebook's figures while grading. Off by default: graded "
                               "notebooks train for a few steps only, so their figures show nothing worth "
                               "grading, and drawing them costs about a fifth of the grading time.").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class",
                          AsyncKernelManager if sandbox.unsafe_no_sandbox() else SandboxKernelManager)
        super().__init__(*args, **kwargs)
        self.shutdown_kernel = "immediate"

    # -- the notebook ------------------------------------------------------------------
    def preprocess(self, nb, resources, retries=None):
        replay_dir = os.environ.get(REPLAY_ENV)
        if replay_dir:
            return replay(nb, resources, Path(replay_dir)), resources
        findings = integrity.find_tampering(nb)
        if findings:
            return refuse(nb, findings), resources
        if not sandbox.unsafe_no_sandbox():
            sandbox.check_available()
        self._halted = None
        self._deadline = time.monotonic() + self.notebook_timeout
        self._seed = self._notebook_seed(resources)
        self._hidden, full_sources = self._take_hidden_tests(nb)
        self._verdicts, self._judging = {}, False
        try:
            with environment(self._kernel_environment()):
                nb, resources = super().preprocess(nb, resources, retries)
        finally:
            for index, source in full_sources.items():
                nb.cells[index].source = source
        for index, cell in enumerate(nb.cells):
            if is_test_cell(cell):
                cell.outputs = kernel_outputs(cell.outputs)
                if index in self._verdicts:
                    cell.outputs += phase.verdict_outputs(self._verdicts[index])
        return nb, resources

    def _notebook_seed(self, resources):
        grading = resources.get("nbgrader", {})
        seed = resources.get("aecourse", {}).get("seed")
        if seed is None:
            secret = seeds.course_secret(self.config.get("CourseDirectory", {}).get("root") or os.getcwd())
            seed = seeds.notebook_seed(secret, grading.get("assignment", ""), grading.get("student", ""))
        return seed

    def _take_hidden_tests(self, nb):
        """Cut the hidden part out of every test cell: ({index: (grade_id, code)}, {index: full source})."""
        delimiters = ClearHiddenTests(config=self.config)
        pattern = phase.hidden_pattern(delimiters.begin_test_delimeter, delimiters.end_test_delimeter)
        hidden, full = {}, {}
        for index, cell in enumerate(nb.cells):
            if is_test_cell(cell):
                visible, code = phase.split_hidden(cell.source, pattern)
                if code is not None:
                    hidden[index] = (cell.metadata["nbgrader"]["grade_id"], code)
                    full[index], cell.source = cell.source, visible
        return hidden, full

    def _judge(self):
        """The judge phase (after the last cell, with the kernel still running): every hidden part.
        Its requests run in a scratch cell at the end of the notebook (nbclient writes each executed
        cell back into the notebook), removed afterwards: nothing they print is kept."""
        self.nb.cells.append(new_code_cell(""))
        try:
            self._verdicts = phase.judge_cells(
                self._hidden, self._run_for_judge, lambda grade_id: seeds.cell_seed(self._seed, grade_id),
                self._deadline, self.cell_timeout, self._set_timeout, lambda: self._halted)
        finally:
            self.nb.cells.pop()

    def _run_for_judge(self, code):
        """Run the agent's request ``code`` in the kernel; its outputs (none of them kept in the notebook)."""
        cell = new_code_cell(code)
        try:
            self.execute_cell(cell, len(self.nb.cells) - 1, store_history=False)
        except DeadKernelError:
            self._halted = "the Python process died while the hidden tests ran (out of memory, or the code ended it)"
            raise remote.LinkError(self._halted) from None
        return cell.outputs

    def _set_timeout(self, seconds):
        self._timeout = seconds
        self.error_on_timeout = {"ename": "CellTimeoutError", "evalue": f"no answer within {seconds} s",
                                 "traceback": []}

    def _kernel_environment(self):
        environment = {sandbox.WALL_LIMIT_ENV: str(self.notebook_timeout + 30)}
        if not self.figures:
            environment["MPLBACKEND"] = "agg"  # figures are made, not drawn (plt.show does nothing)
        return environment

    # -- one cell ----------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        cell, resources = self._run_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1 and not getattr(self, "_judging", False):
            self._judging = True
            self._judge()
        return cell, resources

    def _run_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if self._halted is None and remaining < 1:
            self._halted = (f"the notebook used up its grading time ({self.notebook_timeout} s) "
                            "before this cell: look for a loop that never ends or a very long training run above")
        if self._halted:
            cell.outputs = [error_output("NotRun", f"This cell was not run: {self._halted}.")]
            return cell, resources
        self._timeout = int(max(1, min(self.cell_timeout, remaining)))
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"this cell ran for more than {self._timeout} s while grading and was stopped "
                      "(a loop that never ends?)",
            "traceback": [f"CellTimeoutError: this cell ran for more than {self._timeout} s while grading"]}
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._halted = (f"the Python process died while running cell {index + 1} (it ran out of memory, "
                            "or the code ended the process, e.g. with os._exit)")
            cell.outputs.append(error_output("DeadKernelError", f"{self._halted[0].upper()}{self._halted[1:]}."))
            return cell, resources

    def _get_timeout(self, cell):
        return getattr(self, "_timeout", self.cell_timeout)


def kernel_outputs(outputs):
    """A test cell's outputs from the kernel, minus what only the grader may write: no verdict or
    judge data, and results shown as displays (nbgrader reads a number result as partial credit)."""
    kept = []
    for output in outputs:
        if output.output_type in ("display_data", "execute_result"):
            data = {key: value for key, value in output.get("data", {}).items() if key not in GRADER_MIMES}
            output = new_output("display_data", data=data, metadata=output.get("metadata", {}))
        kept.append(output)
    return kept


def refuse(nb, findings):
    """Fail every test cell of a notebook that tampers with the test machinery, saying why."""
    listed = "; ".join(map(str, findings[:5])) + ("; ..." if len(findings) > 5 else "")
    message = (f"this notebook was not run, because it changes what the tests rely on ({listed}). "
               "No exercise needs this. Remove it and submit again, or ask your instructor.")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [error_output("IntegrityError", message)] if is_test_cell(cell) else []
    return nb


def replay(nb, resources, replay_dir):
    """Copy the outputs of the notebook a worker ran (same cells, same order) into ``nb``."""
    grading = resources["nbgrader"]
    path = replay_dir / grading["student"] / grading["assignment"] / f"{grading['notebook']}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"no executed notebook from the parallel grader at {path}")
    executed = nbformat.read(path, as_version=4).cells
    if [(c.cell_type, c.source) for c in nb.cells] != [(c.cell_type, c.source) for c in executed]:
        raise ValueError(f"{path} does not have the cells of the notebook being graded")
    for cell, done in zip(nb.cells, executed):
        if cell.cell_type == "code":
            cell.outputs = done.outputs
            cell.execution_count = done.execution_count
            cell.metadata.update({k: v for k, v in done.metadata.items() if k == "execution"})
    return nb


@contextlib.contextmanager
def environment(values):
    """Set environment variables for the duration of a ``with`` block (a kernel inherits them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
