"""nbgrader settings for the course kit. The course root is this folder."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "autoencoders"
c.Exchange.root = os.path.join(ROOT, "exchange")

# What students see in place of solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A graded notebook trains for a few steps only (aecourse.runtime.QUICK), but a slow laptop
# or a student's heavier model must not time out a whole cell (a timeout scores it 0).
c.Execute.timeout = 300

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

# The gradebook: a SQLite file in the course root (gradebook.db) unless db_url says otherwise.
# Several graders on one server can share a PostgreSQL database instead (driver: psycopg, in
# requirements.txt; see the README, "On a shared server"). Any SQLAlchemy URL works:
# c.CourseDirectory.db_url = "postgresql+psycopg://nbgrader:PASSWORD@127.0.0.1:5432/autoencoders"
