"""The notebooks' runtime: a quiet Keras import, grading mode and run budgets.

nbgrader scores a test cell 0 when it writes anything to stderr, and TensorFlow
writes its start-up log lines there whatever ``TF_CPP_MIN_LOG_LEVEL`` says.
``setup_notebook`` imports Keras with stderr muted at the file-descriptor level,
then sends Python warnings to stdout, so neither a student's first cell nor a
graded cell shows a red box.
"""

import contextlib
import logging
import os
import sys
import warnings

#: True while nbgrader autogrades or validates a notebook (it sets this variable).
GRADING = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")
#: Quick mode: tiny training runs. On while grading, or with AECOURSE_QUICK=1 (tests, CI).
QUICK = GRADING or os.environ.get("AECOURSE_QUICK") == "1"


def widgets_available():
    """True in a live Jupyter kernel that can show widgets (not while grading or building HTML)."""
    if QUICK or os.environ.get("AECOURSE_STATIC_PLOTS") == "1":
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def budget(full, quick):
    """Return ``quick`` in quick mode (grading, tests), else ``full``."""
    return quick if QUICK else full


@contextlib.contextmanager
def _stderr_muted():
    """Send file descriptor 2 to /dev/null, C++ log lines included."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None):
    print(f"Note ({category.__name__}): {message}", file=sys.stdout)


def import_keras_quietly():
    """Import TensorFlow and Keras without their start-up log lines on stderr; return ``keras``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_muted():
        import keras
        import tensorflow as tf
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    return keras


def setup_notebook(seed=0):
    """Import Keras quietly, send warnings to stdout, seed every generator; return ``keras``.

    Outside autograding, a failing check also shows as its own message first (:mod:`aecourse.failures`).
    """
    keras = import_keras_quietly()
    warnings.showwarning = _warning_to_stdout
    keras.utils.set_random_seed(seed)
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        from aecourse import failures

        failures.install()
    if QUICK:
        print("Quick mode: training runs are cut to a few steps (grading or testing).")
    return keras
