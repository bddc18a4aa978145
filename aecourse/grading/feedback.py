"""What a student reads after grading: results, not the hidden tests.

nbgrader's feedback HTML is the autograded notebook, hidden test code included. Here,
``RedactHiddenTests`` (a GenerateFeedback preprocessor) leaves in each test cell only what the
release showed (its docstring and visible checks), the points (nbgrader's own header), and the
outcome: "passed", or the failure's type and message, plus where in the student's own cells it
happened. Tracebacks keep the student's frames only: no frames of Keras, TensorFlow or numpy,
no paths of the grading machine. The instructor's autograded notebooks and the formgrader keep
everything.

Where the failures match a catalogued mistake (:mod:`.misconceptions`), the failed test says
its likely cause and where to look, without the answer.

``OfflineMathHTMLExporter`` renders the notebook's LaTeX as MathML inside the HTML file, so the
math reads right without internet (nbconvert's default loads MathJax from a CDN).
"""

from __future__ import annotations

import html
import re

from nbconvert.exporters import HTMLExporter
from nbconvert.filters import strip_ansi
from nbgrader.preprocessors import NbGraderPreprocessor

from aecourse.grading.execute import GRADER_MIMES, is_test_cell
from aecourse.grading.scrub import scrub, scrub_output
from aecourse.judge.verdicts import failure_text

STUDENT_FRAME = re.compile(r"^(Cell In\[\d+\], line \d+|File <string>|Input In \[\d+\])")
HIDDEN_NOTE = "# (hidden tests: their code is not shown; their outcome is below)\n"


def student_frames(traceback, own_count=None):
    """The frames of a traceback that are in the student's cells (not the test's, not a library's)."""
    frames = []
    for entry in traceback:
        plain = strip_ansi(entry).strip()
        match = STUDENT_FRAME.match(plain)
        if match and not (own_count is not None and plain.startswith(f"Cell In[{own_count}]")):
            frames.append(scrub(plain))
    return frames


def failure_messages(nb):
    """{test cell grade_id: its errors and the judge's detail, on one line} for the failed test cells
    of a graded notebook (:func:`aecourse.judge.verdicts.failure_text`)."""
    texts = {cell.metadata["nbgrader"]["grade_id"]: failure_text(cell) for cell in nb.cells if is_test_cell(cell)}
    return {grade_id: text for grade_id, text in texts.items() if text}


def likely_causes(assignment, nb):
    """{test cell grade_id: [hint]}: the catalogued mistakes this notebook's failures show, per cell."""
    from aecourse.grading.misconceptions import diagnose

    hints = {}
    for misconception in diagnose(assignment, failure_messages(nb)):
        for grade_id in misconception.signature:
            hints.setdefault(grade_id, []).append(misconception.hint)
    return hints


def outcome_outputs(cell, hints=()):
    """The outputs a student sees for a test cell: the prints and plots of its visible checks, then
    pass or fail with the judge's message (and the likely cause, when the failures match a
    catalogued mistake); never the judge's details."""
    from nbformat.v4 import new_output

    kept, failures = [], []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            failures.append(output)
        elif output.output_type == "stream" and output.name == "stderr":
            continue
        elif any(mime in output.get("data", {}) for mime in GRADER_MIMES):
            continue
        else:
            kept.append(scrub_output(output))
    lines = []
    for error in failures:
        message = scrub(error.evalue) if error.evalue else "(the check failed without a message)"
        lines.append(f"Failed (hidden tests): {message}" if error.ename == "HiddenTestFailed"
                     else f"Failed: {error.ename}: {message}")
        where = student_frames(error.get("traceback", []), cell.get("execution_count"))
        if where:
            lines.append("It was raised in your code at: " + " -> ".join(where[-3:]))
    if failures:
        lines += [f"Likely cause: {hint}" for hint in dict.fromkeys(hints)]
        kept.append(new_output("stream", name="stdout", text="\n".join(lines) + "\n"))
    else:
        kept.append(new_output("stream", name="stdout", text="Passed.\n"))
    return kept


def scrub_student_error(output):
    """A student cell's error, with library frames and grading-machine paths taken out."""
    frames = [entry for entry in output.get("traceback", [])
              if STUDENT_FRAME.match(strip_ansi(entry).strip())]
    output.evalue = scrub(output.evalue)
    output.traceback = [scrub(entry) for entry in frames] + [f"{output.ename}: {output.evalue}"]
    return output


class RedactHiddenTests(NbGraderPreprocessor):
    """Feedback for the student: hidden test code out, outcomes (and likely causes) in, no
    grading-machine paths."""

    def preprocess(self, nb, resources):
        from nbgrader.preprocessors import ClearHiddenTests

        from aecourse.judge.phase import hidden_pattern

        self._hints = likely_causes(resources.get("nbgrader", {}).get("assignment", ""), nb)
        delimiters = ClearHiddenTests(config=self.config)
        self._hidden = hidden_pattern(delimiters.begin_test_delimeter, delimiters.end_test_delimeter)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if is_test_cell(cell):
            source = cell.source
            visible = self._hidden.sub("", source)
            if visible != source:
                visible = visible.rstrip("\n") + "\n" + HIDDEN_NOTE
            cell.source = visible
            cell.outputs = outcome_outputs(cell, self._hints.get(cell.metadata["nbgrader"]["grade_id"], ()))
        else:
            cell.outputs = [scrub_student_error(o) if o.output_type == "error" else scrub_output(o) for o in cell.outputs]  # noqa: E501
        return cell, resources


# -- math without internet ----------------------------------------------------------------
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")
MARKDOWN_BLOCK = re.compile(r'(<div class="[^"]*(?:jp-RenderedMarkdown|text_cell_render)[^"]*"[^>]*>)(.*?)(</div>)', re.S)  # noqa: E501


def latex_to_mathml(latex: str, display: bool) -> str:
    import latex2mathml.converter

    try:
        return latex2mathml.converter.convert(html.unescape(latex), display="block" if display else "inline")
    except Exception:  # leave what the converter cannot read as it was written
        return f"${'$' if display else ''}{latex}${'$' if display else ''}"


def render_math(body: str) -> str:
    """Replace $...$ and $$...$$ in the rendered markdown of an nbconvert HTML page by MathML."""
    def block(match):
        content = DISPLAY_MATH.sub(lambda m: latex_to_mathml(m.group(1), True), match.group(2))
        content = INLINE_MATH.sub(lambda m: latex_to_mathml(m.group(1), False), content)
        return match.group(1) + content + match.group(3)

    return MARKDOWN_BLOCK.sub(block, body)


class OfflineMathHTMLExporter(HTMLExporter):
    """nbconvert's HTML export, with the math as MathML (no MathJax from a CDN needed)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return render_math(output), resources
