"""setup_notebook keeps TensorFlow's log lines and warnings off stderr; budgets follow the mode."""

import subprocess
import sys

SNIPPET = """
from aecourse.runtime import setup_notebook, budget
keras = setup_notebook(seed=1)
import warnings
warnings.warn("a warning for the student")
model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])  # Keras warns about input_shape
print("budget", budget(full="full", quick="quick"))
"""


def run(env_extra):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env_extra}
    return subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, env=env,
                          timeout=120)


def test_keras_import_and_warnings_stay_off_stderr():
    result = run({})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"stderr should be empty, got: {result.stderr[:500]}"
    assert "a warning for the student" in result.stdout
    assert "budget full" in result.stdout


def test_grading_mode_picks_the_quick_budget():
    result = run({"NBGRADER_EXECUTION": "autograde"})
    assert "budget quick" in result.stdout and "Quick mode" in result.stdout
    assert result.stderr == ""
