"""What a student sees in JupyterLab when a visible check fails, in a real browser.

The release notebook, answered with the solutions but one catalogued mistake, is opened in
JupyterLab and run with *Run All Cells*. Running stops at the first failing cell: it must be the
check of the wrong answer, and its output must start with "Check failed:" and the check's own
message, with the likely cause (aecourse.failures, checks.likely_cause), not a long traceback.
The notebook runs in quick mode (short training). Screenshot: the test's temporary folder.

Needs Debian's `chromium` and Playwright; skips otherwise.
"""

import os
import shutil

import nbformat
import pytest

from aecourse.course import REPO_ROOT, Course, solution_answers, with_answers
from lab_server import jupyter_lab

pytestmark = [pytest.mark.browser]

MNIST = "mnist_autoencoders"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KL = "return -0.5 * ops.sum("
FLIPPED = "return 0.5 * ops.sum("


def what_the_page_shows(page):
    """The kernel's status and the last outputs on the page, for a failure message."""
    status = page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    return f"kernel status {status!r}; {len(outputs)} outputs, the last: {outputs[-3:]!r}"[:3000]


def test_a_wrong_kl_stops_run_all_at_its_check_with_the_likely_cause(tmp_path, monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed (apt-get install chromium; `make test` does it as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (requirements.txt)")
    course = Course(REPO_ROOT)
    answers = solution_answers(course.notebook("source", MNIST))
    assert KL in answers["kl_divergence"], "the KL solution changed: update this test's mistake"
    answers["kl_divergence"] = answers["kl_divergence"].replace(KL, FLIPPED)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    nbformat.write(with_answers(course.notebook("release", MNIST), answers), workspace / f"{MNIST}.ipynb")
    monkeypatch.setenv("AECOURSE_QUICK", "1")
    monkeypatch.setenv("AECOURSE_COURSE_ROOT", str(REPO_ROOT))
    with jupyter_lab(workspace, tmp_path / "server") as (base, token), sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(f"{base}/lab/tree/{MNIST}.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        error = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first
        try:
            error.wait_for(timeout=300000)
        except sync_api.TimeoutError:
            page.screenshot(path=str(tmp_path / "notebook.png"))
            pytest.fail(f"no check failed within 300 s; {what_the_page_shows(page)}\n"
                        f"server log:\n{(tmp_path / 'server' / 'jupyter-server.log').read_text()[-3000:]}")
        page.screenshot(path=str(tmp_path / "notebook.png"))
        cell = page.locator(".jp-Cell", has=error)
        cell.scroll_into_view_if_needed()
        cell.screenshot(path=str(tmp_path / "failing_check.png"))
        text = error.inner_text()
        source = cell.locator(".jp-InputArea-editor").inner_text()
        browser.close()
    print("screenshot:", tmp_path / "failing_check.png")
    assert text.startswith("Check failed:"), text[:500]
    assert "Likely cause:" in text and "sign" in text, text[:500]
    assert "Traceback" not in text
    assert "kl_divergence" in source, f"the first failing cell is not the KL's check:\n{source[:300]}"
