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


def graded_results(notebook: Path, mutations: dict[str, list[tuple[str, str]]] | None = None,
                   experiments: bool = True) -> dict[str, bool]:
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
        if not experiments and not (meta.get("solution") or meta.get("grade")):
            continue   # an experiment cell (training, sampling): the tests do not read what it makes
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


def mistake_tests(notebook: Path, tests: list[str], mistakes: dict, experiments: bool = True):
    """The two tests every assignment's mistake file needs, in the smoke profile:

        test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)

    mistakes: {description: (solution grade_id, [(old, new), ...], the test that must fail)}; where a later
    function calls the mistaken one (a6's generate calls apply_repetition_penalty), a tuple of the tests
    that must all fail. The untouched solution passes every test; each planted mistake fails its own
    test(s) and only those. experiments=False skips the cells between the tests that are neither
    solutions nor tests (training runs whose results no test reads), where a notebook's tests need only
    its setup and the student's functions (a6; its whole run is tests/test_notebooks.py's).
    """
    import pytest

    def test_solution_passes_every_test(monkeypatch):
        monkeypatch.setenv("COURSE_PROFILE", "smoke")
        assert graded_results(notebook, experiments=experiments) == {t: True for t in tests}

    @pytest.mark.parametrize("mistake", sorted(mistakes))
    def test_mistake_loses_its_tests_points(mistake, monkeypatch):
        monkeypatch.setenv("COURSE_PROFILE", "smoke")
        cell, edits, target = mistakes[mistake]
        targets = (target,) if isinstance(target, str) else tuple(target)
        results = graded_results(notebook, {cell: edits}, experiments=experiments)
        assert all(results[t] is False for t in targets), f"planted mistake '{mistake}' was not caught by {targets}"
        assert all(results[t] for t in tests if t not in targets), f"'{mistake}' also failed other tests: {results}"

    return test_solution_passes_every_test, test_mistake_loses_its_tests_points
