"""Step 4, export: grades as CSV (and as an LMS import file), a per-question item analysis as CSV and one figure.

Everything is read from the gradebook (autograder/gradebook.py)."""
from __future__ import annotations

import csv
import statistics
from pathlib import Path

from .gradebook import StudentGrades, cell_order, read, require_graded

SUMMARY_FIELDS = ["cell", "kind", "max", "graded", "mean", "mean_share", "full_marks_share", "discrimination"]


def points(x: float | None) -> str:
    """A score as every file of the export writes it: at most two decimals, no trailing zeros (7.33, 8, 0)."""
    return "" if x is None else f"{round(float(x), 2):g}"


def export(course: Path, assignment: str, lms: str | None = None, late_penalty: float = 0.0,
           **lms_options) -> dict[str, Path]:
    """Grades CSV (a row per student: name, LMS id, late, a column per graded cell, raw and late-penalised
    totals; every roster student, graded or not), the item analysis and its figure, and with `lms`
    ("canvas" or "moodle") the LMS's grade import file (autograder/lms.py). Files are UTF-8."""
    from .collect import expected_students
    from .lms import check_late_penalty, final_score
    course = Path(course)
    check_late_penalty(late_penalty)   # before any file is written
    require_graded(course, assignment)
    out_dir = course / "export"
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
        from .lms import write_import
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
