"""Single-token mutations of the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.

Each mutant changes one small thing in one answer cell, the way a student's slip would: a number,
an operator, a function or activation swapped for a plausible other one, a variable swapped for
another in scope, an argument, operand, call or statement left out, ``reversed`` added. Mutants that
do not compile, or that give the same code, are dropped.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import re
import tokenize
from dataclasses import dataclass

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

#: Operators and what a slip turns them into.
OPERATORS = {
    "+": ["-"], "-": ["+"], "*": ["/"], "/": ["*", "//"], "//": ["/", "*"], "**": ["*"], "%": ["//"],
    "<": ["<=", ">"], "<=": ["<", ">="], ">": [">=", "<"], ">=": [">", "<="], "==": ["!="], "!=": ["=="],
    "+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="],
}
#: Names (functions, layers, constants) and plausible wrong alternatives.
NAMES = {
    "sum": ["mean", "max"], "mean": ["sum", "max"], "max": ["sum", "mean", "min"], "min": ["max", "mean"],
    "exp": ["log", "square", "sqrt"], "log": ["exp", "log1p"], "square": ["exp", "abs", "sqrt"],
    "sqrt": ["square", "exp"], "abs": ["square"],
    "relu": ["sigmoid", "tanh"], "sigmoid": ["softmax", "relu", "tanh"], "softmax": ["sigmoid"],
    "tanh": ["sigmoid", "relu"],
    "normal": ["uniform", "truncated_normal"], "uniform": ["normal"],
    "Conv2D": ["Conv2DTranspose"], "Conv2DTranspose": ["Conv2D"],
    "categorical_crossentropy": ["binary_crossentropy", "sparse_categorical_crossentropy"],
    "binary_crossentropy": ["categorical_crossentropy"],
    "True": ["False"], "False": ["True"], "and": ["or"], "or": ["and"],
}
#: String constants (activations, padding, dtypes) and their alternatives; None: the string becomes None.
STRINGS = {
    "relu": ["sigmoid", "tanh", "linear", None], "sigmoid": ["relu", "tanh", "linear", "softmax", None],
    "tanh": ["relu", "sigmoid", None], "linear": ["relu", "sigmoid"], "softmax": ["sigmoid", "linear", None],
    "same": ["valid"], "valid": ["same"], "int32": ["float32"], "float32": ["int32", "float16"],
}
#: Names never swapped for a variable (modules, the layer itself).
NOT_VARIABLES = {"self", "keras", "layers", "ops", "np", "tf", "checks"} | set(dir(builtins))


@dataclass(frozen=True)
class Mutant:
    cell: str      # the answer cell's grade_id
    line: int      # first changed line, 1-based, in the cell
    old: str       # the changed line(s) of the solution, stripped
    new: str       # the same line(s) in the mutant, stripped
    kind: str      # the mutation operator
    source: str    # the whole mutated cell

    @property
    def text(self):
        return f"{self.old}  ->  {self.new}"


def solution_regions(source):
    """(start, end) character offsets of each solution block (the lines between the markers)."""
    regions, start, offset = [], None, 0
    for line in source.splitlines(keepends=True):
        if line.strip() == BEGIN:
            start = offset + len(line)
        elif line.strip() == END and start is not None:
            regions.append((start, offset))
            start = None
        offset += len(line)
    return regions


class _Source:
    """Offsets in a cell's source from (line, column) positions of tokenize (characters) and ast (UTF-8 bytes)."""

    def __init__(self, source):
        self.text = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno, col, in_bytes=False):
        if in_bytes:
            col = len(self.lines[lineno - 1].encode()[:col].decode(errors="ignore"))
        return self.starts[lineno - 1] + col

    def span(self, node):
        return (self.offset(node.lineno, node.col_offset, True),
                self.offset(node.end_lineno, node.end_col_offset, True))

    def segment(self, node):
        start, end = self.span(node)
        return self.text[start:end]


def _token_edits(src, inside):
    """(start, end, replacement, kind) edits of single tokens."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(src.text).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT,
                                tokenize.DEDENT, tokenize.ENDMARKER)]
    for position, token in enumerate(tokens):
        start, end = src.offset(*token.start), src.offset(*token.end)
        if not inside(start, end):
            continue
        previous = tokens[position - 1].string if position else ""
        unary = token.string == "-" and (previous in {"(", "[", "{", ",", "=", "return", ":", "**", "*", "/",
                                                       "+", "-", "in", "else", "if"} or not previous)
        if token.type == tokenize.NUMBER:
            for replacement in _numbers(token.string, negated=previous == "-"):
                yield start, end, replacement, "number"
        elif token.type == tokenize.OP and token.string in OPERATORS and not unary:
            for replacement in OPERATORS[token.string]:
                yield start, end, replacement, "operator"
        elif token.type == tokenize.NAME and token.string in NAMES:
            for replacement in NAMES[token.string]:
                yield start, end, replacement, "keyword" if token.string in ("True", "False", "and", "or") else "name"
        elif token.type == tokenize.STRING:
            quote = token.string[-1]
            value = token.string.strip("'\"")
            if token.string == f"{quote}{value}{quote}" and value in STRINGS:
                for replacement in STRINGS[value]:
                    yield start, end, "None" if replacement is None else f"{quote}{replacement}{quote}", "string"


def _numbers(text, negated):
    """Other values for a number literal: n+1, n-1, -n for integers; 0, 1, 2, -x for floats."""
    value = ast.literal_eval(text)
    if isinstance(value, complex):
        return []
    if isinstance(value, int):
        candidates = [value + 1] + ([value - 1] if value > 0 else []) + ([-value] if value and not negated else [])
        return [str(c) for c in candidates]
    candidates = [c for c in (0.0, 1.0, 2.0) if c != value] + ([-value] if value and not negated else [])
    return [repr(c) for c in candidates]


def _parent_map(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _atomic(src, child, node, parents):
    """``child``'s text, to put in place of ``node``: parenthesized if it could bind differently there."""
    text, parent = src.segment(child), parents.get(node)
    compound = isinstance(child, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda))
    tight = (isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Attribute, ast.Subscript))
             or isinstance(parent, ast.Call) and parent.func is node)
    return f"({text})" if compound and tight else text


def _deletions(src, items):
    """Edits that delete one item of a comma-separated list (arguments, list elements) with its comma."""
    spans = sorted(src.span(item) for item in items)
    for i, (start, end) in enumerate(spans):
        if i + 1 < len(spans):
            yield start, spans[i + 1][0], ""
        elif i > 0:
            yield spans[i - 1][1], end, ""
        else:
            yield start, end, ""


def _ast_edits(src, inside):
    """(start, end, replacement, kind) edits of whole expressions, arguments and statements."""
    tree = ast.parse(src.text)
    parents = _parent_map(tree)
    within = lambda node: inside(*src.span(node))  # noqa: E731
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or not within(node):
            continue
        if isinstance(node, ast.Call):
            for start, end, text in _deletions(src, node.args + node.keywords):
                yield start, end, text, "argument deleted"
            nested = isinstance(parents.get(node), ast.Call) and parents[node].func is node
            if node.args and not nested and not isinstance(node.args[0], ast.Starred):
                yield *src.span(node), _atomic(src, node.args[0], node, parents), "call removed"
        elif isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1:
            for start, end, text in _deletions(src, node.elts):
                yield start, end, text, "element deleted"
        elif isinstance(node, ast.BinOp):
            yield *src.span(node), _atomic(src, node.left, node, parents), "operand deleted"
            yield *src.span(node), _atomic(src, node.right, node, parents), "operand deleted"
        elif isinstance(node, ast.UnaryOp):
            yield *src.span(node), _atomic(src, node.operand, node, parents), "unary operator deleted"
        elif isinstance(node, ast.For):
            iterable = node.iter
            if not (isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "reversed"):
                yield *src.span(iterable), f"reversed({src.segment(iterable)})", "reversed added"
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For,
                                                                 ast.While, ast.If, ast.With, ast.Try)):
            start = src.offset(node.lineno, 0)
            end = src.offset(node.end_lineno + 1, 0) if node.end_lineno < len(src.lines) else len(src.text)
            yield start, end, "", "statement deleted"
    yield from _variable_swaps(src, tree, within)


def _variable_swaps(src, tree, within):
    """A variable read in a solution replaced by another variable already defined there, or a constant."""
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in functions or [tree]:
        loads = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and within(n)]
        defined = _definitions(scope)
        defined.update({n.id: 0 for n in loads if re.fullmatch(r"[A-Z][A-Z0-9_]+", n.id)})
        for node in loads:
            if node.id not in defined or node.id in NOT_VARIABLES:
                continue
            for other, line in sorted(defined.items()):
                if other != node.id and other not in NOT_VARIABLES and line < node.lineno:
                    yield *src.span(node), other, "variable swapped"


def _definitions(scope):
    """{name: the line where it is first defined} for a function's parameters and assigned names."""
    defined = {}
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = scope.args
        defined = {a.arg: scope.lineno for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
    for node in ast.walk(scope):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined[node.id] = min(defined.get(node.id, node.lineno), node.lineno)
    return defined


def _changed_lines(before, after):
    """The first changed line (1-based) and the changed lines of both versions, stripped and joined."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    blocks = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    i1, i2, j1, j2 = blocks[0][1], blocks[-1][2], blocks[0][3], blocks[-1][4]
    join = lambda lines: " / ".join(line.strip() for line in lines) or "(nothing)"  # noqa: E731
    return i1 + 1, join(old[i1:i2]), join(new[j1:j2])


def mutants(cell, source):
    """Every compiling, distinct single mutation of the solution blocks of one answer cell."""
    src = _Source(source)
    regions = solution_regions(source)
    inside = lambda start, end: any(a <= start and end <= b for a, b in regions)  # noqa: E731
    seen, found = {source}, []
    for start, end, replacement, kind in [*_token_edits(src, inside), *_ast_edits(src, inside)]:
        mutated = source[:start] + replacement + source[end:]
        if mutated in seen:
            continue
        seen.add(mutated)
        try:
            compile(mutated, f"<{cell}>", "exec")
        except (SyntaxError, ValueError):
            continue
        line, old, new = _changed_lines(source, mutated)
        found.append(Mutant(cell, line, old, new, kind, mutated))
    return found
