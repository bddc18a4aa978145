"""The judge phase of grading: every hidden test run by the grader, against the student's kernel.

:class:`aecourse.grading.execute.GradingExecute` sends each test cell to the kernel without its
hidden part (:func:`split_hidden`). Once the notebook's last cell has run, :func:`judge_cells` runs
the hidden parts here, in order, each with its own random generator (from the student's notebook
seed and the cell's id, :mod:`aecourse.grading.seeds`): no student cell runs after them, so no
student code can print or keep what they asked. Nothing the kernel prints or displays while the
judge asks reaches the notebook: only each verdict does (:func:`verdict_outputs`).
"""

from __future__ import annotations

import re
import time
import traceback

import numpy as np
from nbformat.v4 import new_output

from aecourse.judge import SESSION_KEY
from aecourse.judge.judge import Judge
from aecourse.judge.remote import KernelLink, LinkError, Session, Student, StudentError
from aecourse.judge.verdicts import BLANK, CHECK, ERROR, MIME, STOPPED, HiddenTestFailure, Verdict


def hidden_pattern(begin="BEGIN HIDDEN TESTS", end="END HIDDEN TESTS"):
    """The hidden block of a test cell, with nbgrader's delimiters (ClearHiddenTests' settings)."""
    return re.compile(rf"^[ \t]*### {re.escape(begin)}[^\n]*\n(.*?)^[ \t]*### {re.escape(end)}[^\n]*(\n|\Z)",
                      re.S | re.M)


def split_hidden(source, pattern):
    """(the source without its hidden blocks, their code joined, or None when there are none)."""
    blocks = [match.group(1) for match in pattern.finditer(source)]
    if not blocks:
        return source, None
    return pattern.sub("", source), "\n".join(blocks)


def run_block(code, grade_id, session, rng):
    """The verdict of one hidden block, run in this process against the kernel behind ``session``."""
    namespace = {"__name__": "hidden_test", "np": np, SESSION_KEY: (Student(session), Judge(session, rng))}
    try:
        exec(compile(code, f"<hidden tests of {grade_id}>", "exec"), namespace)
    except HiddenTestFailure as failure:
        return Verdict(False, failure.message, failure.detail, CHECK)
    except StudentError as error:
        return Verdict(False, f"{error.what} raised {error.type_name} when the hidden tests used it",
                       error.message, BLANK if error.type_name == "NotImplementedError" else ERROR)
    except LinkError as error:
        return Verdict(False, f"the hidden tests got no answer from your notebook: {error}", kind=STOPPED)
    except AssertionError as error:  # a plain assert in a hidden test: its text may hold hidden values
        return Verdict(False, "a hidden check failed", str(error), CHECK)
    except Exception:  # the student's answer was not what the test could use (a string, a ragged list...)
        return Verdict(False, "the hidden tests could not use what your code gave back",
                       traceback.format_exc(limit=-3), ERROR)
    return Verdict(True)


def judge_cells(hidden, run, seeds_of, deadline, cell_timeout, set_timeout, halted):
    """{cell index: Verdict} for ``hidden`` ({cell index: (grade_id, code)}).

    ``run(code)`` executes code in the kernel and returns its outputs; ``seeds_of(grade_id)`` the
    seed entropy of a cell; ``set_timeout(s)`` the time the next kernel request may take;
    ``halted()`` why the kernel can no longer be used (or None).
    """
    session = Session(KernelLink(run))
    verdicts = {}
    for index, (grade_id, code) in sorted(hidden.items()):
        reason = halted()
        remaining = deadline - time.monotonic()
        if reason is None and remaining < 1:
            reason = "the notebook used up its grading time before its hidden tests ran"
        if reason:
            verdicts[index] = not_run(reason)
            continue
        set_timeout(int(max(1, min(cell_timeout, remaining))))
        started, session.log = time.monotonic(), []
        verdict = run_block(code, grade_id, session, np.random.default_rng(seeds_of(grade_id)))
        verdict.calls = session.log[:40] + [f"({len(session.log)} requests, {time.monotonic() - started:.2f} s)"]
        verdicts[index] = verdict
    return verdicts


def not_run(reason):
    """The verdict of hidden tests that could not run, and why."""
    return Verdict(False, f"the hidden tests were not run: {reason}", kind=STOPPED)


def verdict_outputs(verdict):
    """A test cell's outputs for a verdict: the instructor's view (with the detail), and the error
    that makes nbgrader score the cell 0 when it failed (its text is the student's message)."""
    shown = "Hidden tests: passed." if verdict.passed else f"Hidden tests failed: {verdict.message}"
    if verdict.detail:
        shown += f"\n(instructor only) {verdict.detail}"
    if verdict.calls:
        shown += "\n(instructor only) the judge asked: " + "; ".join(verdict.calls)
    outputs = [new_output("display_data", data={"text/plain": shown, MIME: verdict.as_json()})]
    if not verdict.passed:
        outputs.append(new_output("error", ename="HiddenTestFailed", evalue=verdict.message, traceback=[]))
    return outputs
