"""A hidden test's outcome, in the words the student may read and the details only the instructor does.

A hidden test fails with :class:`HiddenTestFailure`: ``message`` is what the student's feedback
shows (what is wrong, where to look: no value, shape or input of the hidden test), ``detail`` what
the instructor's graded notebook adds (expected and actual values, the hidden inputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The MIME type of a verdict in a graded test cell (the instructor's view; feedback reads it).
MIME = "application/vnd.aecourse.verdict+json"
#: What kind of failure a verdict is: a check failed, the student's code raised (NotImplementedError:
#: not answered), or the kernel could not be asked (it died, ran out of time).
PASSED, CHECK, BLANK, ERROR, STOPPED = "passed", "check", "blank", "error", "stopped"


class HiddenTestFailure(AssertionError):
    """A hidden check failed: ``message`` for the student, ``detail`` for the instructor."""

    def __init__(self, message, detail=""):
        self.message, self.detail = str(message), str(detail)
        super().__init__(f"{self.message} [{self.detail}]" if self.detail else self.message)


@dataclass
class Verdict:
    """What the judge decided for one test cell's hidden tests."""

    passed: bool
    message: str = ""
    detail: str = ""
    kind: str = PASSED
    calls: list = field(default_factory=list)  # what the judge asked the kernel, in order

    def as_json(self):
        return {"passed": self.passed, "message": self.message, "detail": self.detail, "kind": self.kind,
                "calls": self.calls}


def verdict_in(cell):
    """The judge's verdict in a graded test cell (a dict, as :meth:`Verdict.as_json`), or None."""
    found = [o["data"][MIME] for o in cell.get("outputs", [])
             if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
    return found[-1] if found else None


def failure_text(cell):
    """For the instructor: every error of a graded test cell ("ename: evalue", the visible checks'
    first) and the judge's detail, on one line; "" when it has no error."""
    errors = [f"{o.get('ename', '')}: {o.get('evalue', '')}" for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    verdict = verdict_in(cell) if errors else None
    text = " ".join(errors + ([verdict.get("detail", "")] if verdict else []))
    from nbconvert.filters import strip_ansi  # the grader's (instructor install): probes need none

    return " ".join(strip_ansi(text).split())
