"""nbgrader, driven from Python: a course folder, release generation, autograding, scores.

A *course folder* is where nbgrader keeps its gradebook and the students'
folders; it is never the repository. `CourseFolder(path)` links or copies the
repository's solutions/ into it, and every nbgrader command runs there with
the repository's autograder/nbgrader_config.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .cells import REPO, SOURCE, notebook, source_notebook

CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"


def assignments(source: Path = REPO / SOURCE) -> list[str]:
    """Assignment names present in a source folder (each a folder holding <name>.ipynb)."""
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if notebook(source, p.name).exists())


def nbgrader_env() -> dict:
    """nbgrader shells out to alembic and jupyter: put this interpreter's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@dataclass
class CourseFolder:
    root: Path

    def __post_init__(self):
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(CONFIG, self.root / "nbgrader_config.py")

    def add_source(self, folder: Path) -> None:
        """Copy one assignment's source folder (solutions/<name>/) into the course."""
        dest = self.root / "solutions" / folder.name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def nbgrader(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "nbgrader", *args, "--CourseDirectory.root=" + str(self.root)]
        proc = subprocess.run(cmd, cwd=self.root, env=nbgrader_env(), capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"`nbgrader {' '.join(args)}` failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def generate(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.root / "notebooks" / assignment / f"{assignment}.ipynb"

    def submit(self, student: str, assignment: str, notebook: Path) -> Path:
        dest = self.root / "submitted" / student / assignment / f"{assignment}.ipynb"
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
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            sub = gb.find_submission(assignment, student)
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = {"score": g.score, "max": g.max_score, "type": g.cell_type}
            # Autograded cells are the graded code cells (test cells); markdown answers are manual.
            auto = [v for v in cells.values() if v["type"] == "code"]
            return {"cells": cells, "auto_score": sum(v["score"] for v in auto),
                    "auto_max": sum(v["max"] for v in auto)}


def strip_outputs(path: Path) -> None:
    """Remove outputs and execution counts in place (the committed form of a notebook)."""
    nb = json.loads(path.read_text())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


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
