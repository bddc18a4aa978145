"""A fast in-kernel grader for the instructor notebooks, for benchmarks that grade many variants.

One kernel runs ``source/<assignment>/<assignment>.ipynb`` once, in quick mode and with the
environment nbgrader's autograde gives it (``NBGRADER_EXECUTION=autograde``, no figures drawn);
then :meth:`KernelGrader.grade` re-executes some answer cells with other code and the test cells
that follow the first of them, with a hidden-test seed of its choice, and puts the solution's
answer cells back. Cells between the answers (training, plots) are not re-run: the tests call
the answers' functions, not what the notebook computed with them.

Not the real grader (no sandbox, no tamper check, no nbgrader): the real one is
``aecourse-grade``. A test cell passes here as there: no error output and nothing on stderr.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.filters import strip_ansi

from aecourse.course import REPO_ROOT, answer_cells
from aecourse.grading.execute import environment, is_test_cell
from aecourse.judge import LOCAL_SEED_KEY

#: The kernel's address-space limit (GB), as in the grading sandbox: a mutant that builds a huge
#: tensor fails with a MemoryError instead of taking the machine's memory.
MEMORY_GB = float(os.environ.get("AECOURSE_BENCH_KERNEL_GB", 6))
_LAUNCH = ("import resource, sys; limit = int(float(sys.argv.pop(1)) * 2 ** 30); "
           "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
           "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()")


class LimitedKernelManager(AsyncKernelManager):
    """An IPython kernel with an address-space limit."""

    def __init__(self, **kwargs):
        kwargs.pop("kernel_name", None)
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="aecourse-bench-kernel-")
        self.transport, self.ip = "ipc", os.path.join(self._socket_dir, "kernel")  # no TCP port
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-c", _LAUNCH, str(MEMORY_GB), "-f", "{connection_file}"],
            display_name="Python 3 (memory-limited)", language="python", env={}, metadata={})

    async def cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


class NotebookBroken(RuntimeError):
    """The instructor notebook itself does not run (or its solution fails a test)."""


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def failure(outputs):
    """The first line of what makes a cell fail for nbgrader (an error, or anything on stderr); None if nothing."""
    for output in outputs:
        if output.output_type == "error":
            text = f"{output.ename}: {output.evalue}"
        elif output.output_type == "stream" and output.name == "stderr":
            text = f"stderr: {output.text}"
        else:
            continue
        lines = [line for line in strip_ansi(text).splitlines() if line.strip()]
        return lines[0] if lines else output.get("ename", "error")
    return None


class KernelGrader:
    """One kernel holding an executed instructor notebook; grade variants of its answers in it.

    Use as a context manager. ``cell_timeout`` bounds every cell: a cell that runs longer fails
    with ``CellTimeoutError``, and the kernel is restarted (the notebook run again) before the
    next call, as it is after the kernel dies.
    """

    def __init__(self, assignment, cell_timeout=60, workdir=None, log=print):
        self.assignment = assignment
        self.path = REPO_ROOT / "source" / assignment / f"{assignment}.ipynb"
        self.notebook = nbformat.read(self.path, as_version=4)
        self.cell_timeout = cell_timeout
        self.workdir = Path(workdir or REPO_ROOT / "build" / "kernel_grader" / assignment)
        self.log = log
        cells = self.notebook.cells
        #: {answer grade_id: the solution's whole cell source}
        answers = answer_cells(self.notebook)
        self.solutions = {name: cell.source for name, cell in answers.items()}
        position = {id(cell): i for i, cell in enumerate(cells)}
        self._answer_index = {name: position[id(cell)] for name, cell in answers.items()}
        self._tests = [(i, grade_id(c)) for i, c in enumerate(cells) if is_test_cell(c)]
        self.test_ids = [name for _, name in self._tests]
        self.restarts = 0
        self._client = None
        self._stack = None

    # -- the kernel ----------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Start a kernel and run the whole notebook; raise NotebookBroken if a cell fails."""
        self.close()
        self.workdir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        kernel_env = {"AECOURSE_QUICK": "1", "AECOURSE_STATIC_PLOTS": "1", "MPLBACKEND": "agg",
                      "NBGRADER_EXECUTION": "autograde", "AECOURSE_COURSE_ROOT": str(REPO_ROOT),
                      "TF_CPP_MIN_LOG_LEVEL": "3"}
        notebook = nbformat.read(self.path, as_version=4)
        self._client = NotebookClient(notebook, timeout=max(self.cell_timeout, 600), kernel_name="python3",
                                      allow_errors=True, kernel_manager_class=LimitedKernelManager,
                                      resources={"metadata": {"path": str(self.workdir)}})
        self._stack = contextlib.ExitStack()
        with environment(kernel_env):
            # the kernel process's own stderr holds only its log lines (cells' output comes over zmq)
            self._stack.enter_context(self._client.setup_kernel(stderr=subprocess.DEVNULL))
        notebook.cells.append(nbformat.v4.new_code_cell())  # where nbclient stores what _run executes
        for index, cell in enumerate(notebook.cells[:-1]):
            if cell.cell_type != "code":
                continue
            problem = self._run(cell.source)
            if problem:
                self.close()
                raise NotebookBroken(f"{self.path.name}: cell {index} ({cell.get('id')}) fails: {problem}")
        self._client.timeout = self.cell_timeout  # the notebook's own cells may take longer (imports)
        self.log(f"[kernel] {self.assignment}: notebook run in {time.perf_counter() - started:.0f} s")

    def close(self):
        if self._stack is not None:
            with contextlib.suppress(Exception):
                self._stack.close()
        self._stack = self._client = None

    def restart(self, why):
        self.log(f"[kernel] {self.assignment}: restarting ({why})")
        self.restarts += 1
        self.start()

    def _run(self, source):
        """Execute ``source`` in the kernel; the first line of its failure, or None."""
        cell = nbformat.v4.new_code_cell(source)
        try:
            self._client.execute_cell(cell, len(self._client.nb.cells) - 1)
        except CellTimeoutError:
            self._dead = f"CellTimeoutError: ran for more than {self.cell_timeout} s"
            return self._dead
        except DeadKernelError:
            self._dead = "DeadKernelError: the kernel died (out of memory, or the process ended)"
            return self._dead
        return failure(cell.outputs)

    # -- grading -------------------------------------------------------------------------
    def grade(self, answers, seed, tests=None):
        """Grade the solution with ``answers`` ({answer grade_id: whole cell source}) in place.

        Runs the given answer cells, then every test cell after the first of them (every test
        cell if ``answers`` is empty; only those in ``tests``, if given), with hidden-test seed ``seed``. Returns {test grade_id: (passed,
        first line of the failure or "")}. The solution's answer cells are then run again (the
        kernel restarted if a cell timed out or the kernel died), so each call starts clean.
        """  # noqa: E501
        unknown = set(answers) - set(self.solutions)
        if unknown:
            raise KeyError(f"not answer cells of {self.assignment}: {sorted(unknown)}")
        if self._client is None:
            self.start()
        self._dead = None
        changed = sorted(answers, key=self._answer_index.get)
        first = self._answer_index[changed[0]] if changed else 0
        self._set_seed(seed)
        results = {}
        for name in changed:
            if self._dead is None:
                self._run(answers[name])
        for index, name in self._tests:
            if index < first or (tests is not None and name not in tests):
                continue
            if self._dead is not None:
                results[name] = (False, f"not run: {self._dead}")
                continue
            problem = self._run(self.notebook.cells[index].source)
            results[name] = (problem is None, problem or "")
        self._restore(changed)
        return results

    def _set_seed(self, seed):
        """Seed the hidden tests: in a notebook run outside grading they judge the notebook's own
        globals, drawing their inputs from the global ``LOCAL_SEED_KEY`` (:mod:`aecourse.judge`)."""
        problem = self._run(f"{LOCAL_SEED_KEY} = {int(seed)}")
        if problem:
            raise NotebookBroken(f"could not set the seed in the kernel: {problem}")

    def _restore(self, changed):
        """Put the solution's answer cells back (a fresh kernel if this one is dead or stuck)."""
        if self._dead is None:
            for name in changed:
                problem = self._run(self.solutions[name])
                if problem:
                    self._dead = f"restoring {name} failed: {problem}"
                    break
        if self._dead is not None:
            self.restart(self._dead)
