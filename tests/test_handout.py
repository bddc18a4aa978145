"""The student hand-out: the release notebook and a one-command set-up, nothing of the answers.

The slow_install test does what a student does, outside the repository: unpack the hand-out, run
its set-up (a fresh virtual environment that installs the kit's wheel from PyPI or pip's cache,
then the data step), and run the release notebook with the solution answers pasted in, in quick
mode: every visible test passes.
"""

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from aecourse.course import ASSIGNMENTS, solution_answers, with_answers
from aecourse.grading.regions import Delimiters, region_lines
from aecourse.tools import handout

REPO = Path(__file__).resolve().parents[1]
HANDOUT_FILES = {"README.md", "setup_course.py", "LICENSE"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every assignment's hand-out, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("handout")
    assert handout.main(["--out", str(out), *ASSIGNMENTS]) == 0
    return out


def source_notebook(assignment):
    return REPO / "source" / assignment / f"{assignment}.ipynb"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_handout_holds_the_release_and_the_setup_only(built, assignment):
    folder = built / assignment
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    wheels = {f for f in files if f.startswith("wheels/")}
    assert files - wheels == HANDOUT_FILES | {f"{assignment}.ipynb"}
    assert len(wheels) == 1 and wheels.pop().endswith("-py3-none-any.whl")
    release = (REPO / "release" / assignment / f"{assignment}.ipynb").read_bytes()
    assert (folder / f"{assignment}.ipynb").read_bytes() == release
    with zipfile.ZipFile(built / f"{assignment}.zip") as archive:
        zipped = {name.removeprefix(f"{assignment}/") for name in archive.namelist() if not name.endswith("/")}
    assert zipped == files | {"wheels/" + p.name for p in (folder / "wheels").iterdir()}
    setup = (folder / "setup_course.py").read_text()
    assert f'ASSIGNMENT = "{assignment}"' in setup and f'DATA = "{handout.DATA_OF[assignment]}"' in setup
    readme = (folder / "README.md").read_text()
    assert "python3 setup_course.py" in readme and f"solutions/{assignment}/{assignment}.html" in readme
    assert (folder / "LICENSE").read_bytes() == (REPO / "LICENSE").read_bytes()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_file_of_the_handout_holds_a_solution_or_hidden_test_line(built, assignment):
    secrets = handout.secret_lines(source_notebook(assignment))
    answers = solution_answers(source_notebook(assignment))
    assert len(secrets) > 20, "the instructor notebook should have solution and hidden-test lines"
    assert any(line.strip() in secrets for code in answers.values() for line in code.splitlines())
    for item in (built / assignment, built / f"{assignment}.zip"):
        assert handout.leaked_lines(item, secrets) == {}, f"{item.name} gives away answers"


def test_leak_check_finds_planted_lines_in_files_and_archives(tmp_path):
    secrets = handout.secret_lines(source_notebook("mnist_autoencoders"))
    line = sorted(secrets)[0]
    (tmp_path / "notes.py").write_text(f"x = 1\n    {line}\n")
    with zipfile.ZipFile(tmp_path / "kit.whl", "w") as archive:
        archive.writestr("aecourse/leak.py", f"{line}\n")
    assert handout.leaked_lines(tmp_path, secrets) == {
        f"{tmp_path.name}/notes.py": {line}, f"{tmp_path.name}/kit.whl!aecourse/leak.py": {line}}
    nb_with_answers = with_answers(REPO / "release" / "mnist_autoencoders" / "mnist_autoencoders.ipynb",
                                   solution_answers(source_notebook("mnist_autoencoders")))
    nbformat.write(nb_with_answers, tmp_path / "filled.ipynb")
    assert handout.leaked_lines(tmp_path / "filled.ipynb", secrets), "answers inside a notebook's cells"


def test_student_workspace_keeps_student_work(tmp_path, capsys):
    workspace = tmp_path / "ws"
    assert handout.main(["--workspace", str(workspace)]) == 0
    notebooks = sorted(p.relative_to(workspace) for p in workspace.rglob("*.ipynb"))
    assert notebooks == sorted(Path(a) / f"{a}.ipynb" for a in ASSIGNMENTS)
    mine = workspace / "mnist_autoencoders" / "mnist_autoencoders.ipynb"
    mine.write_text("my work")
    assert handout.main(["--workspace", str(workspace)]) == 0
    assert mine.read_text() == "my work"
    assert "0 new file(s)" in capsys.readouterr().out
    assert not list(workspace.rglob("*solution*")) and not (workspace / "source").exists()


def student_env(home):
    """The environment of a student's machine: no course settings, private Jupyter and data folders."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AECOURSE_", "JUPYTER", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(REPO)))
    env.update(XDG_DATA_HOME=str(home / "xdg"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), IPYTHONDIR=str(home / "ipython"),
               MPLCONFIGDIR=str(home / "mpl"))
    return env


@pytest.mark.slow_install
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_sets_up_the_handout_and_the_solved_notebook_passes(built, assignment, tmp_path):
    home = tmp_path / "student"
    with zipfile.ZipFile(built / f"{assignment}.zip") as archive:
        archive.extractall(home)
    folder = home / assignment
    env = student_env(home)
    start = time.perf_counter()
    setup = subprocess.run([sys.executable, "setup_course.py"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=1200)
    setup_seconds = time.perf_counter() - start
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    print(f"\n{assignment}: student set-up from the hand-out took {setup_seconds:.0f} s")
    venv_python = folder / ".venv" / "bin" / "python"
    located = subprocess.run([str(venv_python), "-c", "import aecourse, aecourse.paths as p; "
                              "print(aecourse.__file__); print(p.data_dir())"],
                             cwd=folder, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert located[0].startswith(str(folder / ".venv")), "the kit comes from the hand-out's venv"
    assert located[1] == str(home / "xdg" / "aecourse"), "data goes to the per-user folder"

    notebook = folder / f"{assignment}.ipynb"
    nbformat.write(with_answers(notebook, solution_answers(source_notebook(assignment))), notebook)
    start = time.perf_counter()
    run = subprocess.run([str(folder / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook",
                          "--execute", "--ExecutePreprocessor.timeout=600", "--output", "executed.ipynb",
                          notebook.name], cwd=folder, env=dict(env, AECOURSE_QUICK="1"),
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-4000:]
    print(f"{assignment}: the solved notebook ran in quick mode in {time.perf_counter() - start:.0f} s")
    executed = nbformat.read(folder / "executed.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    test_cells = [c for c in executed.cells
                  if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert test_cells and all(c.get("execution_count") for c in test_cells), "every visible test ran"


def test_regions_are_found_as_nbgrader_finds_them():
    source = "a = 1\n    ### BEGIN SOLUTION\n    b = 2\n    ### END SOLUTION\nc = 3\n### BEGIN HIDDEN TESTS\nd = 4\n"
    assert region_lines(source) == {"solution": ["    b = 2"], "hidden": ["d = 4"], "outside": ["a = 1", "c = 3"]}
    custom = Delimiters(solution=("<answer>", "</answer>"), hidden=("<secret>", "</secret>"))
    assert region_lines("x\n# <secret>\ny\n# </secret>\nz", custom) == {
        "solution": [], "hidden": ["y"], "outside": ["x", "z"]}


def test_the_leak_check_reads_the_courses_delimiters_and_refuses_to_check_nothing(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        'c.ClearSolutions.begin_solution_delimeter = "BEGIN ANSWER"\n'
        'c.ClearSolutions.end_solution_delimeter = "END ANSWER"\n')
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN ANSWER\n    return x * 42\n    ### END ANSWER\n")])
    nbformat.write(notebook, tmp_path / "course.ipynb")
    delimiters = Delimiters.of_course(tmp_path)
    assert delimiters.solution == ("BEGIN ANSWER", "END ANSWER")
    assert delimiters.hidden == Delimiters().hidden
    assert handout.secret_lines(tmp_path / "course.ipynb", delimiters) == {"return x * 42"}
    with pytest.raises(handout.NothingToCheck, match="ClearSolutions.begin_solution_delimeter"):
        handout.secret_lines(tmp_path / "course.ipynb")  # nbgrader's default delimiters: nothing found


def test_the_kits_own_course_uses_nbgraders_default_delimiters():
    assert Delimiters.of_course(REPO) == Delimiters()


def test_the_setup_script_is_filled_per_assignment_or_refused(monkeypatch, tmp_path):
    filled = handout.filled_setup(ASSIGNMENT="cardiac_vae", DATA="cardiac", NOTEBOOK="cardiac_vae.ipynb")
    assert 'ASSIGNMENT = "cardiac_vae"\nDATA = "cardiac"\nNOTEBOOK = "cardiac_vae.ipynb"' in filled
    assert "mnist" not in filled.split("NOTEBOOK =")[0].split("ASSIGNMENT =")[1]
    edited = tmp_path / "student_setup.py"
    edited.write_text(handout.SETUP_TEMPLATE.read_text().replace('ASSIGNMENT = "', 'ASSIGNMENT  = "'))
    monkeypatch.setattr(handout, "SETUP_TEMPLATE", edited)
    with pytest.raises(RuntimeError, match="expected one line `ASSIGNMENT"):
        handout.filled_setup(ASSIGNMENT="cardiac_vae")
