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


def test_the_set_up_is_the_locked_cells_before_any_a_student_can_edit():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from aecourse.grading.execute import setup_cells

    def locked(grade_id):
        return {"nbgrader": {"locked": True, "grade": False, "solution": False, "grade_id": grade_id}}

    setup = new_code_cell("import keras", metadata=locked("setup"))
    answer = new_code_cell("x = 1")
    title = new_markdown_cell("# Title")
    assert setup_cells(new_notebook(cells=[title, setup, new_code_cell("y = 2", metadata=locked("data")),
                                           answer])) == {1, 2}
    assert setup_cells(new_notebook(cells=[answer, setup])) == set(), "a student's cell first: no set-up"
    # a cell a student marks locked: nbgrader's sanitizing strips the grade_id the gradebook does not know
    forged = new_code_cell("while True: pass", metadata={"nbgrader": {"locked": True}})
    assert setup_cells(new_notebook(cells=[forged, setup])) == set()


def test_the_workers_get_the_courses_grading_options_or_the_traits_defaults():
    from aecourse.grading.execute import GradingExecute
    from aecourse.grading.parallel import TASK_OPTIONS, grading_options

    defaults = grading_options(Config())
    assert defaults == {name: GradingExecute.class_traits()[name].default_value for name in TASK_OPTIONS}
    config = Config()
    config.GradingExecute.setup_timeout = 7
    assert grading_options(config)["setup_timeout"] == 7
