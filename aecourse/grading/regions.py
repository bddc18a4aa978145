"""The solution and hidden-test regions of an instructor notebook, found as nbgrader finds them.

nbgrader's ``ClearSolutions`` and ``ClearHiddenTests`` start a region at a line that *contains*
the begin delimiter and end it at the next line that contains the end delimiter; the delimiters
are their traits (``begin_solution_delimeter``... in ``nbgrader_config.py``). Everything in the kit
that looks for those regions (the hand-out's leak check, the tests) reads them here, from the
course's configuration: a course that changes them keeps checks that check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Delimiters:
    """(begin, end) of the solution regions and of the hidden-test regions; nbgrader's defaults."""

    solution: tuple[str, str] = ("BEGIN SOLUTION", "END SOLUTION")
    hidden: tuple[str, str] = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

    @classmethod
    def from_config(cls, config) -> "Delimiters":
        """The delimiters a traitlets ``config`` gives nbgrader's ClearSolutions and ClearHiddenTests."""
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

        solutions, hidden = ClearSolutions(config=config), ClearHiddenTests(config=config)
        return cls((solutions.begin_solution_delimeter, solutions.end_solution_delimeter),
                   (hidden.begin_test_delimeter, hidden.end_test_delimeter))

    @classmethod
    def of_course(cls, course_root: str | Path) -> "Delimiters":
        """The delimiters of the course whose root holds ``nbgrader_config.py`` (defaults without one)."""
        from traitlets.config.loader import Config, PyFileConfigLoader

        root = Path(course_root)
        config = (PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
                  if (root / "nbgrader_config.py").is_file() else Config())
        return cls.from_config(config)


NBGRADER_DEFAULTS = Delimiters()


def region_lines(source: str, delimiters: Delimiters = NBGRADER_DEFAULTS) -> dict[str, list[str]]:
    """The lines of one cell's source by where they are: ``"solution"`` and ``"hidden"`` (inside
    those regions), ``"outside"`` (neither). The delimiter lines themselves are in none. An
    unclosed region runs to the end of the cell (nbgrader refuses such a notebook when it builds
    the release).
    """
    lines = {"solution": [], "hidden": [], "outside": []}
    kinds = {"solution": delimiters.solution, "hidden": delimiters.hidden}
    current = "outside"
    for line in source.splitlines():
        if current == "outside":
            opened = next((kind for kind, (begin, _) in kinds.items() if begin in line), None)
            if opened:
                current = opened
            else:
                lines["outside"].append(line)
        elif kinds[current][1] in line:
            current = "outside"
        else:
            lines[current].append(line)
    return lines
