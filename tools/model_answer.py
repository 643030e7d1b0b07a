"""Write a generated model answer into a solution notebook's report cell (tools/answer_a1.py, answer_a2.py)."""
from __future__ import annotations

import nbformat


def write_model_answer(notebook: str, cell_start: str, text: str) -> None:
    """Replace what lies between "### BEGIN SOLUTION" and "#### Rubric" in the one cell starting with cell_start."""
    nb = nbformat.read(notebook, 4)
    (cell,) = [c for c in nb.cells if c.source.startswith(cell_start)]
    head, rest = cell.source.split("### BEGIN SOLUTION\n", 1)
    _, rubric = rest.split("#### Rubric", 1)
    cell.source = head + "### BEGIN SOLUTION\n" + text + "\n#### Rubric" + rubric
    nbformat.write(nb, notebook)
