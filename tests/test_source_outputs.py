"""scripts/check_source_outputs.py (make lint, pre-commit): source/ notebooks carry no outputs."""

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_output

from aecourse.course import ASSIGNMENTS, REPO_ROOT, Course

SCRIPT = REPO_ROOT / "scripts" / "check_source_outputs.py"


def check(*notebooks):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, notebooks)], capture_output=True, text=True)


def test_the_source_notebooks_are_clean():
    result = check()
    assert result.returncode == 0, result.stderr
    assert f"{len(ASSIGNMENTS)} source notebook(s) without outputs" in result.stdout


@pytest.mark.parametrize("dirt", ["output", "execution_count"])
def test_a_notebook_with_outputs_is_refused_by_name(tmp_path, dirt):
    notebook = nbformat.read(Course(REPO_ROOT).notebook("source", ASSIGNMENTS[0]), as_version=4)
    index, cell = next((i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    if dirt == "output":
        cell.outputs = [new_output("stream", name="stdout", text="hello\n")]
    else:
        cell.execution_count = 3
    dirty, clean = tmp_path / "dirty.ipynb", tmp_path / "clean.ipynb"
    nbformat.write(notebook, dirty)
    nbformat.write(nbformat.read(Course(REPO_ROOT).notebook("source", ASSIGNMENTS[0]), as_version=4), clean)
    result = check(clean, dirty)
    assert result.returncode == 1
    assert f"{dirty}: cell {index} has" in result.stderr and str(clean) not in result.stderr
    assert "--clear-output" in result.stderr
