"""Execution: the assembled steps in a sandboxed kernel, under the grading limits, scored test by test."""
from __future__ import annotations

import json
import math
import os
import secrets
import sys
import time
from pathlib import Path

import nbformat

from ..environment import kernel_env
from .guard import guarded, setup_code
from .results import Result
from .limits import Limits


def kernelspec_dir(workdir: Path, limits: Limits, env: dict, warm: tuple[str, str] | None = None) -> Path:
    """The kernelspec: today's sandbox (cold), or with `warm` (a template's socket and fixed folder) warm.py's
    launcher, which takes the same arguments and forks the kernel from the template (cold if it cannot)."""
    spec = workdir / ".kernels" / "course-sandbox"
    spec.mkdir(parents=True, exist_ok=True)
    from .sandbox import policy_args
    args = ["--workdir", str(workdir), "--mem-mb", str(limits.mem_mb),
            "--parent-pid", str(os.getpid()),  # this process starts the kernel; the kernel dies with it
            *policy_args(workdir, limits.hide), "--", "-f", "{connection_file}"]
    if warm:
        from .warm import launcher_argv
        argv = launcher_argv(warm, args)
    else:
        argv = [sys.executable, "-m", "autograder.grading.sandbox", *args]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "grading sandbox",
                                                  "language": "python", "env": env}))
    return spec.parent


class NotebookTimeUp(Exception):
    """The notebook's time limit is reached: no further cell runs."""


def execute(steps, result: Result, workdir: Path, limits: Limits, save_progress, t0: float,
            warm: tuple[str, str] | None = None) -> None:
    """Run the assembled steps in a fresh sandboxed kernel, scoring test cells into `result`.

    A kernel that cannot start, or dies before any submitted code ran, is the grader's fault:
    result.needs_regrade, never a zero. After that, a dead kernel fails the tests not reached."""
    from nbclient.exceptions import DeadKernelError
    nb = nbformat.v4.new_notebook()
    client, env = _client(nb, workdir, limits, warm)
    stash = "_ag" + secrets.token_hex(6)

    progress = {"started": False, "student_ran": False, "cut": False}   # before submitted code runs, a failure is ours

    def run(code: str) -> list:
        """One cell, until the cell limit or the notebook's, whichever comes first (not the batch's kill a minute
        later); NotebookTimeUp when the notebook has no time left; progress["cut"] when its limit stopped one."""
        left = limits.notebook_timeout - (time.perf_counter() - t0)
        if left <= 0:
            progress["cut"] = True
            raise NotebookTimeUp
        limit = min(limits.cell_timeout, math.ceil(left))
        client.timeout = limit
        cell = nbformat.v4.new_code_cell(code)
        nb.cells.append(cell)
        started = time.perf_counter()
        try:
            client.execute_cell(cell, len(nb.cells) - 1)
        finally:
            if limit < limits.cell_timeout and time.perf_counter() - started >= limit - 0.5:
                progress["cut"] = True
        return cell.outputs

    dead = None
    try:
        # shut our kernel down here, not at exit; its environment is kernel_env's alone (without env=,
        # jupyter_client would hand the kernel this worker's whole environment: the grader's, secrets included)
        with client.setup_kernel(cleanup_kc=True, env=env):
            guard = run(setup_code(stash))
            if any(o.get("output_type") == "error" for o in guard):
                raise RuntimeError(f"the test guard did not load: {guard[0].get('evalue', '')[:200]}")
            progress["started"] = True
            _run_steps(steps, run, stash, result, limits, save_progress, t0, progress)
    except DeadKernelError as err:
        dead = err
    except Exception as err:  # noqa: BLE001  (a broken pipe once student code ran; before that, the grader's fault)
        if not progress["student_ran"]:
            where = "failed before any submitted code ran" if progress["started"] else "did not start"
            result.needs_regrade = f"the grading kernel {where}: {type(err).__name__}: {str(err)[:300]}"
            return
        dead = err
    if dead is not None and not progress["student_ran"]:
        result.needs_regrade = f"the grading kernel died before any submitted code ran: {str(dead)[:300]}"
        return
    if dead is not None:
        result.reasons.append("the kernel died (os._exit, a crash, or the memory cap): tests not reached score 0")
    for c in result.cells.values():
        if c.status == "not run":
            c.status = "failed"


def _client(nb, workdir: Path, limits: Limits, warm: tuple[str, str] | None = None):
    """A notebook client on a kernel started through the sandbox, every cache inside `workdir`; and the kernel's
    environment (kernel_env), to start it with."""
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    from .kernels import GradingKernelManager
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ["hf", "mpl", "ipython", "tmp"]:
        (workdir / sub).mkdir(exist_ok=True)
    from shared.models import course_cache
    env = kernel_env(workdir, course_cache())
    ksm = KernelSpecManager(kernel_dirs=[str(kernelspec_dir(workdir, limits, env, warm))])
    km = GradingKernelManager(kernel_name="course-sandbox", kernel_spec_manager=ksm, transport="ipc",
                            ip=str(workdir / "k"), connection_file=str(workdir / "kernel.json"))
    # On a cell timeout: interrupt the kernel and take the cell as failed (instead of waiting on).
    client = NotebookClient(nb, km=km, timeout=limits.cell_timeout, allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                                              "evalue": f"cell ran past {limits.cell_timeout} s and was stopped"},
                            resources={"metadata": {"path": str(workdir)}}, shutdown_kernel="immediate")
    return client, env


def _run_steps(steps, run, stash: str, result: Result, limits: Limits, save_progress, t0: float,
               progress: dict) -> None:
    from nbclient.exceptions import CellTimeoutError
    for n, step in enumerate(steps):
        if time.perf_counter() - t0 >= limits.notebook_timeout:
            progress["cut"] = True
            break
        progress["student_ran"] = progress["student_ran"] or step["kind"] in ("solution", "added")
        try:
            if step["kind"] == "source":
                run(step["code"])
            elif step["kind"] == "added":
                result.outputs[str(n)] = kept_outputs(run(step["code"]))
            elif step["kind"] == "solution":
                result.outputs[str(n)] = kept_outputs(run(step["code"]))
                run(f"{stash}_keep({step['names']!r})")
            else:
                _run_test(step, run, stash, result, limits.cell_timeout)
                save_progress()
        except NotebookTimeUp:   # a test cut part-way by the notebook's limit: not finished, it scores 0
            break
        except CellTimeoutError:
            if not progress["cut"]:   # else the notebook's limit cut it: below
                result.reasons.append(f"a cell ran past {limits.cell_timeout} s and was stopped")
            if step["kind"] == "test":
                result.cells[step["grade_id"]].status = "failed"
    if progress["cut"]:
        result.reasons.append(f"stopped at the notebook time limit ({limits.notebook_timeout} s): "
                              f"tests not reached score 0")


def kept_outputs(outputs: list, text_limit: int = 4000, image_limit: int = 300_000) -> list:
    """What the autograded notebook keeps of a student cell's outputs: text, errors, small PNGs."""
    kept = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            kept.append({"output_type": "stream", "name": o.get("name", "stdout"), "text": o.get("text", "")[-text_limit:]})
        elif kind == "error":
            kept.append({"output_type": "error", "ename": o.get("ename", ""), "evalue": o.get("evalue", "")[:text_limit],
                         "traceback": [line[:text_limit] for line in o.get("traceback", [])[-8:]]})
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in o.get("data", {}).items()
                    if k == "text/plain" or (k == "image/png" and len(v) <= image_limit)}
            if data:
                kept.append({"output_type": "display_data", "data": data, "metadata": {}})
    return kept


def _run_test(step: dict, run, stash: str, result: Result, cell_timeout: float) -> None:
    """Run a test cell part by part; it scores the share of its checks that pass (partial credit).

    The checks are the visible test and each named hidden check; a failing hidden setup fails them all."""
    cell = result.cells[step["grade_id"]]
    parts = [("visible", step["visible"])] + list(step["hidden"])
    passed: list[str] = []
    for name, code in parts:
        ok, fail = secrets.token_hex(8), secrets.token_hex(8)
        started = time.perf_counter()
        outputs = run(guarded(code, stash, ok, fail))
        timed_out = time.perf_counter() - started >= cell_timeout - 0.5
        text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        errored = any(o.get("output_type") == "error" for o in outputs)
        if ok in text and fail not in text and not errored:
            passed.append(name)
            continue
        if name == "visible":
            msg = (f"stopped at the time limit ({cell_timeout:g} s per cell)" if timed_out else
                   (text.split(fail, 1)[1].strip().splitlines() or [""])[0] if fail in text else
                   "the test did not finish")
            cell.visible_error = msg[:500]
        else:
            cell.hidden_failed.append(name)
        if timed_out or name == "hidden setup":  # what follows would time out, or has nothing to stand on
            if timed_out:
                result.reasons.append(f"'{step['grade_id']}' ran past the cell time limit and was stopped")
            break
    checks = [name for name, _ in parts if name != "hidden setup"]
    cell.hidden_failed += [n for n in checks if n not in passed and n != "visible" and n not in cell.hidden_failed]
    good = 0 if "hidden setup" in cell.hidden_failed else sum(n in passed for n in checks)
    cell.checks_passed, cell.checks_total = good, len(checks)
    cell.status = "passed" if good == len(checks) else "failed"
    cell.score = round(cell.points * good / len(checks), 2)

