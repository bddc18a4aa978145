"""Build solutions/: the instructor notebooks executed in full, as .ipynb and HTML.

`nbgrader generate_solution` runs each instructor notebook (full training, not quick
mode) into solutions/<assignment>/; nbconvert then renders it to HTML beside it.
Widgets cannot run there, so the latent explorer draws its static version.
"""

import argparse
import subprocess
import sys

from aecourse.course import ASSIGNMENTS, Course


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aecourse-build-solutions", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    course = Course()
    for assignment in args.assignments:
        print(f"== {assignment}: executing the instructor notebook (full training)", flush=True)
        course.run("db", "assignment", "add", assignment)  # generate_solution needs it in the gradebook
        course.run("generate_solution", assignment, "--force", "--Execute.timeout=3600",
                   env={"AECOURSE_STATIC_PLOTS": "1", "AECOURSE_QUICK": "0"})
        notebook = course.notebook("solutions", assignment)
        render(notebook)
        print(f"   {notebook} and {notebook.with_suffix('.html').name}")


def render(notebook):
    """Merge each cell's consecutive printed outputs as JupyterLab shows them (a progress bar at its
    last state, not one line per refresh), then write the HTML beside the notebook."""
    import nbformat
    from nbconvert.preprocessors.coalescestreams import CoalesceStreamsPreprocessor

    executed = nbformat.read(notebook, as_version=4)
    nbformat.write(CoalesceStreamsPreprocessor().preprocess(executed, {})[0], notebook)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(notebook)],
                   check=True, capture_output=True)


if __name__ == "__main__":
    raise SystemExit(main())
