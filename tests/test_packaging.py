"""aecourse is a real package: a wheel with its dependencies and tools, a regular install that works
outside the repository, and no sys.path edits anywhere."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import aecourse
from aecourse.tools.handout import build_wheel

REPO = Path(__file__).resolve().parents[1]
TOOLS = ("aecourse-data", "aecourse-prepare", "aecourse-prefetch-mnist", "aecourse-prepare-cardiac",
         "aecourse-demo-class", "aecourse-build-solutions", "aecourse-handout", "aecourse-grade",
         "aecourse-report", "aecourse-export-lms", "aecourse-hub")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_wheel(REPO, tmp_path_factory.mktemp("wheel"))


def test_no_sys_path_edits_remain():
    offenders = [str(path.relative_to(REPO)) for folder in ("aecourse", "tests", "bench", "scripts", "data_prep")
                 for path in (REPO / folder).rglob("*.py")
                 if re.search(r"sys\.path\.(insert|append)|sys\.path\s*\+?=", path.read_text())]
    offenders = [name for name in offenders if name != "tests/test_packaging.py"]
    assert not offenders, f"sys.path edits in {offenders}: use the package and pytest's pythonpath"


def test_wheel_holds_the_package_its_dependencies_and_tools(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"aecourse-{aecourse.__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        licence = archive.read(f"{info}/licenses/LICENSE")
    assert wheel.name == f"aecourse-{aecourse.__version__}-py3-none-any.whl"
    assert re.search(rf"^Version: {re.escape(aecourse.__version__)}$", metadata, re.M)
    assert re.search(r"^License-Expression: MIT$", metadata, re.M) and licence == (REPO / "LICENSE").read_bytes()
    assert {"aecourse/paths.py", "aecourse/mnist.py", "aecourse/cardiac/dataset.py",
            "aecourse/tools/handout.py", "aecourse/tools/student_setup.py"} <= names
    assert not [n for n in names if n.split("/")[0] in ("source", "solutions", "release", "tests", "data")]
    required = {re.split(r"[<>=!~ ;\[]", line.removeprefix("Requires-Dist: "))[0].lower()
                for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert {"tensorflow", "keras", "numpy", "h5py", "scikit-learn", "mlxtend", "platformdirs",
            "ipywidgets", "matplotlib"} <= required
    assert "nbgrader" not in required, "students do not need nbgrader: it is the instructor extra"
    for tool in TOOLS:
        assert re.search(rf"^{tool} = aecourse\.", entry_points, re.M), f"{tool} is not an entry point"
    assert "aecourse-grade = aecourse.grading.cli:main" in entry_points


def test_regular_install_works_outside_the_repository(tmp_path):
    """`pip install .` (not editable): the package, its tools and the data rule work from site/."""
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                             "--target", str(site), str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AECOURSE_")}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp_path / "xdg"))
    probe = ("import aecourse, aecourse.paths as p; "
             "print(aecourse.__file__); print(p.course_root()); print(p.data_dir())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == str(site / "aecourse" / "__init__.py")
    assert out[1] == "None", "a regular install is no course checkout"
    assert out[2] == str(tmp_path / "xdg" / "aecourse")
    tool = subprocess.run([str(site / "bin" / "aecourse-data")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True).stdout
    assert f"aecourse data folder: {tmp_path / 'xdg' / 'aecourse'}" in tool and "per-user" in tool
