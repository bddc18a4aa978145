"""What the kit's grading reads from nbgrader's configuration rather than restating it."""

from nbgrader.converters import Autograde
from nbgrader.preprocessors import ClearOutput, OverwriteCells
from traitlets.config import Config

from aecourse.grading.parallel import sanitize_steps


def test_sanitizing_follows_nbgraders_list_and_the_courses_own():
    assert sanitize_steps(Config()) == list(Autograde.class_traits()["sanitize_preprocessors"].default())
    config = Config()
    config.Autograde.sanitize_preprocessors = [ClearOutput, OverwriteCells]
    assert sanitize_steps(config) == [ClearOutput, OverwriteCells]
