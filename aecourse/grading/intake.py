"""Stage each submission for nbgrader, so that every student gets a grade and a reason.

nbgrader reads ``submitted/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb`` and gives up on a student
whose notebook is not valid JSON, is missing or renamed; it grades the wrong assignment's
notebook as a blank. Here, each submission is copied into a staging folder that nbgrader
grades instead (``--CourseDirectory.submitted_directory``), and ``submitted/`` is only read:

- a valid notebook is staged with its outputs removed (nbgrader clears them anyway; a
  notebook saved with huge outputs no longer costs memory and time);
- a renamed notebook (the one notebook in the folder, with this assignment's cells) is graded
  under the expected name;
- an invalid, missing or wrong-assignment notebook is replaced by the blank release notebook,
  so every test cell scores 0;

- a file beside the notebook is kept only if it is plain data (:mod:`.handin`): links, hard
  links, special files and Python code are set aside, and a notebook that is a link is not
  read (it could be another student's);

and every such case gets a *grader's note*: a markdown cell at the top of the graded notebook
(the formgrader and the feedback show it) and a line in the grading summary.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from aecourse.grading import handin

NOTE_MARKER = "aecourse_grader_note"
HUGE_BYTES = 20 * 2 ** 20


@dataclass
class Staged:
    student: str
    assignment: str
    notebooks: dict = field(default_factory=dict)  # notebook name -> staged path
    notes: list = field(default_factory=list)  # what went wrong, in words


def grade_ids(notebook) -> set[str]:
    return {cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def similarity(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def belongs_elsewhere(ids: set, own: set, others: dict):
    """False if cells ``ids`` fit this assignment best; else the assignment they fit (None: no one)."""
    scores = {name: similarity(ids, other) for name, other in others.items()}
    best = max(scores, key=scores.get, default=None)
    if best is not None and scores[best] > similarity(ids, own):
        return best
    return False if ids & own else None


def read_notebook(path: Path):
    """(notebook, None) or (None, why it cannot be read)."""
    try:
        json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = f", line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        return None, f"it is not valid JSON ({getattr(error, 'msg', str(error))}{where}; was it cut short or edited by hand?)"  # noqa: E501
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat's own validation errors, unreadable files
        return None, f"it is not a readable notebook ({type(error).__name__}: {str(error)[:200]})"
    if not isinstance(notebook.get("cells"), list):
        return None, "it has no cells"
    return notebook, None


def note_cell(notes):
    text = "**Grader's note**\n\n" + "\n".join(f"- {note}" for note in notes)
    cell = new_markdown_cell(text)
    cell.metadata[NOTE_MARKER] = True
    return cell


def stage_submission(submitted: Path, staging: Path, assignment: str, expected: dict, others: dict) -> Staged:
    """Stage ``submitted`` (one student's folder of one assignment) into ``staging``.

    ``expected``: {notebook name: release notebook path} of this assignment;
    ``others``: {assignment: set of grade ids} of the course's other assignments.
    """
    staged = Staged(student=submitted.parent.name, assignment=assignment)
    staging.mkdir(parents=True, exist_ok=True)
    kept, refused = handin.sort_out(submitted, skip_suffixes=(".ipynb",))
    for relative in kept:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(submitted / relative, target, follow_symlinks=False)
    set_aside = handin.notes(refused)
    present = sorted(p for p in submitted.glob("*.ipynb") if p.relative_to(submitted) not in refused)
    unmatched = [p for p in present if p.stem not in expected]
    for name, release in expected.items():
        path = submitted / f"{name}.ipynb"
        notes = list(set_aside)
        if Path(name + ".ipynb") in refused:
            path = submitted / f"{name}.ipynb.set-aside"  # read as missing: its note says why
        own_ids = grade_ids(nbformat.read(release, as_version=4))
        if not path.exists() and len(unmatched) == 1 and len(expected) == 1:
            path = unmatched.pop()
            notes.append(f"No `{name}.ipynb` was handed in; your `{path.name}` was graded in its place.")
        notebook = None
        if not path.exists():
            notes.append(f"No `{name}.ipynb` was handed in: nothing could be graded, every test scores 0.")
        else:
            notebook, problem = read_notebook(path)
            if notebook is None:
                notes.append(f"Your `{path.name}` could not be opened: {problem}. Nothing could be graded, every "
                             f"test scores 0. Your file is kept as you sent it; open it in a text editor, or "
                             f"hand in a fresh copy saved from JupyterLab.")
            elif belongs_elsewhere(grade_ids(notebook), own_ids, others) is not False:
                mine = belongs_elsewhere(grade_ids(notebook), own_ids, others)
                which = f"the notebook of `{mine}`" if mine else "a notebook without this assignment's cells"
                notes.append(f"Your `{path.name}` is {which}, not `{assignment}`: nothing could be graded, every "
                             f"test scores 0. Hand in the notebook of `{assignment}`.")
                notebook = None
            elif path.stat().st_size > HUGE_BYTES:
                notes.append(f"Your `{path.name}` was {path.stat().st_size / 2 ** 20:.0f} MB, mostly saved outputs; "
                             "they were removed before grading (grading reruns every cell).")
        if notebook is None:
            notebook = nbformat.read(release, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        if notes:
            notebook.cells.insert(0, note_cell(notes))
        target = staging / f"{name}.ipynb"
        nbformat.write(notebook, target)
        staged.notebooks[name] = target
        staged.notes += [note for note in notes if note not in staged.notes]
    return staged
