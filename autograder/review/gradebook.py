"""The one gradebook: nbgrader's `<course>/gradebook.db`, written only here, read by feedback, export and
by-question, always through the course folder's one connection (`CourseFolder.gradebook()`).

nbgrader's tables hold every score (autograded and manual, entered in formgrader or on the by-question
page) and the graders' comments. Tables of our own in the same file hold what nbgrader has no column
for: `course_autograder`, each test cell's checks (n of m passed, the names of failing hidden checks,
the visible test's message), the grader's notes, "needs re-grade", and the LMS facts of a submission
(LMS id, late); `course_rubric_marks` and `course_rubric_points`, the by-question page's rubric items
given to each answer and each item's points.

Many graders share the gradebook at once (formgrader, by-question pages, `grade --retry-failed`), and
SQLite lets one of them write at a time. So every connection waits up to BUSY_TIMEOUT seconds for the
others (nbgrader's engine too: the `timeout` of its URL), writes are short, a write that reads what it
changes does both in one transaction taken at once (`in_transaction`: BEGIN IMMEDIATE), and a write
that still finds the gradebook locked is tried again (`retrying`).
"""
from __future__ import annotations

import json
import sqlite3
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from ..cells import source_notebook
from ..course import BUSY_TIMEOUT, CourseFolder, require_course
from ..grading.results import Result

TABLE = "course_autograder"
RUBRIC_MARKS, RUBRIC_POINTS = "course_rubric_marks", "course_rubric_points"
ATTEMPTS = 4           # tries of a write that still found the gradebook locked
T = TypeVar("T")


def _locked(err: Exception) -> bool:
    return any(w in str(err) for w in ("database is locked", "database table is locked", "database is busy"))


def retrying(work: Callable[[], T]) -> T:
    """work(), tried again (up to ATTEMPTS times) while SQLite says the gradebook is locked by another grader.
    work must be safe to repeat: it runs in a transaction that a locked error rolled back."""
    from sqlalchemy.exc import OperationalError
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except (sqlite3.OperationalError, OperationalError) as err:
            if not _locked(err) or attempt == ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


@contextmanager
def write_transaction(gb):
    """One write transaction on an open Gradebook, taken at once (BEGIN IMMEDIATE): nobody else writes
    between what it reads and what it writes. Committed at the end, rolled back on any error."""
    from sqlalchemy import text
    gb.db.commit()                       # whatever the session had begun
    gb.db.execute(text("BEGIN IMMEDIATE"))
    gb.db.expire_all()                   # read again, now under the lock
    try:
        yield gb
    except BaseException:
        gb.db.rollback()
        raise
    gb.db.commit()


def in_transaction(course: Path, work: Callable[..., T]) -> T:
    """work(gb) in one write transaction of the course's gradebook (retried while locked); its result."""
    def attempt() -> T:
        with CourseFolder(course).gradebook() as gb, write_transaction(gb):
            return work(gb)
    return retrying(attempt)


def in_snapshot(course: Path, work: Callable[..., T]) -> T:
    """work(gb) reading the gradebook as it is at one moment (one read transaction, rolled back); its result."""
    def attempt() -> T:
        from sqlalchemy import text
        with CourseFolder(course).gradebook() as gb:
            gb.db.execute(text("BEGIN"))
            try:
                return work(gb)
            finally:
                gb.db.rollback()
    return retrying(attempt)


def ensure_gradebook(course: Path, assignment: str) -> CourseFolder:
    """The course folder with the assignment generated into its nbgrader gradebook (once)."""
    cf = CourseFolder(course).prepare()
    from nbgrader.api import MissingEntry
    with cf.gradebook() as gb:
        try:
            gb.find_assignment(assignment)
            return cf
        except MissingEntry:
            pass
    cf.add_source(source_notebook(assignment).parent)
    cf.generate(assignment)
    return cf


def _sql(gb, sql: str, **params):
    """One SQL statement on an open Gradebook's connection (in the transaction it holds); its result."""
    from sqlalchemy import text
    return gb.db.execute(text(sql), params)


def _have(gb, *tables: str) -> bool:
    """Whether the gradebook has these tables of ours: a write makes them, and reading never writes."""
    return _sql(gb, f"SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                    f"({', '.join(f':t{i}' for i in range(len(tables)))})",
                **{f"t{i}": t for i, t in enumerate(tables)}).scalar() == len(tables)


def _details(gb, assignment: str) -> dict[str, dict]:
    if not _have(gb, TABLE):
        return {}
    rows = _sql(gb, f"SELECT student, detail FROM {TABLE} WHERE assignment = :a", a=assignment)
    return {s: json.loads(d) for s, d in rows}


def _put_detail(gb, assignment: str, student: str, detail: dict) -> None:
    _sql(gb, f"CREATE TABLE IF NOT EXISTS {TABLE} (assignment TEXT, student TEXT, detail TEXT, "
             f"PRIMARY KEY (assignment, student))")
    _sql(gb, f"INSERT OR REPLACE INTO {TABLE} VALUES (:a, :s, :d)", a=assignment, s=student, d=json.dumps(detail))


def record(course: Path, result: Result, lms: dict | None = None) -> None:
    """Write one result into the gradebook: autograded scores into nbgrader's tables (manual cells stay
    to grade: their scores are never touched here), the checks and notes into ours.

    A result that needs a re-grade (the grader failed) writes no score: no student gets a zero for it.
    The scores are written in one transaction taken at once, so a manual score that a grader saves
    meanwhile is seen (and kept) here."""
    lms = lms or {}
    detail = {"cells": {k: {f: getattr(c, f) for f in ("status", "visible_error", "hidden_failed",
                                                         "checks_passed", "checks_total")}
                        for k, c in result.cells.items()},
              "reasons": result.reasons, "needs_regrade": result.needs_regrade, "lms": lms}
    in_transaction(course, lambda gb: _put_detail(gb, result.assignment, result.student, detail))
    if result.needs_regrade:
        return
    retrying(lambda: _record_scores(course, result, lms))


def _record_scores(course: Path, result: Result, lms: dict) -> None:
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning
    with warnings.catch_warnings(), CourseFolder(course).gradebook() as gb:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these; harmless
        gb.update_or_create_student(result.student, **{k: lms[k] for k in ("first_name", "last_name", "email",
                                                                             "lms_user_id") if lms.get(k)})
        try:
            gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            gb.add_submission(result.assignment, result.student)   # nbgrader commits each of these itself
        with write_transaction(gb):
            for nb in gb.find_submission(result.assignment, result.student).notebooks:
                for grade in nb.grades:
                    if grade.name in result.cells:
                        grade.auto_score = result.cells[grade.name].score
                        grade.needs_manual_grade = False
                    elif grade.manual_score is None:   # a written answer nobody has graded yet
                        grade.needs_manual_grade = True


def set_manual(course: Path, assignment: str, student: str, grade_id: str, score: float | None,
               comment: str | None = None) -> None:
    """A manual score (and comment) for one cell, as formgrader would store it."""
    in_transaction(course, lambda gb: put_manual(gb, assignment, student, grade_id, score, comment))


def put_manual(gb, assignment: str, student: str, grade_id: str, score: float | None,
               comment: str | None = None) -> None:
    """set_manual inside a transaction the caller holds (by-question writes its rubric marks in the same one).
    A student with no submission of the assignment is nbgrader's MissingEntry; nothing is written."""
    grade = gb.find_grade(grade_id, assignment, assignment, student)
    if score is not None and not 0 <= score <= grade.max_score:
        raise ValueError(f"{grade_id} is worth 0 to {grade.max_score:g} points, not {score:g}")
    grade.manual_score = score
    grade.needs_manual_grade = score is None
    if comment is not None:
        gb.find_comment(grade_id, assignment, assignment, student).manual_comment = comment


def find_grade(gb, assignment: str, grade_id: str, student: str):
    """nbgrader's grade of one cell of a student's submission; LookupError when there is no submission."""
    from nbgrader.api import MissingEntry
    try:
        return gb.find_grade(grade_id, assignment, assignment, student)
    except MissingEntry:
        raise LookupError(f"{student!r} has no submission of {assignment}: nothing was written") from None


def manual_scores(gb, assignment: str, grade_id: str) -> dict[str, float | None]:
    """The manual score of one cell for every submission of the assignment (None: not graded)."""
    return {sub.student.id: next((g.manual_score for nb in sub.notebooks for g in nb.grades if g.name == grade_id),
                                 None)
            for sub in gb.find_assignment(assignment).submissions}


def students(course: Path, assignment: str) -> list[str]:
    """The students with a submission of the assignment in the gradebook."""
    def ids() -> list[str]:
        with CourseFolder(course).gradebook() as gb:
            return [s.student.id for s in gb.find_assignment(assignment).submissions]
    return retrying(ids)


# -- the by-question page's rubric items: which items each answer has, and each item's points (when changed)
def rubric_marks(gb, assignment: str, question: str) -> dict[str, list[int]]:
    if not _have(gb, RUBRIC_MARKS, RUBRIC_POINTS):
        return {}
    return {s: json.loads(items) for s, items in _sql(
        gb, f"SELECT student, items FROM {RUBRIC_MARKS} WHERE assignment=:a AND question=:q", a=assignment, q=question)}


def rubric_points(gb, assignment: str, question: str) -> dict[int, float]:
    """The points of the items whose points were changed on the page, by item number."""
    if not _have(gb, RUBRIC_MARKS, RUBRIC_POINTS):
        return {}
    return dict(_sql(gb, f"SELECT item, points FROM {RUBRIC_POINTS} WHERE assignment=:a AND question=:q",
                     a=assignment, q=question).fetchall())


def _make_rubric_tables(gb) -> None:
    _sql(gb, f"CREATE TABLE IF NOT EXISTS {RUBRIC_MARKS} (assignment TEXT, question TEXT, student TEXT, "
             f"items TEXT, grader TEXT, PRIMARY KEY (assignment, question, student))")
    _sql(gb, f"CREATE TABLE IF NOT EXISTS {RUBRIC_POINTS} (assignment TEXT, question TEXT, item INTEGER, "
             f"points REAL, PRIMARY KEY (assignment, question, item))")


def put_rubric_marks(gb, assignment: str, question: str, student: str, items: list[int], grader: str) -> None:
    """The rubric items one answer has, inside a transaction the caller holds."""
    _make_rubric_tables(gb)
    _sql(gb, f"INSERT OR REPLACE INTO {RUBRIC_MARKS} VALUES (:a, :q, :s, :items, :grader)", a=assignment,
         q=question, s=student, items=json.dumps(sorted(items)), grader=grader)


def put_rubric_points(gb, assignment: str, question: str, item: int, points: float) -> None:
    """One rubric item's points, inside a transaction the caller holds."""
    _make_rubric_tables(gb)
    _sql(gb, f"INSERT OR REPLACE INTO {RUBRIC_POINTS} VALUES (:a, :q, :item, :points)", a=assignment,
         q=question, item=item, points=float(points))


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
    with CourseFolder(course).gradebook() as gb:
        a = gb.find_assignment(assignment)
        return [(g.name, g.max_score, "auto" if g.cell_type == "code" else "manual")
                for nb in a.notebooks for g in nb.grade_cells]


def read(course: Path, assignment: str) -> list[StudentGrades]:
    """Every student of the assignment as the gradebook has them (graded or marked "needs re-grade")."""
    out = {}
    with CourseFolder(course).gradebook() as gb:
        details = _details(gb, assignment)
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


def require_graded(course: Path, assignment: str) -> None:
    """Stop with one message, before anything is written, when `course` has no gradebook or `assignment` was
    never graded there (a wrong --course, or feedback/export before grade): `record` writes every graded
    submission, a "needs re-grade" one too, into our table. Only peeks, read-only: opening nbgrader's
    Gradebook would create a missing file, or change one that is not a gradebook."""
    db = CourseFolder(require_course(course)).gradebook_path
    graded = 0
    if db.exists():
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
        try:
            graded = con.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE assignment = ?", (assignment,)).fetchone()[0]
        except sqlite3.DatabaseError:   # no such table: `grade` never recorded anything here
            graded = 0
        finally:
            con.close()
    if not graded:
        raise SystemExit(f"{course}: nothing of {assignment} has been graded there yet (no results in "
                         f"{db.name}). Run `python -m autograder grade {assignment} --course {course}` first, "
                         f"or check --course and the assignment's name.")
