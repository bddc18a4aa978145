"""Grading a class you can trust: sandboxed kernels, reproducible hidden tests, redacted
feedback, broken and hostile submissions, and a parallel grader around nbgrader.

Modules, in the order a submission meets them:

- ``intake``: stage each submission for nbgrader (broken, renamed, misplaced notebooks get a note).
- ``integrity``: static check of student cells for code that tampers with what the tests rely on.
- ``seeds``: per-student, per-cell seeds for hidden tests, from a course secret.
- ``sandbox``: the bubblewrap jail the grading kernel runs in.
- ``execute``: the nbgrader preprocessor that runs (or replays) a notebook in that jail, then has
  the judge (:mod:`aecourse.judge`) run every hidden test from outside it.
- ``parallel``: ``aecourse-grade``: a whole class on Dask workers, one gradebook writer.
- ``feedback``: what a student reads: results without the hidden test code.
- ``report``: ``aecourse-report``: the class report per assignment, matched against ``misconceptions``.
"""
