"""Grading a class you can trust, checked by grading for real (tests/trust_submissions.py):
hostile code learns nothing and gains nothing, broken submissions get a record that says why,
feedback shows outcomes but no hidden test, and hidden-test inputs are reproducible."""

import html
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import trust_submissions
from aecourse.grading import integrity, seeds
from aecourse.grading.regions import region_lines
from conftest import output_text

CASES = trust_submissions.CASES


def case_id(case):
    return f"{case.assignment}-{case.name}"


def hidden_test_lines(course, assignment):
    """Lines that only the hidden tests contain (none of them is in the release)."""
    source = nbformat.read(course.notebook("source", assignment), as_version=4)
    release = nbformat.read(course.notebook("release", assignment), as_version=4)
    released = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    return {line.strip() for cell in source.cells for line in region_lines(cell.source)["hidden"]
            if len(line.strip()) > 12 and line.strip() not in released}


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
                for cell in notebook.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}  # noqa: E501

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


# -- the jail (issue 14) ----------------------------------------------------------------------
JAIL_CASES = trust_submissions.JAIL_CASES
PLAIN_GRADER_FILES = {"timestamp.txt"}


def received_folders(course, case):
    """The folders whose files a student can get back: their graded notebook's and their feedback's."""
    return [course.root / "autograded" / case.name / case.assignment, course.root / "feedback" / case.name / case.assignment]  # noqa: E501


def what_leaked(course, case, hidden):
    """[(file, what)] for everything in the student's folders that must not be there."""
    from aecourse.grading import handin

    secrets = [b"SQLite format 3", *(v.encode() for v in trust_submissions.SECRET_ENV.values()), b"LEAK"]
    secret_file = course.root / seeds.SECRET_FILE
    if secret_file.exists():
        secrets.append(secret_file.read_bytes())
    submitted = course.root / "submitted" / case.name / case.assignment
    found = []
    for folder in received_folders(course, case):
        for path in handin.walk(folder):
            relative = path.relative_to(folder)
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
                found.append((path, "not a plain file"))
                continue
            if info.st_size > 5 * 2 ** 20:
                found.append((path, f"{info.st_size / 2 ** 20:.0f} MB"))
            data = path.read_bytes()
            found += [(path, f"holds {secret[:30]!r}") for secret in secrets if secret in data]
            if path.suffix == ".html":
                text = html.unescape(re.sub(r"<[^>]+>", "", data.decode(errors="replace")))
                found += [(path, f"shows hidden test line {line!r}") for line in hidden if line in text]
            elif path.suffix != ".ipynb" and path.name not in PLAIN_GRADER_FILES:
                original = submitted / relative
                if handin.refusal(original) is not None or original.read_bytes() != data:
                    found.append((path, "not a plain file the student handed in"))
    return found


@pytest.mark.grading
@pytest.mark.parametrize("case", JAIL_CASES, ids=case_id)
def test_the_jail_holds(graded, case):
    """Nothing ran outside the jail, nothing leaked into what the student gets back, no host path in
    the graded outputs, the submission was graded (not dropped) and the score did not rise."""
    result = graded(case.assignment)
    root = result.course.root
    assert not (root / trust_submissions.RAN_OUTSIDE).exists(), \
        f"code handed in ran as the grader: {(root / trust_submissions.RAN_OUTSIDE).read_text()}"
    assert all(folder.is_dir() for folder in received_folders(result.course, case)), "the submission was dropped"
    leaked = what_leaked(result.course, case, hidden_test_lines(result.course, case.assignment))
    assert not leaked, leaked[:5]
    outputs = output_text(result.autograded(case.name))
    for place in {sys.prefix, str(Path(sys.prefix).resolve()), sys.base_prefix, str(root), str(Path.home())}:
        assert place not in outputs, f"the graded outputs show the grading machine's path {place}"
    assert result.total(case.name)[0] <= result.total("solution")[0]


@pytest.mark.grading
def test_jail_limits_hold_for_the_whole_jail(graded):
    """The process limit stops a fork bomb, the working folders fill up at their size, and nothing the
    jail wrote reached the grading machine's disk."""
    fork = re.search(r"fork stopped after (\d+)", output_text(graded("mnist_autoencoders").autograded("jail-fork-bomb")))  # noqa: E501
    assert fork and int(fork.group(1)) < 128, "the fork bomb was not stopped by the jail's process limit"
    filler = output_text(graded("cardiac_vae").autograded("jail-disk-filler"))
    sizes = [int(n) for n in re.findall(r"disk full at \S+ (\d+) MB", filler)]
    assert len(sizes) == 3 and max(sizes) <= 512, filler[-500:]
    root = graded("cardiac_vae").course.root
    big = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_size > 100 * 2 ** 20]
    assert not big, f"the jail wrote to the grading machine's disk: {big}"


@pytest.mark.grading
def test_student_pages_carry_no_script(graded):
    """Feedback, the formgrader's view and the class report show student HTML without scripts, event
    handlers or javascript: URLs."""
    from aecourse.grading.report import write_reports

    for assignment in ("mnist_autoencoders", "cardiac_vae"):
        result = graded(assignment)
        pages = {"feedback": result.feedback_html("jail-html"),
                 "formgrader": formgrader_page(result.course, assignment, "jail-html")}
        pages.update({f"report {p.name}": p.read_text() for p in write_reports(result.course, [assignment])})
        for name, page in pages.items():
            assert_no_student_script(page, name)


def formgrader_page(course, assignment, student):
    """The autograded notebook as the formgrader renders it (its exporter, with the course's config)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    from aecourse.grading.parallel import load_course_config

    config = load_course_config(course.root)
    extra = Config()
    extra.HTMLExporter.template_name = "formgrade"
    extra.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    config.merge(extra)
    path = course.notebook("autograded", assignment, student)
    resources = {"assignment_id": assignment, "notebook_id": path.stem, "submission_id": "s", "index": 0, "total": 1,
                 "base_url": "/", "student": student, "last_name": "", "first_name": "", "notebook_path": "/x"}
    page, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    return page


def assert_no_student_script(page, where):
    scripts = [s for s in re.findall(r"<script\b.*?</script>", page, re.S | re.I) if "XSS" in s]
    handlers_ = re.findall(r"<[a-z][^>]*\son[a-z]+\s*=[^>]*XSS[^>]*>", page, re.I)
    urls = re.findall(r"<[a-z][^>]*=\s*[\"']?\s*javascript:[^>]*>", page, re.I)
    assert not (scripts or handlers_ or urls), f"{where}: {(scripts + handlers_ + urls)[:3]}"


def test_a_jail_wide_memory_limit_stops_many_processes_together(tmp_path):
    """Processes that each stay under the per-process limit are stopped by the jail's total."""
    from aecourse.grading import limits

    if limits.unavailable():
        pytest.skip(limits.unavailable())
    group = limits.JailGroup(memory_bytes=300 * 2 ** 20, pids=32)
    hog = "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        break\nx = b\"x\" * (150 * 2 ** 20)\ntime.sleep(5)\n"  # noqa: E501
    try:
        process = subprocess.run([sys.executable, "-c", hog], preexec_fn=group.enter, timeout=60, capture_output=True)
        assert process.returncode != 0 or group.killed_for_memory()
        assert group.killed_for_memory()
    finally:
        group.close()
    assert not any(folder.exists() for folder in group.folders.values())


@pytest.mark.grading  # ClassGrader.grade: nbgrader autograde, stopped at the jail's start
def test_grading_stops_when_the_jail_cannot_start(tmp_path, monkeypatch):
    """A kernel that cannot start is the grader's failure: grading stops with the reason, and nothing
    (score, feedback, export) is written."""
    from aecourse.course import Course
    from aecourse.grading.execute import GraderFailure
    from aecourse.grading.parallel import ClassGrader
    from aecourse.grading.sandbox import SandboxUnavailable, check_available

    check_available.cache_clear()
    course = Course.copy_of(tmp_path / "course", assignments=("mnist_autoencoders",))
    course.generate_release("mnist_autoencoders")
    course.submit("solution", "mnist_autoencoders", course.notebook("source", "mnist_autoencoders"))
    monkeypatch.setenv("AECOURSE_KERNEL_PIDS", "1")  # the jail cannot start a process: its kernel never answers
    with pytest.raises(GraderFailure, match="could not start"):
        ClassGrader(course, workers=1, progress=False).grade(["mnist_autoencoders"])
    monkeypatch.setenv("AECOURSE_KERNEL_MEMORY_GB", "0.0001")  # bwrap itself cannot start: seen before any run
    with pytest.raises((SandboxUnavailable, GraderFailure), match="address space"):
        ClassGrader(course, workers=1, progress=False).grade(["mnist_autoencoders"])
    assert not (course.root / "autograded" / "solution").exists()
    assert not (course.root / "feedback").exists()
    from nbgrader.api import MissingEntry

    with course.gradebook() as gradebook, pytest.raises(MissingEntry):
        gradebook.find_submission("mnist_autoencoders", "solution")


@pytest.mark.grading
def test_a_set_up_that_overruns_its_budget_stops_grading_and_records_nothing(tmp_path):
    """The notebook's locked set-up (its imports, before any cell a student can edit) slower than its
    budget is the machine's failure (too busy): grading stops, saying so, and no zero is recorded."""
    from nbgrader.api import MissingEntry

    from aecourse.course import Course
    from aecourse.grading.execute import GraderFailure
    from aecourse.grading.parallel import ClassGrader

    course = Course.copy_of(tmp_path / "course", assignments=("mnist_autoencoders",))
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.GradingExecute.setup_timeout = 1  # no machine imports Keras in 1 s\n")
    course.generate_release("mnist_autoencoders")
    course.submit("solution", "mnist_autoencoders", course.notebook("source", "mnist_autoencoders"))
    with pytest.raises(GraderFailure, match="set-up budget.*not of the submission"):
        ClassGrader(course, workers=1, progress=False).grade(["mnist_autoencoders"])
    assert not (course.root / "autograded" / "solution").exists()
    with course.gradebook() as gradebook, pytest.raises(MissingEntry):
        gradebook.find_submission("mnist_autoencoders", "solution")


@pytest.mark.grading
def test_plain_nbgrader_autograde_keeps_handed_in_links_out(tmp_path):
    """Plain `nbgrader autograde` and `generate_feedback` (no staging by aecourse-grade): links, FIFOs and
    code handed in never reach autograded/ or feedback/, and the submission is graded."""
    from aecourse.course import Course

    course = Course.copy_of(tmp_path / "course", assignments=("mnist_autoencoders",))
    course.generate_release("mnist_autoencoders")
    case = next(c for c in JAIL_CASES if c.name == "jail-links-handed-in")
    ctx = trust_submissions.Context(course.root, course.notebook("source", case.assignment),
                                    course.notebook("release", case.assignment), course.notebook("source", case.assignment), 1)  # noqa: E501
    folder = course.root / "submitted" / case.name / case.assignment
    trust_submissions.write_files(folder, {**case.build(ctx), **trust_submissions.code_beside(ctx)})
    course.run("autograde", case.assignment)
    course.run("generate_feedback", case.assignment)
    assert not (course.root / trust_submissions.RAN_OUTSIDE).exists()
    assert what_leaked(course, case, hidden_test_lines(course, case.assignment)) == []
    summary = course.summary(case.assignment, case.name)
    assert summary["code_score"] == summary["max_code_score"]


@pytest.mark.grading
def test_plain_nbgrader_autograde_never_reads_a_notebook_or_timestamp_handed_in_as_a_link(tmp_path):
    """Plain `nbgrader autograde`: a notebook or a timestamp.txt handed in as a link to /dev/zero, or as
    a FIFO, is never read (reading it would never end); the submission gets a graded notebook that says
    why it was not graded, and the rest of the class is graded."""
    from aecourse.course import Course

    assignment = "mnist_autoencoders"
    course = Course.copy_of(tmp_path / "course", assignments=(assignment,))
    course.generate_release(assignment)
    name = course.notebook("source", assignment).name
    hand_ins = {"zero-link": {name: trust_submissions.Link("/dev/zero"),
                              "timestamp.txt": trust_submissions.Link("/dev/zero")},
                "fifo": {name: trust_submissions.Fifo(), "timestamp.txt": trust_submissions.Fifo()},
                "good-timestamp-fifo-notebook": {name: trust_submissions.Fifo(),
                                                 "timestamp.txt": b"2026-12-01 10:00:00.000000 UTC"}}
    for student, files in hand_ins.items():
        trust_submissions.write_files(course.root / "submitted" / student / assignment, files)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment], cwd=course.root,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    course.run("generate_feedback", assignment)
    for student in hand_ins:
        graded = course.root / "autograded" / student / assignment / name
        assert graded.is_file() and not graded.is_symlink(), f"{student}: no graded notebook"
        text = graded.read_text()
        assert "was not graded" in text and ("symbolic link" in text or "not a regular file" in text), student
        assert course.summary(assignment, student)["code_score"] == 0
        assert (course.root / "feedback" / student / assignment).is_dir(), f"{student}: no feedback"
        for path in (course.root / "autograded" / student / assignment).rglob("*"):
            assert path.is_file() and not path.is_symlink() and path.stat().st_size < 20 * 2 ** 20, path
    assert (course.root / "submitted" / "zero-link" / assignment / name).is_symlink(), "the hand-in was changed"
