"""Grading one submission: rebuild the notebook from the source, run it in a sandboxed kernel, score it.

Trust nothing in the submission but the student's answers:

* **Assembly.** The graded notebook is the instructor's source notebook (from
  solutions/), with the student's *solution* cells put in, matched by nbgrader
  grade_id (or, when an editor dropped the metadata, by the names the cell
  defines). Test cells, hidden tests and setup always come from the source, so
  deleted, edited, moved or duplicated test cells and faked outputs change
  nothing. Code cells the student added before the last test run where the
  student put them (helpers); cells after the last autograded test are not run.
* **Protection** (guard.py). Before any student code, the first kernel cell captures the
  builtins and the comparison functions tests use (math.isclose, numpy's and
  torch's allclose/isclose/equal and testing functions), the IPython hooks, and
  after each solution cell the objects it defined. Before every test part they
  are all put back, so a test never calls a replaced function or a stub swapped
  in later. Each test part runs inside try/except written by the engine and
  reports through random per-part tokens; a test passes only if its OK token is
  printed and its FAIL token is not. Known limit: code that reads its caller's
  frame (to learn the OK token) *and* silences the kernel's output stream class
  while a failing test runs could still fake a pass; nothing short of running
  tests outside the student's process closes that completely.
* **Limits.** The kernel runs through sandbox.py (memory cap, no
  network, its own PID namespace, the repository, home, temporary and course
  folders hidden but for what it needs), with a per-cell timeout; the caller
  enforces the per-notebook wall limit.
* **Hidden tests** are split at `# CHECK: <name>` lines and run part by part, so
  a failure is reported by the instructor's name for the check, never by its
  source or its traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from . import limits as grading_limits
from ..cells import grade_ids, nbg
from .assembly import assemble, defined_names
from .execution import execute
from .limits import Limits
from .results import Result, empty_result
from .sandbox import die_with_parent


def grade_notebook(source_path: Path, submission_path: Path, student: str, assignment: str,
                   workdir: Path, limits: Limits = Limits(), progress_file: Path | None = None,
                   warm: tuple[str, str] | None = None) -> Result:
    """Grade one submission; never raises for anything the submission does. With `warm` (a template's socket
    and fixed folder: warm.py) its kernel is forked from that template."""
    t0 = time.perf_counter()
    source_nb = nbformat.read(source_path, as_version=4)
    result = empty_result(source_nb, student, assignment)

    def save_progress():
        if progress_file is not None:
            tmp = progress_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(result.to_json()))
            os.replace(tmp, progress_file)

    try:
        raw = submission_path.read_text(encoding="utf-8", errors="replace")
        if not raw.strip():
            raise ValueError("the file is empty")
        student_nb = nbformat.reads(raw, as_version=4)
    except Exception as err:  # noqa: BLE001
        result.reasons.append(f"not a readable notebook ({type(err).__name__}: {str(err)[:200]}): every test scores 0")
        result.seconds = time.perf_counter() - t0
        save_progress()
        return result
    if not student_nb.cells:
        result.reasons.append("the notebook has no cells: every test scores 0")
        save_progress()
        return result
    src_ids, sub_ids = grade_ids(source_nb.cells), grade_ids(student_nb.cells)
    sub_names = {n for c in student_nb.cells if c.cell_type == "code" for n in defined_names(c.source)}
    sol_names = {n for c in source_nb.cells if nbg(c).get("solution") for n in defined_names(c.source)}
    if not (src_ids & sub_ids) and not (sol_names & sub_names):
        result.reasons.append(f"this is not a notebook of {assignment} (none of its cells or functions are there): "
                              f"every test scores 0")
        save_progress()
        return result

    try:
        steps, result.answers, notes = assemble(source_nb, student_nb)
        result.reasons += notes
        execute(steps, result, workdir, limits, save_progress, t0, warm)
    except Exception as err:  # noqa: BLE001  (a fault of the grader, never of the submission)
        result.needs_regrade = f"the grading engine failed: {type(err).__name__}: {str(err)[:300]}"
    result.seconds = time.perf_counter() - t0
    save_progress()
    return result


def grade_in_fresh_dir(source_path, submission_path, student, assignment, limits=Limits(),
                       progress_file=None, warm: tuple[str, str] | bool | None = None) -> Result:
    """`warm`: a template's (socket, fixed folder); True: a template of its own for this one submission (the
    warm path without its saving, for tests); None: cold unless warm.forced()."""
    from . import warm as warm_path
    if warm is None:
        warm = warm_path.forced()
    # a short name: the kernel's IPC sockets lie inside, and a socket's path may not pass 107 bytes
    with tempfile.TemporaryDirectory(prefix=f"grade-{student[:20]}-") as tmp:
        os.chmod(tmp, 0o711)  # the sandboxed kernel (user nobody) must reach its working folder inside
        workdir = Path(tmp) / "work"
        with contextlib.ExitStack() as stack:
            if warm is True:
                warm = stack.enter_context(warm_path.template(Path(tmp)))
            return grade_notebook(Path(source_path), Path(submission_path), student, assignment, workdir, limits,
                                  progress_file, warm or None)


def main() -> int:
    """One grading job in its own process (the batch's worker, or a fork of the engines' template: warm.py):
    `python -m autograder.grading.engine SOURCE SUBMISSION STUDENT ASSIGNMENT PROGRESS`.

    Writes the result (and partial results while it runs) to PROGRESS as JSON, so the batch keeps whatever
    it learned even if this process is killed. With --parent-pid PID (the batch) it dies with the batch,
    whatever kills the batch, and its kernel dies with it (sandbox.py)."""
    p = argparse.ArgumentParser()
    for name in ["source", "submission", "student", "assignment", "progress"]:
        p.add_argument(name)
    p.add_argument("--parent-pid", type=int, default=None, help="the batch's process id: end when it ends")
    p.add_argument("--warm", nargs=2, metavar=("SOCKET", "FOLDER"), default=None,
                   help="fork the kernel from the batch's template (warm.py) at SOCKET, its fixed folder FOLDER")
    grading_limits.add_arguments(p)
    a = p.parse_args()
    if a.parent_pid:
        die_with_parent(lambda: os.getppid() == a.parent_pid)
    limits = grading_limits.from_args(a)
    grade_in_fresh_dir(a.source, a.submission, a.student, a.assignment, limits, progress_file=Path(a.progress),
                       warm=tuple(a.warm) if a.warm else False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
