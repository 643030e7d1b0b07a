"""Step 4, export: grades as CSV (and as an LMS import file), a per-question item analysis as CSV, one figure,
and as a text table for the terminal (summary_table).

Everything is read from the gradebook (gradebook.py)."""
from __future__ import annotations

import csv
import statistics
from pathlib import Path

from ..lms.collect import expected_students
from ..lms.systems import REGISTRY, named
from ..course import CourseFolder
from .gradebook import StudentGrades, cell_order, read, require_graded

SUMMARY_FIELDS = ["cell", "kind", "max", "graded", "mean", "mean_share", "full_marks_share", "discrimination"]


def points(x: float | None) -> str:
    """A score as every file of the export writes it: at most two decimals, no trailing zeros (7.33, 8, 0)."""
    return "" if x is None else f"{round(float(x), 2):g}"


def export(course: Path, assignment: str, lms: str | None = None, late_penalty: float = 0.0,
           **lms_options) -> dict[str, Path]:
    """Grades CSV (a row per student: name, LMS id, late, a column per graded cell, raw and late-penalised
    totals; every roster student, graded or not), the item analysis and its figure, and with `lms`
    (a registered LMS's name: "canvas", "moodle") its grade import file (write_import). Files are UTF-8."""
    check_late_penalty(late_penalty)   # before any file is written
    if lms:
        named(lms)
    require_graded(course, assignment)
    out_dir = CourseFolder(course).export
    out_dir.mkdir(parents=True, exist_ok=True)
    cells = cell_order(course, assignment)
    students = read(course, assignment)
    missing = {k: v for k, v in expected_students(course, assignment).items()
               if k not in {s.student for s in students}}
    csv_path = out_dir / f"{assignment}-grades.csv"
    top = points(sum(c[1] for c in cells))
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "name", "lms_user_id", "late"] + [c[0] for c in cells]
                   + ["autograded", "manual", "total", f"total_late_penalised_{round(late_penalty * 100):g}pct",
                      "max", "status"])
        for s in students:
            w.writerow([s.student, display_name(s.lms), s.lms.get("lms_user_id", ""), "yes" if s.lms.get("late") else ""]
                       + [points(s.cells[c[0]].score) if c[0] in s.cells else "" for c in cells]
                       + (["", "", "", ""] if s.needs_regrade else
                          [points(s.score("auto")), points(s.score("manual")), points(s.total),
                           points(final_score(s, late_penalty))])
                       + [top, _status(s)])
        for student, facts in sorted(missing.items()):
            w.writerow([student, facts.get("name", ""), facts.get("lms_user_id", ""), ""] + [""] * len(cells)
                       + ["", "", "", "", top, f"not graded: {facts.get('why') or 'no graded submission'}"])
    stats = item_analysis(cells, [s for s in students if not s.needs_regrade])
    summary_path = out_dir / f"{assignment}-summary.csv"
    with open(summary_path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=SUMMARY_FIELDS)
        w.writeheader()
        w.writerows({k: f"{v:g}" if isinstance(v, float) else v for k, v in row.items()} for row in stats)
    paths = {"grades": csv_path, "summary": summary_path,
             "figure": _figure(stats, assignment, len(students), out_dir / f"{assignment}-summary.png")}
    if lms:
        paths["lms"] = write_import(lms, course, assignment, students, out_dir, late_penalty=late_penalty,
                                    missing=missing, **lms_options)
    return paths


def display_name(lms: dict) -> str:
    """The student's name as the LMS has it ("First Last"), or "" when collect learned none."""
    full = f"{lms.get('first_name', '')} {lms.get('last_name', '')}".strip()
    return full or lms.get("name", "")


def _status(s: StudentGrades) -> str:
    if s.needs_regrade:
        return "needs re-grade"
    return f"{len(s.ungraded)} part(s) to grade by hand" if s.ungraded else "complete"


def _corr(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return round(statistics.correlation(x, y), 3)


def item_analysis(cells, students: list[StudentGrades]) -> list[dict]:
    """Per graded cell: mean, mean share of its points, share of full marks, and discrimination: the
    correlation of the cell's score with the rest of the total (the total without this cell), over the
    students graded on it. A question everyone gets (or nobody gets) has none; a broken one is near 0 or below."""
    stats = []
    for name, points, kind in cells:
        graded = [s for s in students if name in s.cells and s.cells[name].score is not None]
        vals = [s.cells[name].score for s in graded]
        row = {"cell": name, "kind": kind, "max": points, "graded": len(vals)}
        if vals:
            mean = statistics.fmean(vals)
            rest = [s.total - s.cells[name].score for s in graded]
            row |= {"mean": round(mean, 3), "mean_share": round(mean / points, 3) if points else "",
                    "full_marks_share": round(sum(v >= points for v in vals) / len(vals), 3),
                    "discrimination": _corr(vals, rest)}
        stats.append(row)
    return stats


def _figure(stats: list[dict], assignment: str, n: int, png: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [s["cell"] for s in stats]
    share = [s.get("mean_share") or 0 for s in stats]
    disc = [s.get("discrimination") if s.get("discrimination") is not None else float("nan") for s in stats]
    colours = ["#4a7bb7" if s["kind"] == "auto" else "#c7772b" for s in stats]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 0.35 * len(names) + 1.6), sharey=True)
    a.barh(names, share, color=colours)
    a.set_xlim(0, 1)
    a.set_xlabel("mean score / points (blue: autograded, orange: by hand)")
    b.barh(names, disc, color=["#b00020" if d == d and d < 0.1 else "#176f2c" for d in disc])
    b.axvline(0, color="#444", lw=0.8)
    b.set_xlim(-1, 1)
    b.set_xlabel("discrimination: correlation with the rest of the total\n(red: below 0.1, check the question)")
    for y, st in enumerate(stats):
        if not st["graded"]:
            a.text(0.02, y, "not graded yet", va="center", fontsize=8, color="#777")
    a.invert_yaxis()
    fig.suptitle(f"{assignment}: item analysis ({n} students)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def check_late_penalty(late_penalty: float) -> None:
    if not 0 <= late_penalty < 1:
        raise SystemExit(f"--late-penalty {late_penalty:g}: a share of the total between 0 and 1 (0.1 takes 10% off)")


def final_score(s, late_penalty: float) -> float:
    """The total sent to the LMS: raw, or less `late_penalty` (a share of the total) when the upload was late."""
    late = bool(s.lms.get("late"))
    return round(s.total * (1 - late_penalty) if late else s.total, 2)


def lms_options(given: dict) -> dict:
    """The options of each registered LMS's import file: `given`, else their defaults. TypeError for an option
    no registered LMS has."""
    known = {k: default for lms in REGISTRY.values() for k, (_, default, _) in lms.import_options.items()}
    unknown = set(given) - set(known)
    if unknown:
        raise TypeError(f"no LMS has the option(s) {', '.join(sorted(unknown))} (theirs: {', '.join(known)})")
    return known | given


def left_out_path(out_dir: Path, assignment: str, lms: str) -> Path:
    """The report beside an LMS import file: every student it leaves out, and why."""
    return Path(out_dir) / f"{assignment}-{lms}-left-out.txt"


def write_import(lms: str, course: Path, assignment: str, students: list, out_dir: Path, title: str | None = None,
                 late_penalty: float = 0.0, missing: dict | None = None, **options) -> Path:
    """The LMS's grade import file for `assignment`, and beside it a report of every student left out and why:
    those of `students` it cannot take yet, and the roster's students in `missing` (no graded submission).
    `options`: the LMS's import options (systems.LMS.import_options: canvas_assignment_id, moodle_id_column)."""
    system = named(lms)
    options = lms_options(options)
    check_late_penalty(late_penalty)
    title = title or assignment
    kind = "raw" if late_penalty == 0 else f"late-penalised-{round(late_penalty * 100):g}pct"
    rows, left_out = [], []
    for s in students:
        roster = s.lms.get("roster")
        if s.needs_regrade or s.ungraded:
            left_out.append(f"{s.student}: {'needs a re-grade' if s.needs_regrade else 'written parts not graded yet'}")
        elif not roster or s.lms.get("lms") != lms:
            left_out.append(f"{s.student}: not in the {lms} roster (collect with --roster)")
        else:
            rows.append((roster, points(final_score(s, late_penalty))))
    left_out += [f"{student}{' (' + facts['name'] + ')' if facts.get('name') else ''}: "
                 f"{facts.get('why') or 'no graded submission'}" for student, facts in sorted((missing or {}).items())]
    header, body = system.import_table(rows, title, **{k: options[k] for k in system.import_options})
    path = out_dir / f"{assignment}-{lms}-{kind}.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header] + body)
    left_out_path(out_dir, assignment, lms).write_text(
        f"{len(body)} grade(s) in {path.name} ({'raw: the LMS applies its own late policy' if kind == 'raw' else kind})\n"
        + (f"{len(left_out)} student(s) left out:\n" + "\n".join(f"  {x}" for x in left_out) if left_out else "")
        + "\n", encoding="utf-8")
    return path


def summary_table(path: Path) -> str:
    """The export's item analysis (its summary CSV) as a text table for the terminal."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    head = f"{'cell':32} {'kind':6} {'max':>4} {'graded':>6} {'mean':>6} {'full':>5} {'discr.':>6}"
    return "\n".join([head] + [f"{r['cell']:32} {r['kind']:6} {float(r['max']):4g} {r['graded']:>6} "
                                f"{r.get('mean') or '':>6} {r.get('full_marks_share') or '':>5} "
                                f"{r.get('discrimination') or '':>6}" for r in rows])
