"""How a failure reads in a student's live notebook: the check's own message first.

A failing visible check (an ``AssertionError`` raised in a notebook cell) shows as one red
line, the message, with the line of the cell it came from, instead of a long traceback that
buries it. An error in a later cell (a training cell crashing on a wrong answer) keeps its
full traceback, headed by a note naming the check that failed earlier: the likely cause.

Installed by :func:`aecourse.runtime.setup_notebook` in live Jupyter only; while grading, the
notebook's outputs are nbgrader's and the feedback's business (:mod:`aecourse.grading.feedback`).
"""

import traceback

RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def _cell_line(tb):
    """The line number, in the executed cell, where the traceback left the student's code."""
    cell_frames = [frame for frame in traceback.extract_tb(tb)
                   if frame.filename.startswith("<ipython-input") or "/ipykernel_" in frame.filename]
    return cell_frames[-1].lineno if cell_frames else None


class FailureDisplay:
    """The kernel's custom exception handler, and its memory of failed checks."""

    def __init__(self, shell):
        self.shell = shell
        self.failed_checks = {}  # cell source -> (execution count, message)

    def install(self):
        self.shell.set_custom_exc((Exception,), self.show)
        self.shell.events.register("post_run_cell", self.remember)

    def remember(self, result):
        """Keep the failed checks in mind; a check cell that now runs cleanly is forgotten."""
        cell, error = result.info.raw_cell, result.error_in_exec
        if isinstance(error, AssertionError) and str(error):
            self.failed_checks[cell] = (result.execution_count, str(error).splitlines()[0])
        elif result.success:
            self.failed_checks.pop(cell, None)

    def show(self, shell, etype, value, tb, tb_offset=None):
        if issubclass(etype, AssertionError) and str(value):
            line = _cell_line(tb)
            stb = [f"{RED}{BOLD}Check failed:{RESET} {value}",
                   (f"(line {line} of this cell) " if line else "")
                   + "Fix the answer this cell checks, run that cell, then this one again."]
        else:
            stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
            if self.failed_checks:
                count, message = list(self.failed_checks.values())[-1]
                stb = [f"{RED}{BOLD}Note:{RESET} a check failed earlier (cell [{count}]): {message}\n"
                       "This error may come from the same mistake: fix that one first.\n"] + list(stb)
        shell._showtraceback(etype, value, stb)
        return stb


def install(shell=None):
    """Install the display in the running IPython kernel (no-op outside IPython)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return None
    display = FailureDisplay(shell)
    display.install()
    return display
