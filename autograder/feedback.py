"""Step 3, feedback: one HTML page per graded student."""
from __future__ import annotations

import html
import json
from pathlib import Path

from .course import manual_cells
from .results import Result


FEEDBACK_CSS = ("body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;color:#222}"
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em .6em;text-align:left}"
                ".passed{color:#176f2c}.failed{color:#b00020}.manual{color:#555}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}")


def feedback(course: Path, assignment: str) -> list[Path]:
    """One HTML report per graded student: scores, failing visible tests, names of failing hidden checks."""
    course = Path(course)
    out = []
    manual = manual_cells(assignment)
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

