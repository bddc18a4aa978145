"""`make course`'s demo class: graded as expected, and a real student's work is left alone."""

import pytest

from aecourse.course import Course
from aecourse.tools import demo_class
from conftest import file_digest

pytestmark = pytest.mark.grading


def test_demo_class_grades_and_never_touches_real_students(tmp_path):
    course = Course.copy_of(tmp_path / "course", assignments=["mnist_autoencoders"])
    release = course.generate_release("mnist_autoencoders")
    alice = course.submit("alice", "mnist_autoencoders", release)
    before = file_digest(alice)

    rows = demo_class.grade_demo_class(course, ["mnist_autoencoders"])
    rows = demo_class.grade_demo_class(course, ["mnist_autoencoders"])  # a second `make course` too

    scores = {student: summary["code_score"] for _, student, summary in rows}
    assert scores["demo-solution"] == rows[0][2]["max_code_score"] > 0
    assert scores["demo-untouched"] == 0
    assert 0 < scores["demo-half"] < scores["demo-solution"]
    assert file_digest(alice) == before, "a real student's submission was modified"
    assert not (course.root / "autograded" / "alice").exists(), "a real student was graded by the demo"
    assert (course.root / "feedback" / "demo-solution" / "mnist_autoencoders").is_dir()
    with course.gradebook() as gradebook:  # the formgrader lists names and submission times
        for student in ("demo-solution", "demo-untouched", "demo-half"):
            record = gradebook.find_student(student)
            assert (record.first_name, record.last_name) == demo.DEMO_NAMES[student]
            assert gradebook.find_submission("mnist_autoencoders", student).timestamp is not None
