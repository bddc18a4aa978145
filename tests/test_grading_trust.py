"""Grading a class you can trust, checked by grading for real (tests/trust_submissions.py):
hostile code learns nothing and gains nothing, broken submissions get a record that says why,
feedback shows outcomes but no hidden test, and hidden-test inputs are reproducible."""

import html
import re
import subprocess
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
    for forbidden in case.never_in_feedback:
        assert forbidden not in feedback_files_text(result, case.name), f"{forbidden} in the feedback"


def feedback_files_text(result, student):
    """Every file of a student's feedback folder, as text (what release_feedback would hand back)."""
    folder = result.course.root / "feedback" / student / result.assignment
    return "\n".join(html.unescape(p.read_bytes().decode("utf-8", "replace")) for p in sorted(folder.rglob("*"))
                     if p.is_file())


def first_hidden_inputs(course, assignment, student, grade_id):
    """The first values test_kl_values draws for this student (the judge's own draws, replayed)."""
    secret = seeds.course_secret(course.root)
    rng = np.random.default_rng(seeds.cell_seed(seeds.notebook_seed(secret, assignment, student), grade_id))
    batch, d = int(rng.integers(3, 12)), int(rng.integers(2, 9))
    return rng.normal(0, 1.5, (batch, d)).astype("float32").ravel()[:4]


@pytest.mark.grading
@pytest.mark.parametrize("case", [c for c in CASES if c.leaks_hidden_inputs_of], ids=case_id)
def test_hidden_inputs_never_reach_the_feedback(graded, case):
    """Code that prints, warns, writes to files or raises the inputs the hidden tests gave it: none of
    them reaches anything the student can receive (the judge drops what the kernel prints while it asks,
    shows no exception's own text, and the kernel's folder is thrown away)."""
    assert case.leaks_hidden_inputs_of == "test_kl_values", "first_hidden_inputs replays test_kl_values only"
    result = graded(case.assignment)
    values = first_hidden_inputs(result.course, case.assignment, case.name, case.leaks_hidden_inputs_of)
    shown = feedback_files_text(result, case.name).replace("_", ".")
    digits = [f"{abs(float(value)):.7f}"[:8] for value in values]  # e.g. "0.812345" of -0.81234567
    for value, text in zip(values, digits):
        assert text not in shown, f"a hidden input ({value}) reached the feedback"
    if case.instructor_sees_inputs:  # the replayed inputs are the judge's: the instructor's view quotes them
        instructor = output_text(result.autograded(case.name)).replace("_", ".")
        assert any(text in instructor for text in digits), "the test does not replay the judge's inputs"


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
    mutant = "kl_sign_flipped" if assignment == "mnist_autoencoders" else "kl_mean_over_dimensions"
    hostile = [c.name for c in CASES if c.assignment == assignment and c.name.startswith("judge-")]
    for student in ("solution", "untouched", mutant, *hostile):
        page = result.feedback_html(student)
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden test code: {leaked[:3]}"
        for place in {sys.prefix, str(Path.home()), str(result.course.root)}:
            assert place not in text, f"{student}'s feedback shows the grading machine's path {place}"
        assert "site-packages" not in text, f"{student}'s feedback shows a library's traceback frame"
        assert "<math" in page, "the feedback's math is not rendered for offline reading"
    assert "Failed (hidden tests): " in html.unescape(re.sub(r"<[^>]+>", "", result.feedback_html(mutant)))
    assert "Passed." in result.feedback_html("solution")


@pytest.mark.parametrize("assignment", ["mnist_autoencoders", "cardiac_vae"])
def test_every_test_cell_is_judged_outside_the_kernel(assignment):
    """Every test cell has hidden tests, so the judge, not the student's kernel, decides its score."""
    from aecourse.course import REPO_ROOT, Course
    from aecourse.grading.execute import is_test_cell

    notebook = nbformat.read(Course(REPO_ROOT).notebook("source", assignment), as_version=4)
    unjudged = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
                if is_test_cell(c) and "### BEGIN HIDDEN TESTS" not in c.source]
    assert not unjudged, f"test cells without hidden tests (their score would rest on the kernel): {unjudged}"


def test_the_judges_attacks_pass_the_tamper_check():
    """The attacks on the judge in trust_submissions are spelled so the tamper check lets them through:
    the judge alone must hold against them."""
    spellings = [trust_submissions.TRANSFORMER, trust_submissions.FORGED_AGENT, trust_submissions.FORGED_VERDICT,
                 trust_submissions.ALIAS_PATCHES, trust_submissions.HIDDEN_GLOBALS_KL, trust_submissions.LEAKING_KL,
                 trust_submissions.RAISING_KL, trust_submissions.SEED_SNOOP]
    for code in spellings:
        notebook = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("import numpy as np\nimport keras\nfrom keras import layers, ops\n"
                                      "from aecourse import checks"),
            nbformat.v4.new_code_cell(code)])
        assert integrity.find_tampering(notebook) == [], code


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


def test_hidden_test_inputs_are_reproducible_per_student_and_cell(tmp_path):
    secret = seeds.course_secret(tmp_path)
    assert (tmp_path / seeds.SECRET_FILE).stat().st_mode & 0o077 == 0, "the secret is readable by others"
    assert seeds.course_secret(tmp_path) == secret

    def draws(student, cell):
        return np.random.default_rng(seeds.cell_seed(seeds.notebook_seed(secret, "a", student), cell)).random(4)

    assert np.array_equal(draws("ann", "test_x"), draws("ann", "test_x"))
    assert not np.array_equal(draws("ann", "test_x"), draws("ben", "test_x"))
    assert not np.array_equal(draws("ann", "test_x"), draws("ann", "test_y"))
    assert seeds.notebook_seed(secret, "a", "ann") != seeds.notebook_seed(b"another secret", "a", "ann")


@pytest.mark.skipif(not Path("/usr/bin/setpriv").exists() or __import__("os").geteuid() != 0,
                    reason="needs root to switch to an unprivileged user (setpriv)")
def test_sandbox_works_for_an_unprivileged_user():
    """The jail as a normal user sets it up (user namespace): no network, nothing of the host
    but the read-only system, its own writable folder."""
    import shutil
    import tempfile

    from aecourse.grading import sandbox

    tmp_path = Path(tempfile.mkdtemp(prefix="aecourse-nonroot-"))  # pytest's own tmp is root-only
    (tmp_path / "secret.txt").write_text("instructor only")
    work = tmp_path / "work"
    work.mkdir()
    tmp_path.chmod(0o755)
    work.chmod(0o777)
    probe = ("import os, pathlib, socket\n"
             "print('uid', os.getuid())\n"
             f"print('secret visible', pathlib.Path('{tmp_path}/secret.txt').exists())\n"
             "pathlib.Path('written.txt').write_text('ok')\n"
             "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('network yes')\n"
             "except OSError:\n    print('network no')\n")
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
               sandbox.bwrap_path(), *sandbox.namespace_flags(as_root=False), *sandbox.system_binds(),
               "--proc", "/proc", "--dev", "/dev", "--bind", str(work), "/work", "--chdir", "/work",
               "/usr/bin/python3", "-c", probe]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        written = (work / "written.txt").read_text() if (work / "written.txt").exists() else None
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert "uid 65534" in result.stdout and "secret visible False" in result.stdout
    assert "network no" in result.stdout
    assert written == "ok"


def test_grading_stops_with_the_fix_when_the_sandbox_is_missing(monkeypatch, capsys):
    from aecourse.grading import cli, sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.check_available.cache_clear()  # a sandbox seen earlier in this process is remembered
    monkeypatch.delenv("AECOURSE_UNSAFE_NO_SANDBOX", raising=False)
    from aecourse.course import REPO_ROOT

    assert cli.main(["--root", str(REPO_ROOT), "--student", "nobody-at-all", "--no-export"]) == 2
    error = capsys.readouterr().err
    assert "bubblewrap" in error and "apt-get install bubblewrap" in error and "--unsafe-no-sandbox" in error


@pytest.mark.grading
def test_a_second_run_grades_only_what_changed(graded):
    from aecourse.grading.parallel import ClassGrader

    course = graded("mnist_autoencoders").course
    assert ClassGrader(course, progress=False).grade(["mnist_autoencoders", "cardiac_vae"]) == []


@pytest.mark.grading
def test_regrading_gives_the_same_scores_and_the_same_hidden_inputs(graded):
    """Regrading a notebook reproduces each test cell's score and message, numbers included
    (the hidden test's inputs come from the student's seed)."""
    from aecourse.grading.parallel import ClassGrader

    from aecourse.judge.verdicts import MIME

    result = graded("mnist_autoencoders")
    student = "kl_without_half"  # the judge's detail quotes values computed from the hidden inputs

    def failures():
        notebook = result.autograded(student)
        return {cell.metadata["nbgrader"]["grade_id"]: [o.data[MIME]["detail"] for o in cell.outputs
                                                         if MIME in o.get("data", {})]
                for cell in notebook.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}

    before_scores, before_failures = result.scores(student), failures()
    assert any(re.search(r"\d\.\d", " ".join(details)) for details in before_failures.values())
    ClassGrader(result.course, workers=1, force=True, progress=False).grade(["mnist_autoencoders"], student)
    assert result.scores(student) == before_scores
    assert failures() == before_failures


def catalogued_mutants():
    import cardiac_submissions
    import mnist_submissions

    return [(assignment, mutant) for assignment, catalogue in (("mnist_autoencoders", mnist_submissions),
                                                                ("cardiac_vae", cardiac_submissions))
            for mutant in catalogue.MUTANTS if mutant.misconception]


@pytest.mark.grading
@pytest.mark.parametrize("case", catalogued_mutants(), ids=lambda case: f"{case[0]}-{case[1].name}")
def test_feedback_names_the_likely_cause_of_a_catalogued_mistake(graded, case):
    from aecourse.grading.misconceptions import CATALOGUE

    assignment, mutant = case
    hint = next(m.hint for m in CATALOGUE if m.id == mutant.misconception and m.assignment == assignment)
    text = html.unescape(re.sub(r"<[^>]+>", "", graded(assignment).feedback_html(mutant.name)))
    assert f"Likely cause: {hint}" in text, f"{mutant.name}'s feedback does not name its likely cause"
