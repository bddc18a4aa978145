"""The gradebook in PostgreSQL (`c.CourseDirectory.db_url`), against a real server.

The test starts a throw-away PostgreSQL server from Debian's packages (`make test` installs
`postgresql` when it runs as root and the server is missing), points a course's
nbgrader_config.py at it, and runs what graders do: generate the assignment, register students,
autograde two submissions, list them in the formgrader (nbgrader's API in-process, and the
formgrader's own HTTP API from a running JupyterLab), export grades. SQLite stays the default
everywhere else.
"""

import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from aecourse.course import Course
from lab_server import free_port, jupyter_lab

pytestmark = [pytest.mark.grading, pytest.mark.postgres]

MNIST = "mnist_autoencoders"
STUDENTS = {"pg-solution": ("Emmy", "Noether"), "pg-untouched": ("Kurt", "Goedel")}


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def as_postgres(command):
    return subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", command], capture_output=True, text=True)


@pytest.fixture(scope="module")
def postgres_url():
    """postgresql+psycopg://... of a fresh database on a server that lives for this module."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the PostgreSQL server runs as the `postgres` account")
    bindir = postgres_bin()
    if bindir is None or subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        pytest.skip("PostgreSQL server not installed (apt-get install postgresql; `make test` does it as root)")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver (psycopg, in requirements.txt)")
    base = Path(tempfile.mkdtemp(prefix="aecourse-pg-"))
    shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    started = time.monotonic()
    result = as_postgres(f"{bindir}/initdb -A trust -U postgres -D {data} >{base}/initdb.log 2>&1 && "
                         f"{bindir}/pg_ctl -D {data} -l {base}/server.log -w -t 60 "
                         f"-o '-k {base} -c listen_addresses=127.0.0.1 -p {port}' start && "
                         f"{bindir}/createdb -h 127.0.0.1 -p {port} -U postgres gradebook")
    if result.returncode != 0:
        logs = "".join(p.read_text() for p in base.glob("*.log"))
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}{logs[-3000:]}")
    print(f"PostgreSQL up in {time.monotonic() - started:.1f} s on port {port}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/gradebook"
    finally:
        as_postgres(f"{bindir}/pg_ctl -D {data} -m fast -w stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_course(postgres_url, tmp_path_factory):
    course = Course.copy_of(tmp_path_factory.mktemp("pgcourse"), assignments=[MNIST])
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    source = course.notebook("source", MNIST)
    release = course.generate_release(MNIST)
    for student, names in STUDENTS.items():
        course.add_student(student, *names)
    course.submit("pg-solution", MNIST, source, timestamp=True)
    course.submit("pg-untouched", MNIST, release, timestamp=True)
    course.run("autograde", MNIST)
    course.grades = course.export_grades(course.root / "grades.csv")
    return course


def test_the_course_uses_the_configured_database(pg_course, postgres_url):
    assert pg_course.db_url() == postgres_url
    assert not (pg_course.root / "gradebook.db").exists(), "nbgrader fell back to SQLite"


def test_the_gradebook_lives_in_postgres(pg_course, postgres_url):
    import psycopg

    with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql")) as connection:
        students = dict(((i, (f, l)) for i, f, l in connection.execute(  # noqa: E741
            "SELECT id, first_name, last_name FROM student")))
        submitted = {row[0] for row in connection.execute(
            "SELECT student_id FROM submitted_assignment WHERE timestamp IS NOT NULL")}
        grades = connection.execute("SELECT count(*) FROM grade").fetchone()[0]
    assert students == STUDENTS
    assert submitted == set(STUDENTS)
    assert grades > 0


def test_autograde_scores_in_postgres(pg_course):
    solution, untouched = (pg_course.summary(MNIST, s) for s in STUDENTS)
    assert solution["code_score"] == solution["max_code_score"] > 0
    assert untouched["code_score"] == 0


def test_formgrader_data_lists_names_and_timestamps(pg_course, monkeypatch):
    """What the formgrader's student and submission lists show, through the API it uses."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(pg_course.root)).load_config()
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir, Authenticator(config=config), config=config)
    students = {s["id"]: (s["first_name"], s["last_name"]) for s in api.get_students()}
    assert students == STUDENTS
    submissions = {s["student"]: s for s in api.get_submissions(MNIST)}
    assert set(submissions) == set(STUDENTS)
    assert all(s["timestamp"] is not None and s["autograded"] for s in submissions.values())
    assert [a["name"] for a in api.get_assignments()] == [MNIST]


def test_grades_export_from_postgres(pg_course):
    rows = {r["student_id"]: r for r in csv.DictReader(pg_course.grades.open())}
    assert set(rows) == set(STUDENTS)
    for student, (first, last) in STUDENTS.items():
        assert (rows[student]["first_name"], rows[student]["last_name"]) == (first, last)
        assert rows[student]["timestamp"] not in ("", "None")
    assert float(rows["pg-solution"]["raw_score"]) > 0
    assert float(rows["pg-untouched"]["raw_score"]) == 0


def test_the_formgrader_serves_the_postgres_gradebook(pg_course, tmp_path):
    """The formgrader itself (its JSON API, which its student and submission pages show)."""
    with jupyter_lab(pg_course.root, tmp_path) as (base, token):
        def get(path):
            with urllib.request.urlopen(f"{base}/formgrader/api/{path}?token={token}", timeout=30) as answer:
                return json.load(answer)

        students = {s["id"]: (s["first_name"], s["last_name"]) for s in get("students")}
        submissions = {s["student"]: s for s in get(f"submissions/{MNIST}")}
    assert students == STUDENTS
    assert set(submissions) == set(STUDENTS)
    assert all(s["timestamp"] not in (None, "None") for s in submissions.values())
    assert submissions["pg-solution"]["score"] > 0 == submissions["pg-untouched"]["score"]
    assert not (pg_course.root / "gradebook.db").exists()
