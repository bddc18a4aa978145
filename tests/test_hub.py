"""The course server in one command (aecourse-hub): a real JupyterHub, real Unix accounts.

A roster of two students and one instructor; `aecourse-hub up` on a copy of the course (and
again: nothing changes). The instructor builds and releases the MNIST assignment from a shell as
their own account (the group rights on the course root). Each user logs in through the hub's login
form with the generated password and gets a JupyterLab server; a student lists, fetches and
submits through the Assignments tab's own API, has no formgrader, and cannot read the course
root, the gradebook, source/ or the other student's home; the instructor collects and grades the
submission with the kit's sandboxed grader as their own account, and has the formgrader, which
lists the assignment. Optionally (Chromium and Playwright present) a student's Lab page is
opened in a browser and shows the Assignments tab. `down --remove-accounts` leaves no account,
group or process behind.

Needs root (accounts, su) and configurable-http-proxy (npm); skips otherwise.
"""

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from aecourse.course import Course
from aecourse.hub.cli import processes_of

pytestmark = [pytest.mark.hub]

MNIST = "mnist_autoencoders"
COURSE_ID = "autoencoders"
VENV_BIN = Path(sys.executable).parent
HUB = VENV_BIN / "aecourse-hub"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def why_skip():
    if os.geteuid() != 0:
        return "needs root: the hub creates Unix accounts and starts servers as them"
    missing = [tool for tool in ("useradd", "userdel", "runuser", "chpasswd") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    if not (VENV_BIN / "configurable-http-proxy").exists() and not shutil.which("configurable-http-proxy"):
        if shutil.which("npm") is None:
            return "needs JupyterHub's proxy: npm (apt-get install npm) or configurable-http-proxy on PATH"
    if not (VENV_BIN / "jupyterhub").exists():
        return "needs JupyterHub in the environment (requirements.txt: pip install -r requirements.txt)"
    return None


def free_port():
    """A port P with P+1 and P+81 free too (the proxy's API and the hub's own port)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 81 < 65536 and all(_free(p) for p in (port, port + 1, port + 81)):
            return port
    raise RuntimeError("no free port triple found")


def _free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def as_user(name, command):
    """A shell command as ``name`` (runuser), in their home, with a clean environment."""
    home = pwd.getpwnam(name).pw_dir
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i", f"HOME={home}", f"USER={name}",
                           f"PATH={VENV_BIN}:/usr/bin:/bin", "LANG=C.UTF-8", "bash", "-c", f"cd ~ && {command}"],
                          capture_output=True, text=True)


class Hub:
    """One hub brought up for the module; the tests check what it did."""

    def __init__(self, base):
        self.base = base
        self.state = base / "state"
        self.exchange = base / "exchange"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        suffix = secrets.token_hex(2)
        self.students = [f"h{suffix}s1", f"h{suffix}s2"]
        self.instructor = f"h{suffix}i1"
        self.results = {}

    def command(self, *args):
        return subprocess.run([str(HUB), "--state-dir", str(self.state), *args], capture_output=True, text=True,
                              timeout=240)

    def up(self):
        return self.command("up", "--roster", str(self.base / "roster.csv"), "--course-root", str(self.course.root),
                            "--exchange", str(self.exchange), "--ip", "127.0.0.1", "--port", str(self.port))

    def passwords(self):
        lines = (self.state / "passwords.csv").read_text().splitlines()[1:]
        return dict(line.split(",", 1) for line in lines)

    def login(self, name, password):
        """A requests session logged in as ``name`` whose server answers; the Lab page's HTML."""
        import requests

        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        response = session.post(f"{self.url}/hub/login", timeout=120,
                                data={"username": name, "password": password,
                                      "_xsrf": session.cookies.get("_xsrf", path="/hub/")})
        deadline = time.monotonic() + 120
        while True:
            lab = session.get(f"{self.url}/user/{name}/lab", timeout=30)
            if lab.status_code == 200 and "jupyter-config-data" in lab.text:
                return session, lab.text
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}'s server did not answer: login {response.status_code} "
                                     f"{response.url}; lab {lab.status_code} {lab.url}\n{self.log()[-3000:]}")
            time.sleep(1)

    def log(self):
        return (self.state / "logs" / "jupyterhub.log").read_text()


def xsrf_headers(session, name):
    token = session.cookies.get("_xsrf", path=f"/user/{name}/") or session.cookies.get("_xsrf")
    return {"X-XSRFToken": token}


def page_config(html):
    return json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))


@pytest.fixture(scope="module")
def hub():
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="aecourse-hub-"))
    base.chmod(0o755)
    trip = Hub(base)
    trip.course = Course.copy_of(base / "course", assignments=(MNIST,))
    (base / "roster.csv").write_text(
        "id,first_name,last_name,email,role\n"
        f"{trip.students[0]},Ada,Lovelace,ada@example.org,student\n"
        f"{trip.students[1]},Alan,Turing,alan@example.org,\n"
        f"{trip.instructor},Grace,Hopper,grace@example.org,instructor\n")
    root_mode = os.stat("/root").st_mode
    try:
        trip.first_up = trip.up()
        assert trip.first_up.returncode == 0, trip.first_up.stdout + trip.first_up.stderr
        trip.uids = {name: pwd.getpwnam(name).pw_uid for name in [*trip.students, trip.instructor]}
        config = trip.state / "jupyterhub_config.py"
        before = (config.stat().st_mtime_ns, json.loads((trip.state / "state.json").read_text())["hub_pid"])
        trip.second_up = trip.up()
        trip.second_unchanged = before == (config.stat().st_mtime_ns,
                                           json.loads((trip.state / "state.json").read_text())["hub_pid"])
        trip.status = trip.command("status")
        trip.run_class()
        trip.root_mode = root_mode
        yield trip
    finally:
        if not hasattr(trip, "down"):  # the last test did not run: take everything down all the same
            trip.command("down", "--remove-accounts")
        print(f"\nhub test: {time.monotonic() - started:.0f} s")
        shutil.rmtree(base, ignore_errors=True)


def run_class(self):
    """The class's part: release, log-ins, the Assignments tab's calls, forbidden reads."""
    course, instructor, (first, second) = self.course, self.instructor, self.students
    environment = f"AECOURSE_EXCHANGE={self.exchange}"
    self.results["release"] = as_user(instructor, f"cd {course.root} && {environment} nbgrader generate_assignment "
                                                  f"{MNIST} --force && {environment} "
                                                  f"nbgrader release_assignment {MNIST}")
    passwords = self.passwords()
    sessions = {}
    for name in [first, second, instructor]:
        sessions[name], self.results[f"lab {name}"] = self.login(name, passwords[name])
    session = sessions[first]
    self.results["listed"] = session.get(f"{self.url}/user/{first}/assignments",
                                         params={"course_id": COURSE_ID}, timeout=60).json()
    for action in ("fetch", "submit"):
        self.results[action] = session.post(f"{self.url}/user/{first}/assignments/{action}", timeout=120,
                                            data={"assignment_id": MNIST, "course_id": COURSE_ID},
                                            headers=xsrf_headers(session, first)).json()
    # The instructor collects and grades in their own terminal: the kit's sandboxed grader, not as root.
    self.results["grade"] = as_user(instructor, f"umask 007 && cd {course.root} && {environment} "
                                                f"TF_CPP_MIN_LOG_LEVEL=3 nbgrader collect {MNIST} && "
                                                f"{environment} aecourse-grade {MNIST}")
    self.results["student formgrader"] = session.get(f"{self.url}/user/{first}/formgrader", timeout=30).status_code
    self.results["formgrader"] = sessions[instructor].get(f"{self.url}/user/{instructor}/formgrader/api/assignments",
                                                          timeout=60)
    self.results["wrong password"] = self.wrong_password(first)
    self.results["browser"] = self.lab_in_browser(first, passwords[first])
    first_home, root = pwd.getpwnam(first).pw_dir, course.root
    attempts = {
        "the course root's listing": f"ls {root}",
        "an instructor notebook": f"cat {course.notebook('source', MNIST)}",
        "the gradebook": f"cat {root / 'gradebook.db'}",
        "the other student's home": f"ls {first_home}",
        "the other student's fetched notebook": f"cat {first_home}/{MNIST}/{MNIST}.ipynb",
        "the exchange's inbound listing": f"ls {self.exchange / COURSE_ID / 'inbound'}",
    }
    self.denied = {what: as_user(second, command) for what, command in attempts.items()}
    self.own = as_user(first, f"cat {MNIST}/{MNIST}.ipynb")


def wrong_password(self, name):
    import requests

    session = requests.Session()
    session.get(f"{self.url}/hub/login", timeout=30)
    response = session.post(f"{self.url}/hub/login", timeout=60, allow_redirects=False,
                            data={"username": name, "password": "not-the-password",
                                  "_xsrf": session.cookies.get("_xsrf", path="/hub/")})
    return response.status_code, response.text


def lab_in_browser(self, name, password):
    """The Lab page in Chromium: the Assignments tab (nbgrader's) opens with the released
    assignment; None when Chromium or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(f"{self.url}/hub/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", password)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(re.compile(rf".*/user/{name}/lab.*"), timeout=120000)
        page.get_by_role("menuitem", name="Nbgrader", exact=True).click(timeout=90000)
        menu = page.locator(".lm-Menu").last.inner_text()
        page.get_by_text("Assignment List", exact=True).click()
        page.wait_for_selector(f"text={MNIST}", timeout=60000)
        tab = page.locator(".lm-TabBar-tab", has_text="Assignments").count()
        page.screenshot(path=str(self.base / "assignments.png"))
        browser.close()
    return {"menu": menu, "tabs": tab}


Hub.run_class, Hub.wrong_password, Hub.lab_in_browser = run_class, wrong_password, lab_in_browser


def test_up_creates_the_accounts_and_serves_the_hub(hub):
    output = hub.first_up.stdout
    for name in [*hub.students, hub.instructor]:
        assert re.search(rf"account {name} \((student|instructor)\) created", output), output
    assert set(hub.passwords()) == {*hub.students, hub.instructor}
    assert (hub.state / "passwords.csv").stat().st_mode & 0o077 == 0, "the passwords file is readable by others"
    assert hub.instructor in grp.getgrnam(f"{COURSE_ID}-instructors").gr_mem
    assert f"served at http://127.0.0.1:{hub.port}/" in output
    assert "running" in hub.status.stdout and str(hub.state / "logs") in hub.status.stdout


def test_a_second_up_changes_nothing_and_says_so(hub):
    assert hub.second_up.returncode == 0, hub.second_up.stderr
    assert "Nothing changed" in hub.second_up.stdout, hub.second_up.stdout
    assert "  changed " not in hub.second_up.stdout, hub.second_up.stdout
    assert hub.second_unchanged, "the second up rewrote the configuration or restarted the hub"


def test_the_gradebook_has_the_students_names(hub):
    with hub.course.gradebook() as gradebook:
        names = {s.id: (s.first_name, s.last_name) for s in gradebook.students}
    assert names == {hub.students[0]: ("Ada", "Lovelace"), hub.students[1]: ("Alan", "Turing")}


def test_the_instructor_builds_and_releases_from_their_own_account(hub):
    release = hub.results["release"]
    assert release.returncode == 0, release.stdout + release.stderr
    assert (hub.exchange / COURSE_ID / "outbound" / MNIST / f"{MNIST}.ipynb").is_file()


def test_a_wrong_password_is_refused(hub):
    status, text = hub.results["wrong password"]
    assert status != 302 and "Invalid username or password" in text, (status, text[:500])


def test_each_user_gets_jupyterlab_students_without_the_formgrader(hub):
    for name in hub.students:
        disabled = page_config(hub.results[f"lab {name}"]).get("disabledExtensions", [])
        assert "@jupyter/nbgrader:formgrader" in disabled and "@jupyter/nbgrader:assignment-list" not in disabled
    disabled = page_config(hub.results[f"lab {hub.instructor}"]).get("disabledExtensions", [])
    assert "@jupyter/nbgrader:formgrader" not in disabled
    assert hub.results["student formgrader"] == 404


def test_a_student_fetches_and_submits_through_the_assignments_tab(hub):
    listed = hub.results["listed"]
    assert listed["success"], listed
    assert [(a["course_id"], a["assignment_id"], a["status"]) for a in listed["value"]] == \
        [(COURSE_ID, MNIST, "released")], listed
    assert hub.results["fetch"]["success"] and hub.results["submit"]["success"], hub.results
    fetched = Path(pwd.getpwnam(hub.students[0]).pw_dir) / MNIST / f"{MNIST}.ipynb"
    assert fetched.stat().st_uid == hub.uids[hub.students[0]]
    inbound = list((hub.exchange / COURSE_ID / "inbound").glob(f"{hub.students[0]}+{MNIST}+*"))
    assert len(inbound) == 1, inbound


def test_the_instructor_grades_with_the_kits_sandboxed_grader_as_their_own_account(hub):
    grade = hub.results["grade"]
    assert grade.returncode == 0, grade.stdout[-2000:] + grade.stderr[-2000:]
    student = hub.students[0]
    graded = hub.course.notebook("autograded", MNIST, student)
    assert graded.stat().st_uid == hub.uids[hub.instructor]
    summary = hub.course.summary(MNIST, student)
    assert summary["code_score"] == 0 < summary["max_code_score"], summary  # the untouched release
    assert (hub.course.root / "feedback" / student / MNIST / f"{MNIST}.html").is_file()


def test_the_instructor_has_the_formgrader(hub):
    response = hub.results["formgrader"]
    assert response.status_code == 200, response.text[:500]
    assert [a["name"] for a in response.json()] == [MNIST]


def test_the_lab_page_shows_the_assignments_tab_in_a_browser(hub):
    seen = hub.results["browser"]
    if seen is None:
        pytest.skip("Chromium or Playwright missing (apt-get install chromium; requirements.txt)")
    assert "Assignment List" in seen["menu"] and "Formgrader" not in seen["menu"], seen
    assert seen["tabs"] == 1, seen


def test_a_student_cannot_read_the_course_or_another_students_files(hub):
    for what, result in hub.denied.items():
        assert result.returncode != 0, f"a student could read {what}:\n{result.stdout[:300]}"
        assert "ermission denied" in result.stderr, (what, result.stderr)
    assert hub.own.returncode == 0, hub.own.stderr  # their own fetched notebook is theirs


def test_down_leaves_no_account_group_or_process(hub):
    """The last test of the module: it takes the hub down."""
    hub.down = hub.command("down", "--remove-accounts")
    hub.left = processes_of(set(hub.uids.values()))
    assert hub.down.returncode == 0, hub.down.stdout + hub.down.stderr
    assert not hub.left, f"processes left by the hub's accounts: {hub.left}"
    for name in [*hub.students, hub.instructor]:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    with pytest.raises(KeyError):
        grp.getgrnam(f"{COURSE_ID}-instructors")
    state = json.loads((hub.state / "state.json").read_text())
    hub_alive = [p for p, c in processes_of({0}).items() if str(hub.state) in c]
    assert not hub_alive, f"the hub or its proxy still runs: {hub_alive}"
    assert state["hub_pid"] is None and not (hub.state / "proxy.pid").exists()
    assert os.stat("/root").st_mode == hub.root_mode, "down did not take back the traverse right on /root"
    assert not _answers(hub.port), "something still listens on the hub's port"


def _answers(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
