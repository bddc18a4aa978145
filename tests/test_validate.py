"""What a student's *Validate* button says: nbgrader validate on the release and on a finished notebook."""

import shutil

import pytest

from aecourse.course import Course

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def mnist_course(tmp_path_factory):
    course = Course.copy_of(tmp_path_factory.mktemp("validate") / "course", assignments=["mnist_autoencoders"])
    course.generate_release("mnist_autoencoders")
    return course


def validate(course, notebook, tmp_path):
    copy = tmp_path / notebook.name  # Validate saves nothing here, but never work on the original
    shutil.copy(notebook, copy)
    return course.run("validate", copy).stdout


def test_untouched_release_fails_validation_and_names_the_cells(mnist_course, tmp_path):
    said = validate(mnist_course, mnist_course.notebook("release", "mnist_autoencoders"), tmp_path)
    assert "VALIDATION FAILED" in said
    assert "NotImplementedError" in said


def test_finished_notebook_passes_validation(mnist_course, tmp_path):
    said = validate(mnist_course, mnist_course.notebook("source", "mnist_autoencoders"), tmp_path)
    assert "Success! Your notebook passes all the tests." in said, said[-2000:]
