"""Grading one submission: rebuild the notebook from the source, run it in a sandboxed kernel, score it.

Trust nothing in the submission but the student's answers:

* **Assembly.** The graded notebook is the instructor's source notebook (from
  solutions/), with the student's *solution* cells put in, matched by nbgrader
  grade_id (or, when an editor dropped the metadata, by the names the cell
  defines). Test cells, hidden tests and setup always come from the source, so
  deleted, edited, moved or duplicated test cells and faked outputs change
  nothing. Code cells the student added before the last test run where the
  student put them (helpers); cells after the last autograded test are not run.
* **Protection.** Before any student code, an engine cell captures the
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
* **Limits.** The kernel runs through autograder.sandbox (memory cap, no
  network, its own PID namespace, the repository, home, temporary and course
  folders hidden but for what it needs), with a per-cell timeout; the caller
  enforces the per-notebook wall limit.
* **Hidden tests** are split at `# CHECK: <name>` lines and run part by part, so
  a failure is reported by the instructor's name for the check, never by its
  source or its traceback.
"""
from __future__ import annotations

import ast
import json
import os
import re
import secrets
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .limits import Limits

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK = re.compile(r"^# CHECK:\s*(.+?)\s*$", re.M)


@dataclass
class CellResult:
    grade_id: str
    points: float
    score: float = 0.0
    status: str = "not run"               # passed | failed | not run
    visible_error: str = ""               # message of a failing visible test (shown to the student)
    hidden_failed: list[str] = field(default_factory=list)   # names of failing hidden checks
    checks_passed: int = 0                # of checks_total: the visible test and each named hidden check
    checks_total: int = 0


@dataclass
class Result:
    student: str
    assignment: str
    cells: dict[str, CellResult] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)    # manually graded cells: the student's text
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    submission_sha: str = ""
    needs_regrade: str = ""   # the grader itself failed (not the student's code): the error, for the instructor

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells.values())

    def to_json(self) -> dict:
        d = asdict(self)
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        r = cls(d["student"], d["assignment"], reasons=d["reasons"], answers=d.get("answers", {}),
                seconds=d.get("seconds", 0.0), submission_sha=d.get("submission_sha", ""),
                needs_regrade=d.get("needs_regrade", ""))
        r.cells = {k: CellResult(**v) for k, v in d["cells"].items()}
        return r


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def split_test(source: str) -> tuple[str, list[tuple[str, str]]]:
    """(visible part, [(check name, hidden part), ...]) of a test cell."""
    if HIDDEN_BEGIN not in source:
        return source, []
    visible, rest = source.split(HIDDEN_BEGIN, 1)
    hidden = rest.split(HIDDEN_END, 1)[0]
    after = rest.split(HIDDEN_END, 1)[1] if HIDDEN_END in rest else ""
    marks = list(CHECK.finditer(hidden))
    if not marks:
        parts = [("hidden tests", hidden)]
    else:
        parts = []
        if hidden[:marks[0].start()].strip():
            parts.append(("hidden setup", hidden[:marks[0].start()]))
        for m, nxt in zip(marks, marks[1:] + [None]):
            parts.append((m.group(1), hidden[m.end():nxt.start() if nxt else len(hidden)]))
    return visible + after, parts


def defined_names(source: str) -> list[str]:
    """Top-level names a cell defines (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


# ---------------------------------------------------------------- assembly

def assemble(source_nb, student_nb) -> tuple[list[dict], dict[str, str], list[str]]:
    """The steps to run, the student's manual answers, and notes for the report."""
    notes: list[str] = []
    src_cells = source_nb.cells
    tests = [i for i, c in enumerate(src_cells) if c.cell_type == "code" and nbg(c).get("grade")]
    last_test = tests[-1] if tests else len(src_cells) - 1
    src_ids = {nbg(c).get("grade_id"): i for i, c in enumerate(src_cells) if nbg(c).get("grade_id")}
    src_texts = {_norm(c.source): i for i, c in enumerate(src_cells)}
    # release versions of test cells (hidden part removed) also count as known text
    for i in tests:
        src_texts.setdefault(_norm(split_test(src_cells[i].source)[0]), i)

    by_id: dict[str, list] = {}
    for c in student_nb.cells:
        gid = nbg(c).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(c)
    dupes = [g for g, cs in by_id.items() if len(cs) > 1]
    if dupes:
        notes.append(f"cells duplicated in the submission (the source's copy or the first one was used): {', '.join(sorted(dupes))}")

    # anchor every student cell to the source cell it follows
    added: dict[int, list[str]] = {}
    anchor = -1
    used_by_content: set[int] = set()
    for c in student_nb.cells:
        gid = nbg(c).get("grade_id")
        if gid in src_ids:
            anchor = src_ids[gid]
            continue
        text = _norm(c.source)
        if text in src_texts:
            anchor = src_texts[text]
            continue
        if c.cell_type != "code" or not text:
            continue
        names = set(defined_names(c.source))
        match = next((i for i, sc in enumerate(src_cells) if nbg(sc).get("solution") and sc.cell_type == "code"
                      and names and names >= set(defined_names(sc.source)) and nbg(sc).get("grade_id") not in by_id
                      and i not in used_by_content), None)
        if match is not None:  # a solution cell whose metadata an editor dropped
            used_by_content.add(match)
            by_id.setdefault(nbg(src_cells[match])["grade_id"], []).append(c)
            notes.append(f"solution cell '{nbg(src_cells[match])['grade_id']}' had no nbgrader metadata; matched by its definitions")
            anchor = match
            continue
        if anchor < last_test:
            added.setdefault(anchor, []).append(c.source)

    steps: list[dict] = []
    answers: dict[str, str] = {}
    for gid, cs in by_id.items():
        i = src_ids.get(gid)
        if i is not None and src_cells[i].cell_type == "markdown" and nbg(src_cells[i]).get("solution"):
            answers[gid] = cs[0].source
    for code in added.get(-1, []):
        steps.append({"kind": "added", "code": code})
    for i, c in enumerate(src_cells[:last_test + 1]):
        meta = nbg(c)
        if c.cell_type == "code":
            if meta.get("solution"):
                gid = meta["grade_id"]
                student = next((s for s in by_id.get(gid, []) if s.cell_type == "code"), None)
                if student is None:
                    notes.append(f"solution cell '{gid}' is missing from the submission")
                    code = "raise NotImplementedError('solution cell missing from the submission')"
                else:
                    code = student.source
                steps.append({"kind": "solution", "grade_id": gid, "code": code,
                              "names": defined_names(c.source)})
            elif meta.get("grade"):
                visible, hidden = split_test(c.source)
                steps.append({"kind": "test", "grade_id": meta["grade_id"], "points": float(meta.get("points", 0)),
                              "visible": visible, "hidden": hidden})
            else:
                steps.append({"kind": "source", "code": c.source})
        for code in added.get(i, []):
            steps.append({"kind": "added", "code": code})
    return steps, answers, notes


# ---------------------------------------------------------------- protection

GUARD_SETUP = r'''
def __STASH_make():
    import builtins, importlib, sys, traceback
    saved_builtins = dict(vars(builtins))
    mods = {}
    for mod, names in [("math", ["isclose"]),
                       ("numpy", ["allclose", "isclose", "array_equal", "isfinite", "abs"]),
                       ("numpy.testing", ["assert_allclose", "assert_array_equal", "assert_equal",
                                          "assert_almost_equal", "assert_array_almost_equal"]),
                       ("torch", ["allclose", "isclose", "equal", "isfinite"]),
                       ("torch.testing", ["assert_close"])]:
        try:
            m = importlib.import_module(mod)
        except Exception:
            continue
        mods[mod] = (m, {n: getattr(m, n) for n in names if hasattr(m, n)})
    ip = get_ipython()
    hooks = (list(ip.input_transformers_cleanup), list(ip.input_transformers_post), list(ip.ast_transformers),
             {e: list(cbs) for e, cbs in ip.events.callbacks.items()})
    out = (sys.stdout, sys.stderr, type(sys.stdout).write)
    user_ns = ip.user_ns
    funcs = {}
    _print, _setattr, _list, _type, _str, _format = print, setattr, list, type, str, traceback.format_exception_only

    def restore():
        bvars = vars(builtins)
        for k in _list(bvars):
            if k not in saved_builtins:
                del bvars[k]
        bvars.update(saved_builtins)
        for mod, (m, attrs) in mods.items():
            sys.modules[mod] = m
            for n, v in attrs.items():
                _setattr(m, n, v)
        ip.input_transformers_cleanup[:], ip.input_transformers_post[:], ip.ast_transformers[:] = (
            _list(hooks[0]), _list(hooks[1]), _list(hooks[2]))
        for e, cbs in hooks[3].items():
            ip.events.callbacks[e][:] = cbs
        sys.settrace(None)
        sys.setprofile(None)
        sys.stdout, sys.stderr = out[0], out[1]
        _setattr(_type(out[0]), "write", out[2])
        for name, obj in funcs.items():
            user_ns[name] = obj

    def keep(names):
        for n in names:
            if n in user_ns:
                funcs[n] = user_ns[n]

    def report(token, error=None):
        sys.stdout = out[0]
        _setattr(_type(out[0]), "write", out[2])
        if error is None:
            _print(token, file=out[0], flush=True)
        else:
            msg = "".join(_format(_type(error), error)).strip()
            _print(token + " " + msg[:2000], file=out[0], flush=True)

    return restore, keep, report

__STASH_restore, __STASH_keep, __STASH_report = __STASH_make()
del __STASH_make
'''


def guarded(code: str, stash: str, ok: str, fail: str) -> str:
    body = textwrap.indent(code if code.strip() else "pass", "    ")
    return (f"{stash}_restore()\ntry:\n{body}\n    pass\n"
            f"except BaseException as {stash}_e:\n    {stash}_report({fail!r}, {stash}_e)\n"
            f"else:\n    {stash}_report({ok!r})\n")


# ---------------------------------------------------------------- execution

def kernelspec_dir(workdir: Path, limits: Limits, env: dict) -> Path:
    spec = workdir / ".kernels" / "course-sandbox"
    spec.mkdir(parents=True, exist_ok=True)
    from .sandbox import policy_args
    argv = [sys.executable, "-m", "autograder.sandbox", "--workdir", str(workdir), "--mem-mb", str(limits.mem_mb),
            *policy_args(workdir, limits.hide), "--", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "grading sandbox",
                                                  "language": "python", "env": env}))
    return spec.parent


def grading_env(workdir: Path) -> dict:
    """The kernel's environment: smoke profile, offline, every cache inside the working copy."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "PYTHONPATH", "COURSE_CACHE"}}
    from shared.models import course_cache
    keep.update({"NBGRADER_EXECUTION": "autograde", "COURSE_PROFILE": "smoke", "HF_HUB_OFFLINE": "1",
                 "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(workdir / "hf"), "MPLBACKEND": "Agg",
                 "MPLCONFIGDIR": str(workdir / "mpl"), "IPYTHONDIR": str(workdir / "ipython"),
                 "HOME": str(workdir), "TMPDIR": str(workdir / "tmp"),
                 "TORCHINDUCTOR_CACHE_DIR": str(workdir / "tmp" / "torchinductor"), "COURSE_CACHE": str(course_cache()),
                 "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
                 "TQDM_DISABLE": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return keep


def empty_result(source_nb, student: str, assignment: str) -> Result:
    """A result with every autograded test cell of the source at 0 points, not yet run."""
    result = Result(student, assignment)
    for c in source_nb.cells:
        m = nbg(c)
        if c.cell_type == "code" and m.get("grade"):
            result.cells[m["grade_id"]] = CellResult(m["grade_id"], float(m.get("points", 0)))
    return result


def grade_notebook(source_path: Path, submission_path: Path, student: str, assignment: str,
                   workdir: Path, limits: Limits = Limits(), progress_file: Path | None = None) -> Result:
    """Grade one submission; never raises for anything the submission does."""
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
    src_ids = {nbg(c).get("grade_id") for c in source_nb.cells} - {None}
    sub_ids = {nbg(c).get("grade_id") for c in student_nb.cells} - {None}
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
        _execute(steps, result, workdir, limits, save_progress, t0)
    except Exception as err:  # noqa: BLE001  (a fault of the grader, never of the submission)
        result.needs_regrade = f"the grading engine failed: {type(err).__name__}: {str(err)[:300]}"
    result.seconds = time.perf_counter() - t0
    save_progress()
    return result


def _execute(steps, result: Result, workdir: Path, limits: Limits, save_progress, t0: float) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ["hf", "mpl", "ipython", "tmp"]:
        (workdir / sub).mkdir(exist_ok=True)
    env = grading_env(workdir)
    ksm = KernelSpecManager(kernel_dirs=[str(kernelspec_dir(workdir, limits, env))])
    km = AsyncKernelManager(kernel_name="course-sandbox", kernel_spec_manager=ksm, transport="ipc",
                       ip=str(workdir / "k"), connection_file=str(workdir / "kernel.json"))
    nb = nbformat.v4.new_notebook()
    # On a cell timeout: interrupt the kernel and take the cell as failed (instead of waiting on).
    client = NotebookClient(nb, km=km, timeout=limits.cell_timeout, allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                                              "evalue": f"cell ran past {limits.cell_timeout} s and was stopped"},
                            resources={"metadata": {"path": str(workdir)}}, shutdown_kernel="immediate")
    stash = "_ag" + secrets.token_hex(6)
    dead = None

    def run(code: str) -> list:
        cell = nbformat.v4.new_code_cell(code)
        nb.cells.append(cell)
        client.execute_cell(cell, len(nb.cells) - 1)
        return cell.outputs

    started = student_ran = False   # the kernel is up; submitted code has run (before that, a failure is ours)
    try:
        with client.setup_kernel(cleanup_kc=True):  # shut our kernel down here, not at exit
            guard = run(GUARD_SETUP.replace("__STASH", stash))
            if any(o.get("output_type") == "error" for o in guard):
                raise RuntimeError(f"the test guard did not load: {guard[0].get('evalue', '')[:200]}")
            started = True
            for step in steps:
                if time.perf_counter() - t0 > limits.notebook_timeout:
                    result.reasons.append(f"stopped at the notebook time limit ({limits.notebook_timeout} s): "
                                          f"tests not reached score 0")
                    break
                student_ran = student_ran or step["kind"] in ("solution", "added")
                try:
                    if step["kind"] in ("source", "added"):
                        run(step["code"])
                    elif step["kind"] == "solution":
                        run(step["code"])
                        run(f"{stash}_keep({step['names']!r})")
                    else:
                        _run_test(step, run, stash, result, limits.cell_timeout)
                        save_progress()
                except CellTimeoutError:
                    result.reasons.append(f"a cell ran past {limits.cell_timeout} s and was stopped")
                    if step["kind"] == "test":
                        result.cells[step["grade_id"]].status = "failed"
    except DeadKernelError as err:
        dead = err
    except Exception as err:  # noqa: BLE001  (a broken pipe once student code ran; before that, the grader's fault)
        if not student_ran:
            where = "failed before any submitted code ran" if started else "did not start"
            result.needs_regrade = f"the grading kernel {where}: {type(err).__name__}: {str(err)[:300]}"
            return
        dead = err
    if dead is not None and not student_ran:
        result.needs_regrade = f"the grading kernel died before any submitted code ran: {str(dead)[:300]}"
        return
    if dead is not None:
        result.reasons.append("the kernel died (os._exit, a crash, or the memory cap): tests not reached score 0")
    for c in result.cells.values():
        if c.status == "not run":
            c.status = "failed"


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
            msg = (text.split(fail, 1)[1].strip().splitlines() or [""])[0] if fail in text else \
                (f"stopped after {cell_timeout:g} s (time limit)" if timed_out else "the test did not finish")
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


def grade_in_fresh_dir(source_path, submission_path, student, assignment, limits=Limits(),
                       progress_file=None) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"grade-{student}-") as tmp:
        os.chmod(tmp, 0o711)  # the sandboxed kernel (user nobody) must reach its working folder inside
        workdir = Path(tmp) / "work"
        return grade_notebook(Path(source_path), Path(submission_path), student, assignment, workdir, limits,
                              progress_file)
