"""The course folder: its layout (every path in it), its one gradebook connection, and nbgrader run in it.

A course folder is where nbgrader keeps its gradebook and the students' folders; it is never the
repository. Its layout, made as needed by the step that writes there:

    nbgrader_config.py, gradebook.db        nbgrader's config (a copy of autograder/nbgrader_config.py) and the
                                            one gradebook (review/gradebook.py writes it)
    solutions/<a>/, notebooks/<a>/          nbgrader's copy of the source, and the release it generates
    submitted/<student>/<a>/<a>.ipynb       a collected submission, lms.json beside it (lms/collect.py)
    unmatched/, roster.json, set_aside.json, collect_report.txt     what collect kept, knows and reported
    grades/<a>/<student>.json, .lock        the grading batch's resume cache and lock (grading/batch.py)
    autograded/<student>/<a>/<a>.ipynb      formgrader's notebook of a graded submission (review/autograded.py)
    feedback/<a>/<student>.html             review/feedback.py
    export/<a>-grades.csv, ...              review/export.py
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .cells import RELEASE, REPO, SOURCE, notebook, source_notebook
from .environment import nbgrader_env
from .grading.limits import NBGRADER_COMMAND_TIMEOUT

CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"
BUSY_TIMEOUT = 30   # seconds a gradebook connection waits for another grader's write before "database is locked"


def assignments(source: Path = REPO / SOURCE) -> list[str]:
    """Assignment names present in a source folder (each a folder holding <name>.ipynb)."""
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if notebook(source, p.name).exists())


class _Inside:
    """A path inside the course folder, read as an attribute: `CourseFolder(root).roster` is root/roster.json."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, course, owner=None):
        return self if course is None else course.root / self.name


@dataclass
class CourseFolder:
    """A course folder: every path in it, its gradebook, nbgrader commands run in it. Making one writes
    nothing; `prepare()` (and every nbgrader command) makes the folder and puts the course's config in it."""
    root: Path

    # nbgrader's folders of student work (nbgrader_config.py gives nbgrader these names)
    SUBMITTED: ClassVar[str] = "submitted"
    AUTOGRADED: ClassVar[str] = "autograded"
    FEEDBACK: ClassVar[str] = "feedback"
    LMS_FACTS: ClassVar[str] = "lms.json"   # beside each collected submission: what the LMS said of it

    # -- the layout
    gradebook_path = _Inside("gradebook.db")
    config_path = _Inside("nbgrader_config.py")
    submitted = _Inside(SUBMITTED)
    export = _Inside("export")                     # grades, item analysis, LMS import files
    unmatched = _Inside("unmatched")               # the files collect could not place
    roster = _Inside("roster.json")                # the rosters collect has read
    set_aside = _Inside("set_aside.json")          # the files of roster students that could not be placed
    collect_report = _Inside("collect_report.txt")

    def __post_init__(self):
        self.root = Path(self.root)

    def submission(self, student: str, assignment: str) -> Path:
        return notebook(self.submitted / student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        return notebook(self.root / self.AUTOGRADED / student, assignment)

    def feedback_folder(self, assignment: str) -> Path:
        return self.root / self.FEEDBACK / assignment

    def feedback(self, assignment: str, student: str) -> Path:
        return self.feedback_folder(assignment) / f"{student}.html"

    def grades(self, assignment: str) -> Path:
        """The grading batch's folder of an assignment: its resume cache and its lock."""
        return self.root / "grades" / assignment

    def result(self, assignment: str, student: str) -> Path:
        """A student's cached result (the batch's resume cache: nothing reads grades from it)."""
        return self.grades(assignment) / f"{student}.json"

    # -- the gradebook
    @property
    def gradebook_url(self) -> str:
        """nbgrader's database URL of the gradebook: a connection waits BUSY_TIMEOUT seconds for a writer."""
        return f"sqlite:///{self.gradebook_path}?timeout={BUSY_TIMEOUT}"

    def gradebook(self):
        """The one connection to the gradebook: nbgrader's Gradebook (a context manager)."""
        from nbgrader.api import Gradebook
        return Gradebook(self.gradebook_url)

    # -- nbgrader
    def prepare(self) -> CourseFolder:
        """Make the folder and put the course's nbgrader config in it (nbgrader and formgrader read it there)."""
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(CONFIG, self.config_path)
        return self

    def add_source(self, folder: Path) -> None:
        """Copy one assignment's source folder (solutions/<name>/) into the course."""
        dest = self.root / SOURCE / folder.name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def nbgrader(self, *args: str, timeout: int = NBGRADER_COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        self.prepare()
        cmd = [sys.executable, "-m", "nbgrader", *args, "--CourseDirectory.root=" + str(self.root)]
        proc = subprocess.run(cmd, cwd=self.root, env=nbgrader_env(), capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"`nbgrader {' '.join(args)}` failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def generate(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return notebook(self.root / RELEASE, assignment)

    def submit(self, student: str, assignment: str, notebook: Path) -> Path:
        dest = self.submission(student, assignment)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, dest)
        return dest

    def autograde(self, assignment: str, student: str | None = None) -> None:
        args = ["autograde", assignment, "--force"]
        if student:
            args.append(f"--student={student}")
        self.nbgrader(*args)

    def scores(self, assignment: str, student: str) -> dict:
        """Autograded points per graded cell and in total, from the gradebook."""
        with self.gradebook() as gb:
            sub = gb.find_submission(assignment, student)
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = {"score": g.score, "max": g.max_score, "type": g.cell_type}
            # Autograded cells are the graded code cells (test cells); markdown answers are manual.
            auto = [v for v in cells.values() if v["type"] == "code"]
            return {"cells": cells, "auto_score": sum(v["score"] for v in auto),
                    "auto_max": sum(v["max"] for v in auto)}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def source_path(assignment: str) -> Path:
    path = source_notebook(assignment)
    if not path.exists():
        raise SystemExit(f"No source notebook for '{assignment}' (expected {path.relative_to(REPO)}).")
    return path


def require_course(course: Path) -> Path:
    """The course folder `course`, or one message when it does not exist (a mistyped --course): the steps
    after collect never make one."""
    course = Path(course)
    if not course.is_dir():
        raise SystemExit(f"{course}: no such course folder. Check --course (the folder `collect --create` made).")
    return course
