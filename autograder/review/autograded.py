"""nbgrader's autograded notebook of a submission, for formgrader's manual grading view (instructors only).

`<course>/autograded/<student>/<assignment>/<assignment>.ipynb` is the notebook as it was graded: the
source's cells in order, with the student's solution cells (and the code cells they added) and their
outputs, the student's written answers each followed by its rubric, and each test cell in its release
form (no hidden tests) with the grader's verdict as its only output. Whatever the student's code printed
while tests ran is not in it. Every graded cell keeps the source's nbgrader metadata, so formgrader puts
its score box and comment box beside it.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from ..cells import nbg, split_test
from ..course import CourseFolder
from ..grading.assembly import assemble
from ..grading.results import CellResult, Result
from .rubric import rubrics


def verdict(c: CellResult) -> str:
    """The test cell's output in the autograded notebook: the score and the checks, never their source."""
    lines = [f"autograder: {c.score:g} / {c.points:g} points, {c.status}"]
    if c.checks_total:
        lines.append(f"{c.checks_passed} of {c.checks_total} checks passed")
    if c.visible_error:
        lines.append(f"visible test failed: {c.visible_error}")
    lines += [f"hidden check failed: {n}" for n in c.hidden_failed]
    return "\n".join(lines) + "\n"


def _student_nb(submission: Path):
    try:
        return nbformat.read(submission, as_version=4)
    except Exception:  # noqa: BLE001  (an unreadable submission: the instructor sees the source with no answers)
        return nbformat.v4.new_notebook()


def build(source: Path, submission: Path, result: Result):
    """The autograded notebook of one graded submission."""
    source_nb = nbformat.read(source, as_version=4)
    steps, answers, _ = assemble(source_nb, _student_nb(submission))
    rubric = rubrics(source)
    by_at: dict[int, list[tuple[int, dict]]] = {}
    for n, step in enumerate(steps):
        by_at.setdefault(step["at"], []).append((n, step))
    out = nbformat.v4.new_notebook(metadata=source_nb.metadata)

    def code(text: str, n: int | None, meta: dict | None = None, outputs=None):
        cell = nbformat.v4.new_code_cell(text, metadata=meta or {})
        cell.outputs = [nbformat.from_dict(o) for o in (outputs if outputs is not None
                                                        else result.outputs.get(str(n), []))]
        out.cells.append(cell)

    for n, step in by_at.get(-1, []):
        code(step["code"], n)
    for i, c in enumerate(source_nb.cells):
        meta, here = nbg(c), by_at.get(i, [])
        own = next((s for _, s in here if s["kind"] != "added"), None)
        if c.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            text = answers.get(meta["grade_id"], "").strip() or "*(no answer)*"
            out.cells.append(nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": dict(meta)}))
            out.cells.append(nbformat.v4.new_markdown_cell(rubric[meta["grade_id"]].markdown()))
        elif c.cell_type == "markdown":
            out.cells.append(nbformat.v4.new_markdown_cell(c.source, metadata=dict(c.metadata)))
        elif own is not None and own["kind"] == "test":
            cell_result = result.cells[meta["grade_id"]]
            code(split_test(c.source)[0], None, dict(c.metadata),
                 [{"output_type": "stream", "name": "stdout", "text": verdict(cell_result)}])
        elif own is not None and own["kind"] == "solution":
            n = next(n for n, s in here if s is own)
            code(own["code"], n, dict(c.metadata))
        else:
            code(c.source, None, dict(c.metadata), [])
        for n, step in here:
            if step["kind"] == "added":
                code(step["code"], n)
    return out


def write(course: Path, source: Path, submission: Path, result: Result) -> Path:
    path = CourseFolder(course).autograded(result.student, result.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = build(source, submission, result)
    tmp = path.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return path
