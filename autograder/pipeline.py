"""The instructor's loop over a course folder: collect, grade (in parallel), feedback, export.

Course folder layout (created as needed; never the repository):

    <course>/nbgrader_config.py, gradebook.db         nbgrader's config and gradebook
    <course>/submitted/<student>/<assignment>/<assignment>.ipynb
    <course>/unmatched/                               files collect could not match (kept, listed)
    <course>/grades/<assignment>/<student>.json       one result per submission (scores, reasons)
    <course>/feedback/<assignment>/<student>.html
    <course>/export/<assignment>-grades.csv, -summary.csv, -summary.png

Grades go into nbgrader's gradebook, so nbgrader's formgrader can add the
manual scores; `grade` writes each student's result as soon as it is done, so
a batch stopped midway resumes with the students not yet graded.
"""
from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from .course import REPO, CourseFolder
from .engine import Limits, Result

DEFAULT_PATTERN = r"^(?P<student>[A-Za-z0-9.-]+)_(?:\d+_)*(?P<assignment>a\d+_[A-Za-z0-9_]+?)(?:-\d+)?\.ipynb$"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def source_path(assignment: str) -> Path:
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    if not path.exists():
        raise SystemExit(f"No source notebook for '{assignment}' (expected {path.relative_to(REPO)}).")
    return path


# ------------------------------------------------------------------ collect

@dataclass
class CollectReport:
    collected: list[tuple[str, str, str]]     # (student, assignment, original file name)
    unmatched: list[str]
    replaced: list[str]

    def text(self) -> str:
        lines = [f"collected {len(self.collected)} submission(s)"]
        lines += [f"  {s} / {a} <- {f}" for s, a, f in self.collected]
        if self.replaced:
            lines.append(f"{len(self.replaced)} earlier file(s) of the same student replaced (kept in unmatched/):")
            lines += [f"  {f}" for f in self.replaced]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} file(s) NOT matched (kept in unmatched/; rename or use --pattern):")
            lines += [f"  {f}" for f in self.unmatched]
        return "\n".join(lines)


def collect(source: Path, course: Path, pattern: str = DEFAULT_PATTERN, assignment: str | None = None) -> CollectReport:
    """Copy an LMS export (a folder or a zip of .ipynb files) into submitted/<student>/<assignment>/."""
    course = Path(course)
    regex = re.compile(pattern)
    if "student" not in regex.groupindex:
        raise SystemExit("--pattern needs a named group (?P<student>...)")
    if "assignment" not in regex.groupindex and not assignment:
        raise SystemExit("--pattern has no (?P<assignment>...) group: name the assignment with --assignment")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(source)
        if src.is_file() and zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as z:
                z.extractall(tmp)
            src = Path(tmp)
        elif not src.is_dir():
            raise SystemExit(f"{source} is neither a folder nor a zip file.")
        # LMS exports mark resubmissions name-1, name-2, ...: sort them after the first upload, so the newest wins
        def upload_order(p: Path):
            m = re.match(r"^(.*?)(?:-(\d+))?(\.[^.]*)?$", p.name)
            return (m.group(1), int(m.group(2) or 0), p.name)
        files = sorted((p for p in src.rglob("*") if p.is_file() and "__MACOSX" not in p.parts), key=upload_order)
        report = CollectReport([], [], [])
        seen: dict[tuple[str, str], Path] = {}
        (course / "unmatched").mkdir(parents=True, exist_ok=True)
        for f in files:
            m = regex.match(f.name)
            if not m or f.suffix != ".ipynb":
                shutil.copy2(f, course / "unmatched" / f.name)
                report.unmatched.append(f.name)
                continue
            student, assign = m.group("student"), (m.groupdict().get("assignment") or assignment)
            dest = course / "submitted" / student / assign / f"{assign}.ipynb"
            if (student, assign) in seen:  # a later upload of the same student replaces the earlier one
                shutil.copy2(seen[(student, assign)], course / "unmatched" / seen[(student, assign)].name)
                report.replaced.append(seen[(student, assign)].name)
                report.collected = [c for c in report.collected if (c[0], c[1]) != (student, assign)]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
            seen[(student, assign)] = f
            report.collected.append((student, assign, f.name))
    (course / "collect_report.txt").write_text(report.text() + "\n")
    return report


# -------------------------------------------------------------------- grade

def submissions(course: Path, assignment: str) -> list[tuple[str, Path]]:
    root = Path(course) / "submitted"
    if not root.is_dir():
        return []
    out = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        nb = student_dir / assignment / f"{assignment}.ipynb"
        if nb.exists():
            out.append((student_dir.name, nb))
    return out


def _result_path(course: Path, assignment: str, student: str) -> Path:
    return Path(course) / "grades" / assignment / f"{student}.json"


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def ensure_gradebook(course: Path, assignment: str) -> CourseFolder:
    """The course folder with the assignment generated into its nbgrader gradebook (once)."""
    cf = CourseFolder(Path(course))
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(f"sqlite:///{cf.root / 'gradebook.db'}") as gb:
        try:
            gb.find_assignment(assignment)
            return cf
        except MissingEntry:
            pass
    cf.add_source(REPO / "solutions" / assignment)
    cf.generate(assignment)
    return cf


def record(course: Path, result: Result) -> None:
    """Write one result into nbgrader's gradebook (autograded scores; manual cells stay to grade).

    A result that needs a re-grade (the grader failed) writes nothing: no student gets a zero for it."""
    import warnings
    if result.needs_regrade:
        return

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these; harmless
        gb.update_or_create_student(result.student)
        try:
            gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            gb.add_submission(result.assignment, result.student)
        for gid, cell in result.cells.items():
            grade = gb.find_grade(gid, result.assignment, result.assignment, result.student)
            grade.auto_score = cell.score
        gb.db.commit()


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
    todo, results = [], {}
    for student, nb in submissions(course, assignment):
        path = _result_path(course, assignment, student)
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
                running[student] = (proc, progress, sub_sha, time.monotonic())
            time.sleep(0.2)
            for student, (proc, progress, sub_sha, started) in list(running.items()):
                over = time.monotonic() - started > limits.notebook_timeout + 60
                if proc.poll() is None and not over:
                    continue
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
                record(course, result)
                data = result.to_json() | {"submission_sha": sub_sha, "source_sha": src_sha, "complete": True}
                _write_json(_result_path(course, assignment, student), data)
                results[student] = result
                del running[student]
                bar.update(1)
    finally:
        for proc, *_ in running.values():
            os.killpg(proc.pid, signal.SIGKILL)
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return dict(sorted(results.items()))


def _empty_result(src: Path, student: str, assignment: str) -> Result:
    import nbformat

    from .engine import empty_result
    return empty_result(nbformat.read(src, as_version=4), student, assignment)


# ----------------------------------------------------------------- feedback

FEEDBACK_CSS = ("body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;color:#222}"
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em .6em;text-align:left}"
                ".passed{color:#176f2c}.failed{color:#b00020}.manual{color:#555}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}")


def feedback(course: Path, assignment: str) -> list[Path]:
    """One HTML report per graded student: scores, failing visible tests, names of failing hidden checks."""
    course = Path(course)
    out = []
    manual = _manual_cells(assignment)
    for path in sorted((course / "grades" / assignment).glob("*.json")):
        r = Result.from_json(json.loads(path.read_text()))
        if r.needs_regrade:  # no report from a grading that failed on our side: grade --retry-failed first
            continue
        rows = []
        for c in r.cells.values():
            detail = ""
            if c.status == "failed":
                parts = [f"{c.checks_passed} of {c.checks_total} checks passed"] if c.checks_total else []
                if c.visible_error:
                    parts.append(f"visible test failed: <pre>{html.escape(c.visible_error)}</pre>")
                parts += [f"hidden check failed: <b>{html.escape(n)}</b>" for n in c.hidden_failed]
                detail = "<br>".join(parts) or "did not run (see notes)"
            rows.append(f"<tr><td>{html.escape(c.grade_id)}</td><td class='{c.status}'>{c.status}</td>"
                        f"<td>{c.score:g} / {c.points:g}</td><td>{detail}</td></tr>")
        for gid, points in manual.items():
            rows.append(f"<tr><td>{html.escape(gid)}</td><td class='manual'>graded by hand</td>"
                        f"<td>? / {points:g}</td><td></td></tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in r.reasons) or "<li>none</li>"
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
                f"{html.escape(r.student)}</title><style>{FEEDBACK_CSS}</style></head><body>"
                f"<h1>{html.escape(assignment)}</h1><p>Student: <b>{html.escape(r.student)}</b></p>"
                f"<p>Autograded score: <b>{r.score:g} / {r.max_score:g}</b> "
                f"(written answers are graded by hand, {sum(manual.values()):g} more points)</p>"
                f"<table><tr><th>part</th><th>result</th><th>points</th><th>details</th></tr>{''.join(rows)}</table>"
                f"<h2>Notes from the grader</h2><ul>{notes}</ul></body></html>")
        dest = course / "feedback" / assignment / f"{r.student}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(page)
        out.append(dest)
    return out


def _manual_cells(assignment: str) -> dict[str, float]:
    import nbformat

    from .engine import nbg
    cells = nbformat.read(source_path(assignment), as_version=4).cells
    return {nbg(c)["grade_id"]: float(nbg(c).get("points", 0)) for c in cells
            if nbg(c).get("grade") and c.cell_type == "markdown"}


# ------------------------------------------------------------------- export

def export(course: Path, assignment: str) -> dict[str, Path]:
    """Grades CSV from the gradebook (a row per student, a column per graded cell, totals) and a summary."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nbgrader.api import Gradebook
    course = Path(course)
    out_dir = course / "export"
    out_dir.mkdir(parents=True, exist_ok=True)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        a = gb.find_assignment(assignment)
        cells = [(g.name, g.max_score, g.cell_type) for nb in a.notebooks for g in nb.grade_cells]
        rows = []
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            grades = {g.name: g for nb in sub.notebooks for g in nb.grades}
            row = {"student": sub.student.id}
            for name, _, _ in cells:
                g = grades[name]
                row[name] = g.score if (g.auto_score is not None or g.manual_score is not None) else ""
            row["autograded"] = sum(grades[n].score for n, _, t in cells if t == "code")
            row["total"] = sub.score
            row["max"] = sub.max_score
            rows.append(row)
    csv_path = out_dir / f"{assignment}-grades.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["student"] + [c[0] for c in cells] + ["autograded", "total", "max"])
        w.writeheader()
        w.writerows(rows)
    # summary: score distribution per question
    summary_path = out_dir / f"{assignment}-summary.csv"
    stats = []
    for name, max_score, kind in cells:
        vals = [r[name] for r in rows if r[name] != ""]
        if not vals:
            stats.append({"cell": name, "max": max_score, "graded": 0})
            continue
        vals_sorted = sorted(vals)
        stats.append({"cell": name, "max": max_score, "graded": len(vals), "mean": round(sum(vals) / len(vals), 3),
                      "median": vals_sorted[len(vals) // 2], "min": vals_sorted[0], "max_seen": vals_sorted[-1],
                      "full_marks": sum(v == max_score for v in vals)})
    with open(summary_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["cell", "max", "graded", "mean", "median", "min", "max_seen", "full_marks"])
        w.writeheader()
        w.writerows(stats)
    graded = [s for s in stats if s["graded"]]
    fig, axes = plt.subplots(1, max(1, len(graded)), figsize=(3.2 * max(1, len(graded)), 2.8), squeeze=False)
    for ax, s in zip(axes[0], graded):
        vals = [r[s["cell"]] for r in rows if r[s["cell"]] != ""]
        ax.hist(vals, bins=[x - 0.5 for x in range(int(s["max"]) + 2)], color="#4a7bb7", rwidth=0.85)
        ax.set_title(s["cell"], fontsize=9)
        ax.set_xlabel(f"points (of {s['max']:g})")
    axes[0][0].set_ylabel("students")
    fig.suptitle(f"{assignment}: score distribution per graded cell ({len(rows)} students)")
    fig.tight_layout()
    png = out_dir / f"{assignment}-summary.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return {"grades": csv_path, "summary": summary_path, "figure": png}


def summary_table(path: Path) -> str:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    head = f"{'cell':32} {'max':>4} {'graded':>6} {'mean':>6} {'full':>5}"
    return "\n".join([head] + [f"{r['cell']:32} {float(r['max']):4g} {r['graded']:>6} {r.get('mean') or '':>6} "
                                f"{r.get('full_marks') or '':>5}" for r in rows])
