"""A grading worker: one submission in its own process (`python -m autograder.grading.engine`, or a fork of the
batch's engines' template: warm.py), started, watched and read back, in a scratch folder of its own; what a
machine checks and builds before its first kernel (the sandbox, the smoke models); and grade_submission, one
submission graded on a Dask worker the same way (cluster.py), with that worker's own templates (warm_here)."""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from ..course import sha256, source_notebook
from ..environment import worker_env
from .limits import WORKER_GRACE, Limits
from .warm import PATH_ENV
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
                warm: tuple[str, str] | None = None, engines: str | None = None):
    """A worker for one submission, in its own session; it dies with this process, and its working folder
    (its temporary folder) lies in the batch's scratch folder, beside `progress`. With `warm` its kernel is
    forked from the batch's template, with `engines` (that template's socket) the worker's engine from the
    engines' template (warm.py); the process returned stands for the engine either way."""
    args = [str(src), str(nb), student, assignment, str(progress), "--parent-pid", str(os.getpid()), *limits.args(),
            *(["--warm", *warm] if warm else [])]
    if engines:
        from .warm import engine_argv
        cmd = engine_argv(engines, args)
    else:
        cmd = [sys.executable, "-m", "autograder.grading.engine", *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            env=worker_env(progress.parent))


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


def smoke_models() -> None:
    """Build each model of the smoke profile once, before the kernels need them."""
    from shared.models import resolve
    from shared.profiles import get_profile
    for spec in sorted(set(get_profile("smoke").models.values())):
        resolve(spec)


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


class WrongCourse(RuntimeError):
    """The worker's course repository is not the instructor's (another commit, or none)."""


_prepared: dict[Limits, str] = {}
_preparing = threading.RLock()
_warm_here: dict = {}   # this Dask worker process's scratch folder and templates, kept while it lives


def prepare(limits: Limits, warm: bool = False) -> str:
    """Once per worker process and limits: check the sandbox, build the smoke models; with `warm`, start this
    process's templates (warm_here). Returns '' when ready, else why this worker refuses to grade."""
    limits = _here(limits)
    with _preparing:
        if limits not in _prepared:
            try:
                check_sandbox(limits)
                smoke_models()
                _prepared[limits] = ""
            except UnsafeSandbox as err:
                _prepared[limits] = f"on the Dask worker at {socket.gethostname()}: {err}"
        if warm and not _prepared[limits]:
            warm_here()
        return _prepared[limits]


def warm_here() -> tuple[Path, tuple[str, str] | None, str | None]:
    """This worker process's scratch folder and its templates (warm.py: the kernels' and the engines'), started on
    the first call and kept while the process lives (they die with it; the next batch on this machine removes the
    folder): (scratch, kernels' template or None, engines' socket or None). The worker preload of a Dask worker:
    its submissions pay the imports once per worker, not once per task. Started again when the course's code
    changed since (a `git pull` on the worker), and, a minute on, when one could not start."""
    with _preparing:
        version = _code_version()
        stale = _warm_here and (_warm_here["version"] != version or (
            None in (_warm_here["kernels"], _warm_here["engines"]) and time.monotonic() - _warm_here["at"] > 60))
        if stale:
            _end_warm_here()
        if not _warm_here:
            scratch, owner = _scratch()
            started, keep, up = threading.Event(), threading.Event(), {}
            # PR_SET_PDEATHSIG follows the thread that starts a process: one of its own, alive as long as this one
            threading.Thread(target=_keep_templates, args=(scratch, started, keep, up), daemon=True,
                             name="autograder-templates").start()
            started.wait()
            _warm_here.update(scratch=scratch, owner=owner, keep=keep, version=version, at=time.monotonic(),
                              kernels=up.get("kernels"), engines=up.get("engines"))
        return _warm_here["scratch"], _warm_here["kernels"], _warm_here["engines"]


def _keep_templates(scratch: Path, started: threading.Event, keep: threading.Event, up: dict) -> None:
    """Start the templates into `up`, say so (`started`), and keep them until `keep` is set."""
    from . import warm
    try:
        with warm.templates(scratch) as (kernels, engines):
            up.update(kernels=kernels, engines=engines)
            started.set()
            keep.wait()
    except Exception as err:  # noqa: BLE001  (warm-only: no template; the tasks are re-graded, never zeros)
        print(f"[warm] this worker's templates did not start: {err}", file=sys.stderr)
    finally:
        started.set()


def _code_version() -> tuple:
    """When the course's code (autograder/, shared/) last changed here: templates older than it are stale."""
    from shared.models import REPO
    return tuple(max((f.stat().st_mtime_ns for f in (REPO / part).rglob("*.py")), default=0)
                 for part in ("autograder", "shared"))


@atexit.register
def _end_warm_here() -> None:
    if _warm_here:
        _warm_here["keep"].set()   # the templates end as their thread leaves them
        _remove(_warm_here["scratch"])
        os.close(_warm_here["owner"])
        _warm_here.clear()


def _here(limits: Limits) -> Limits:
    """The instructor's limits, with this machine's temporary folder hidden too (the scratch folders lie there)."""
    return replace(limits, hide=tuple(dict.fromkeys((*limits.hide, tempfile.gettempdir()))))


def grade_submission(assignment: str, student: str, notebook: bytes, source_sha: str, limits: Limits,
                     stop_event: str | None = None, warm: bool = False) -> dict:
    """The worker's side of one submission: its Result as JSON. The submission is graded as the local batch
    grades it (_run_worker, _finished): a fresh engine process, the same limits and sandbox; cold, in a scratch
    folder of its own, removed after; `warm`, in this worker process's scratch folder, engine and kernel forked
    from its templates (warm_here), its files removed after. Raises for the grader's failures (no source
    notebook here, another source, a sandbox that cannot hide the answers): the instructor's side marks the
    submission for re-grade."""
    src = source_notebook(assignment)
    host = socket.gethostname()
    if not src.exists():
        raise WrongCourse(f"the Dask worker on {host} has no source notebook of {assignment} ({src}): install the "
                          f"course repository there at the instructor's commit")
    if sha256(src) != source_sha:
        raise WrongCourse(f"the Dask worker on {host} has another {src.name} (sha256 {sha256(src)[:12]}, the "
                          f"instructor's {source_sha[:12]}): install the course repository there at the "
                          f"instructor's commit")
    refusal = prepare(limits, warm)
    if refusal:
        raise RuntimeError(refusal)
    limits = _here(limits)
    _remove_stale_scratch()   # a worker killed on this machine left its own (per task: cheap)
    if warm:
        shared_scratch, kernels, engines = warm_here()
        if os.environ.get(PATH_ENV) == "warm-only" and None in (kernels, engines):
            raise RuntimeError(f"this worker's templates did not start ({PATH_ENV}=warm-only: no cold grading)")
        # a folder of its own in the worker's (tasks of one worker may run side by side), removed after
        scratch, owner = shared_scratch / f"{student[:20]}-{uuid.uuid4().hex[:8]}", None
        scratch.mkdir(mode=0o711)
    else:
        (scratch, owner), kernels, engines = _scratch(), None, None
    proc = None
    try:
        nb, progress = scratch / f"{assignment}.ipynb", scratch / f"{student}.json"
        nb.write_bytes(notebook)
        proc = _run_worker(src, nb, student, assignment, progress, limits, kernels, engines)
        over = _wait(proc, limits, stop_event)
        return _finished(proc, progress, over, src, student, assignment, limits).to_json()
    finally:
        if proc is not None and proc.poll() is None:
            _end(proc)
        _remove(scratch)
        if owner is not None:
            os.close(owner)


def _wait(proc, limits: Limits, stop_event: str | None) -> bool:
    """Wait for the engine `proc` to end; True when it ran past the notebook limit and its grace (the
    local batch's rule). Raises when the batch's `stop_event` (a Dask Event) is set: the caller ends it."""
    started = checked = time.monotonic()
    while proc.poll() is None:
        if time.monotonic() - started > limits.notebook_timeout + WORKER_GRACE:
            return True
        if stop_event and time.monotonic() - checked > 1:
            checked = time.monotonic()
            if _stopped(stop_event):
                raise RuntimeError("the batch was stopped")
        time.sleep(0.05)
    return False


def _stopped(name: str) -> bool:
    """Whether the instructor stopped the batch (its Event is set); a question that fails is a no."""
    try:
        from distributed import Event
        return Event(name).is_set()
    except Exception:  # noqa: BLE001
        return False
