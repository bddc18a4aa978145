"""The class report: its misconception counts equal the truth of a class graded for real, and it
renders in a real browser (Debian's Chromium, driven by Playwright)."""

import ast
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

import cardiac_submissions
import mnist_submissions
import trust_submissions
from aecourse.course import Course, solution_answers
from aecourse.grading import execute, items, misconceptions, report
from aecourse.tools import demo_class

CATALOGUES = {"mnist_autoencoders": mnist_submissions, "cardiac_vae": cardiac_submissions}
CHROMIUM = Path("/usr/bin/chromium")
# Submissions that must come out correct: no misconception, nothing to explain.
CORRECT = ("solution", "hostile-snoop", "broken-test-deleted", "broken-test-edited", "broken-renamed",
           "broken-huge-outputs")
CRASHES = ("broken-syntax", "broken-memory-blowup")  # the student's own code crashed: no misconception


def truth(assignment):
    """{student: misconception id} of every student with a known mistake: test mutants and demo class."""
    known = {s.name: s.misconception for s in CATALOGUES[assignment].MUTANTS}
    known.update({student: mistake[0] for student, mistake in demo_class.DEMO_MISTAKES[assignment].items()})
    return known


# -- the catalogue (no grading) --------------------------------------------------------------
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_every_known_mistake_maps_to_a_catalogued_misconception(assignment):
    catalogued = {m.id for m in misconceptions.for_assignment(assignment)}
    known = truth(assignment)
    assert all(known.values()), f"mutants without a misconception: {[s for s, m in known.items() if not m]}"
    assert set(known.values()) <= catalogued, f"not in the catalogue: {set(known.values()) - catalogued}"
    assert catalogued <= set(known.values()), f"catalogued but never graded: {catalogued - set(known.values())}"


@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_signatures_name_real_test_cells(assignment):
    release = nbformat.read(Course().notebook("release", assignment), as_version=4)
    test_cells = {c.metadata.nbgrader.grade_id for c in release.cells if execute.is_test_cell(c)}
    for misconception in misconceptions.for_assignment(assignment):
        assert misconception.signature and set(misconception.signature) <= test_cells, misconception.id
        assert misconception.hint and misconception.title, misconception.id


def test_demo_mistakes_are_mutants_of_the_solution():
    """Each demo mistake is valid Python that means something else than the solution: its syntax
    tree differs (an edit of spacing, parentheses or comments only would be graded as correct)."""
    for assignment, students in demo_class.DEMO_MISTAKES.items():
        solutions = solution_answers(Course().notebook("source", assignment))
        for student, (_, grade_id, old, new) in students.items():
            mutant = demo_class.with_mistake(solutions, grade_id, old, new)[grade_id]
            assert ast.dump(ast.parse(mutant)) != ast.dump(ast.parse(solutions[grade_id])), \
                f"{assignment} {student}: {old!r} -> {new!r} leaves {grade_id} the same program"


def test_value_ratio_and_matching():
    assert misconceptions.value_ratio("expected [1.  2.]..., got [2. 4.]...") == pytest.approx(2.0)
    assert misconceptions.value_ratio("beta=0.42: expected 100.000, got 300.000") == pytest.approx(3.0)
    assert misconceptions.value_ratio("decoded pixels should lie in [0, 1]") is None
    # numpy's spacing, and a "." after a number that is not the end of the list
    assert misconceptions.value_ratio("expected [ 2.8641691 0.42076167 10.783594 ]..., "
                                      "got [ 5.728338 0.84152347 21.567188 ]...") == pytest.approx(2.0)
    kl_twice = {"test_kl_values": "AssertionError: expected [1.0 2.0]..., got [2.0 4.0]..."}
    assert [m.id for m in misconceptions.diagnose("mnist_autoencoders", kl_twice)] == ["kl_without_half"]
    # the larger pattern explains the smaller one it contains
    logvar_as_std = {"test_sampling_shape": "AssertionError: z should be random draws, not zeros",
                     "test_sampling_statistics": "AssertionError: sample standard deviations [0.9], expected ...",
                     "test_sampling_fresh_noise": "AssertionError: two calls gave the same z: the noise is not fresh",
                     "test_sampling_gradients": "AssertionError: dz/dz_log_var should be ..."}
    assert [m.id for m in misconceptions.diagnose("mnist_autoencoders", logvar_as_std)] == ["std_is_logvar"]
    assert misconceptions.diagnose("mnist_autoencoders", {"test_kl_values": "NameError: name 'x'"}) == []


# -- the report of the suite's graded class ---------------------------------------------------
@pytest.fixture(scope="module")
def reports(graded_class):
    course = next(iter(graded_class.values())).course
    paths = report.write_reports(course, list(graded_class))
    return {a: report.build_report(course, a) for a in graded_class}, dict(zip(graded_class, paths))


def by_student(assignment_report):
    return {s.student: s for s in assignment_report.students}


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_misconception_counts_equal_the_truth(reports, assignment):
    built = reports[0][assignment]
    students = by_student(built)
    expected = truth(assignment)
    assert built.counts() == dict(Counter(expected.values()))
    for student, misconception in expected.items():
        assert [m.id for m in students[student].misconceptions] == [misconception], student
    for misconception, ids in built.misconception_students():
        assert sorted(ids) == sorted(s for s, m in expected.items() if m == misconception.id)


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_correct_blank_and_partial_students(reports, assignment):
    students = by_student(reports[0][assignment])
    correct = [s.name for s in CATALOGUES[assignment].ALTERNATIVES] + [s for s in CORRECT if s in students]
    for student in correct:
        result = students[student]
        assert result.status in (report.GRADED, report.NOTED), (student, result.status, result.why)
        assert not result.misconceptions and not result.failures, (student, result.failures)
        assert result.fraction == 1
    assert students["untouched"].status == report.UNTOUCHED
    assert not students["untouched"].misconceptions
    half = students["demo-half"]
    assert half.status == report.GRADED and not half.misconceptions and not half.failures
    assert {r.outcome for r in half.cells.values()} == {report.PASSED, report.BLANK}


@pytest.mark.grading
def test_broken_and_hostile_students_are_listed_with_why(reports):
    for case in trust_submissions.CASES:
        student = by_student(reports[0][case.assignment])[case.name]
        if case.name.startswith("hostile-patch"):
            assert student.status == report.REFUSED and "IntegrityError" in student.why, case.name
        elif case.name in ("broken-invalid-json", "broken-missing", "broken-other-assignment"):
            assert student.status == report.UNGRADABLE and case.message in student.why, case.name
        elif case.name in ("broken-infinite-loop", "broken-kernel-dies"):
            assert student.status == report.STOPPED and case.message in student.why, case.name
            assert student in reports[0][case.assignment].needing_help()
        elif case.name in CRASHES:
            assert student.status == report.GRADED and not student.misconceptions, case.name
            assert student.unexplained, f"{case.name}: its crash should be listed as an unexplained failure"


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_report_file_shows_the_findings(reports, assignment):
    built, paths = reports
    text = paths[assignment].read_text()
    for misconception, ids in built[assignment].misconception_students():
        assert report.esc(misconception.title) in text and all(report.esc(i) in text for i in ids)
    for student in ("untouched", *(c.name for c in trust_submissions.CASES
                                    if c.assignment == assignment and c.expect == "zero")):
        assert student in text
    assert "http://" not in text and "https://" not in text, "the report must read offline"


def item_rows(page):
    """The cells of each row of the report's item table: {grade_id: [td texts]}."""
    section = page.split("<h2>Item analysis</h2>")[1].split("<h2>")[0]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("<tr>")[1:]]
    return section, {re.sub(r"</?code>", "", cells[0]): cells[1:] for cells in rows}


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_report_file_has_an_item_row_per_graded_cell(reports, graded_class, assignment):
    built, paths = reports
    assignment_report = built[assignment]
    section, rows = item_rows(paths[assignment].read_text())
    assert list(rows) == assignment_report.items and set(assignment_report.test_cells) <= set(rows)
    left_out = assignment_report.with_status(*report.NOT_ITEM_SCORED)
    assert left_out, "the suite's class has submissions that could not be graded"
    assert f"{len(assignment_report.students) - len(left_out)} graded submissions; {len(left_out)} left out" in section
    counted = [s.student for s in assignment_report.students if s not in left_out]
    gradebook = {student: graded_class[assignment].scores(student) for student in counted}
    for item, (kind, points, students, share, _, _) in rows.items():
        if item not in assignment_report.test_cells:  # nobody grades the written answers in the suite
            assert (kind, share) == ("written question", "not graded yet"), item
            continue
        # the share of the points earned, from the gradebook itself
        scores = [gradebook[student][item][0] for student in counted]
        assert kind == "test cell" and students == str(len(counted))
        assert float(share) == pytest.approx(sum(scores) / len(scores) / float(points), abs=0.006), item


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_report_renders_in_chromium(reports, assignment):
    check_in_browser(reports[1][assignment], Path(f"/tmp/aecourse-report-{assignment}.png"))


# -- a small synthetic report in the browser (no grading) -------------------------------------
def synthetic_report():
    mnist = "mnist_autoencoders"
    cells = ["test_kl_shape", "test_kl_values", "test_elbo_values"]
    points = {"test_kl_shape": 1, "test_kl_values": 2, "q4_kl_effect": 2, "test_elbo_values": 1}

    def student(name, score, grader_errors=(), **outcomes):
        result = report.StudentResult(name, score, 4, 0, 2, True, grader_errors=list(grader_errors),
                                      cells={c: report.CellResult(*outcomes.get(c, (report.PASSED, ""))) for c in cells})  # noqa: E501
        # a test cell's points if it passed; the written answer awaits a grader
        result.scores = {c: points[c] * (result.cells[c].outcome == report.PASSED) for c in cells}
        result.scores["q4_kl_effect"] = None
        report.classify(result)
        result.misconceptions = misconceptions.diagnose(mnist, result.failures)
        return result

    sign = (report.FAILED, "AssertionError: a KL divergence is never negative: check the sign")
    return report.AssignmentReport(mnist, cells, [
        student("ada", 4), student("bob", 2, test_kl_values=sign), student("cy", 2, test_kl_values=sign),
        student("dee", 0, ["CellTimeoutError: this cell ran for more than 30 s", "NotRun: This cell was not run"],
                test_elbo_values=(report.ERRORED, "NameError: name 'negative_elbo' is not defined"),
                test_kl_values=(report.NOT_RUN, "NotRun: This cell was not run")),
        student("eve", 3, test_elbo_values=(report.ERRORED, "TypeError: unsupported operand"))],
        items=["test_kl_shape", "test_kl_values", "q4_kl_effect", "test_elbo_values"], points=points)


def test_synthetic_report(tmp_path):
    built = synthetic_report()
    assert built.counts() == {"kl_sign_flipped": 2}
    assert [s.student for s in built.needing_help()] == ["dee"]
    assert by_student(built)["dee"].status == report.STOPPED
    assert by_student(built)["dee"].why.startswith("CellTimeoutError")
    page = tmp_path / "report.html"
    page.write_text(report.render_html(built))
    check_in_browser(page, tmp_path / "report.png")


def test_synthetic_item_analysis():
    built = synthetic_report()
    analysed, left_out = built.item_analysis()
    assert [s.student for s in left_out] == ["dee"]  # stopped early: left out
    stats = dict(analysed)
    # ada, bob, cy, eve: test_kl_shape [1, 1, 1, 1], test_kl_values [2, 0, 0, 2], test_elbo_values [1, 1, 1, 0]
    shape, values, written, elbo = (stats[i] for i in built.items)
    assert shape.flags == (items.FULL_MARKS,) and shape.difficulty == 1.0 and shape.discrimination is None
    # test_kl_values: (2+0+0+2) / 4 / 2 = 0.5; the rest (shape + elbo) [2, 2, 2, 1]: deviations [1, -1, -1, 1]
    # and [.25, .25, .25, -.75]; products sum to -1, squares to 4 and 0.75: r = -1 / sqrt(3) = -0.57735
    assert values.difficulty == 0.5 and values.discrimination == pytest.approx(-0.57735, abs=1e-5)
    assert values.flags == (items.NEGATIVE,)
    assert written.students == 0 and written.why_undefined == "not graded yet"
    assert elbo.difficulty == 0.75 and elbo.students == 4
    page = report.items_section(built)
    assert "Over 4 graded submissions; 1 left out (1 stopped early)" in page
    assert page.count("<tr>") == 1 + len(built.items)  # the header and one row per graded cell
    assert "<td>written question</td>" in page and page.count("not graded yet") == 2
    assert report.esc(items.NEGATIVE) in page and items.FULL_MARKS in page


def check_in_browser(page, screenshot):
    """Open the report in headless Chromium: every figure loaded, every table with rows; a screenshot."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1100, "height": 900})
            tab.goto(page.resolve().as_uri())
            images = tab.evaluate("[...document.images].map(i => [i.alt, i.complete, i.naturalWidth])")
            rows = tab.evaluate("[...document.querySelectorAll('table')].map(t => t.tBodies[0].rows.length)")
            headings = tab.locator("h2").all_inner_texts()
            tab.emulate_media(media="print")
            printed = tab.pdf()
            tab.emulate_media(media="screen")
            tab.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert len(images) == 2 and all(complete and width > 0 for _, complete, width in images), images
    assert rows and all(n > 0 for n in rows), rows
    assert headings[:2] == ["Scores", "Test cells"] and "Likely misconceptions" in headings
    assert printed.startswith(b"%PDF")
    assert screenshot.stat().st_size > 10_000
