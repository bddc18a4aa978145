"""A failing check in a live notebook: its own message first, and later errors point back to it."""

import nbformat
from nbclient import NotebookClient

CHECK = '"""Check x."""\nassert x == 4, "x should be 4, got 3"'


def run(*sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=120).execute()
    return [[output for output in cell.outputs if output.output_type == "error"]
            for cell in notebook.cells]


def test_a_failing_check_shows_its_message_first_and_later_errors_name_it(monkeypatch):
    monkeypatch.setenv("AECOURSE_QUICK", "1")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    errors = run("from aecourse.runtime import setup_notebook\nkeras = setup_notebook()\nx = 3",
                 CHECK, "[1, 2][5]", "x = 4", CHECK, "[1, 2][5]")
    check, knock_on, fixed_check, later = errors[1], errors[2], errors[4], errors[5]
    assert check and check[0].ename == "AssertionError"
    first_line = check[0].traceback[0]
    assert "Check failed:" in first_line and first_line.endswith("x should be 4, got 3")
    assert len(check[0].traceback) == 2 and "line 2 of this cell" in check[0].traceback[1]
    assert knock_on and knock_on[0].ename == "IndexError"
    assert "a check failed earlier" in knock_on[0].traceback[0] and "x should be 4" in knock_on[0].traceback[0]
    assert any("IndexError" in line for line in knock_on[0].traceback[1:]), "the real traceback follows"
    assert not fixed_check
    assert later and not any("failed earlier" in line for line in later[0].traceback), \
        "a check that passes again is no longer named"


def test_autograding_keeps_the_plain_traceback(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    errors = run("from aecourse.runtime import setup_notebook\nkeras = setup_notebook()\nx = 3", CHECK)
    assert errors[1] and not any("Check failed" in line for line in errors[1][0].traceback)
