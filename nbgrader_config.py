"""nbgrader settings for the course kit. The course root is this folder."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "autoencoders"
# The exchange: a course server's shared folder (aecourse-hub sets AECOURSE_EXCHANGE in every user's
# server), else a folder in the course root for one person's machine.
c.Exchange.root = os.environ.get("AECOURSE_EXCHANGE") or os.path.join(ROOT, "exchange")

# What students see in place of solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde runs student code in a sandboxed kernel, after a tamper check, with per-student
# hidden-test seeds and time budgets (aecourse/grading/execute.py). nbgrader's own Execute
# step is replaced; every other step is nbgrader's.
from aecourse.grading.execute import GradingExecute  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,  # noqa: E402
                                    LimitOutput, SaveAutoGrades)

# nbgrader reads a hand-in's files by following links: here it reads plain files only, the notebook
# included (aecourse/grading/handin.py), so a link to the gradebook or to /dev/zero is never read.
from aecourse.grading.handin import guard_nbgrader_copies, guarded_notebook_exporter  # noqa: E402

guard_nbgrader_copies()
c.Autograde.exporter_class = guarded_notebook_exporter()
c.Autograde.autograde_preprocessors = [GradingExecute, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# Every grading option, its default and why, is a trait of GradingExecute (aecourse/grading/
# execute.py; `nbgrader autograde --help-all` lists them): set one here or on the command line,
# e.g. c.GradingExecute.cell_timeout = 60 for a slow machine, or figures = True to see the graded
# notebooks' figures in autograded/. bench/bench_autograde.py measures what grading costs.

# A student who deletes a test cell gets it back (and its points counted), not "None".
c.OverwriteCells.add_missing_cells = True

# Any stderr output zeroes a test cell. The notebooks import Keras quietly
# (aecourse.runtime.setup_notebook); this pattern is the safety net for TensorFlow's C++
# start-up lines should one still reach a cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (r"absl::InitializeLog|oneDNN custom operations|cudart_stub|"
                           r"cuda_(dnn|fft|blas)|computation_placer|Unable to register cu")

# Executed instructor notebooks for self-study (built by `make solutions`).
c.CourseDirectory.solution_directory = "solutions"

# Feedback shows each test's outcome and message, not the hidden test code, no paths of the
# grading machine, and math as MathML (readable offline). Autograded notebooks keep it all.
from aecourse.grading.feedback import OfflineMathHTMLExporter, RedactHiddenTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from aecourse.grading.sanitize import SanitizeStudentContent  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor, SanitizeStudentContent]
c.GenerateFeedback.exporter_class = OfflineMathHTMLExporter

# Every page made from a student's notebook (feedback, the formgrader's views) carries no script,
# event handler or javascript: URL from the student's markdown or outputs
# (aecourse/grading/sanitize.py). nbconvert's own `sanitize_html` is left off: the formgrader's
# template ignores it for markdown, and the lab template's cleaning escapes plain <p> and <table>.
c.HTMLExporter.preprocessors = [SanitizeStudentContent]

# The gradebook: a SQLite file in the course root (gradebook.db) unless db_url says otherwise.
# Several graders on one server can share a PostgreSQL database instead (driver: psycopg, in
# requirements.txt; see the README, "On a shared server"). Any SQLAlchemy URL works:
# c.CourseDirectory.db_url = "postgresql+psycopg://nbgrader:PASSWORD@127.0.0.1:5432/autoencoders"
