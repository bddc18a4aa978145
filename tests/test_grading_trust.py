"""Grading a class you can trust, checked by grading for real (tests/trust_submissions.py):
hostile code learns nothing and gains nothing, broken submissions get a record that says why,
feedback shows outcomes but no hidden test, and hidden-test inputs are reproducible."""

import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import trust_submissions
from aecourse.grading import integrity, seeds
from conftest import output_text

CASES = trust_submissions.CASES
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def case_id(case):
    return f"{case.assignment}-{case.name}"


def hidden_test_lines(course, assignment):
    """Lines that only the hidden tests contain (none of them is in the release)."""
    source = nbformat.read(course.notebook("source", assignment), as_version=4)
    release = nbformat.read(course.notebook("release", assignment), as_version=4)
    released = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    return {line.strip() for cell in source.cells for block in HIDDEN_BLOCK.findall(cell.source)
            for line in block.splitlines() if len(line.strip()) > 12 and line.strip() not in released}


@pytest.mark.grading
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_is_graded_as_expected(graded, case):
    result = graded(case.assignment)
    score, maximum = result.total(case.name)
    expected = {"full": score == maximum, "zero": score == 0, "partial": 0 < score < maximum}[case.expect]
    assert expected, f"{case.name}: {score}/{maximum}, expected {case.expect}"
    graded_text = output_text(result.autograded(case.name)) + "\n".join(
        c.source for c in result.autograded(case.name).cells if c.cell_type == "markdown")
    if case.message:
        assert case.message in graded_text, f"the graded notebook does not say {case.message!r}"
        assert case.message.replace("`", "") in re.sub(r"<[^>]+>|`", "", result.feedback_html(case.name)), \
            f"the feedback does not say {case.message!r}"
    for forbidden in case.never:
        assert forbidden not in output_text(result.autograded(case.name)), f"{forbidden} in the graded outputs"


@pytest.mark.grading
@pytest.mark.parametrize("assignment", ["mnist_autoencoders", "cardiac_vae"])
def test_sandbox_left_no_trace_outside(graded, assignment):
    root = graded(assignment).course.root
    assert not (root / "PWNED").exists() and not (root / "submitted" / "PWNED").exists()
    assert not Path("/tmp/aecourse-pwned").exists()
    probe = output_text(graded(assignment).autograded("hostile-snoop"))
    assert "no network: " in probe and "sandbox probe done" in probe


@pytest.mark.grading
@pytest.mark.parametrize("assignment", ["mnist_autoencoders", "cardiac_vae"])
def test_feedback_shows_outcomes_not_hidden_tests(graded, assignment):
    result = graded(assignment)
    hidden = hidden_test_lines(result.course, assignment)
    assert hidden, "found no hidden test line to look for"
    autograded = "\n".join(c.source for c in result.autograded("solution").cells)
    assert any(line in autograded for line in hidden), "the instructor's graded notebook lost its hidden tests"
    mutant = "kl_sign_flipped" if assignment == "mnist_autoencoders" else "kl_sign_flipped"
    for student in ("solution", "untouched", mutant):
        page = result.feedback_html(student)
        text = re.sub(r"<[^>]+>", "", page)
        import html
        text = html.unescape(text)
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden test code: {leaked[:3]}"
        for place in {sys.prefix, str(Path.home()), str(result.course.root)}:
            assert place not in text, f"{student}'s feedback shows the grading machine's path {place}"
        assert "site-packages" not in text, f"{student}'s feedback shows a library's traceback frame"
        assert "<math" in page, "the feedback's math is not rendered for offline reading"
    assert "Failed: AssertionError" in html.unescape(re.sub(r"<[^>]+>", "", result.feedback_html(mutant)))
    assert "Passed." in result.feedback_html("solution")


@pytest.mark.parametrize("assignment", ["mnist_autoencoders", "cardiac_vae"])
def test_solutions_pass_the_tamper_check(assignment):
    from aecourse.course import REPO_ROOT, Course

    notebook = nbformat.read(Course(REPO_ROOT).notebook("source", assignment), as_version=4)
    assert integrity.find_tampering(notebook) == []


@pytest.mark.parametrize("code, flagged", [
    ("np.allclose = lambda *a, **k: True", True),
    ("import numpy\nnumpy.testing.assert_allclose = print", True),
    ("setattr(np, 'allclose', max)", True),
    ("checks.__dict__['expect_shape'] = print", True),
    ("exec('np.allclose = 1')", True),
    ("class Always:\n    def __eq__(self, other):\n        return True", True),
    ("AssertionError = Warning", True),
    ("import ctypes", True),
    ("x = np.load('f.npy', allow_pickle=True)", True),
    ("def f(x):\n    return ops.sum(x, axis=-1)", False),
    ("class Sampling(layers.Layer):\n    def __init__(self, seed=None, **kwargs):\n"
     "        super().__init__(**kwargs)\n        self.seed_generator = keras.random.SeedGenerator(seed)", False),
    ("print(keras.__version__)", False),
])
def test_tamper_check(code, flagged):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nimport keras\nfrom keras import layers, ops\n"
                                  "from aecourse import checks"),
        nbformat.v4.new_code_cell(code)])
    assert bool(integrity.find_tampering(notebook)) == flagged, integrity.find_tampering(notebook)


def test_hidden_test_inputs_are_reproducible_per_student_and_cell(monkeypatch, tmp_path):
    from aecourse import checks

    secret = seeds.course_secret(tmp_path)
    assert (tmp_path / seeds.SECRET_FILE).stat().st_mode & 0o077 == 0, "the secret is readable by others"
    assert seeds.course_secret(tmp_path) == secret

    def draws(student, cell):
        monkeypatch.setenv(seeds.SEED_ENV, str(seeds.notebook_seed(secret, "a", student)))
        return checks.grading_rng(cell).random(4)

    assert np.array_equal(draws("ann", "test_x"), draws("ann", "test_x"))
    assert not np.array_equal(draws("ann", "test_x"), draws("ben", "test_x"))
    assert not np.array_equal(draws("ann", "test_x"), draws("ann", "test_y"))
    assert seeds.notebook_seed(secret, "a", "ann") != seeds.notebook_seed(b"another secret", "a", "ann")
