"""The formgrader on `make course`'s demo class, in a real browser cut off from the internet.

Students are listed by name (not "None, None"), submissions carry their timestamps (not
"None"), and a notebook's math is typeset by the MathJax that the Jupyter server serves
(jupyter_server_mathjax + the formgrade template override that `make setup` installs), not
left as raw $...$. Every request that does not go to the local server is refused, as on a
machine without internet.

Needs Debian's `chromium` (`make test` installs it as root) and Playwright (requirements.txt);
skips otherwise. Screenshots go to the test's temporary folder (printed with -s).
"""

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from aecourse.course import REPO_ROOT, Course
from lab_server import jupyter_lab

pytestmark = [pytest.mark.grading, pytest.mark.browser]

MNIST = "mnist_autoencoders"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TEMPLATE = Path(sys.prefix) / "share/jupyter/nbconvert/templates/formgrade/mathjax.html.j2"


def load_demo_script():
    spec = importlib.util.spec_from_file_location("demo_class", REPO_ROOT / "scripts" / "demo_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def formgrader(tmp_path_factory):
    """(base URL, token, course, demo module) of JupyterLab serving the graded demo class."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed (apt-get install chromium; `make test` does it as root)")
    pytest.importorskip("playwright.sync_api", reason="Playwright (requirements.txt)")
    assert TEMPLATE.exists(), f"{TEMPLATE} missing: run `make setup` (it installs the formgrader's MathJax)"
    tmp = tmp_path_factory.mktemp("formgrader")
    demo = load_demo_script()
    course = Course.copy_of(tmp / "course", assignments=[MNIST])
    course.generate_release(MNIST)
    demo.grade_demo_class(course, [MNIST])
    with jupyter_lab(course.root, tmp) as (base, token):
        yield base, token, course, demo, tmp


@pytest.fixture(scope="module")
def offline_page(formgrader):
    """A Chromium page, logged in, that can reach nothing but the local server."""
    from playwright.sync_api import sync_playwright

    base, token = formgrader[:2]
    refused = []

    def local_only(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.route("**/*", local_only)
        page.failed = []
        page.on("response", lambda response: response.status >= 400
                and page.failed.append((response.url, response.status)))
        page.goto(f"{base}/formgrader?token={token}")
        page.refused = refused
        yield page
        browser.close()


def table_rows(page, url):
    page.goto(url)
    page.wait_for_selector("#main-table tr:has(td)", timeout=30000)
    page.wait_for_load_state("networkidle")
    rows = page.locator("#main-table tr:has(td)")
    return [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def test_students_are_listed_by_name(formgrader, offline_page):
    base, _, _, demo, tmp = formgrader
    rows = table_rows(offline_page, f"{base}/formgrader/manage_students")
    offline_page.screenshot(path=str(tmp / "students.png"), full_page=True)
    names = {row[1].strip(): row[0].strip() for row in rows}
    for student, (first, last) in demo.DEMO_NAMES.items():
        assert names[student] == f"{last}, {first}", rows
    assert not any("None, None" in row[0] for row in rows), rows


def test_submissions_show_their_timestamps(formgrader, offline_page):
    base, _, _, demo, tmp = formgrader
    rows = table_rows(offline_page, f"{base}/formgrader/manage_submissions/{MNIST}")
    offline_page.screenshot(path=str(tmp / "submissions.png"), full_page=True)
    timestamps = {row[1].strip(): row[2].strip() for row in rows}
    assert set(timestamps) == set(demo.DEMO_NAMES), rows
    for student, timestamp in timestamps.items():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", timestamp), (student, timestamp)


def test_notebook_math_renders_offline(formgrader, offline_page):
    base, _, course, _, tmp = formgrader
    with course.gradebook() as gradebook:
        submission = gradebook.find_submission_notebook(MNIST, MNIST, "demo-solution").id
    page = offline_page
    page.goto(f"{base}/formgrader/submissions/{submission}/")
    page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                           " && MathJax.Hub.queue.running === 0 && MathJax.Hub.queue.pending === 0",
                           timeout=60000)
    typeset = page.locator(".text_cell_render .MathJax")  # formulas typeset in markdown cells
    assert typeset.count() > 10, "no typeset math on the page"
    box = typeset.first.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, "typeset math is not shown"
    cell = page.locator(".text_cell_render:has(.MathJax)").nth(1).bounding_box()
    page.screenshot(path=str(tmp / "notebook-math.png"), full_page=True,
                    clip={"x": 0, "y": max(cell["y"] - 150, 0), "width": 1300, "height": 450})
    # MathJax's own code and font data came from the local server (a missing font file there
    # leaves hats and blackboard letters broken).
    missing = [url for url, status in page.failed if "jupyter_server_mathjax/jax/" in url]
    assert not missing, missing
    text = page.locator("body").inner_text()
    assert "\\hat{x}" not in text and "\\mathbb{R}" not in text, "raw LaTeX left on the page"
    assert not [url for url in page.refused if "mathjax" in url.lower()], page.refused
    print(f"\nformgrader screenshots in {tmp}")
