"""Find functions in shared/ and data/ that do what a student's solution cell must write.

Each function is reduced to the shape of its code: the sequence of its AST node types, with the
attributes it reads and the functions it calls (`.split`, `Counter`, `argsort`), but without its
own names, strings and numbers, so renaming variables or rewording comments does not hide a copy.
Two functions whose shapes are at least `THRESHOLD` similar (difflib's ratio) are a match. Limit: an
answer buried inside a much longer function scores lower; this finds copies and near-copies, and the
rest is review (shared/lm.py's zero-shot scorer and parameter count were found that way).
"""
from __future__ import annotations

import ast
import difflib
from functools import lru_cache
from pathlib import Path

import nbformat

from shared.models import REPO as ROOT

THRESHOLD = 0.8
MIN_NODES = 40      # smaller functions (one-line helpers) are too generic to call copies


def shape(fn: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.Load, ast.Store, ast.Del)):
            continue
        out.append(type(node).__name__)
        if isinstance(node, ast.Attribute):
            out.append("." + node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            out.append(node.func.id + "()")
    return out


def functions(source: str, where: str) -> list[tuple[str, tuple[str, ...]]]:
    return list(_functions(source, where))


@lru_cache(maxsize=None)
def _functions(source: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """functions(), kept by the source's text: a file read again unchanged is not parsed again."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    return tuple((f"{where}:{n.name}", tuple(shape(n))) for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(shape(n)) >= MIN_NODES)


def student_functions(root: Path = ROOT) -> list[tuple[str, tuple[str, ...]]]:
    """Every function defined in a code solution cell of every source notebook."""
    out = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for source, where in _solution_cells(path.read_text(encoding="utf-8"), path.stem):
            out += functions(source, where)
    return out


@lru_cache(maxsize=None)
def _solution_cells(text: str, stem: str) -> tuple[tuple[str, str], ...]:
    """(source, where) of a notebook's code solution cells, kept by the notebook's text."""
    out = []
    for cell in nbformat.reads(text, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            out.append((cell.source, f"{stem}/{meta.get('grade_id')}"))
    return tuple(out)


def shipped_functions(root: Path = ROOT, extra: dict[str, str] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """Every function in shared/ and data/ (plus `extra`: name -> source, for planting copies in tests)."""
    out = []
    for folder in ("shared", "data"):
        for path in sorted((root / folder).rglob("*.py")):
            out += functions(path.read_text(), str(path.relative_to(root)))
    for name, source in (extra or {}).items():
        out += functions(source, name)
    return out


def copies(extra: dict[str, str] | None = None) -> list[str]:
    found = []
    shipped = shipped_functions(extra=extra)   # read once, not once per answer
    for s_name, s_shape in student_functions():
        for f_name, f_shape in shipped:
            ratio = _ratio(s_shape, f_shape)
            if ratio is not None and ratio >= THRESHOLD:
                found.append(f"{f_name} looks like the answer {s_name} ({ratio:.2f})")
    return found


@lru_cache(maxsize=None)
def _ratio(s_shape: tuple[str, ...], f_shape: tuple[str, ...]) -> float | None:
    """difflib's ratio of two shapes; None where a cheap upper bound of it is already below THRESHOLD. Kept by the
    two shapes: each check compares the same answers and files, and only a planted copy is new."""
    matcher = difflib.SequenceMatcher(None, s_shape, f_shape, autojunk=False)
    if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
        return None   # upper bounds of ratio(): cheap
    return matcher.ratio()
