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
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
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


def functions(source: str, where: str) -> list[tuple[str, list[str]]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [(f"{where}:{n.name}", shape(n)) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(shape(n)) >= MIN_NODES]


def student_functions(root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """Every function defined in a code solution cell of every source notebook."""
    out = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                out += functions(cell.source, f"{path.stem}/{meta.get('grade_id')}")
    return out


def shipped_functions(root: Path = ROOT, extra: dict[str, str] | None = None) -> list[tuple[str, list[str]]]:
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
    for s_name, s_shape in student_functions():
        for f_name, f_shape in shipped_functions(extra=extra):
            matcher = difflib.SequenceMatcher(None, s_shape, f_shape, autojunk=False)
            if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
                continue   # upper bounds of ratio(): cheap
            ratio = matcher.ratio()
            if ratio >= THRESHOLD:
                found.append(f"{f_name} looks like the answer {s_name} ({ratio:.2f})")
    return found
