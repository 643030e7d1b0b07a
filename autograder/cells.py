"""The nbgrader vocabulary of the course's notebooks, in one place: where an assignment's source and release
notebooks are, a cell's nbgrader metadata and ids, the markers in a cell's text, and how a test cell splits
into its visible test and its named hidden checks. Every wing reads notebooks through these."""
from __future__ import annotations

import re
from pathlib import Path

from shared.models import REPO

# nbgrader's source and release folders, in the repository and in a course folder (nbgrader_config.py)
SOURCE, RELEASE = "solutions", "notebooks"

# The delimiters nbgrader looks for (nbgrader_config.py sets them), and the lines they stand on in a source cell.
SOLUTION_DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS_DELIMITERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
SOLUTION_BEGIN, SOLUTION_END = (f"### {d}" for d in SOLUTION_DELIMITERS)
HIDDEN_BEGIN, HIDDEN_END = (f"### {d}" for d in HIDDEN_TESTS_DELIMITERS)
SOLUTION_REGION = re.compile(re.escape(SOLUTION_BEGIN) + r"\n(.*?)" + re.escape(SOLUTION_END), re.S)
HIDDEN_REGION = re.compile(re.escape(HIDDEN_BEGIN) + r"(.*?)" + re.escape(HIDDEN_END), re.S)
RUBRIC_HEADING = "#### Rubric"                       # a written answer's rubric, inside its solution region
CHECK = re.compile(r"^# CHECK:\s*(.+?)\s*$", re.M)    # the name of a hidden check, above its code

# What the release shows in place of a solution (nbgrader_config.py sets them)
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

COLAB_SETUP = "_colab_setup"   # the grade id of a notebook's setup cell ends so: the release puts the setup cell there


def notebook(folder: Path, assignment: str) -> Path:
    """An assignment's notebook in one of nbgrader's folders: <folder>/<assignment>/<assignment>.ipynb."""
    return Path(folder) / assignment / f"{assignment}.ipynb"


def source_notebook(assignment: str, root: Path = REPO) -> Path:
    return notebook(Path(root) / SOURCE, assignment)


def release_notebook(assignment: str, root: Path = REPO) -> Path:
    return notebook(Path(root) / RELEASE, assignment)


def nbg(cell) -> dict:
    """A cell's nbgrader metadata ({} if none); the cell an nbformat node or a notebook's JSON."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return nbg(cell).get("grade_id")


def grade_ids(cells) -> set[str]:
    """The nbgrader ids of these cells."""
    return {grade_id(c) for c in cells} - {None}


def split_test(source: str) -> tuple[str, list[tuple[str, str]]]:
    """(visible part, [(check name, hidden part), ...]) of a test cell."""
    if HIDDEN_BEGIN not in source:
        return source, []
    visible, rest = source.split(HIDDEN_BEGIN, 1)
    hidden = rest.split(HIDDEN_END, 1)[0]
    after = rest.split(HIDDEN_END, 1)[1] if HIDDEN_END in rest else ""
    marks = list(CHECK.finditer(hidden))
    if not marks:
        parts = [("hidden tests", hidden)]
    else:
        parts = []
        if hidden[:marks[0].start()].strip():
            parts.append(("hidden setup", hidden[:marks[0].start()]))
        for m, nxt in zip(marks, marks[1:] + [None]):
            parts.append((m.group(1), hidden[m.end():nxt.start() if nxt else len(hidden)]))
    return visible + after, parts
