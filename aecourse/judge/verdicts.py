"""A hidden test's outcome, in the words the student may read and the details only the instructor does.

A hidden test fails with :class:`HiddenTestFailure`: ``message`` is what the student's feedback
shows (what is wrong, where to look: no value, shape or input of the hidden test), ``detail`` what
the instructor's graded notebook adds (expected and actual values, the hidden inputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The MIME type of a verdict in a graded test cell (the instructor's view; feedback reads it).
MIME = "application/vnd.aecourse.verdict+json"


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
    calls: list = field(default_factory=list)  # what the judge asked the kernel, in order

    def as_json(self):
        return {"passed": self.passed, "message": self.message, "detail": self.detail, "calls": self.calls}
