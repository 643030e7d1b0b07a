"""Plant a mistake into a solution notebook and see which graded test cells still pass.

`graded_results(notebook, mutations)` executes the notebook's code cells in order,
in this process, up to its last autograded test cell, after replacing text in
solution cells: mutations = {solution grade_id: [(old, new), ...]}. Every `old`
must occur in its cell, so a mutation test can never go vacuous when the
solution is edited. The cells before the first solution cell (setup, imports, model
loading; never mutated) run once per notebook, and each call starts from a copy of
their namespace. Returns {test grade_id: passed}. A test cell that raises
scores zero, exactly as nbgrader scores it.
"""
from __future__ import annotations

import contextlib
import copy
import io
import os
import types
from pathlib import Path

import nbformat


_PREFIX: dict = {}


def _prefix_namespace(notebook: Path, cells) -> tuple[dict, int]:
    """Run the cells before the first solution cell (setup, imports, model loading) once per
    notebook and profile, and hand each caller a copy of the resulting namespace."""
    first = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution"))
    key = (str(notebook), notebook.stat().st_mtime_ns, os.environ.get("COURSE_PROFILE"))
    if key not in _PREFIX:
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for i, cell in enumerate(cells[:first]):
                exec(compile(cell.source, f"<cell {i}>", "exec"), namespace)
        _PREFIX[key] = namespace
    return _own_copy(_PREFIX[key]), first


def _own_copy(namespace: dict) -> dict:
    """A deep copy of the namespace's data (models, tokenizers, settings), so no mutant sees another's changes;
    modules, functions and classes are shared (they are code, not state), and so is anything that cannot be copied."""
    shared_kinds = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
    out = {}
    for name, value in namespace.items():
        if name.startswith("__") or isinstance(value, shared_kinds):
            out[name] = value
            continue
        try:
            out[name] = copy.deepcopy(value)
        except Exception:  # noqa: BLE001  (a handle or a C object: shared, as before)
            out[name] = value
    return out


def graded_results(notebook: Path, mutations: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, bool]:
    nb = nbformat.read(notebook, as_version=4)
    mutations = dict(mutations or {})
    cells = [c for c in nb.cells if c.cell_type == "code"]
    graded = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade")]
    namespace, first = _prefix_namespace(notebook, cells)
    results = {}
    for i, cell in enumerate(cells[:graded[-1] + 1]):
        if i < first:
            continue
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


def mistake_tests(notebook: Path, tests: list[str], mistakes: dict):
    """The two tests every assignment's mistake file needs, in the smoke profile:

        test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)

    mistakes: {description: (solution grade_id, [(old, new), ...], the test that must fail)}.
    The untouched solution passes every test; each planted mistake fails its own test and only that one.
    """
    import pytest

    def test_solution_passes_every_test(monkeypatch):
        monkeypatch.setenv("COURSE_PROFILE", "smoke")
        assert graded_results(notebook) == {t: True for t in tests}

    @pytest.mark.parametrize("mistake", sorted(mistakes))
    def test_mistake_loses_its_tests_points(mistake, monkeypatch):
        monkeypatch.setenv("COURSE_PROFILE", "smoke")
        cell, edits, target = mistakes[mistake]
        results = graded_results(notebook, {cell: edits})
        assert results[target] is False, f"planted mistake '{mistake}' was not caught by {target}"
        assert all(results[t] for t in tests if t != target), f"'{mistake}' also failed other tests: {results}"

    return test_solution_passes_every_test, test_mistake_loses_its_tests_points
