"""Fail if an instructor notebook in source/ carries outputs or execution counts.

    python scripts/check_source_outputs.py              # every source/*/*.ipynb
    python scripts/check_source_outputs.py FILE ...     # these notebooks (pre-commit passes them)

source/ is what nbgrader builds release/ from and what the gradebook's hidden tests come from:
outputs there would go into the hand-out and bloat every diff. Executed notebooks live in solutions/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebook_problems(path: Path) -> list[str]:
    """What in one notebook is not clean: cells with outputs or an execution count."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"cannot be read as a notebook ({error})"]
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution count {cell['execution_count']}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every source/*/*.ipynb")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "source").glob("*/*.ipynb"))
    dirty = {path: problems for path in notebooks if (problems := notebook_problems(path))}
    for path, problems in dirty.items():
        print(f"{path}: {'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}", file=sys.stderr)
    if dirty:
        print("Clear them (JupyterLab: Edit > Clear Outputs of All Cells, then save; or "
              "`jupyter nbconvert --clear-output --inplace NOTEBOOK`).", file=sys.stderr)
        return 1
    print(f"{len(notebooks)} source notebook(s) without outputs.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
