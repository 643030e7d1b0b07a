"""Step 2, grade: every collected submission of an assignment, in parallel worker processes, resumable.

Each result goes into the gradebook, formgrader's autograded notebook and the batch's resume cache
(grades/<assignment>/<student>.json: write_json). One batch per course and assignment at a time. Ctrl-C,
SIGTERM and SIGHUP stop it cleanly, and a kill -9 leaves nothing that the next batch does not clean up:
see grade()."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..course import CourseFolder, sha256, source_path
from ..environment import worker_env
from ..lms.collect import lms_facts, submissions
from ..review.autograded import write as write_autograded
from ..review.gradebook import ensure_gradebook, record
from .limits import WORKER_GRACE, Limits
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


def _run_worker(src: Path, nb: Path, student: str, assignment: str, progress: Path, limits: Limits,
                warm: tuple[str, str] | None = None):
    """A worker for one submission, in its own session; it dies with this process, and its working folder
    (its temporary folder) lies in the batch's scratch folder, beside `progress`. With `warm` its kernel is
    forked from the batch's template (warm.py)."""
    cmd = [sys.executable, "-m", "autograder.grading.engine", str(src), str(nb), student, assignment, str(progress),
           "--parent-pid", str(os.getpid()), *limits.args(), *(["--warm", *warm] if warm else [])]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            env=worker_env(progress.parent))


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


def _lock(path: Path, create: bool = True) -> int | None:
    """A descriptor holding an exclusive lock on `path` until it is closed or this process ends, however it
    ends (kill -9 included); None where another process holds it (or, create=False, `path` is gone)."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
    except OSError:
        if create:
            raise
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


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


def _scratch() -> tuple[Path, int]:
    """This batch's scratch folder (progress files, the workers' working folders) in the temporary folder,
    marked as in use by the lock on its `owner` file (taken before the name appears)."""
    folder = Path(tempfile.mkdtemp(prefix="grading-"))
    os.chmod(folder, 0o711)  # a kernel that runs as nobody must reach its working folder inside
    fd = _lock(folder / ".owner")
    os.write(fd, str(os.getpid()).encode())
    os.rename(folder / ".owner", folder / "owner")
    return folder, fd


def _remove_stale_scratch() -> None:
    """Remove the scratch folders of batches that ended without cleaning up (kill -9, a power cut)."""
    for folder in Path(tempfile.gettempdir()).glob("grading-*"):
        fd = _lock(folder / "owner", create=False)
        if fd is not None:
            _remove(folder)
            os.close(fd)


def _remove(folder: Path) -> None:
    for _ in range(20):   # a kernel killed a moment ago may still hold a file open
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def _end(proc) -> None:
    """Kill a worker's process group and wait for it; its kernel dies with it (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def grade(course: Path, assignment: str, workers: int | None = None, limits: Limits = Limits(),
          force: bool = False, progress_bar: bool = True, retry_failed: bool = False,
          students: list[str] | None = None, warm: bool | None = None) -> dict[str, Result]:
    """Grade every collected submission of `assignment` (or only those of `students`), `workers` at a time;
    resume where stopped. A name in `students` with no collected submission is refused before anything runs.

    A submission whose grading failed through the grader's fault is kept as "needs re-grade" (no
    score); `retry_failed` grades those again, and only those.

    One batch grades an assignment of a course at a time (a lock in grades/<assignment>/; a second one
    is refused). Ctrl-C, SIGTERM and SIGHUP stop it cleanly: the workers and their kernels are ended, the
    scratch folder removed, what was graded is kept, and GradingStopped says how much; grading again
    grades the rest. Scratch folders of batches killed outright (kill -9) are removed by the next batch.

    `warm` (default: warm.default(), True unless AUTOGRADER_KERNELS=cold): each kernel is a fresh fork of one
    template process per batch that imported torch, transformers and shared once (warm.py); False: each kernel
    starts and imports on its own (cold)."""
    from tqdm.auto import tqdm
    course = Path(course).resolve()
    src = source_path(assignment)
    _chosen(course, assignment, students)   # a wrong name: refused before anything is locked or written
    lock = _only_batch(course, assignment)
    stop, results, total = _Stop(), {}, 0
    try:
        with stop.caught():
            src_sha = sha256(src)
            todo, results = _to_grade(course, assignment, src_sha, force, retry_failed, students)
            total = len(todo) + len(results)
            _remove_stale_scratch()
            # the workers' working folders lie in the scratch folder, itself in the temporary folder: hide both
            limits = replace(limits, hide=(*limits.hide, str(course), tempfile.gettempdir()))
            check_sandbox(limits)
            ensure_gradebook(course, assignment)
            from shared.models import resolve
            from shared.profiles import get_profile
            for spec in sorted(set(get_profile("smoke").models.values())):  # build each smoke model once, before
                resolve(spec)                                                # the kernels need them
            from .warm import default
            warm = default() if warm is None else warm
            _run(course, assignment, src, src_sha, todo, results, max(1, workers or os.cpu_count() or 1), limits,
                 stop, warm, tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission",
                                  disable=not progress_bar))
    except GradingStopped as stopped:
        stopped.graded, stopped.total = len(results), total
        raise
    finally:
        os.close(lock)
    return dict(sorted(results.items()))


def _run(course: Path, assignment: str, src: Path, src_sha: str, todo: list, results: dict, workers: int,
         limits: Limits, stop: _Stop, warm: bool, bar) -> None:
    """The workers, `workers` at a time, each result saved as it comes: into `results`, the gradebook and
    grades/<assignment>/; on any way out, the workers still running are ended and the scratch folder removed."""
    running: dict[str, tuple] = {}
    scratch, owner = _scratch()
    templates = contextlib.ExitStack()
    try:
        template = None
        if warm and todo:
            from .warm import template as warm_template
            template = templates.enter_context(warm_template(scratch))
        while todo or running:
            with stop.held():
                while todo and len(running) < workers:
                    student, nb, sub_sha = todo.pop(0)
                    progress = scratch / f"{student}.json"
                    proc = _run_worker(src, nb, student, assignment, progress, limits, template)
                    running[student] = (proc, progress, sub_sha, time.monotonic(), nb)
                for student, (proc, progress, sub_sha, started, nb) in list(running.items()):
                    over = time.monotonic() - started > limits.notebook_timeout + WORKER_GRACE
                    if proc.poll() is None and not over:
                        continue
                    result = _finished(proc, progress, over, src, student, assignment, limits)
                    record(course, result, lms_facts(nb))
                    if not result.needs_regrade:
                        write_autograded(course, src, nb, result)
                    data = result.to_json() | {"submission_sha": sub_sha, "source_sha": src_sha, "complete": True}
                    write_json(CourseFolder(course).result(assignment, student), data)
                    results[student] = result
                    del running[student]
                    bar.update(1)
            time.sleep(0.2)
    finally:
        with stop.held():
            for proc, *_ in running.values():
                _end(proc)
            templates.close()
            _remove(scratch)
            os.close(owner)
            with contextlib.suppress(OSError):   # the terminal may be gone (SIGHUP)
                bar.close()


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


def _finished(proc, progress: Path, over: bool, src: Path, student: str, assignment: str, limits: Limits) -> Result:
    """The result of a worker that ended (or ran over time and was killed); its failure is the grader's."""
    reason, grader_error = None, None
    if over:
        _end(proc)
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

