"""The extras of pyproject.toml hold what the kit imports: a base install (a student's) imports
nothing it lacks, and `pip install "aecourse[instructor]"` gives the grader everything it needs.

Checked statically, from the import statements of aecourse/ and nbgrader_config.py (no install)."""

import ast
import json
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "aecourse"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# The tools of a base install: what a student's setup_course.py and the hand-out README run, and
# aecourse-handout, whose --workspace fills a student workspace (make lab).
STUDENT_TOOLS = ("aecourse-data", "aecourse-prepare", "aecourse-prefetch-mnist", "aecourse-prepare-cardiac",
                 "aecourse-handout")
# Imports that name a module of another distribution than their top-level package's.
IMPORTED_FROM = {"dask.distributed": "distributed"}
# What the instructor side needs without importing it.
INSTRUCTOR_RUNTIME = {
    "ipykernel": "the kernel that autograde and the solutions build start (kernelspec python3)",
    "jupyter_server_mathjax": "the formgrader's offline MathJax (aecourse/templates/formgrade/mathjax.html.j2)",
}


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements):
    return {normalise(re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0]) for line in requirements}


BASE = requirement_names(PYPROJECT["project"]["dependencies"])
EXTRAS = {extra: requirement_names(reqs) for extra, reqs in PYPROJECT["project"]["optional-dependencies"].items()}


def module_file(name):
    """The file of an aecourse module (``aecourse.x.y``), or None for a name that is no module."""
    path = REPO.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def imports_of(path):
    """[(module imported, at module level?)] of one file; ``from aecourse import x`` names aecourse.x."""
    tree = ast.parse(path.read_text(), str(path))
    inside_functions = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                        for node in ast.walk(fn) if node is not fn}
    found = []
    for node in ast.walk(tree):
        top_level = id(node) not in inside_functions
        if isinstance(node, ast.Import):
            found += [(alias.name, top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, top_level))
            found += [(f"{node.module}.{alias.name}", top_level) for alias in node.names
                      if node.module.split(".")[0] == "aecourse" and module_file(f"{node.module}.{alias.name}")]
    return found


@cache
def installed_distributions():
    return packages_distributions()


def distribution(module):
    """The distribution a third-party import comes from, or None for the standard library and aecourse."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "aecourse":
        return None
    for prefix, dist in IMPORTED_FROM.items():
        if module == prefix or module.startswith(prefix + "."):
            return dist
    dists = installed_distributions().get(top)
    assert dists, f"{module} is imported but installed by no distribution of the course venv"
    return normalise(dists[0])


def reachable(roots, top_level_only):
    """Every aecourse file the roots import, transitively (at module level only, or everywhere)."""
    seen, todo = set(), list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module, top_level in imports_of(path):
            if module.startswith("aecourse") and (top_level or not top_level_only):
                target = module_file(module)
                if target is None:  # aecourse.x.NAME: the module is aecourse.x
                    target = module_file(module.rsplit(".", 1)[0])
                todo.append(target)
                todo += [p / "__init__.py" for p in target.parents if p != REPO and p.is_relative_to(PACKAGE)]
    return seen


def entry_point_file(tool):
    return module_file(PYPROJECT["project"]["scripts"][tool].split(":")[0])


def student_side():
    """The files a base install runs: the student tools and what the release notebooks import."""
    roots = [PACKAGE / "__init__.py", *map(entry_point_file, STUDENT_TOOLS)]
    for notebook in sorted((REPO / "release").glob("*/*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for module in re.findall(r"^\s*(?:from|import) (aecourse[\w.]*)", code, re.M):
            roots.append(module_file(module))
    assert all(roots) and len(roots) > len(STUDENT_TOOLS) + 1, roots
    return reachable(roots, top_level_only=True)


def test_student_tools_are_the_base_install_entry_points():
    assert set(STUDENT_TOOLS) <= set(PYPROJECT["project"]["scripts"])


def test_a_base_install_imports_only_base_dependencies():
    """At module level, where an import fails before anything can say why; a function may import
    an extra's package when only the extra's users call it."""
    missing = {}
    for path in student_side():
        for module, top_level in imports_of(path):
            dist = distribution(module)
            if top_level and dist and dist not in BASE:
                missing.setdefault(dist, set()).add(str(path.relative_to(REPO)))
    assert not missing, ("modules of a base install import what it does not install: "
                         + "; ".join(f"{d} in {sorted(f)}" for d, f in missing.items())
                         + ": make the import lazy, or add the package to [project] dependencies")


def test_the_instructor_extra_holds_every_import_of_the_grader():
    """Every third-party import of the package and of nbgrader_config.py (top level or not)."""
    declared = BASE | EXTRAS["instructor"]
    files = sorted(PACKAGE.rglob("*.py")) + [REPO / "nbgrader_config.py"]
    missing = {}
    for path in files:
        for module, _ in imports_of(path):
            dist = distribution(module)
            if dist and dist not in declared:
                missing.setdefault(dist, set()).add(str(path.relative_to(REPO)))
    assert not missing, ("not in the instructor extra (pyproject.toml [project.optional-dependencies]): "
                         + "; ".join(f"{d} (imported by {sorted(f)[:3]})" for d, f in missing.items()))


@pytest.mark.parametrize("package", sorted(INSTRUCTOR_RUNTIME))
def test_the_instructor_extra_holds_what_the_grader_runs(package):
    assert normalise(package) in EXTRAS["instructor"], f"{package}: {INSTRUCTOR_RUNTIME[package]}"


def test_the_course_venv_installs_the_extras():
    """requirements.txt (make setup) installs the kit with the extras the tests rely on."""
    lines = (REPO / "requirements.txt").read_text().splitlines()
    extras = [set(m.group(1).split(",")) for line in lines if (m := re.fullmatch(r"-e \.\[([\w,]+)\]", line.strip()))]
    assert extras and {"lab", "instructor", "hub"} <= extras[0], f"requirements.txt installs the kit with {extras}"
