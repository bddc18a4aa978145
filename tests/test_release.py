"""The committed release/ and solutions/ match source/, and the release gives nothing away."""

import html
import re

import nbformat
import pytest

from aecourse.course import ASSIGNMENTS, REPO_ROOT, Course
from aecourse.grading.regions import Delimiters, region_lines

SOLUTION_MARKERS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")
CODE_STUB = re.compile(r"# YOUR CODE HERE\n\s*raise NotImplementedError\(\)")


def read(folder, assignment):
    return nbformat.read(Course(REPO_ROOT).notebook(folder, assignment), as_version=4)


def nbgrader_cells(notebook):
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if "nbgrader" in cell.metadata}


def lines_only_inside(kind, cells):
    """Non-blank lines that appear inside ``kind`` regions ("solution", "hidden") of ``cells`` and
    nowhere outside the regions, with the course's delimiters."""
    delimiters = Delimiters.of_course(REPO_ROOT)
    regions = [region_lines(cell.source, delimiters) for cell in cells]
    inside = {line.strip() for lines in regions for line in lines[kind]}
    outside = {line.strip() for lines in regions for line in lines["outside"]}
    return {line for line in inside - outside if line}


def page_text(html_page):
    """The text a reader sees on an nbconvert HTML page: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_page))


def comparable(notebook):
    """What a rebuild must reproduce: each cell's type, source and nbgrader metadata."""
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader")) for cell in notebook.cells]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    source, release = nbgrader_cells(read("source", assignment)), nbgrader_cells(read("release", assignment))
    for grade_id, cell in release.items():
        assert not SOLUTION_MARKERS.search(cell.source), f"{grade_id} still has solution/hidden-test markers"
        assert not cell.get("outputs"), f"{grade_id} has outputs in the release"
    release_lines = {line.strip() for cell in release.values() for line in cell.source.splitlines()}
    for kind, what in (("solution", "solution"), ("hidden", "hidden test")):
        secret = lines_only_inside(kind, source.values())
        assert secret, f"the instructor notebook should have {what} code"
        leaked = secret & release_lines
        assert not leaked, f"{what} lines in the release: {sorted(leaked)[:3]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_answer_cell_has_the_stub(assignment):
    release = nbgrader_cells(read("release", assignment))
    answers = {gid: cell for gid, cell in release.items() if cell.metadata["nbgrader"]["solution"]}
    assert answers, "no answer cells in the release"
    for grade_id, cell in answers.items():
        if cell.cell_type == "code":
            assert CODE_STUB.search(cell.source), f"answer cell {grade_id} lacks the code stub"
        else:
            assert cell.source.strip() == "YOUR ANSWER HERE", f"written answer {grade_id} is not blank"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_rebuilt_from_current_source(assignment, tmp_path):
    course = Course.copy_of(tmp_path / "course", assignments=[assignment])
    rebuilt = nbformat.read(course.generate_release(assignment), as_version=4)
    assert comparable(rebuilt) == comparable(read("release", assignment)), \
        f"release/{assignment} is stale: run `make release` and commit it"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_are_built_from_current_source(assignment):
    solution, source = read("solutions", assignment), read("source", assignment)
    assert [(c.cell_type, c.source) for c in solution.cells] == \
        [(c.cell_type, c.source) for c in source.cells], \
        f"solutions/{assignment} is stale: run `make solutions` and commit it"
    executed = [cell for cell in solution.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in executed), "solutions should be executed"
    page = Course(REPO_ROOT).notebook("solutions", assignment).with_suffix(".html")
    assert page.exists(), f"{page} is missing: run `make solutions`"
    # The page is exported from this executed notebook: every code cell and every printed output
    # (numbers that change from run to run) is on it. A page left from another run fails here.
    text = page_text(page.read_text(encoding="utf-8"))
    shown = [cell.source.strip() for cell in executed if cell.source.strip()]
    shown += [o.text.strip() for cell in executed for o in cell.outputs if o.output_type == "stream" and o.text.strip()]
    absent = [chunk for chunk in shown if chunk not in text]
    assert not absent, (f"{page} is not the export of the executed notebook (it lacks {absent[0][:80]!r}): "
                        "run `make solutions`")
    errors = [o for cell in executed for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"the solutions notebook has errors: {errors[:1]}"
