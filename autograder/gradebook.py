"""The one writer of grades: nbgrader's gradebook and the per-student result files in <course>/grades/."""
from __future__ import annotations

import json
import os
from pathlib import Path

from .course import REPO, CourseFolder
from .results import Result


def result_path(course: Path, assignment: str, student: str) -> Path:
    return Path(course) / "grades" / assignment / f"{student}.json"


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def ensure_gradebook(course: Path, assignment: str) -> CourseFolder:
    """The course folder with the assignment generated into its nbgrader gradebook (once)."""
    cf = CourseFolder(Path(course))
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(f"sqlite:///{cf.root / 'gradebook.db'}") as gb:
        try:
            gb.find_assignment(assignment)
            return cf
        except MissingEntry:
            pass
    cf.add_source(REPO / "solutions" / assignment)
    cf.generate(assignment)
    return cf


def record(course: Path, result: Result) -> None:
    """Write one result into nbgrader's gradebook (autograded scores; manual cells stay to grade).

    A result that needs a re-grade (the grader failed) writes nothing: no student gets a zero for it."""
    import warnings
    if result.needs_regrade:
        return

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these; harmless
        gb.update_or_create_student(result.student)
        try:
            gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            gb.add_submission(result.assignment, result.student)
        for gid, cell in result.cells.items():
            grade = gb.find_grade(gid, result.assignment, result.assignment, result.student)
            grade.auto_score = cell.score
        gb.db.commit()

