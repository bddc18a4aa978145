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
import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer

from aecourse.grading import handin, integrity, limits, sandbox, scrub, seeds
from aecourse.judge import phase, remote, verdicts, wire

REPLAY_ENV = "AECOURSE_REPLAY_DIR"
#: The largest message the grader accepts from a kernel (ZMQ drops bigger ones unread).
MAX_MESSAGE_BYTES = 64 * 2 ** 20


class SandboxKernelManager(AsyncKernelManager):
    """Starts the IPython kernel inside the sandbox, talking over Unix sockets in a private folder.

    The wrapper starts isolated (``python -I``) in that private folder, never in the student's:
    nothing handed in can be imported by it. The notebook's folder is passed as ``--handin``: the
    kernel gets a scratch copy of its plain data files. The client's sockets refuse messages
    over ``MAX_MESSAGE_BYTES`` (one giant output cannot exhaust the grader's memory)."""

    def __init__(self, **kwargs):
        kwargs.pop("kernel_name", None)
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="aecourse-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-I", "-m", "aecourse.grading.sandbox", "--connection-file", "{connection_file}"],
            display_name="Python 3 (grading sandbox)", language="python", interrupt_mode="message",
            env={}, metadata={})

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        handin = kw.get("cwd") or os.getcwd()
        kw["cwd"] = self._socket_dir
        await super()._async_launch_kernel([*kernel_cmd, "--handin", str(handin)], **kw)

    def client(self, **kwargs):
        """A client whose sockets refuse (unread) any message over MAX_MESSAGE_BYTES."""
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        client = super().client(context=context, **kwargs)
        client._created_context = True  # so that the client destroys it with its channels
        return client

    def jail_failure(self) -> str | None:
        """What the wrapper said when the jail could not start (None if it did not fail)."""
        path = Path(f"{self.connection_file}{sandbox.FAILURE_SUFFIX}")
        if path.exists():
            self._jail_failure = path.read_text(errors="replace").strip()
        return getattr(self, "_jail_failure", None)

    async def cleanup_resources(self, restart=False):
        failure = Path(f"{self.connection_file}{sandbox.FAILURE_SUFFIX}")
        self.jail_failure()  # kept for the error message, which comes after the clean-up
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            failure.unlink(missing_ok=True)
            shutil.rmtree(self._socket_dir, ignore_errors=True)


#: Errors the grader itself records in a notebook (as opposed to the student's own errors).
GRADER_ERRORS = ("IntegrityError", "DeadKernelError", "CellTimeoutError", "NotRun", "GradingError",
                 "OutputLimitError", "HandInError")
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
    """An autograded test cell: a code cell that is graded and holds no solution."""
    return cell.cell_type == "code" and bool(is_grade(cell)) and not is_solution(cell)


class GradingExecute(Execute):
    """nbgrader's Execute with tamper check, sandbox, seeds, time budgets and kernel-death handling."""

    cell_timeout = Integer(30, help="Seconds one cell may run while grading. A graded notebook trains for a "
                                    "few steps only (aecourse.runtime.QUICK), so its cells take seconds: "
                                    "30 s leaves room for a slow machine and busy parallel workers, and stops "
                                    "a loop that never ends long before plain nbgrader's 5 minutes.").tag(config=True)
    notebook_timeout = Integer(120, help="Seconds the whole notebook may run while grading (its locked set-up "
                                         "cells apart: see setup_timeout).").tag(config=True)
    setup_timeout = Integer(180, help="Seconds, in all, for the notebook's locked cells before the first cell "
                                      "a student can edit (its imports: no student code has run yet). A busy "
                                      "machine can slow TensorFlow's import far past cell_timeout, so they get "
                                      "this budget of their own, outside notebook_timeout. Past it, or if the "
                                      "kernel dies there, the machine is at fault: grading stops and nothing "
                                      "is recorded.").tag(config=True)
    figures = Bool(False, help="Render the notebook's figures while grading. Off by default: graded "
                               "notebooks train for a few steps only, so their figures show nothing worth "
                               "grading, and drawing them costs grading time (bench/bench_autograde.py "
                               "measures it).").tag(config=True)
    cell_output_bytes = Integer(2 * 2 ** 20, help="Bytes of output one cell may print while grading.").tag(config=True)
    notebook_output_bytes = Integer(10 * 2 ** 20, help="Bytes of output the whole notebook may print while "
                                                       "grading.").tag(config=True)
    answer_output_bytes = Integer(128 * 2 ** 20, help="Bytes the kernel may send back for one request of the "
                                                      "judge (its answer: arrays), apart from the student's "
                                                      "own output budgets.").tag(config=True)
    warn_missing_limits = Bool(True, help="Warn (once per process) when this machine gives the jail no control "
                                          "group, so its process and memory limits hold per process only. "
                                          "The class grader warns once itself and turns it off in its "
                                          "workers.").tag(config=True)

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
        unfit = handin.admit(nb, resources, self.config)
        if unfit:
            return fail_tests(nb, "HandInError", unfit), resources
        findings = integrity.find_tampering(nb)
        if findings:
            return refuse(nb, findings), resources
        if not sandbox.unsafe_no_sandbox():
            self._check_jail(resources)
        self._halted, self._halted_at = None, None
        self._deadline = time.monotonic() + self.notebook_timeout
        self._seed = self._notebook_seed(resources)
        self._hidden, full_sources = self._take_hidden_tests(nb)
        self._setup_cells, self._setup_left = setup_cells(nb), float(self.setup_timeout)
        self._verdicts, self._judging = {}, False
        try:
            with environment(self._kernel_environment()):
                nb, resources = super().preprocess(nb, resources, retries)
                if self._halted_at is not None:
                    self._judge_after_halt()
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

    def _judge(self, hidden=None):
        """The judge phase (after the last cell, with the kernel still running): every hidden part.
        Its requests run in a scratch cell at the end of the notebook (nbclient writes each executed
        cell back into the notebook), removed afterwards: nothing they print is kept."""
        if self._halted_at is not None and hidden is None:
            return  # the notebook stopped early: _judge_after_halt judges what ran
        self.nb.cells.append(new_code_cell(""))
        try:
            self._verdicts.update(phase.judge_cells(
                self._hidden if hidden is None else hidden, self._run_for_judge,
                lambda grade_id: seeds.cell_seed(self._seed, grade_id),
                self._deadline, self.cell_timeout, self._set_timeout, lambda: self._halted))
        finally:
            self.nb.cells.pop()

    def _judge_after_halt(self):
        """The notebook stopped at cell k (its kernel died or was ended, or its time ran out): in a fresh
        jail, run its cells before k again, their outputs dropped (the first run's stay), then judge the
        test cells before k, so that a crash late in the notebook costs only what comes after it. The
        test cells from k on fail with the reason."""
        reason, stop = self._halted, self._halted_at
        for index, (grade_id, _) in self._hidden.items():  # noqa: B007
            if index >= stop:
                self._verdicts[index] = phase.not_run(reason)
        earlier = {index: block for index, block in self._hidden.items() if index < stop}
        if not earlier:
            return
        self._halted, self._deadline = None, time.monotonic() + self.notebook_timeout
        with self.setup_kernel():
            self.nb.cells.append(new_code_cell(""))
            try:
                for index, cell in enumerate(self.nb.cells[:stop]):
                    if cell.cell_type == "code" and not self._halted:
                        self._run_again(cell.source, setup=index in self._setup_cells)
            finally:
                self.nb.cells.pop()
            self._judge(earlier)

    def _run_again(self, code, setup=False):
        """One of the notebook's cells, run again before the judge (its outputs are not kept); a set-up
        cell with the set-up budget, its time outside the notebook's."""
        started, remaining = time.monotonic(), self._deadline - time.monotonic()
        if remaining < 1:
            self._halted = "the notebook used up its grading time again before its hidden tests could run"
            return
        self._timeout = int(max(1, self.setup_timeout if setup else min(self.cell_timeout, remaining)))
        self._run_in_scratch(code, asking=False)
        if setup:
            self._deadline += time.monotonic() - started

    def _run_for_judge(self, code):
        """Run the agent's request ``code`` in the kernel; its outputs (none of them kept in the notebook)."""
        outputs = self._run_in_scratch(code, asking=True)
        if outputs is None:
            raise remote.LinkError(self._halted)
        return outputs

    def _run_in_scratch(self, code, asking):
        """Run ``code`` in the scratch cell at the end of the notebook: its outputs, or None when the kernel
        stopped under it (then the jail is ended and ``_halted`` says why). ``asking``: a judge's request,
        whose answer has its own output budget and stays out of the kernel's history."""
        cell = new_code_cell(code)
        self._cell_output_bytes, self._asking = 0, asking
        try:
            self.execute_cell(cell, len(self.nb.cells) - 1, store_history=not asking)
        except (DeadKernelError, CellTimeoutError, OutputLimitError) as stop:
            self._kill_jail()
            self._halted = next(why for kind, why in JUDGE_STOPS.items() if isinstance(stop, kind))
            return None
        finally:
            self._asking = False
        return cell.outputs

    def _set_timeout(self, seconds):
        self._timeout = seconds
        self.error_on_timeout = {"ename": "CellTimeoutError", "evalue": f"no answer within {seconds} s",
                                 "traceback": []}

    def _kernel_environment(self):
        environment = {sandbox.WALL_LIMIT_ENV: str(self.notebook_timeout + self.setup_timeout + 30)}
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
        if index in self._setup_cells and self._halted is None:
            return self._run_setup_cell(cell, resources, index)
        remaining = self._deadline - time.monotonic()
        if self._halted is None and remaining < 1:
            self._halted_at = index
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
        self._cell_output_bytes = 0
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError, OutputLimitError) as stop:
            self._kill_jail()
            ename, self._halted = self._stop_reason(stop, index)
            self._halted_at = index
            cell.outputs.append(error_output(ename, f"{self._halted[0].upper()}{self._halted[1:]}."))
            return cell, resources

    def _run_setup_cell(self, cell, resources, index):
        """A locked cell before any the student can edit: its own budget (setup_timeout, in all), its
        time added to the notebook's deadline; an overrun or a death there is the grader's failure."""
        started, self._timeout = time.monotonic(), int(max(1, self._setup_left))
        self._cell_output_bytes, interrupt = 0, self.interrupt_on_timeout
        self.interrupt_on_timeout = False  # nbclient raises CellTimeoutError at the limit
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as stop:
            self._kill_jail()
            forget_ungraded_submission(resources, self.config)
            what = (f"did not finish within the {self.setup_timeout} s set-up budget (setup_timeout)"
                    if isinstance(stop, CellTimeoutError) else "ended its Python process (out of memory?)")
            raise GraderFailure(f"the notebook's own set-up (cell {index + 1}, locked: no student code had run) "
                                f"{what}. This is a problem of the grading machine (too busy, or too little "
                                f"memory for the jail), not of the submission: grade with fewer workers, or "
                                f"raise GradingExecute.setup_timeout. {GRADER_FIX}") from stop
        finally:
            self.interrupt_on_timeout = interrupt
            spent = time.monotonic() - started
            self._setup_left -= spent
            self._deadline += spent  # the set-up's time is not the notebook's

    def _stop_reason(self, stop, index):
        """(error name, why) for the cell that ended the notebook."""
        if self._overrun:
            return self._overrun
        if isinstance(stop, DeadKernelError):
            return "DeadKernelError", (f"the Python process died while running cell {index + 1} (it ran out of "
                                       "memory, or the code ended the process, e.g. with os._exit)")
        return "CellTimeoutError", (f"cell {index + 1} did not stop when interrupted at its time limit "
                                    f"({self._timeout} s), so its Python process was ended (code that catches "
                                    "KeyboardInterrupt in a loop?)")

    # -- the kernel: start, outputs, stop ----------------------------------------------
    async def async_start_new_kernel_client(self):
        """Start the kernel's client; a kernel that cannot start is the grader's failure, not the student's."""
        self._overrun, self._notebook_output_bytes, self._cell_output_bytes, self._asking = None, 0, 0, False
        manager = self.km
        try:
            return await super().async_start_new_kernel_client()
        except Exception as error:
            said = manager.jail_failure() if isinstance(manager, SandboxKernelManager) else None
            forget_ungraded_submission(getattr(self, "resources", {}), self.config)
            raise GraderFailure(f"the grading kernel could not start ({said or f'{type(error).__name__}: {error}'}). "
                                f"This is a problem of the grading machine, not of the submission. {GRADER_FIX}") from error  # noqa: E501

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _check_jail(self, resources):
        """The jail works here, or grading stops: a grader failure, recorded as no grade."""
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as error:
            forget_ungraded_submission(resources, self.config)
            raise GraderFailure(str(error)) from error
        if self.warn_missing_limits:
            limits.warn_if_unavailable(self.log.warning)

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handling, with the output capped as it arrives (per cell, per notebook) and
        the grading machine's paths scrubbed."""
        size = message_bytes(msg.get("content", {}))
        self._cell_output_bytes += size
        if self._asking:  # the kernel answers the judge: arrays, on a budget of their own
            budgets = ((self._cell_output_bytes, self.answer_output_bytes, "the answer to the hidden tests"),)
        else:
            self._notebook_output_bytes += size
            budgets = ((self._cell_output_bytes, self.cell_output_bytes, f"cell {cell_index + 1}"),
                       (self._notebook_output_bytes, self.notebook_output_bytes, "the notebook"))
        for used, limit, what in budgets:
            if used > limit and self._overrun is None:
                self._overrun = ("OutputLimitError", f"{what} printed more than {limit / 2 ** 20:g} MB of output "
                                 "while grading, so the notebook was stopped there")
                self._kill_jail()
            if self._overrun:
                raise OutputLimitError(self._overrun[1])
        return scrub.scrub_output(super().output(outs, msg, display_id, cell_index))

    def _kill_jail(self):
        """End the kernel (and its whole jail) at once."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.terminate()

    def _get_timeout(self, cell):
        return getattr(self, "_timeout", self.cell_timeout)


def setup_cells(nb) -> set[int]:
    """Indices of the code cells before the first one a student can edit: the notebook's own locked
    set-up. Run after nbgrader's sanitizing, which restores a locked cell's source from the gradebook
    and strips the id of a cell the gradebook does not know: a cell a student marks locked keeps no
    ``grade_id``, so it ends the set-up like any cell of theirs."""
    cells = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if integrity.is_student_cell(cell) or not cell.metadata.get("nbgrader", {}).get("grade_id"):
            break
        cells.add(index)
    return cells


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
    return fail_tests(nb, "IntegrityError", f"this notebook was not run, because it changes what the tests rely on "
                                            f"({listed}). No exercise needs this. Remove it and submit again, or "
                                            "ask your instructor.")


def fail_tests(nb, ename, message):
    """Run nothing: every test cell fails with ``ename: message``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [error_output(ename, message)] if is_test_cell(cell) else []
    return nb


class GraderFailure(Exception):
    """The grader itself failed (the jail or the kernel could not start): no score may be recorded.
    (Not a RuntimeError: nbgrader would retry, then blame the student's code.)"""


class OutputLimitError(RuntimeError):
    """A cell or the notebook printed more than its output budget."""


#: Why the kernel could not be asked any more, when it stopped while the judge asked.
JUDGE_STOPS = {
    DeadKernelError: "the Python process died while the hidden tests used your code (out of memory, or the code "
                     "ended it)",
    CellTimeoutError: "your code did not stop when interrupted at its time limit while the hidden tests used it, "
                      "so its Python process was ended",
    OutputLimitError: "your code printed more than the output limit while the hidden tests used it",
}


GRADER_FIX = ("Check the jail on this machine with `python -m aecourse.grading.sandbox --check`, fix what it "
              "says, then grade again.")


def forget_ungraded_submission(resources, config) -> None:
    """Under plain ``nbgrader autograde``, which enters a submission in the gradebook before running it,
    remove that entry again if it holds no grade yet: a grader failure must not read as a zero."""
    from nbgrader.api import Gradebook, MissingEntry

    grading = (resources or {}).get("nbgrader", {})
    if not grading.get("db_url"):
        return
    course_id = config.get("CourseDirectory", {}).get("course_id", "")
    with Gradebook(grading["db_url"], course_id) as gradebook:
        try:
            submission = gradebook.find_submission(grading["assignment"], grading["student"])
        except MissingEntry:
            return
        grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
        if all(grade.auto_score is None and grade.manual_score is None for grade in grades):
            gradebook.remove_submission(grading["assignment"], grading["student"])


def message_bytes(content) -> int:
    """About how many bytes an output message carries (its texts and data)."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, dict):
        return sum(message_bytes(value) for value in content.values())
    if isinstance(content, (list, tuple)):
        return sum(message_bytes(value) for value in content)
    return 8


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
