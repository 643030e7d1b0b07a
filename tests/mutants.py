"""Plant a mistake into a solution notebook and see which graded test cells still pass.

`graded_results(notebook, mutations)` executes the notebook's code cells in order,
in this process, up to its last autograded test cell, after replacing text in
solution cells: mutations = {solution grade_id: [(old, new), ...]}. Every `old`
must occur in its cell, so a mutation test can never go vacuous when the
solution is edited. Returns {test grade_id: passed}. A test cell that raises
scores zero, exactly as nbgrader scores it.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat


def graded_results(notebook: Path, mutations: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, bool]:
    nb = nbformat.read(notebook, as_version=4)
    mutations = dict(mutations or {})
    cells = [c for c in nb.cells if c.cell_type == "code"]
    graded = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade")]
    namespace: dict = {"__name__": "__main__"}
    results = {}
    for i, cell in enumerate(cells[:graded[-1] + 1]):
        meta = cell.metadata.get("nbgrader", {})
        source = cell.source
        for old, new in mutations.pop(meta.get("grade_id"), []):
            assert old in source, f"mutation target not found in cell {meta.get('grade_id')!r}: {old!r}"
            source = source.replace(old, new)
        code = compile(source, f"<cell {meta.get('grade_id', i)}>", "exec")
        with contextlib.redirect_stdout(io.StringIO()):
            if meta.get("grade"):
                try:
                    exec(code, namespace)
                    results[meta["grade_id"]] = True
                except Exception:  # noqa: BLE001  (any failure scores zero)
                    results[meta["grade_id"]] = False
            else:
                exec(code, namespace)
    assert not mutations, f"mutations for unknown cells: {list(mutations)}"
    return results
