"""Step 4, export: grades and a summary of the assignment as CSV and a plot."""
from __future__ import annotations

import csv
from pathlib import Path


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

