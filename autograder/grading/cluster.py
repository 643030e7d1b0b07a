"""`grade --scheduler ADDRESS`: every submission one task on an existing Dask distributed cluster.

The instructor's side (connect, ready, run) sends each submission's bytes and its assignment's name, never a
path of this machine, to worker.grade_submission on a Dask worker, which grades it as the local batch does (a
fresh engine process, the same limits and sandbox; warm by default, forked from templates that the worker
process starts once and keeps: worker.warm_here). The instructor's
process stays the batch's one writer: each Result is saved as it arrives (batch._save), so resuming,
--students and --retry-failed work as on one machine. Dask is imported here only, and this module only with
--scheduler: students and the fast lane never need it.

A worker lost mid-batch (its machine or its process killed): the scheduler gives its task to another worker,
up to its `distributed.scheduler.allowed-failures` (3 by default) lost workers per task; past that, and for
any other failure that is the grader's (a worker without the same course repository, an error in this code),
the submission is "needs re-grade", never a zero. One future per submission, so one result each.
"""
from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from .limits import SCHEDULER_CONNECT_TIMEOUT, Limits
from .results import Result
from .worker import UnsafeSandbox, _empty_result, grade_submission, prepare


def connect(address: str):
    """A client of the scheduler at `address`, or SystemExit with one line saying what to check."""
    try:
        from distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SystemExit("grade --scheduler needs dask and distributed (instructors' requirements): "
                         "pip install -r requirements-instructor.txt") from None
    try:
        scheme, where = parse_address(address)   # a malformed address: no client (it would hang on its way out)
        if scheme in ("tcp", "tls"):
            parse_host_port(where)
        return Client(address, timeout=f"{SCHEDULER_CONNECT_TIMEOUT}s", set_as_default=False)
    except Exception as err:  # noqa: BLE001  (any way of not getting there: one message)
        why = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise SystemExit(f"cannot reach a Dask scheduler at {address} ({why}): check the address (as `dask "
                         f"scheduler` prints it, tcp://HOST:8786), that the scheduler runs and that this machine "
                         f"reaches its port. Nothing was graded or written.") from None


def ready(client, limits: Limits, warm: bool = False) -> None:
    """Prepare every worker there now (sandbox check, smoke models; with `warm`, its templates: worker.warm_here);
    SystemExit if one cannot hide the answers. Workers that join later prepare on their first task."""
    workers = list(client.scheduler_info()["workers"])
    futures = [client.submit(prepare, limits, warm, workers=[w], allow_other_workers=False, pure=False,
                             key=f"autograder-prepare-{uuid.uuid4().hex}") for w in workers]
    try:
        refusals = [r for r in client.gather(futures) if r]
    except Exception as err:  # noqa: BLE001  (no autograder there, another version of it, ...: one message)
        raise SystemExit(f"a Dask worker could not prepare to grade ({type(err).__name__}: {str(err)[:200]}): "
                         f"install the course repository there, at the instructor's commit, with "
                         f"requirements-instructor.txt. Nothing was graded or written.") from None
    if refusals:
        raise UnsafeSandbox(refusals[0])


def run(client, assignment: str, src: Path, src_sha: str, todo: list, limits: Limits, stop, bar, save,
        warm: bool = False) -> None:
    """Every submission of `todo` (student, notebook, its sha256) one task, warm or cold on the worker;
    `save(job, result)` as each arrives, inside `stop.held()`. On any way out the tasks not finished are cancelled
    and their engines ended."""
    from distributed import Event, as_completed

    batch = uuid.uuid4().hex[:12]
    stopping = Event(f"autograder-stop-{batch}", client=client)
    futures = {}
    try:
        for student, nb, sub_sha in todo:
            future = client.submit(grade_submission, assignment, student, nb.read_bytes(), src_sha, limits,
                                   stopping.name, warm, key=f"grade-{student}-{batch}", pure=False)
            futures[future] = (student, nb, sub_sha)
        for future in as_completed(list(futures), loop=client.loop):   # this client: it is no default one
            with stop.held():
                job = futures.pop(future)
                save(job, _outcome(future, src, job[0], assignment))
    finally:
        with stop.held():
            if futures:   # tell the workers to end their engines, then drop the tasks (a gone scheduler: no matter)
                with contextlib.suppress(Exception):
                    stopping.set()
                    client.cancel(list(futures))
            with contextlib.suppress(OSError):   # the terminal may be gone (SIGHUP)
                bar.close()


def _outcome(future, src: Path, student: str, assignment: str) -> Result:
    """The task's Result, or one that needs a re-grade (the grader's failure, never the student's zero)."""
    from distributed import KilledWorker

    try:
        return Result.from_json(future.result())
    except KilledWorker as err:
        why = (f"every Dask worker that took it was lost ({err}; the scheduler's "
               f"distributed.scheduler.allowed-failures says how many may be)")
    except Exception as err:  # noqa: BLE001
        why = f"its Dask task failed: {type(err).__name__}: {str(err)[:300]}"
    result = _empty_result(src, student, assignment)
    result.needs_regrade = f"the grader failed on the cluster: {why}"
    return result
