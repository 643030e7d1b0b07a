"""Step 3, feedback: one HTML page per graded student, from the gradebook alone."""
from __future__ import annotations

import html
from pathlib import Path

from .gradebook import CellGrade, StudentGrades, read

FEEDBACK_CSS = ("body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;color:#222}"
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em .6em;text-align:left}"
                ".passed{color:#176f2c}.failed{color:#b00020}.manual{color:#555}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}")


def _auto_detail(c: CellGrade) -> tuple[str, str]:
    d = c.detail
    status = d.get("status", "passed" if c.score == c.max_score else "failed")
    if status != "failed":
        return status, ""
    parts = [f"{d['checks_passed']} of {d['checks_total']} checks passed"] if d.get("checks_total") else []
    if d.get("visible_error"):
        parts.append(f"visible test failed: <pre>{html.escape(d['visible_error'])}</pre>")
    parts += [f"hidden check failed: <b>{html.escape(n)}</b>" for n in d.get("hidden_failed", [])]
    return status, "<br>".join(parts) or "did not run (see notes)"


def _row(c: CellGrade) -> str:
    if c.kind == "auto":
        status, detail = _auto_detail(c)
    elif c.score is None:
        status, detail = "manual", "not graded yet"
    else:
        status, detail = "manual", (f"grader's comment: <pre>{html.escape(c.comment)}</pre>" if c.comment else "")
    shown = "?" if c.score is None else f"{c.score:g}"
    label = "graded by hand" if c.kind == "manual" else status
    return (f"<tr><td>{html.escape(c.grade_id)}</td><td class='{status}'>{label}</td>"
            f"<td>{shown} / {c.max_score:g}</td><td>{detail}</td></tr>")


def page(assignment: str, s: StudentGrades) -> str:
    rows = "".join(_row(c) for c in s.cells.values())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in s.reasons) or "<li>none</li>"
    pending = (f" ({len(s.ungraded)} written part(s) not graded yet)" if s.ungraded else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
            f"{html.escape(s.student)}</title><style>{FEEDBACK_CSS}</style></head><body>"
            f"<h1>{html.escape(assignment)}</h1><p>Student: <b>{html.escape(s.student)}</b></p>"
            f"<p>Total: <b>{s.total:g} / {s.max_score:g}</b>{pending}; autograded {s.score('auto'):g}, "
            f"graded by hand {s.score('manual'):g}</p>"
            f"<table><tr><th>part</th><th>result</th><th>points</th><th>details</th></tr>{rows}</table>"
            f"<h2>Notes from the grader</h2><ul>{notes}</ul></body></html>")


def feedback(course: Path, assignment: str) -> list[Path]:
    """One HTML report per graded student: scores (autograded and by hand), failing visible tests, the names
    of failing hidden checks, the graders' comments. Nothing for a submission that needs a re-grade."""
    course = Path(course)
    out = []
    for s in read(course, assignment):
        if s.needs_regrade:  # no report from a grading that failed on our side: grade --retry-failed first
            continue
        dest = course / "feedback" / assignment / f"{s.student}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(page(assignment, s))
        out.append(dest)
    return out
