"""Set up this assignment on your own machine: one command, Python 3.10+ and access to PyPI.

    python3 setup_course.py               # .venv/ here, the course kit, JupyterLab, the data
    python3 setup_course.py --venv DIR    # the virtual environment somewhere else
    python3 setup_course.py --no-data     # skip the data step (run `aecourse-prepare` later)

It uses the standard library only: it runs before the course kit is installed. (This file is
the template that ``aecourse-handout`` copies into each hand-out as setup_course.py.)
"""

import argparse
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ASSIGNMENT = "mnist_autoencoders"
DATA = "mnist"
NOTEBOOK = "mnist_autoencoders.ipynb"
HERE = Path(__file__).resolve().parent


def bin_dir(environment):
    return Path(environment) / ("Scripts" if os.name == "nt" else "bin")


def run(*command):
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"Set up the {ASSIGNMENT} assignment.")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv", help="virtual environment (default: %(default)s)")
    parser.add_argument("--no-data", action="store_true", help="skip the data preparation")
    parser.add_argument("--size", type=int, help="cardiac slice size to prepare (default: 128)")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 10):
        sys.exit(f"Python 3.10 or newer is needed, this is {sys.version.split()[0]}.")
    wheels = sorted((HERE / "wheels").glob("aecourse-*.whl"))
    if not wheels:
        sys.exit(f"No course kit wheel in {HERE / 'wheels'}: is this a complete hand-out?")
    start = time.perf_counter()
    if not (bin_dir(args.venv) / "python").exists() and not (bin_dir(args.venv) / "python.exe").exists():
        print(f"Creating the virtual environment {args.venv}", flush=True)
        venv.create(args.venv, with_pip=True)
    python = bin_dir(args.venv) / ("python.exe" if os.name == "nt" else "python")
    run(python, "-m", "pip", "install", "--quiet", f"{wheels[-1]}[lab]")
    if not args.no_data:
        size = ["--size", str(args.size)] if args.size else []
        run(python, "-c", "import sys; from aecourse.tools.data import prepare_main; "
            "sys.exit(prepare_main(sys.argv[1:]))", "--only", DATA, "--quiet", *size)
    print(f"\nReady in {time.perf_counter() - start:.0f} s. Start JupyterLab with:\n"
          f"    {bin_dir(args.venv) / 'jupyter'} lab {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
