"""The one gradebook: nbgrader's `<course>/gradebook.db`, written only here, read by feedback, export and summary.

nbgrader's tables hold every score (autograded and manual, entered in formgrader or on the by-question
page) and the graders' comments. One table of our own in the same file, `course_autograder`, holds
what nbgrader has no column for: each test cell's checks (n of m passed, the names of failing hidden
checks, the visible test's message), the grader's notes, "needs re-grade", and the LMS facts of a
submission (LMS id, late). `<course>/grades/<assignment>/<student>.json` is the grading batch's own
cache (to resume a stopped batch); nothing reads grades from it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .course import REPO, CourseFolder
from .results import Result

TABLE = "course_autograder"


def result_path(course: Path, assignment: str, student: str) -> Path:
    return Path(course) / "grades" / assignment / f"{student}.json"


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def db_url(course: Path) -> str:
    return f"sqlite:///{Path(course) / 'gradebook.db'}"


def open_gradebook(course: Path):
    from nbgrader.api import Gradebook
    return Gradebook(db_url(course))


def ensure_gradebook(course: Path, assignment: str) -> CourseFolder:
    """The course folder with the assignment generated into its nbgrader gradebook (once)."""
    cf = CourseFolder(Path(course))
    from nbgrader.api import MissingEntry
    with open_gradebook(cf.root) as gb:
        try:
            gb.find_assignment(assignment)
            return cf
        except MissingEntry:
            pass
    cf.add_source(REPO / "solutions" / assignment)
    cf.generate(assignment)
    return cf


def _table(course: Path) -> sqlite3.Connection:
    con = sqlite3.connect(Path(course) / "gradebook.db", timeout=30)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (assignment TEXT, student TEXT, detail TEXT, "
                f"PRIMARY KEY (assignment, student))")
    return con


def _put_detail(course: Path, assignment: str, student: str, detail: dict) -> None:
    with _table(course) as con:
        con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?)", (assignment, student, json.dumps(detail)))
    con.close()


def _details(course: Path, assignment: str) -> dict[str, dict]:
    con = _table(course)
    rows = con.execute(f"SELECT student, detail FROM {TABLE} WHERE assignment = ?", (assignment,)).fetchall()
    con.close()
    return {s: json.loads(d) for s, d in rows}


def record(course: Path, result: Result, lms: dict | None = None) -> None:
    """Write one result into the gradebook: autograded scores into nbgrader's tables (manual cells stay
    to grade: their scores are never touched here), the checks and notes into ours.

    A result that needs a re-grade (the grader failed) writes no score: no student gets a zero for it."""
    lms = lms or {}
    detail = {"cells": {k: {f: getattr(c, f) for f in ("status", "visible_error", "hidden_failed",
                                                         "checks_passed", "checks_total")}
                        for k, c in result.cells.items()},
              "reasons": result.reasons, "needs_regrade": result.needs_regrade, "lms": lms}
    _put_detail(course, result.assignment, result.student, detail)
    if result.needs_regrade:
        return
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning
    with warnings.catch_warnings(), open_gradebook(course) as gb:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these; harmless
        gb.update_or_create_student(result.student, **{k: lms[k] for k in ("first_name", "last_name", "email",
                                                                             "lms_user_id") if lms.get(k)})
        try:
            sub = gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            sub = gb.add_submission(result.assignment, result.student)
        for nb in sub.notebooks:
            for grade in nb.grades:
                if grade.name in result.cells:
                    grade.auto_score = result.cells[grade.name].score
                    grade.needs_manual_grade = False
                elif grade.manual_score is None:   # a written answer nobody has graded yet
                    grade.needs_manual_grade = True
        gb.db.commit()


def set_manual(course: Path, assignment: str, student: str, grade_id: str, score: float | None,
               comment: str | None = None) -> None:
    """A manual score (and comment) for one cell, as formgrader would store it."""
    with open_gradebook(course) as gb:
        grade = gb.find_grade(grade_id, assignment, assignment, student)
        if score is not None and not 0 <= score <= grade.max_score:
            raise ValueError(f"{grade_id} is worth 0 to {grade.max_score:g} points, not {score:g}")
        grade.manual_score = score
        grade.needs_manual_grade = score is None
        if comment is not None:
            gb.find_comment(grade_id, assignment, assignment, student).manual_comment = comment
        gb.db.commit()


@dataclass
class CellGrade:
    grade_id: str
    kind: str                 # "auto" (a test cell) or "manual" (a written answer)
    max_score: float
    score: float | None       # None: not graded yet (a manual cell)
    comment: str = ""         # the grader's comment (manual cells)
    detail: dict = field(default_factory=dict)   # checks of an autograded cell


@dataclass
class StudentGrades:
    student: str
    cells: dict[str, CellGrade]
    reasons: list[str] = field(default_factory=list)
    needs_regrade: str = ""
    lms: dict = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(c.score or 0 for c in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells.values())

    def score(self, kind: str) -> float:
        return sum(c.score or 0 for c in self.cells.values() if c.kind == kind)

    @property
    def ungraded(self) -> list[str]:
        return [g for g, c in self.cells.items() if c.score is None]


def cell_order(course: Path, assignment: str) -> list[tuple[str, float, str]]:
    """(grade id, points, "auto" | "manual") of every graded cell, in notebook order."""
    with open_gradebook(course) as gb:
        a = gb.find_assignment(assignment)
        return [(g.name, g.max_score, "auto" if g.cell_type == "code" else "manual")
                for nb in a.notebooks for g in nb.grade_cells]


def read(course: Path, assignment: str) -> list[StudentGrades]:
    """Every student of the assignment as the gradebook has them (graded or marked "needs re-grade")."""
    details = _details(course, assignment)
    out = {}
    with open_gradebook(course) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            d = details.get(sub.student.id, {})
            cells = {}
            for nb in sub.notebooks:
                comments = {c.name: c for c in nb.comments}
                for g in nb.grades:
                    kind = "auto" if g.cell_type == "code" else "manual"
                    graded = g.manual_score is not None or (kind == "auto" and g.auto_score is not None)
                    c = comments.get(g.name)
                    cells[g.name] = CellGrade(g.name, kind, g.max_score, g.score if graded else None,
                                              (c.manual_comment or "") if c else "", d.get("cells", {}).get(g.name, {}))
            out[sub.student.id] = StudentGrades(sub.student.id, cells, d.get("reasons", []), d.get("needs_regrade", ""),
                                                d.get("lms", {}))
    for student, d in details.items():
        if d.get("needs_regrade"):
            out[student] = StudentGrades(student, {}, d.get("reasons", []), d["needs_regrade"], d.get("lms", {}))
    return [out[s] for s in sorted(out)]
