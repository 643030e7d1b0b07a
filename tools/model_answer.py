"""What tools/answer_a1.py and answer_a2.py share: an assignment's results file, its experiments by name, the
words for a verdict, and writing a generated model answer into a solution notebook's report cell."""
from __future__ import annotations

import json

import nbformat

VERDICT = {"effect": "an effect", "powered null": "a powered null", "inconclusive": "undecided"}


def load_results(assignment: str) -> tuple[dict, dict]:
    """docs/results/<assignment>.json (from the repository's root) and its experiments by name."""
    results = json.load(open(f"docs/results/{assignment}.json"))
    return results, {e["name"]: e for e in results["experiments"]}


def cmp(experiment: dict, a: str, b: str) -> dict:
    """The comparison of arm a against arm b in an experiment of a results file."""
    return next(c for c in experiment["comparisons"] if c["a"] == a and c["b"] == b)


def said(c: dict, d: int = 3) -> str:
    """A comparison's difference, interval and verdict, in words."""
    return f"{c['difference']:+.{d}f}, 95% CI [{c['ci95'][0]:.{d}f}, {c['ci95'][1]:.{d}f}], {VERDICT[c['verdict']]}"


def write_model_answer(notebook: str, cell_start: str, text: str) -> None:
    """Replace what lies between "### BEGIN SOLUTION" and "#### Rubric" in the one cell starting with cell_start."""
    nb = nbformat.read(notebook, 4)
    (cell,) = [c for c in nb.cells if c.source.startswith(cell_start)]
    head, rest = cell.source.split("### BEGIN SOLUTION\n", 1)
    _, rubric = rest.split("#### Rubric", 1)
    cell.source = head + "### BEGIN SOLUTION\n" + text + "\n#### Rubric" + rubric
    nbformat.write(nb, notebook)
