"""Student submissions for the grading tests: typical mistakes and other correct answers.

A *mutant* edits one answer of the instructor's solution the way a student might get it
wrong; it names the test cells that must lose points for it. An *alternative* rewrites
answers in another correct style; it must still score full marks.
"""

from dataclasses import dataclass, field


@dataclass
class Edit:
    """Replace ``old`` by ``new`` in the solution of answer cell ``grade_id``."""

    grade_id: str
    old: str
    new: str


@dataclass
class Submission:
    name: str
    edits: list = field(default_factory=list)      # textual edits of the solution
    answers: dict = field(default_factory=dict)    # whole answer cells, by grade_id
    must_fail: tuple = ()                          # test cells that must lose points
    misconception: str = ""                        # the id the class report must find (grading/misconceptions.py)


def apply(solutions, submission):
    """{grade_id: code} for a submission, from the solution answers ``solutions``."""
    answers = dict(submission.answers)
    for edit in submission.edits:
        code = answers.get(edit.grade_id, solutions[edit.grade_id])
        if edit.old not in code:
            raise ValueError(f"{submission.name}: {edit.old!r} is not in the solution of {edit.grade_id}")
        answers[edit.grade_id] = code.replace(edit.old, edit.new)
    return answers
