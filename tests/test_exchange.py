"""nbgrader's exchange round trip with real Unix accounts, as a course on a shared server runs it.

The instructor (the test, as root) releases both assignments to an exchange folder; three
student accounts, created for the test, fetch them, work (the solution's answers, a typical
mistake, nothing) and submit, one of them after the due date. The instructor collects,
autogrades (plain `nbgrader autograde`, so whatever grading set-up nbgrader_config.py holds),
generates and releases feedback; each student fetches their own feedback, and grades export.
Along the way, students try to read what they must not: the instructor's course, another
student's files, the exchange's inbound and feedback listings.

Needs root (useradd/su). The accounts are removed at the end (userdel -r).
"""

import csv
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

import mnist_submissions
from aecourse.course import Course, solution_answers, with_answers
from aecourse.hub.accounts import grant_traverse, python_folders
from submissions import apply

pytestmark = [pytest.mark.grading, pytest.mark.exchange]

COURSE_ID = "autoencoders"
MNIST, CARDIAC = "mnist_autoencoders", "cardiac_vae"
VENV_BIN = Path(sys.executable).parent
MISTAKE = mnist_submissions.MUTANTS[0]


def can_manage_accounts():
    if os.geteuid() != 0:
        return "needs root: the exchange round trip creates real Unix accounts (useradd, su)"
    missing = [tool for tool in ("useradd", "userdel", "su") if shutil.which(tool) is None]
    return f"needs {', '.join(missing)}" if missing else None


class Student:
    """A real Unix account that runs nbgrader's student commands in its home."""

    def __init__(self, name, home, role, first_name, last_name):
        self.name, self.home, self.role = name, Path(home), role
        self.first_name, self.last_name = first_name, last_name

    def sh(self, command, check=True):
        """Run a shell command as this user, in their home, with a clean environment."""
        environment = (f"env -i HOME={self.home} USER={self.name} LOGNAME={self.name} LANG=C.UTF-8 "
                       f"PATH={VENV_BIN}:/usr/local/bin:/usr/bin:/bin")
        result = subprocess.run(["su", self.name, "-s", "/bin/bash", "-c",
                                 f"cd {self.home} && {environment} bash -c {shlex_quote(command)}"],
                                capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"as {self.name}: {command} failed ({result.returncode}):\n"
                                 f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return result

    def nbgrader(self, *args):
        return self.sh("nbgrader " + " ".join(map(shlex_quote, args)))


def shlex_quote(text):
    import shlex

    return shlex.quote(str(text))


class RoundTrip:
    """The whole round trip, run once for the module; the tests check its results."""

    def __init__(self, base):
        self.base = base
        self.exchange = base / "exchange"
        self.course = None
        self.students = {}
        self.grades = None
        self.feedback = {}   # student -> {assignment: [feedback html files]}
        self.denied = {}     # what a student tried to read -> the command's result
        self.due = None

    # -- set-up ---------------------------------------------------------------------------
    def create_accounts(self, suffix):
        roster = [("solver", "Ada", "Lovelace"), ("mistaken", "Alan", "Turing"), ("idle", "Grace", "Hopper")]
        for index, (role, first, last) in enumerate(roster):
            name = f"ae{suffix}{role[:3]}{index}"
            home = self.base / "home" / name
            subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                            "--user-group", name], check=True, capture_output=True)
            self.students[role] = Student(name, home, role, first, last)
            home.chmod(0o700)
            jupyter = home / ".jupyter"
            jupyter.mkdir()
            # What a shared server puts in /etc/jupyter/nbgrader_config.py for every student.
            (jupyter / "nbgrader_config.py").write_text(
                f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
                f"c.Exchange.root = {str(self.exchange)!r}\n")
            uid, gid = pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid
            for path in [jupyter, jupyter / "nbgrader_config.py"]:
                os.chown(path, uid, gid)

    def create_course(self):
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)  # world-writable with the sticky bit, as nbgrader's docs say
        self.course = Course.copy_of(self.base / "course")
        self.course.root.chmod(0o700)  # the instructor's files: source, gradebook, submissions
        with open(self.course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\n# The shared exchange of this test.\nc.Exchange.root = {str(self.exchange)!r}\n")
        # The class roster, as an instructor imports it (names for the formgrader and the export).
        roster = self.base / "roster.csv"
        roster.write_text("id,first_name,last_name\n" + "".join(
            f"{s.name},{s.first_name},{s.last_name}\n" for s in self.students.values()))
        self.course.run("db", "student", "import", roster)

    # -- the round trip -------------------------------------------------------------------
    def run(self):
        course, students = self.course, self.students
        for assignment in (MNIST, CARDIAC):
            course.generate_release(assignment)
            course.run("release_assignment", assignment)
        listed = students["idle"].nbgrader("list")
        self.listed = listed.stdout + listed.stderr
        for student in students.values():
            for assignment in (MNIST, CARDIAC):
                student.nbgrader("fetch_assignment", assignment)

        solutions = {a: solution_answers(course.notebook("source", a)) for a in (MNIST, CARDIAC)}
        self.work(students["solver"], MNIST, solutions[MNIST])
        self.work(students["solver"], CARDIAC, solutions[CARDIAC])
        self.work(students["mistaken"], MNIST, apply(solutions[MNIST], MISTAKE))
        # "idle" hands in the fetched notebook as it is.

        students["solver"].nbgrader("submit", MNIST)
        students["solver"].nbgrader("submit", CARDIAC)
        students["mistaken"].nbgrader("submit", MNIST)
        # The deadline passes, then "idle" submits: late.
        time.sleep(1.0)
        self.due = datetime.now(timezone.utc).replace(microsecond=0)
        course.run("db", "assignment", "add", MNIST, f"--duedate={self.due:%Y-%m-%d %H:%M:%S} UTC")
        time.sleep(1.5)
        students["idle"].nbgrader("submit", MNIST)

        self.try_forbidden_reads()

        for assignment in (MNIST, CARDIAC):
            course.run("collect", assignment)
            course.run("autograde", assignment)
            course.run("generate_feedback", assignment)
            course.run("release_feedback", assignment)
        for student in students.values():
            for assignment in (MNIST, CARDIAC):
                submitted = (course.root / "submitted" / student.name / assignment).is_dir()
                student.sh(f"nbgrader fetch_feedback {assignment}", check=submitted)
            self.feedback[student.role] = {
                a: sorted((student.home / a / "feedback").glob("*/*.html")) for a in (MNIST, CARDIAC)}
        self.grades = course.export_grades(self.base / "grades.csv")

    def work(self, student, assignment, answers):
        """The student's answers, written into their fetched notebook as that student."""
        fetched = sorted((student.home / assignment).glob("*.ipynb"))
        assert len(fetched) == 1, f"{student.name} did not fetch {assignment}: {fetched}"
        notebook = with_answers(fetched[0], answers)
        scratch = Path(tempfile.mkdtemp(dir=self.base)) / fetched[0].name
        nbformat.write(notebook, scratch)
        scratch.parent.chmod(0o755)
        student.sh(f"cat {scratch} > {fetched[0]}")
        shutil.rmtree(scratch.parent)

    def try_forbidden_reads(self):
        """Every student tries to read the others' work and the instructor's files."""
        solver, idle = self.students["solver"], self.students["idle"]
        inbound = self.exchange / COURSE_ID / "inbound"
        solver_submission = next(inbound.glob(f"{solver.name}+{MNIST}+*"))
        attempts = {
            "instructor gradebook": f"cat {self.course.root / 'gradebook.db'}",
            "instructor source": f"cat {self.course.notebook('source', MNIST)}",
            "instructor course listing": f"ls {self.course.root}",
            "inbound listing": f"ls {inbound}",
            "another student's submission by glob": f"cat {inbound}/{solver.name}+{MNIST}+*/*.ipynb",
            "another student's submission without its random part":
                f"cat {inbound}/{solver_submission.name.rsplit('+', 1)[0]}/{MNIST}.ipynb",
            "another student's home": f"cat {solver.home}/{MNIST}/{MNIST}.ipynb",
            "another student's submission cache": f"ls {solver.home}/.local/share/jupyter/nbgrader_cache",
        }
        self.denied = {what: idle.sh(command, check=False) for what, command in attempts.items()}
        self.own_cache = idle.sh(f"ls {idle.home}/.local/share/jupyter/nbgrader_cache/{COURSE_ID}",
                                 check=False)

    def cleanup(self, users):
        for name in users:
            subprocess.run(["userdel", "--remove", name], capture_output=True)


@pytest.fixture(scope="module")
def round_trip():
    reason = can_manage_accounts()
    if reason:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="aecourse-exchange-"))
    base.chmod(0o755)  # students traverse it to their homes and the exchange
    (base / "home").mkdir(mode=0o755)
    restore = grant_traverse(python_folders())
    trip = RoundTrip(base)
    started = time.monotonic()
    try:
        trip.create_accounts(secrets.token_hex(3))
        trip.create_course()
        trip.run()
        print(f"\nexchange round trip: {time.monotonic() - started:.0f} s")
        yield trip
    finally:
        trip.cleanup([s.name for s in trip.students.values()])
        for folder, mode in restore.items():
            Path(folder).chmod(mode)
        shutil.rmtree(base, ignore_errors=True)


def test_students_see_both_released_assignments(round_trip):
    for assignment in (MNIST, CARDIAC):
        assert assignment in round_trip.listed
        for student in round_trip.students.values():
            assert (student.home / assignment / f"{assignment}.ipynb").is_file()


def test_submissions_are_collected_per_student_with_their_timestamps(round_trip):
    course, students = round_trip.course, round_trip.students
    expected = {MNIST: {"solver", "mistaken", "idle"}, CARDIAC: {"solver"}}
    with course.gradebook() as gradebook:
        for assignment, roles in expected.items():
            graded = {s.student.id for s in gradebook.assignment_submissions(assignment)}
            assert graded == {students[r].name for r in roles}
            for role in roles:
                submission = gradebook.find_submission(assignment, students[role].name)
                assert submission.timestamp is not None
                assert submission.student.first_name == students[role].first_name
                assert submission.student.last_name == students[role].last_name


def test_the_submission_after_the_due_date_is_late(round_trip):
    students = round_trip.students
    with round_trip.course.gradebook() as gradebook:
        late = {role: gradebook.find_submission(MNIST, s.name).total_seconds_late
                for role, s in students.items()}
        assert gradebook.find_assignment(MNIST).duedate is not None
    assert late["idle"] > 0, late
    assert late["solver"] == 0 and late["mistaken"] == 0, late


def test_autograde_scores_the_work(round_trip):
    course, students = round_trip.course, round_trip.students
    solver = course.summary(MNIST, students["solver"].name)
    mistaken = course.summary(MNIST, students["mistaken"].name)
    idle = course.summary(MNIST, students["idle"].name)
    assert solver["code_score"] == solver["max_code_score"] > 0
    assert 0 < mistaken["code_score"] < solver["code_score"]
    assert idle["code_score"] == 0
    scores = course.cell_scores(MNIST, students["mistaken"].name)
    assert all(scores[cell][0] < scores[cell][1] for cell in MISTAKE.must_fail)
    cardiac = course.summary(CARDIAC, students["solver"].name)
    assert cardiac["code_score"] == cardiac["max_code_score"] > 0


def test_each_student_fetches_only_their_own_feedback(round_trip):
    course = round_trip.course
    for role, student in round_trip.students.items():
        for assignment in (MNIST, CARDIAC):
            fetched = round_trip.feedback[role][assignment]
            submitted = (course.root / "submitted" / student.name / assignment).is_dir()
            assert len(fetched) == (1 if submitted else 0), (role, assignment, fetched)
            if submitted:
                own = course.root / "feedback" / student.name / assignment / f"{assignment}.html"
                assert fetched[0].read_bytes() == own.read_bytes()
                assert fetched[0].stat().st_uid == pwd.getpwnam(student.name).pw_uid
                others = [course.root / "feedback" / other.name / assignment / f"{assignment}.html"
                          for other in round_trip.students.values() if other is not student]
                assert all(fetched[0].read_bytes() != o.read_bytes() for o in others if o.exists())


def test_students_cannot_read_others_work_or_the_instructors_files(round_trip):
    for what, result in round_trip.denied.items():
        assert result.returncode != 0, f"a student could read {what}:\n{result.stdout[:500]}"
        assert "ermission denied" in result.stderr or "No such file" in result.stderr, (what, result.stderr)
    assert round_trip.own_cache.returncode == 0  # their own copy is theirs to read
    feedback = round_trip.exchange / COURSE_ID / "feedback"
    assert stat.S_IMODE(feedback.stat().st_mode) & 0o044 == 0, "the feedback folder is listable"


def test_grades_export_one_row_per_student_and_assignment(round_trip):
    rows = list(csv.DictReader(round_trip.grades.open()))
    students = round_trip.students
    by_key = {(r["assignment"], r["student_id"]): r for r in rows}
    for role, student in students.items():  # noqa: B007
        row = by_key[(MNIST, student.name)]
        assert (row["first_name"], row["last_name"]) == (student.first_name, student.last_name)
        assert row["timestamp"] not in ("", "None")
        assert row["duedate"] not in ("", "None")
    solver = float(by_key[(MNIST, students["solver"].name)]["raw_score"])
    assert solver == round_trip.course.summary(MNIST, students["solver"].name)["score"] > 0
    assert float(by_key[(MNIST, students["idle"].name)]["raw_score"]) == 0
    assert 0 < float(by_key[(MNIST, students["mistaken"].name)]["raw_score"]) < solver
    # A student who did not submit cardiac_vae still has a row, with no score.
    assert float(by_key[(CARDIAC, students["idle"].name)]["raw_score"]) == 0
    assert float(by_key[(CARDIAC, students["solver"].name)]["raw_score"]) > 0
