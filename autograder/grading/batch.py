"""Step 2, grade: every collected submission of an assignment, in parallel worker processes (worker.py), or
on a Dask cluster (cluster.py), resumable.

Each result goes into the gradebook, formgrader's autograded notebook and the batch's resume cache
(grades/<assignment>/<student>.json: write_json). One batch per course and assignment at a time. Ctrl-C,
SIGTERM and SIGHUP stop it cleanly, and a kill -9 leaves nothing that the next batch does not clean up:
see grade()."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..course import CourseFolder, sha256, source_path
from ..lms.collect import lms_facts, submissions
from ..review.autograded import write as write_autograded
from ..review.gradebook import ensure_gradebook, record
from .limits import WORKER_GRACE, Limits
from .results import Result
from .worker import (UnsafeSandbox, _end, _finished, _lock, _remove, _remove_stale_scratch,  # noqa: F401
                     _run_worker, _scratch, check_sandbox, smoke_models)


STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class GradingStopped(SystemExit):
    """Ctrl-C, SIGTERM or SIGHUP stopped the batch: its workers and kernels are ended, its scratch folders
    removed, and the `graded` of `total` submissions graded so far are saved. The exit code is 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum, self.graded, self.total = signum, 0, 0

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class _Stop:
    """The stop signals while a batch runs: the first raises GradingStopped, at once, or inside `held()` as
    soon as what it holds is done (a worker started and noted, a result saved: never half of one)."""

    def __init__(self):
        self.signum, self.armed = 0, True

    def _caught(self, signum, frame):
        self.signum = self.signum or signum
        if self.armed:
            self.armed = False   # one stop: a second Ctrl-C does not cut the cleaning up short
            raise GradingStopped(self.signum)

    @contextmanager
    def caught(self):
        """Catch the stop signals in this block (main thread only). An ignored one stays ignored (nohup)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        before = {s: signal.getsignal(s) for s in STOPS}
        for s, handler in before.items():
            if handler != signal.SIG_IGN:
                signal.signal(s, self._caught)
        try:
            yield
        finally:
            armed, self.armed = self.armed, False
            for s, handler in before.items():
                signal.signal(s, signal.SIG_DFL if handler is None else handler)
            if armed and self.signum:   # caught while putting the handlers back
                raise GradingStopped(self.signum)

    @contextmanager
    def held(self):
        armed, self.armed = self.armed, False
        yield
        self.armed = armed
        if armed and self.signum:
            self.armed = False
            raise GradingStopped(self.signum)


def _only_batch(course: Path, assignment: str) -> int:
    """The lock that makes this the one batch grading `assignment` in `course`, or SystemExit naming the other."""
    path = CourseFolder(course).grades(assignment) / ".lock"   # beside the results
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _lock(path)
    if fd is None:
        pid = path.read_text().strip() or "unknown"
        raise SystemExit(f"another grade of {assignment} is running (pid {pid}) in {course}: let it finish, "
                         f"or stop it, then run grade again.")
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def grade(course: Path, assignment: str, workers: int | None = None, limits: Limits = Limits(),
          force: bool = False, progress_bar: bool = True, retry_failed: bool = False,
          students: list[str] | None = None, scheduler: str | None = None,
          warm: bool | None = None) -> dict[str, Result]:
    """Grade every collected submission of `assignment` (or only those of `students`), `workers` at a time;
    resume where stopped. A name in `students` with no collected submission is refused before anything runs.

    With `scheduler` (a Dask scheduler's address) each submission is one task on that cluster instead
    (cluster.py: `workers` does not apply); this process still writes every result. An unreachable
    scheduler, or a worker whose sandbox cannot hide the answers, is refused before anything is written.

    A submission whose grading failed through the grader's fault is kept as "needs re-grade" (no
    score); `retry_failed` grades those again, and only those.

    One batch grades an assignment of a course at a time (a lock in grades/<assignment>/; a second one
    is refused). Ctrl-C, SIGTERM and SIGHUP stop it cleanly: the workers and their kernels are ended, the
    scratch folder removed, what was graded is kept, and GradingStopped says how much; grading again
    grades the rest. Scratch folders of batches killed outright (kill -9) are removed by the next batch.

    `warm` (default: warm.default(), True unless AUTOGRADER_KERNELS=cold): each kernel is a fresh fork of one
    template process per batch that imported torch, transformers and shared once, and each submission's worker
    process a fork of another that imported the grading engine's libraries (warm.py); False: each starts and
    imports on its own (cold). On a cluster each worker process keeps templates of its own (worker.warm_here)."""
    from tqdm.auto import tqdm
    course = Path(course).resolve()
    src = source_path(assignment)
    _chosen(course, assignment, students)   # a wrong name: refused before anything is locked or written
    # the workers' working folders lie in the scratch folder, itself in the temporary folder: hide both
    limits = replace(limits, hide=(*limits.hide, str(course), tempfile.gettempdir()))
    from .warm import default
    warm = default() if warm is None else warm
    client = _cluster(scheduler, limits, warm) if scheduler else None   # before the lock: a refusal writes nothing
    try:
        lock = _only_batch(course, assignment)
    except BaseException:
        if client is not None:
            client.close()
        raise
    stop, results, total = _Stop(), {}, 0
    try:
        with stop.caught():
            src_sha = sha256(src)
            todo, results = _to_grade(course, assignment, src_sha, force, retry_failed, students)
            total = len(todo) + len(results)
            bar = lambda: tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission",  # noqa: E731
                               disable=not progress_bar)   # the same bar (rate, ETA) on both paths
            if client is not None:
                _on_cluster(client, course, assignment, src, src_sha, todo, results, limits, stop, warm, bar())
            else:
                _locally(course, assignment, src, src_sha, todo, results, workers, limits, stop, warm, bar())
    except GradingStopped as stopped:
        stopped.graded, stopped.total = len(results), total
        raise
    finally:
        os.close(lock)
        if client is not None:
            client.close()
    return dict(sorted(results.items()))


def _locally(course: Path, assignment: str, src: Path, src_sha: str, todo: list, results: dict,
             workers: int | None, limits: Limits, stop: _Stop, warm: bool | None, bar) -> None:
    """On this machine: stale scratch removed, the sandbox checked, the smoke models built, then the workers."""
    _remove_stale_scratch()
    check_sandbox(limits)
    ensure_gradebook(course, assignment)
    smoke_models()
    _run(course, assignment, src, src_sha, todo, results, max(1, workers or os.cpu_count() or 1), limits, stop,
         warm, bar)


def _cluster(scheduler: str, limits: Limits, warm: bool):
    """A client of the Dask scheduler at `scheduler`, the workers there now ready to grade; or SystemExit."""
    from . import cluster
    client = cluster.connect(scheduler)
    try:
        cluster.ready(client, limits, warm)
    except BaseException:
        client.close()
        raise
    return client


def _on_cluster(client, course: Path, assignment: str, src: Path, src_sha: str, todo: list, results: dict,
                limits: Limits, stop: _Stop, warm: bool, bar) -> None:
    """Each submission one task on the cluster (cluster.run); each result saved here as it arrives."""
    from . import cluster
    ensure_gradebook(course, assignment)
    cluster.run(client, assignment, src, src_sha, todo, limits, stop, bar,
                lambda job, result: _save(course, assignment, src, src_sha, job, result, results, bar), warm)


def _run(course: Path, assignment: str, src: Path, src_sha: str, todo: list, results: dict, workers: int,
         limits: Limits, stop: _Stop, warm: bool, bar) -> None:
    """The workers, `workers` at a time, each result saved as it comes: into `results`, the gradebook and
    grades/<assignment>/; on any way out, the workers still running are ended and the scratch folder removed."""
    running: dict[str, tuple] = {}
    scratch, owner = _scratch()
    templates = contextlib.ExitStack()
    try:
        template = engines = None
        if warm and todo:
            from . import warm as warm_path
            template, engines = templates.enter_context(warm_path.templates(scratch))
        while todo or running:
            with stop.held():
                while todo and len(running) < workers:
                    student, nb, sub_sha = todo.pop(0)
                    progress = scratch / f"{student}.json"
                    proc = _run_worker(src, nb, student, assignment, progress, limits, template, engines)
                    running[student] = (proc, progress, sub_sha, time.monotonic(), nb)
                for student, (proc, progress, sub_sha, started, nb) in list(running.items()):
                    over = time.monotonic() - started > limits.notebook_timeout + WORKER_GRACE
                    if proc.poll() is None and not over:
                        continue
                    result = _finished(proc, progress, over, src, student, assignment, limits)
                    _save(course, assignment, src, src_sha, (student, nb, sub_sha), result, results, bar)
                    del running[student]
            time.sleep(0.05)   # a finished worker's slot is filled within 50 ms
    finally:
        with stop.held():
            for proc, *_ in running.values():
                _end(proc)
            templates.close()
            _remove(scratch)
            os.close(owner)
            with contextlib.suppress(OSError):   # the terminal may be gone (SIGHUP)
                bar.close()


def _save(course: Path, assignment: str, src: Path, src_sha: str, job: tuple, result: Result, results: dict,
          bar) -> None:
    """One submission's result (`job`: student, notebook, its sha256), saved as it comes by the batch's one
    writer, whichever machine graded it: into `results`, the gradebook, formgrader's autograded notebook
    (not for a re-grade) and the resume cache grades/<assignment>/<student>.json; the bar moves on."""
    student, nb, sub_sha = job
    record(course, result, lms_facts(nb))
    if not result.needs_regrade:
        write_autograded(course, src, nb, result)
    data = result.to_json() | {"submission_sha": sub_sha, "source_sha": src_sha, "complete": True}
    write_json(CourseFolder(course).result(assignment, student), data)
    results[student] = result
    bar.update(1)


def write_json(path: Path, data: dict) -> None:
    """A result of the resume cache, written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


class UnknownStudents(ValueError):
    """A name given to grade(students=...) with no collected submission."""


def _chosen(course: Path, assignment: str, students: list[str] | None) -> list[tuple[str, Path]]:
    """The collected submissions of `students` (all when None); a name without one is refused."""
    collected = submissions(course, assignment)
    if students is None:
        return collected
    unknown = sorted(set(students) - {student for student, _ in collected})
    if unknown:
        raise UnknownStudents(f"no collected submission of {assignment} for {', '.join(unknown)}: check the names "
                              f"against the folders in {CourseFolder(course).submitted} ({len(collected)} collected)")
    return [(student, nb) for student, nb in collected if student in set(students)]


def _to_grade(course: Path, assignment: str, src_sha: str, force: bool, retry_failed: bool,
              students: list[str] | None = None):
    """(submissions to grade, results already complete for this submission and source), of `students` only
    when given.

    With `force`, every result is marked incomplete first, so a forced batch stopped midway resumes
    without --force."""
    todo, results = [], {}
    for student, nb in _chosen(course, assignment, students):
        path = CourseFolder(course).result(assignment, student)
        sub_sha = sha256(nb)
        if path.exists() and not force:
            old = json.loads(path.read_text())
            done = old.get("submission_sha") == sub_sha and old.get("source_sha") == src_sha and old.get("complete")
            if done and not (retry_failed and old.get("needs_regrade")):
                results[student] = Result.from_json(old)
                continue
        elif retry_failed:
            continue
        elif path.exists():
            write_json(path, json.loads(path.read_text()) | {"complete": False})
        todo.append((student, nb, sub_sha))
    return todo, results


