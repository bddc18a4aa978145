"""The instructor notebooks run end to end in quick mode, with nothing on stderr."""


import nbformat
import pytest
from nbclient import NotebookClient

from aecourse.course import ASSIGNMENTS, REPO_ROOT, Course

pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructor_notebook_runs_in_quick_mode(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("AECOURSE_QUICK", "1")
    path = Course(REPO_ROOT).notebook("source", assignment)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index} failed: {output.get('evalue')}"
            assert not (output.output_type == "stream" and output.name == "stderr"), \
                f"cell {index} wrote to stderr: {output.text[:300]}"
    assert any("Quick mode" in o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
