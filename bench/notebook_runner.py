"""Run an instructor notebook as a student would, then extra measurement cells in its kernel."""

import os
import time

import nbformat
from nbclient import NotebookClient

from aecourse.course import REPO_ROOT, Course


def run_notebook(assignment, extra_cells=(), quick=False, timeout=1800):
    """Execute source/<assignment> (full mode unless ``quick``), then ``extra_cells``.

    Returns (executed notebook, seconds for the notebook itself, outputs of the extra cells).
    """
    notebook = nbformat.read(Course(REPO_ROOT).notebook("source", assignment), as_version=4)
    os.environ["AECOURSE_QUICK"] = "1" if quick else "0"
    os.environ["AECOURSE_STATIC_PLOTS"] = "1"
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO_ROOT / "build")}})
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    n_cells = len(notebook.cells)
    extra = [nbformat.v4.new_code_cell(source) for source in extra_cells]
    notebook.cells.extend(extra)
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells[:n_cells]):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        for index, cell in enumerate(extra):
            client.execute_cell(cell, n_cells + index)
    outputs = ["".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream") for cell in extra]
    return notebook, seconds, outputs
