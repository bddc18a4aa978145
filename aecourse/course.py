"""Drive nbgrader on a course folder: release, submit, autograde, feedback, scores.

Used by the demo class (`make course`), the grading command (`make grade`), the tests and the
benchmarks. Every step is one of nbgrader's own commands, run in the course root; autograding
itself goes through :mod:`aecourse.grading.parallel` (sandboxed kernels in parallel, then
nbgrader records the grades).
"""

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from aecourse.paths import REPO_ROOT

ASSIGNMENTS = ("mnist_autoencoders", "cardiac_vae")


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the end of its log."""


class GradebookMissing(FileNotFoundError):
    """The course has no gradebook yet; the message names where it should be and the fix."""


class Course:
    """An nbgrader course rooted at ``root`` (which holds nbgrader_config.py)."""

    def __init__(self, root=REPO_ROOT):
        self.root = Path(root).resolve()

    @classmethod
    def copy_of(cls, destination, assignments=ASSIGNMENTS, origin=REPO_ROOT):
        """A fresh course in ``destination`` with the config and instructor notebooks of ``origin``."""
        destination = Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(origin) / "nbgrader_config.py", destination)
        for assignment in assignments:
            shutil.copytree(Path(origin) / "source" / assignment, destination / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        return cls(destination)

    def run(self, *args, env=None):
        """Run ``nbgrader ARGS`` in the course root; raise NbgraderError on failure."""
        environment = dict(os.environ, **(env or {}))
        # nbgrader calls `alembic` as a program: the environment's bin/ must be on PATH.
        environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
        result = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=self.root,
                                env=environment, capture_output=True, text=True)
        if result.returncode != 0:
            raise NbgraderError(f"nbgrader {' '.join(map(str, args))} failed "
                                f"(exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return result

    def notebook(self, folder, assignment, student=None):
        """The one notebook of ``assignment`` under source/, release/, submitted/, autograded/..."""
        base = self.root / folder
        if student is not None:
            base = base / student
        notebooks = sorted((base / assignment).glob("*.ipynb"))
        if len(notebooks) != 1:
            raise FileNotFoundError(f"expected one notebook in {base / assignment}, found {len(notebooks)}")
        return notebooks[0]

    def generate_release(self, assignment):
        self.run("generate_assignment", assignment, "--force")
        return self.notebook("release", assignment)

    def submit(self, student, assignment, notebook, timestamp=None):
        """Put a notebook (a path or a NotebookNode) in submitted/STUDENT/ASSIGNMENT/.

        Refuses to replace an existing submission: student work is never overwritten.
        ``timestamp`` (a datetime, naive means UTC, or True for now) is written to
        timestamp.txt as `nbgrader collect` does: the gradebook's submission time (and
        lateness) comes from it, and the formgrader shows it.
        """
        name = self.notebook("source", assignment).name
        target = self.root / "submitted" / student / assignment / name
        if target.exists():
            raise FileExistsError(f"{target} already exists: remove it first if you mean to replace it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, (str, Path)):
            shutil.copy(notebook, target)
        else:
            nbformat.write(notebook, target)
        if timestamp is not None:
            when = datetime.now(timezone.utc) if timestamp is True else timestamp
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            (target.parent / "timestamp.txt").write_text(
                when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        return target

    def add_student(self, student, first_name=None, last_name=None, email=None):
        """Register (or update) a student of the gradebook with a name (`nbgrader db student add`)."""
        names = {"--first-name": first_name, "--last-name": last_name, "--email": email}
        self.run("db", "student", "add", student, *[f"{flag}={value}" for flag, value in names.items() if value])

    def export_grades(self, path):
        self.run("export", "--to", Path(path).resolve())
        return Path(path)

    def db_url(self):
        """The gradebook's database URL: the course config's CourseDirectory.db_url, else
        nbgrader's default SQLite file in the root (gradebook.db)."""
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        return config.CourseDirectory.get("db_url") or f"sqlite:///{self.root / 'gradebook.db'}"

    def gradebook(self):
        """nbgrader's gradebook of this course (see db_url)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url())

    def existing_gradebook(self):
        """The gradebook, for reading: a missing SQLite file raises GradebookMissing (opening it
        would create an empty one)."""
        url = self.db_url()
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise GradebookMissing(f"no gradebook at {url.removeprefix('sqlite:///')}: grade the class first "
                                   "(make grade, or nbgrader autograde), or pass --root the course root")
        return self.gradebook()

    def cell_scores(self, assignment, student):
        """{grade_id: (score, max_score)} for every graded cell of a submission."""
        with self.gradebook() as gradebook:
            submission = gradebook.find_submission(assignment, student)
            return {grade.name: (grade.score, grade.max_score)
                    for notebook in submission.notebooks for grade in notebook.grades}

    def summary(self, assignment, student):
        """Autograded score, its maximum, and whether written answers await a grader."""
        with self.gradebook() as gradebook:
            submission = gradebook.find_submission(assignment, student)
            return {"code_score": submission.code_score, "max_code_score": submission.max_code_score,
                    "score": submission.score, "max_score": submission.max_score,
                    "needs_manual_grade": submission.needs_manual_grade}


def answer_cells(notebook):
    """{grade_id: cell} for the autograded answer cells (code cells with a solution)."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.cell_type == "code" and is_solution(cell)}


def solution_answers(notebook_path):
    """{grade_id: code} of every answer cell of an (instructor) notebook."""
    return {grade_id: cell.source
            for grade_id, cell in answer_cells(nbformat.read(notebook_path, as_version=4)).items()}


def with_answers(notebook_path, answers):
    """A copy of a notebook whose answer cells ``{grade_id: code}`` are replaced.

    This is how tests and the demo class write a student's submission.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    cells = answer_cells(notebook)
    unknown = set(answers) - set(cells)
    if unknown:
        raise KeyError(f"no answer cell with grade_id {sorted(unknown)} in {notebook_path}")
    for grade_id, code in answers.items():
        cells[grade_id].source = code
    return notebook
