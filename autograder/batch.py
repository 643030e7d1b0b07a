"""Step 2, grade: every collected submission of an assignment, in parallel worker processes, resumable."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from .autograded import write as write_autograded
from .collect import lms_facts, submissions
from .course import sha256, source_path
from .gradebook import ensure_gradebook, record, result_path, write_json
from .limits import Limits
from .results import Result, empty_result


class UnsafeSandbox(SystemExit):
    """Grading refused: the kernel could read what it must not."""


def check_sandbox(limits: Limits) -> list[str]:
    """Refuse to grade where students' code could read the answers, unless the instructor said so."""
    from .sandbox import probe
    problems = probe(limits.hide)
    if not problems:
        return []
    listing = "\n".join(f"  - {p}" for p in problems)
    if not limits.allow_unsandboxed:
        raise UnsafeSandbox(
            f"REFUSING TO GRADE: the grading sandbox cannot keep students' code away from the answers:\n{listing}\n"
            f"A submission could read solutions/ (or the gradebook) and score full marks. Grade as root on Linux "
            f"(the sandbox needs mount, PID and network namespaces), for example in a container, or pass "
            f"--unsafe-allow-unsandboxed to grade anyway.")
    print(f"WARNING: grading WITHOUT a working sandbox (--unsafe-allow-unsandboxed):\n{listing}\n"
          f"Students' code can read the answers; check suspicious scores by hand.", file=sys.stderr)
    return problems


def _run_worker(src: Path, nb: Path, student: str, assignment: str, progress: Path, limits: Limits):
    cmd = [sys.executable, "-m", "autograder.worker", str(src), str(nb), student, assignment, str(progress),
           *limits.args()]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def grade(course: Path, assignment: str, workers: int | None = None, limits: Limits = Limits(),
          force: bool = False, progress_bar: bool = True, retry_failed: bool = False) -> dict[str, Result]:
    """Grade every collected submission of `assignment`, `workers` at a time; resume where stopped.

    A submission whose grading failed through the grader's fault is kept as "needs re-grade" (no
    score); `retry_failed` grades those again, and only those."""
    from tqdm.auto import tqdm
    course = Path(course).resolve()
    src = source_path(assignment)
    limits = replace(limits, hide=(*limits.hide, str(course)))
    check_sandbox(limits)
    ensure_gradebook(course, assignment)
    from shared.models import resolve
    from shared.profiles import get_profile
    for role in ("encoder", "causal_lm", "seq2seq"):  # build the smoke models once, before the kernels need them
        resolve(get_profile("smoke").model(role))
    src_sha = sha256(src)
    todo, results = _to_grade(course, assignment, src_sha, force, retry_failed)
    workers = max(1, workers or os.cpu_count() or 1)
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", disable=not progress_bar)
    running: dict[str, tuple] = {}
    scratch = Path(tempfile.mkdtemp(prefix="grading-"))
    try:
        while todo or running:
            while todo and len(running) < workers:
                student, nb, sub_sha = todo.pop(0)
                progress = scratch / f"{student}.json"
                proc = _run_worker(src, nb, student, assignment, progress, limits)
                running[student] = (proc, progress, sub_sha, time.monotonic(), nb)
            time.sleep(0.2)
            for student, (proc, progress, sub_sha, started, nb) in list(running.items()):
                over = time.monotonic() - started > limits.notebook_timeout + 60
                if proc.poll() is None and not over:
                    continue
                result = _finished(proc, progress, over, src, student, assignment, limits)
                record(course, result, lms_facts(nb))
                if not result.needs_regrade:
                    write_autograded(course, src, nb, result)
                data = result.to_json() | {"submission_sha": sub_sha, "source_sha": src_sha, "complete": True}
                write_json(result_path(course, assignment, student), data)
                results[student] = result
                del running[student]
                bar.update(1)
    finally:
        for proc, *_ in running.values():
            os.killpg(proc.pid, signal.SIGKILL)
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return dict(sorted(results.items()))


def _to_grade(course: Path, assignment: str, src_sha: str, force: bool, retry_failed: bool):
    """(submissions to grade, results already complete for this submission and source)."""
    todo, results = [], {}
    for student, nb in submissions(course, assignment):
        path = result_path(course, assignment, student)
        sub_sha = sha256(nb)
        if path.exists() and not force:
            old = json.loads(path.read_text())
            done = old.get("submission_sha") == sub_sha and old.get("source_sha") == src_sha and old.get("complete")
            if done and not (retry_failed and old.get("needs_regrade")):
                results[student] = Result.from_json(old)
                continue
        elif retry_failed:
            continue
        todo.append((student, nb, sub_sha))
    return todo, results


def _finished(proc, progress: Path, over: bool, src: Path, student: str, assignment: str, limits: Limits) -> Result:
    """The result of a worker that ended (or ran over time and was killed); its failure is the grader's."""
    reason, grader_error = None, None
    if over:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        reason = f"stopped at the notebook time limit ({limits.notebook_timeout} s)"
    elif proc.returncode != 0:
        err = (proc.stderr.read() or b"").decode(errors="replace").strip().splitlines()
        grader_error = f"the grader's worker failed ({err[-1][:200] if err else proc.returncode})"
    elif not progress.exists():
        grader_error = "the grader's worker wrote no result"
    result = (Result.from_json(json.loads(progress.read_text())) if progress.exists()
              else _empty_result(src, student, assignment))
    if grader_error:
        result.needs_regrade = grader_error
    elif reason:
        result.reasons.append(reason + ": tests not reached score 0")
        for c in result.cells.values():
            if c.status == "not run":
                c.status = "failed"
    return result


def _empty_result(src: Path, student: str, assignment: str) -> Result:
    import nbformat

    return empty_result(nbformat.read(src, as_version=4), student, assignment)

