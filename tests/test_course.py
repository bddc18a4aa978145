"""The nbgrader driver never overwrites a submission and edits only the answers it is asked to."""

import nbformat
import pytest

from aecourse.course import Course, NbgraderError, answer_cells, with_answers


@pytest.fixture
def course(tmp_path):
    return Course.copy_of(tmp_path / "course", assignments=["mnist_autoencoders"])


def test_a_submission_is_never_overwritten(course):
    source = course.notebook("source", "mnist_autoencoders")
    first = course.submit("alice", "mnist_autoencoders", source)
    before = first.read_bytes()
    with pytest.raises(FileExistsError, match="already exists"):
        course.submit("alice", "mnist_autoencoders", nbformat.v4.new_notebook())
    assert first.read_bytes() == before


def test_with_answers_replaces_only_the_named_cells(course):
    source = course.notebook("source", "mnist_autoencoders")
    original = answer_cells(nbformat.read(source, as_version=4))
    edited = answer_cells(with_answers(source, {"kl_divergence": "def kl_divergence(m, v):\n    return 0"}))
    assert edited["kl_divergence"].source.endswith("return 0")
    assert all(edited[g].source == original[g].source for g in original if g != "kl_divergence")
    with pytest.raises(KeyError, match="no_such_cell"):
        with_answers(source, {"no_such_cell": ""})


def test_a_failing_nbgrader_command_says_what_failed(course):
    with pytest.raises(NbgraderError, match="no_such_assignment"):
        course.run("autograde", "no_such_assignment", "--student", "nobody")


def test_a_submission_can_carry_its_timestamp(course):
    from datetime import datetime, timedelta, timezone

    source = course.notebook("source", "mnist_autoencoders")
    plain = course.submit("alice", "mnist_autoencoders", source)
    assert not (plain.parent / "timestamp.txt").exists()
    stamped = course.submit("bob", "mnist_autoencoders", source, timestamp=datetime(2026, 1, 2, 3, 4, 5))
    assert (stamped.parent / "timestamp.txt").read_text() == "2026-01-02 03:04:05.000000 UTC"
    paris = timezone(timedelta(hours=1))
    other = course.submit("carol", "mnist_autoencoders", source,
                          timestamp=datetime(2026, 1, 2, 4, 4, 5, tzinfo=paris))
    assert (other.parent / "timestamp.txt").read_text() == "2026-01-02 03:04:05.000000 UTC"


def test_the_gradebook_database_follows_the_course_config(course):
    assert course.db_url() == f"sqlite:///{course.root / 'gradebook.db'}"
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write('\nc.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example/course"\n')
    assert course.db_url() == "postgresql+psycopg://grader@db.example/course"
