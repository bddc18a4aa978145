"""``aecourse-report``: one self-contained HTML report per assignment, from the gradebook.

    aecourse-report                       # every assignment with a release, in the current course root
    aecourse-report mnist_autoencoders --root /path/to/course

For each assignment (``reports/<assignment>.html`` in the course root): the score distribution
(autograded and written parts apart), every test cell's passes, failures (a wrong value) and
errors (a crash), the likely misconceptions ranked by how many students show them (matched
against :mod:`.misconceptions`), an item analysis of every test cell and written question
(:mod:`.items`), the students who need help first, and the submissions that could not be
graded, with why. Figures are embedded PNGs: the file reads offline and prints.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
from nbconvert.filters import strip_ansi
from nbgrader.utils import is_grade

from aecourse.course import ASSIGNMENTS, Course, answer_cells
from aecourse.grading import execute, intake, items, misconceptions
from aecourse.judge import verdicts

PASSED, FAILED, ERRORED, BLANK, NOT_RUN = "passed", "failed", "errored", "not attempted", "not run"
OUTCOMES = (PASSED, FAILED, ERRORED, BLANK, NOT_RUN)
COLOURS = {PASSED: "#4c9a2a", FAILED: "#e0a100", ERRORED: "#c0392b", BLANK: "#b0b0b0", NOT_RUN: "#5b4a8a"}
# What a student's status says; the first three are listed under "could not be graded / stopped early".
UNGRADABLE, REFUSED, STOPPED, UNTOUCHED, NOTED, GRADED = (
    "could not be graded", "refused (tampering)", "stopped early", "did not attempt", "graded, with a note", "graded")
# Left out of the item analysis: their scores say nothing about the items (nothing, or only the first cells, ran).
NOT_ITEM_SCORED = (UNGRADABLE, REFUSED, STOPPED)


@dataclass
class CellResult:
    outcome: str
    message: str = ""  # "ename: evalue" of the failure, if any
    score: float = 0.0
    max_score: float = 0.0


@dataclass
class StudentResult:
    student: str
    code_score: float
    max_code_score: float
    written_score: float
    max_written_score: float
    needs_manual_grade: bool
    cells: dict = field(default_factory=dict)  # test cell grade_id -> CellResult
    scores: dict = field(default_factory=dict)  # every graded cell's grade_id -> points, None: not graded yet
    notes: list = field(default_factory=list)  # grader's notes, in words
    grader_errors: list = field(default_factory=list)  # what the grader stopped or refused, in any cell
    untouched: bool = False  # no answer cell differs from the release
    status: str = GRADED
    why: str = ""
    misconceptions: list = field(default_factory=list)

    @property
    def failures(self):
        """{test cell: message} of the cells the student's own code failed or crashed."""
        return {cell: r.message for cell, r in self.cells.items() if r.outcome in (FAILED, ERRORED)}

    @property
    def unexplained(self):
        """Failing cells no matched misconception accounts for."""
        explained = {cell for m in self.misconceptions for cell in m.signature}
        return {cell: message for cell, message in self.failures.items() if cell not in explained}

    @property
    def fraction(self):
        return self.code_score / self.max_code_score if self.max_code_score else 0.0


@dataclass
class AssignmentReport:
    assignment: str
    test_cells: list  # grade_ids in notebook order
    students: list  # [StudentResult]
    items: list = field(default_factory=list)  # every graded cell (test cells, written questions), notebook order
    points: dict = field(default_factory=dict)  # grade_id -> its points

    def outcome_counts(self, cell):
        return Counter(s.cells[cell].outcome for s in self.students if cell in s.cells)

    def misconception_students(self):
        """[(Misconception, [student ids])], most common first."""
        found = {}
        for student in self.students:
            for misconception in student.misconceptions:
                found.setdefault(misconception.id, (misconception, []))[1].append(student.student)
        return sorted(found.values(), key=lambda item: (-len(item[1]), item[0].title))

    def counts(self):
        """{misconception id: number of students}."""
        return {m.id: len(students) for m, students in self.misconception_students()}

    def with_status(self, *statuses):
        return [s for s in self.students if s.status in statuses]

    def item_analysis(self):
        """[(grade_id, ItemStats)] of every graded cell, over the students whose scores count;
        and the students left out (NOT_ITEM_SCORED)."""
        counted = [s for s in self.students if s.status not in NOT_ITEM_SCORED]
        scores = np.array([[np.nan if s.scores.get(i) is None else s.scores[i] for i in self.items]
                           for s in counted], dtype=float).reshape(len(counted), len(self.items))
        stats = items.analyse(scores, [self.points[i] for i in self.items])
        return list(zip(self.items, stats)), self.with_status(*NOT_ITEM_SCORED)

    def needing_help(self):
        """Graded students stopped early or scoring under half, lowest first."""
        graded = [s for s in self.students if s.status in (STOPPED, GRADED, NOTED)]
        return sorted((s for s in graded if s.status == STOPPED or s.fraction < 0.5),
                      key=lambda s: (s.fraction, s.student))


# -- reading the gradebook and the autograded notebooks -------------------------------------


def one_line(ename, evalue):
    """``ename: evalue`` on one line, without terminal colours."""
    return " ".join(strip_ansi(f"{ename}: {evalue}").split())


def cell_result(cell, score, max_score):
    """A test cell's outcome, from its score and the error it printed."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if score is not None and score >= max_score:
        return CellResult(PASSED, "", score, max_score)
    if errors:
        ename = errors[-1].get("ename", "")
        verdict = verdicts.verdict_in(cell) if ename == "HiddenTestFailed" else None
        if verdict is not None:  # the judge says what kind of failure it was
            outcome = {verdicts.CHECK: FAILED, verdicts.BLANK: BLANK, verdicts.STOPPED: NOT_RUN}.get(
                verdict.get("kind"), ERRORED)
        else:
            outcome = (NOT_RUN if ename in execute.GRADER_ERRORS else BLANK if ename == "NotImplementedError"
                       else FAILED if ename == "AssertionError" else ERRORED)
        return CellResult(outcome, verdicts.failure_text(cell), score or 0.0, max_score)
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
    return CellResult(FAILED, f"wrote to stderr: {stderr.strip()[:200]}" if stderr else "partial credit",
                      score or 0.0, max_score)


def notebook_cells(notebook, grades):
    """{grade_id: CellResult} for the test cells of an autograded notebook; grades: {grade_id: Grade}."""
    results = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if execute.is_test_cell(cell) and grade_id in grades:
            grade = grades[grade_id]
            results[grade_id] = cell_result(cell, grade.score, grade.max_score)
    return results


def grader_notes(notebook):
    """The bullet lines of the grader's note cell, if the notebook has one."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.get("metadata", {}).get(intake.NOTE_MARKER):
            return [line[2:] for line in cell.source.splitlines() if line.startswith("- ")]
    return []


def grader_errors(notebook):
    """The grader's own errors (time-outs, a dead kernel, a refusal...) in any code cell, in order."""
    return [one_line(o.ename, o.evalue) for cell in notebook.cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) if o.get("output_type") == "error" and o.ename in execute.GRADER_ERRORS]


def classify(student: StudentResult):
    """Set the student's status and why, most serious first."""
    # the error that stopped the rest, rather than the "not run" of the cells after it
    causes = [m for m in student.grader_errors if not m.startswith("NotRun")] or student.grader_errors
    if student.notes and student.untouched:
        student.status, student.why = UNGRADABLE, " ".join(student.notes)
    elif causes:
        student.status = REFUSED if causes[0].startswith("IntegrityError") else STOPPED
        student.why = causes[0]
    elif student.untouched:
        student.status, student.why = UNTOUCHED, "every answer cell is as released"
    elif student.notes:
        student.status, student.why = NOTED, " ".join(student.notes)


def graded_score(grade):
    """A cell's points, or None while neither the autograder nor a person has scored it."""
    return None if grade.auto_score is None and grade.manual_score is None else grade.score


def student_result(course, assignment, submission, release_answers):
    notebook = nbformat.read(course.notebook("autograded", assignment, submission.student.id), as_version=4)
    grades = {grade.name: grade for nb in submission.notebooks for grade in nb.grades}
    answers = {grade_id: cell.source for grade_id, cell in answer_cells(notebook).items()}
    result = StudentResult(submission.student.id, submission.code_score, submission.max_code_score,
                           submission.written_score, submission.max_written_score, submission.needs_manual_grade,
                           cells=notebook_cells(notebook, grades), notes=grader_notes(notebook),
                           scores={name: graded_score(grade) for name, grade in grades.items()},
                           grader_errors=grader_errors(notebook),
                           untouched=answers == release_answers)
    classify(result)
    if result.status in (GRADED, NOTED, STOPPED):
        result.misconceptions = misconceptions.diagnose(assignment, result.failures)
    return result


def build_report(course: Course, assignment: str) -> AssignmentReport:
    """The report's data for one assignment: every autograded submission in the gradebook."""
    release = nbformat.read(course.notebook("release", assignment), as_version=4)
    release_answers = {grade_id: cell.source for grade_id, cell in answer_cells(release).items()}
    test_cells = [c.metadata.nbgrader.grade_id for c in release.cells if execute.is_test_cell(c)]
    points = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in release.cells
              if is_grade(c)}
    with course.gradebook() as gradebook:
        submissions = [s for s in gradebook.find_assignment(assignment).submissions
                       if (course.root / "autograded" / s.student.id / assignment).is_dir()]
        students = [student_result(course, assignment, s, release_answers)
                    for s in sorted(submissions, key=lambda s: s.student.id)]
    return AssignmentReport(assignment, test_cells, students, items=list(points), points=points)


# -- figures ---------------------------------------------------------------------------------
def pyplot():
    """matplotlib's pyplot, drawing off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_data_uri(figure):
    plt = pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def score_histograms(report):
    """Autograded and written score distributions, side by side, each with its maximum marked."""
    plt = pyplot()
    graded = [s for s in report.students if s.status != UNGRADABLE]
    parts = [("Autograded", [s.code_score for s in graded], max((s.max_code_score for s in graded), default=0)),
             ("Written (manual)", [s.written_score for s in graded if not s.needs_manual_grade],
              max((s.max_written_score for s in graded), default=0))]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3))
    for axis, (title, scores, maximum) in zip(axes, parts):
        if scores:
            axis.hist(scores, bins=min(20, max(5, int(maximum) + 1)), range=(0, maximum or 1), color="#3b6ea5",
                      edgecolor="white")
        else:
            axis.text(0.5, 0.5, "not graded yet", ha="center", va="center", transform=axis.transAxes)
        axis.axvline(maximum, color="black", linestyle="--", linewidth=1)
        axis.set(title=f"{title}: {len(scores)} graded, max {maximum:g}", xlabel="score", ylabel="students")
        axis.yaxis.get_major_locator().set_params(integer=True)
    return png_data_uri(figure)


def cell_outcome_chart(report):
    """One horizontal stacked bar per test cell: passed / failed / errored / not attempted / not run."""
    plt = pyplot()
    cells = report.test_cells
    figure, axis = plt.subplots(figsize=(9, 0.35 * len(cells) + 1.2))
    left = [0] * len(cells)
    for outcome in OUTCOMES:
        counts = [report.outcome_counts(cell)[outcome] for cell in cells]
        axis.barh(cells, counts, left=left, color=COLOURS[outcome], label=outcome)
        left = [a + b for a, b in zip(left, counts)]
    axis.invert_yaxis()
    axis.set_xlabel("students")
    axis.legend(ncol=len(OUTCOMES), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return png_data_uri(figure)


# -- HTML ------------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .muted { color: #666; } code { font-size: .85rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } table, figure, img { break-inside: avoid; }
  tr { break-inside: avoid; } a { color: inherit; text-decoration: none; }
}
"""


def esc(value):
    return html.escape(str(value))


def table(headers, rows, numeric=()):
    """A plain HTML table; ``rows`` hold already-escaped HTML; columns in ``numeric`` align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{v}</td>' if i in numeric else f"<td>{v}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scores_section(report):
    graded = [s for s in report.students if s.status != UNGRADABLE]
    scores = sorted(s.code_score for s in graded)
    median = scores[len(scores) // 2] if scores else 0
    awaiting = sum(s.needs_manual_grade for s in graded)
    return (f"<h2>Scores</h2><figure><img alt='score distribution' src='{score_histograms(report)}'></figure>"
            f"<p>{len(graded)} graded submissions; autograded median {median:g}. "
            f"{awaiting} submissions have written answers awaiting a grader.</p>")


def cells_section(report):
    rows = []
    for cell in report.test_cells:
        counts = report.outcome_counts(cell)
        rows.append([f"<code>{esc(cell)}</code>", *(counts[o] for o in OUTCOMES)])
    return ("<h2>Test cells</h2><p class='muted'>failed: a wrong value (an assertion); errored: a crash; "
            "not attempted: the answer cell still raises NotImplementedError; not run: the grader stopped "
            f"or refused the notebook.</p><figure><img alt='test cell outcomes' src='{cell_outcome_chart(report)}'>"
            f"</figure>{table(['test cell', *OUTCOMES], rows, numeric=range(1, 6))}")


def misconceptions_section(report):
    rows = [[esc(m.title), len(students), ", ".join(f"<code>{esc(c)}</code>" for c in m.signature),
             esc(m.hint), esc(", ".join(students))] for m, students in report.misconception_students()]
    unexplained = [[esc(s.student), f"<code>{esc(cell)}</code>", esc(message[:300])]
                   for s in report.with_status(GRADED, NOTED, STOPPED) for cell, message in s.unexplained.items()]
    text = "<h2>Likely misconceptions</h2>"
    text += (table(["misconception", "students", "failing test cells", "hint for the student", "student ids"],
                   rows, numeric=(1,)) if rows else "<p>No catalogued misconception was found.</p>")
    if unexplained:
        text += ("<h3>Failures not matched to a known mistake</h3>"
                 + table(["student", "test cell", "message"], unexplained))
    return text


def item_row(report, item, stats, counted):
    kind = "test cell" if item in report.test_cells else "written question"
    graded = f"{stats.students}" if stats.students == counted else f"{stats.students} of {counted}"
    if stats.students < counted or not counted:
        return [f"<code>{esc(item)}</code>", kind, f"{report.points[item]:g}", graded, "not graded yet",
                "not graded yet", ""]
    share = "n/a: worth no points" if stats.difficulty is None else f"{stats.difficulty:.2f}"
    r = f"n/a: {esc(stats.why_undefined)}" if stats.discrimination is None else f"{stats.discrimination:.2f}"
    return [f"<code>{esc(item)}</code>", kind, f"{report.points[item]:g}", graded, share, r,
            esc("; ".join(stats.flags))]


def items_section(report):
    analysed, left_out = report.item_analysis()
    counted = len(report.students) - len(left_out)
    why = Counter(s.status for s in left_out)
    text = ("<h2>Item analysis</h2><p class='muted'>difficulty: the share of the item's points the class "
            "earned (1: everyone full marks); discrimination: the correlation between the item's score and the "
            "rest of the score (the other items graded for everyone): near 0, the item does not tell stronger "
            "students from weaker ones; below 0, stronger students fail it more, which is usually a broken test. "
            "A written question has figures once every answer is graded.</p>"
            f"<p>Over {counted} graded submissions; {len(left_out)} left out"
            + (f" ({esc(', '.join(f'{n} {status}' for status, n in sorted(why.items())))}): their scores "
               "say nothing about the items" if left_out else "") + ".</p>")
    if not analysed:
        return text + "<p>No graded cells.</p>"
    rows = [item_row(report, item, stats, counted) for item, stats in analysed]
    return text + table(["item", "kind", "points", "students", "difficulty", "discrimination", "flags"],
                        rows, numeric=(2, 3, 4))


def what_went_wrong(student):
    """Misconception titles, the grader's reason, and the first failure no misconception explains."""
    parts = [m.title for m in student.misconceptions] + ([student.why] if student.why else [])
    unexplained = student.unexplained
    if unexplained:
        cell, message = next(iter(unexplained.items()))
        more = f" (and {len(unexplained) - 1} more failing cells)" if len(unexplained) > 1 else ""
        parts.append(f"{cell}: {message[:160]}{more}")
    blank = sum(r.outcome == BLANK for r in student.cells.values())
    if blank:
        parts.append(f"{blank} test cells not attempted")
    return "; ".join(parts)


def help_section(report):
    rows = [[esc(s.student), f"{s.code_score:g} / {s.max_code_score:g}", esc(s.status), esc(what_went_wrong(s))]
            for s in report.needing_help()]
    text = "<h2>Students who need help first</h2>"
    text += (table(["student", "autograded", "status", "what went wrong"], rows, numeric=(1,)) if rows
             else "<p>Every graded student scored at least half of the autograded points.</p>")
    untouched = report.with_status(UNTOUCHED)
    if untouched:
        text += f"<p><b>Did not attempt</b> ({len(untouched)}): {esc(', '.join(s.student for s in untouched))}</p>"
    return text


def problems_section(report):
    rows = [[esc(s.student), esc(s.status), esc(s.why)]
            for s in report.with_status(UNGRADABLE, REFUSED, STOPPED, NOTED)]
    return ("<h2>Could not be graded, stopped early, or graded with a note</h2>"
            + (table(["student", "status", "why"], rows) if rows else "<p>None.</p>"))


def render_html(report: AssignmentReport) -> str:
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    body = "".join(section(report) for section in
                   (scores_section, cells_section, misconceptions_section, items_section, help_section,
                    problems_section))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Class report: {esc(report.assignment)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Class report: {esc(report.assignment)}</h1>"
            f"<p class='muted'>{len(report.students)} submissions, from the gradebook, {when}.</p>"
            f"{body}</body></html>")


def write_reports(course: Course, assignments=None) -> list[Path]:
    """Write ``reports/<assignment>.html`` in the course root for each graded assignment; their paths."""
    assignments = assignments or [a for a in ASSIGNMENTS if (course.root / "release" / a).is_dir()]
    folder = course.root / "reports"
    folder.mkdir(exist_ok=True)
    written = []
    for assignment in assignments:
        path = folder / f"{assignment}.html"
        path.write_text(render_html(build_report(course, assignment)), encoding="utf-8")
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-report", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("assignments", nargs="*", help=f"default: {' '.join(ASSIGNMENTS)} (those released)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (holds nbgrader_config.py)")
    args = parser.parse_args(argv)
    course = Course(args.root)
    if not (course.root / "nbgrader_config.py").exists():
        parser.error(f"{course.root} holds no nbgrader_config.py: run from the course root or pass --root")
    for path in write_reports(course, args.assignments):
        print(f"Class report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
