"""Find student code that changes what the tests rely on, before it runs.

A first line of defence with a clear message, not a guarantee: the hidden tests run outside the
student's interpreter (:mod:`aecourse.judge`), so no score rests on this check. Code that
rebinds what the visible checks use (``np.allclose = ...``), patches builtins, defines objects
whose comparisons always succeed, or reaches for the interpreter's insides (``exec``,
``sys.modules``, frames, ``ctypes``) is not needed to answer any exercise, so a notebook that
contains it is not run: its tests score 0, each with a message that names the cell and line.

The check reads the source (an abstract syntax tree walk), so it cannot be undone by the
code it inspects. It looks at every cell a student can edit: all code cells except the
locked and test cells that nbgrader restores from the gradebook.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nbgrader.utils import is_locked

# Calls and names that reach past the exercise into the interpreter.
FORBIDDEN_NAMES = {
    "exec", "eval", "compile", "__import__", "globals", "vars", "setattr", "delattr", "breakpoint",
    "get_ipython", "__builtins__", "__builtin__",
}
FORBIDDEN_MODULES = {
    "builtins", "ctypes", "gc", "inspect", "importlib", "sys", "subprocess", "pty", "pickle", "marshal",
    "dill", "cloudpickle", "shelve", "unittest", "types", "code", "codeop", "runpy", "IPython",
    "signal", "threading", "multiprocessing", "atexit", "traceback",
}
FORBIDDEN_OS_CALLS = {"system", "popen", "fork", "forkpty", "kill", "killpg", "_exit", "abort",
                      "execv", "execve", "execl", "execle", "execlp", "execvp", "execvpe",
                      "spawnl", "spawnv", "posix_spawn", "putenv", "environ"}
# Builtins the tests use; rebinding one at the top level of a cell changes every test after it.
PROTECTED_BUILTINS = {"AssertionError", "BaseException", "Exception", "isinstance", "issubclass",
                      "type", "bool", "all", "any", "abs", "len", "float", "int", "print"}
# Dunder attributes that reach the object model itself (read or written); writing any other
# dunder attribute is flagged too.
OBJECT_MODEL_ATTRIBUTES = {
    "__dict__", "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__", "__bases__",
    "__base__", "__mro__", "__class__", "__getattribute__", "__getattr__", "__setattr__", "__delattr__",
    "__reduce__", "__reduce_ex__", "__func__", "__self__", "__wrapped__", "__defaults__", "__kwdefaults__",
    "__loader__", "__spec__", "__import__", "__setitem__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
    "__ge__", "__bool__", "__array__", "__array_ufunc__", "__array_function__", "__float__", "__index__",
}
# Special methods a Keras answer may define; comparison, truth and array hooks may not.
ALLOWED_DUNDER_METHODS = {"__init__", "__call__", "__repr__", "__str__"}


@dataclass(frozen=True)
class Finding:
    cell: int  # index of the cell in the notebook, counted from 1 as JupyterLab numbers them
    line: int
    what: str

    def __str__(self):
        return f"cell {self.cell}, line {self.line}: {self.what}"


def is_student_cell(cell) -> bool:
    """A code cell whose source comes from the student (not restored from the gradebook)."""
    return cell.get("cell_type") == "code" and not is_locked(cell)  # nbgrader restores locked cells


def imported_names(notebook) -> set[str]:
    """Every name bound by an import anywhere in the notebook (np, keras, ops, checks...)."""
    names = set()
    for cell in notebook["cells"]:
        tree = _parse(cell)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def find_tampering(notebook) -> list[Finding]:
    """Every place in the student's cells that tampers with the test machinery (empty: none)."""
    modules = imported_names(notebook)
    findings = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if not is_student_cell(cell):
            continue
        tree = _parse(cell)
        if tree is not None:
            findings += [Finding(number, line, what) for line, what in _CellChecker(modules).check(tree)]
    return findings


def _parse(cell):
    if cell.get("cell_type") != "code":
        return None
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    # IPython magics and shell escapes are not Python: blank them for the parser.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None  # it fails when it runs, and scores what it scores


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


class _CellChecker(ast.NodeVisitor):
    def __init__(self, modules):
        self.modules = modules
        self.found = []
        self.depth = 0  # > 0 inside a function or class body

    def check(self, tree):
        self.visit(tree)
        return self.found

    def flag(self, node, what):
        self.found.append((getattr(node, "lineno", 0), what))

    def visit_Import(self, node):
        for alias in node.names:
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node):
        self._check_module(node, node.module or "")
        if (node.module or "").split(".")[0] == "os":
            for alias in node.names:
                if alias.name in FORBIDDEN_OS_CALLS:
                    self.flag(node, f"imports os.{alias.name}")

    def _check_module(self, node, name):
        top = name.split(".")[0]
        if top in FORBIDDEN_MODULES or name in ("numpy.testing", "unittest.mock"):
            self.flag(node, f"imports `{name}`, which no exercise needs")

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.flag(node, f"uses `{node.id}`")
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and self.depth == 0:
            if node.id in self.modules:
                self.flag(node, f"rebinds `{node.id}`, which the tests use")
            elif node.id in PROTECTED_BUILTINS:
                self.flag(node, f"rebinds the builtin `{node.id}`")

    def visit_Attribute(self, node):
        dunder = node.attr.startswith("__") and node.attr.endswith("__")
        if node.attr in OBJECT_MODEL_ATTRIBUTES or (dunder and isinstance(node.ctx, (ast.Store, ast.Del))):
            self.flag(node, f"reaches into `{node.attr}`")
        root = _root_name(node.value)
        if isinstance(node.ctx, (ast.Store, ast.Del)) and root in self.modules:
            self.flag(node, f"changes `{ast.unparse(node)}`, part of a library the tests use")
        if root == "os" and node.attr in FORBIDDEN_OS_CALLS:
            self.flag(node, f"uses `os.{node.attr}`")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _root_name(node.value) in self.modules:
            self.flag(node, f"changes `{ast.unparse(node)}`, part of a library the tests use")
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            if name in self.modules or name in PROTECTED_BUILTINS:
                self.flag(node, f"rebinds `{name}` from inside a function")

    def visit_Constant(self, node):
        if isinstance(node.value, str) and "/proc/" in node.value:
            self.flag(node, "opens the process's own memory or state under /proc")

    def visit_keyword(self, node):
        if node.arg == "allow_pickle":
            self.flag(node, "loads pickled objects (allow_pickle), which can run any code")
        self.generic_visit(node)

    def _visit_scope(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        if self.depth > 0 and node.name.startswith("__") and node.name.endswith("__") \
                and node.name not in ALLOWED_DUNDER_METHODS:
            self.flag(node, f"defines `{node.name}`, which changes how comparisons or conversions behave")
        if self.depth == 0 and (node.name in self.modules or node.name in PROTECTED_BUILTINS):
            self.flag(node, f"redefines `{node.name}`, which the tests use")
        self._visit_scope(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if self.depth == 0 and (node.name in self.modules or node.name in PROTECTED_BUILTINS):
            self.flag(node, f"redefines `{node.name}`, which the tests use")
        self._visit_scope(node)

    def visit_Lambda(self, node):
        self._visit_scope(node)
