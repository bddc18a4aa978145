"""Build what a student receives, per assignment: the release notebook and a one-command set-up.

    aecourse-handout                       # every assignment, into build/handout/
    aecourse-handout mnist_autoencoders --out DIR
    aecourse-handout --workspace DIR       # fill a student workspace (new files only), no wheel

For each assignment, ``<out>/<assignment>/`` holds::

    <assignment>.ipynb            the release notebook (from release/<assignment>/), and any
                                  other files of release/<assignment>/
    wheels/aecourse-*.whl         the course kit, built from this checkout
    setup_course.py               one command on the student's machine: a virtual environment
                                  in .venv/, the kit with JupyterLab, then the assignment's data
    README.md                     what to run, where the data goes, how to hand in
    LICENSE                       the kit's licence (MIT), which its wheel carries too

and ``<out>/<assignment>.zip`` packs the same folder. Nothing of source/, solutions/ or the
hidden tests goes in: before writing, every file (the notebook's cells, the wheel's and zip's
members) is checked against the solution and hidden-test lines of the instructor notebook, and
the build fails on any match.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from aecourse.grading.regions import NBGRADER_DEFAULTS, Delimiters, region_lines
from aecourse.paths import REPO_ROOT

ASSIGNMENTS = ("mnist_autoencoders", "cardiac_vae")
#: The data set each assignment loads (``aecourse-prepare --only ...``).
DATA_OF = {"mnist_autoencoders": "mnist", "cardiac_vae": "cardiac"}
IMPORT_LINE = re.compile(r"(import \S|from \S+ import )")
#: Files of the kit that go into its wheel: the package, its build recipe and licence, nothing else.
WHEEL_INPUTS = ("aecourse", "pyproject.toml", "LICENSE")
SETUP_TEMPLATE = Path(__file__).with_name("student_setup.py")


class HandoutLeak(RuntimeError):
    """A file of the hand-out holds a solution or hidden-test line."""


class NothingToCheck(RuntimeError):
    """The instructor notebook shows no solution or hidden-test line: the leak check would pass blind."""


def secret_lines(source_notebook: str | Path, delimiters: Delimiters = NBGRADER_DEFAULTS) -> set[str]:
    """Non-blank lines of the instructor notebook that only its solutions and hidden tests hold.

    Code: the lines inside solution and hidden-test regions (``delimiters``: the course's, see
    :meth:`Delimiters.of_course`) that appear nowhere outside them; written answers: every line of
    a markdown solution cell that appears in no other cell. Import lines are left out: they give
    nothing away (and the kit's own modules import TensorFlow too). Raises :class:`NothingToCheck`
    when no such line is found.
    """
    import nbformat  # the instructor extra's: a base install's --workspace needs none

    notebook = nbformat.read(source_notebook, as_version=4)
    inside, outside = set(), set()
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and grading.get("solution"):
            inside |= {line.strip() for line in cell.source.splitlines()}
            continue
        lines = region_lines(cell.source, delimiters)
        inside |= {line.strip() for line in lines["solution"] + lines["hidden"]}
        outside |= {line.strip() for line in lines["outside"]}
    secrets = {line for line in inside - outside if line and not IMPORT_LINE.match(line)}
    if not secrets:
        raise NothingToCheck(
            f"{source_notebook}: no solution or hidden-test line found between the delimiters "
            f"{delimiters.solution} and {delimiters.hidden}, so the hand-out's leak check would check "
            "nothing. Set nbgrader's ClearSolutions.begin_solution_delimeter/end_solution_delimeter and "
            "ClearHiddenTests.begin_test_delimeter/end_test_delimeter in nbgrader_config.py to those the "
            "notebook uses.")
    return secrets


def _text_lines(name: str, data: bytes) -> set[str]:
    """The stripped lines of a file's text (a notebook: of its cells' sources and outputs)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return set()
    if name.endswith(".ipynb"):
        import nbformat

        notebook = nbformat.reads(text, as_version=4)
        chunks = [cell.source for cell in notebook.cells]
        chunks += [str(output) for cell in notebook.cells for output in cell.get("outputs", [])]
        text = "\n".join(chunks)
    return {line.strip() for line in text.splitlines()}


def leaked_lines(path: str | Path, secrets: set[str]) -> dict[str, set[str]]:
    """{file: secret lines found in it} for a file or every file under a folder, archives opened."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    leaks = {}
    for file in files:
        label = str(file.relative_to(path.parent))
        members = {label: file.read_bytes()}
        if file.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(file) as archive:
                members = {f"{label}!{name}": archive.read(name) for name in archive.namelist()
                           if not name.endswith("/")}
        for name, data in members.items():
            found = _text_lines(name, data) & secrets
            if found:
                leaks[name] = found
    return leaks


def build_wheel(course_root: str | Path, out_dir: str | Path) -> Path:
    """Build the kit's wheel from a clean copy of the package (no stale build/ or egg-info)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aecourse-wheel-") as scratch:
        for name in WHEEL_INPUTS:
            origin, target = Path(course_root) / name, Path(scratch) / name
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy(origin, target)
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                                 "--wheel-dir", str(out_dir), scratch], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building the aecourse wheel failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    wheels = sorted(out_dir.glob("aecourse-*.whl"), key=lambda p: p.stat().st_mtime)
    return wheels[-1]


def release_folder(course_root: Path, assignment: str) -> Path:
    folder = course_root / "release" / assignment
    if not any(folder.glob("*.ipynb")):
        raise FileNotFoundError(f"no release notebook in {folder}: run `make release` first")
    return folder


def _copy_release(course_root: Path, assignment: str, target: Path, overwrite: bool = True) -> list[Path]:
    """Copy release/<assignment>/ into ``target``; with ``overwrite=False`` keep existing files."""
    copied = []
    origin = release_folder(course_root, assignment)
    for path in sorted(origin.rglob("*")):
        if not path.is_file() or ".ipynb_checkpoints" in path.parts:
            continue
        destination = target / path.relative_to(origin)
        if destination.exists() and not overwrite:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, destination)
        copied.append(destination)
    return copied


def _readme(assignment: str, notebook: str, wheel: str) -> str:
    data = DATA_OF[assignment]
    size_note = ("\nThe notebook uses 128x128 slices. For the original session's 256x256 (a GPU helps), "
                 "run `.venv/bin/aecourse-prepare-cardiac --size 256` and set the size in the notebook's "
                 "data cell to 256.\n" if data == "cardiac" else "")
    return f"""# {assignment}: student hand-out

You need Python 3.10 or newer (3.11 tested) and an internet connection to PyPI for the set-up.

## Set up (one command)

```bash
python3 setup_course.py
```

This creates a virtual environment in `.venv/` here, installs the course kit
(`wheels/{wheel}`, with Keras, TensorFlow and JupyterLab) into it, and prepares the data of this
assignment ({data}). It takes a few minutes the first time. Then start JupyterLab:

```bash
.venv/bin/jupyter lab {notebook}          # Windows: .venv\\Scripts\\jupyter lab {notebook}
```

Already have an environment you want to use? Instead: `pip install "wheels/{wheel}[lab]"`
then `aecourse-prepare --only {data}`.

## Data

The data goes to the kit's per-user data folder (`.venv/bin/aecourse-data` prints it);
set `AECOURSE_DATA=/some/folder` before the set-up and before JupyterLab to use another folder.
{size_note}
## Work and hand in

Fill in each cell that says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and
run the test cell below it: the visible tests check shapes, types and values worked by hand;
hidden tests check the numbers on fresh inputs when your work is graded. Keep the function and
class names. Before you hand in, run
*Kernel -> Restart Kernel and Run All Cells*, then hand in `{notebook}` as your course says.

## Solutions (self-learners)

The hand-out holds no solutions. After you have tried, the model answers, the hidden tests and a
full training run are in the course kit's repository, `solutions/{assignment}/{assignment}.html`
(or the `.ipynb` beside it).
"""


def filled_setup(**settings: str) -> str:
    """The student set-up script (``student_setup.py``) with its settings lines (``NAME = "..."``,
    one per name, at the start of a line) set to ``settings``; a name missing from the template
    is an error, not a hand-out with another assignment's settings."""
    text = SETUP_TEMPLATE.read_text()
    for name, value in settings.items():
        line = f"{name} = {json.dumps(value)}"
        text, found = re.subn(rf'^{name} = ".*"$', lambda _, line=line: line, text, flags=re.M)
        if found != 1:
            raise RuntimeError(f"{SETUP_TEMPLATE}: expected one line `{name} = \"...\"`, found {found}: "
                               "keep the settings lines at the top of the template as they are")
    return text


def build_handout(assignment: str, out: str | Path, wheel: Path, course_root: Path = REPO_ROOT) -> Path:
    """Write ``<out>/<assignment>/`` and ``<out>/<assignment>.zip``; refuse if anything leaks."""
    course_root, out = Path(course_root), Path(out)
    folder = out / assignment
    if folder.exists():
        shutil.rmtree(folder)
    copied = _copy_release(course_root, assignment, folder)
    notebook = next(p.name for p in copied if p.suffix == ".ipynb")
    (folder / "wheels").mkdir()
    shutil.copy(wheel, folder / "wheels" / wheel.name)
    (folder / "setup_course.py").write_text(
        filled_setup(ASSIGNMENT=assignment, DATA=DATA_OF[assignment], NOTEBOOK=notebook))
    (folder / "README.md").write_text(_readme(assignment, notebook, wheel.name))
    shutil.copy(course_root / "LICENSE", folder / "LICENSE")
    archive = out / f"{assignment}.zip"
    archive.unlink(missing_ok=True)
    shutil.make_archive(str(archive.with_suffix("")), "zip", out, assignment)
    secrets = secret_lines(next((course_root / "source" / assignment).glob("*.ipynb")),
                           Delimiters.of_course(course_root))
    leaks = leaked_lines(folder, secrets) | leaked_lines(archive, secrets)
    if leaks:
        shutil.rmtree(folder)
        archive.unlink(missing_ok=True)
        raise HandoutLeak(f"the {assignment} hand-out would give away solution or hidden-test lines: "
                          + "; ".join(f"{name}: {sorted(lines)[:2]}" for name, lines in leaks.items()))
    return folder


def fill_workspace(workspace: str | Path, assignments=ASSIGNMENTS, course_root: Path = REPO_ROOT) -> list[Path]:
    """Copy the release notebooks into a student workspace, never over a student's own files."""
    copied = []
    for assignment in assignments:
        copied += _copy_release(Path(course_root), assignment, Path(workspace) / assignment, overwrite=False)
    return copied


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="aecourse-handout", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--out", type=Path, help="where hand-outs go (default: <course root>/build/handout)")
    parser.add_argument("--course-root", type=Path, default=REPO_ROOT, help="the course (default: %(default)s)")
    parser.add_argument("--wheel", type=Path, help="use this aecourse wheel instead of building one")
    parser.add_argument("--workspace", type=Path,
                        help="instead: copy the release notebooks into this student workspace (new files only)")
    args = parser.parse_args(argv)
    unknown = set(args.assignments) - set(DATA_OF)
    if unknown:
        parser.error(f"unknown assignment(s) {sorted(unknown)}; known: {', '.join(DATA_OF)}")
    if args.workspace:
        copied = fill_workspace(args.workspace, args.assignments, args.course_root)
        print(f"Student workspace {args.workspace}: {len(copied)} new file(s) from release/ "
              "(existing work kept).")
        return 0
    out = args.out or args.course_root / "build" / "handout"
    wheel = args.wheel or build_wheel(args.course_root, out / "wheel")
    for assignment in args.assignments:
        try:
            folder = build_handout(assignment, out, wheel, args.course_root)
        except (HandoutLeak, NothingToCheck) as leak:
            print(f"error: {leak}", file=sys.stderr)
            return 1
        print(f"{assignment}: {folder}/ and {folder}.zip "
              f"({sum(p.stat().st_size for p in folder.rglob('*') if p.is_file()) / 1e3:.0f} kB)")
    print("A student unpacks one, then runs `python3 setup_course.py` in it (see its README.md).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
