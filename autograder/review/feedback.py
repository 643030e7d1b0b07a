"""Step 3, feedback: one HTML page per graded student, from the gradebook alone."""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from ..cells import grade_id, nbg
from ..course import CourseFolder, source_path
from ..grading.assembly import defined_names
from .export import display_name, points
from .gradebook import CellGrade, StudentGrades, read, require_graded

FEEDBACK_CSS = ("body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;color:#222}"
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em .6em;text-align:left}"
                ".passed{color:#176f2c}.failed{color:#b00020}.manual{color:#555}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}")


def part_titles(assignment: str) -> dict[str, str]:
    """A readable title for every graded cell, by grade id: a test cell's section heading and what it tests
    ("Part 1: decoding by hand: warp_logits"), a written cell's first line ("Q1. Why is fine-tuning needed?...")."""
    worth = re.compile(r"\s*\(\d+(\.\d+)? points?\)")
    titles, heading, tested = {}, "", []
    for c in nbformat.read(source_path(assignment), as_version=4).cells:
        lines = [ln.strip() for ln in c.source.splitlines() if ln.strip()]
        if c.cell_type == "markdown" and nbg(c).get("grade"):
            first = worth.sub("", re.sub(r"[*_`#]", "", lines[0] if lines else "").strip())
            titles[grade_id(c)] = first if len(first) <= 90 else first[:88].rsplit(" ", 1)[0] + " ..."
        elif c.cell_type == "markdown":
            heads = [ln for ln in lines if ln.startswith("#")]
            heading = worth.sub("", heads[-1].lstrip("#").strip()) if heads else heading
        elif nbg(c).get("solution"):
            tested = [n for n in defined_names(c.source) if not n.startswith("_")][:2]
        elif nbg(c).get("grade"):
            titles[grade_id(c)] = ": ".join(x for x in (heading, ", ".join(tested)) if x) or grade_id(c)
    return titles


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


def _row(c: CellGrade, title: str) -> str:
    if c.kind == "auto":
        status, detail = _auto_detail(c)
    elif c.score is None:
        status, detail = "manual", "not graded yet"
    else:
        status, detail = "manual", (f"grader's comment: <pre>{html.escape(c.comment)}</pre>" if c.comment else "")
    shown = "?" if c.score is None else points(c.score)
    label = "graded by hand" if c.kind == "manual" else status
    return (f"<tr><td>{html.escape(title)}</td><td class='{status}'>{label}</td>"
            f"<td>{shown} / {points(c.max_score)}</td><td>{detail}</td></tr>")


def page(assignment: str, s: StudentGrades, titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    rows = "".join(_row(c, titles.get(c.grade_id, c.grade_id)) for c in s.cells.values())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in s.reasons) or "<li>none</li>"
    pending = (f" ({len(s.ungraded)} written part(s) not graded yet)" if s.ungraded else "")
    name = display_name(s.lms)
    who = f"{html.escape(name)} ({html.escape(s.student)})" if name else html.escape(s.student)
    late = (" <b class='failed'>Submitted late.</b>" if s.lms.get("late") else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
            f"{html.escape(name or s.student)}</title><style>{FEEDBACK_CSS}</style></head><body>"
            f"<h1>{html.escape(assignment)}</h1><p>Student: <b>{who}</b>{late}</p>"
            f"<p>Total: <b>{points(s.total)} / {points(s.max_score)}</b>{pending}; autograded {points(s.score('auto'))}, "
            f"graded by hand {points(s.score('manual'))}</p>"
            f"<table><tr><th>part</th><th>result</th><th>points</th><th>details</th></tr>{rows}</table>"
            f"<h2>Automatic checks: notes from the autograder</h2><ul>{notes}</ul></body></html>")


def feedback(course: Path, assignment: str) -> list[Path]:
    """One HTML report per graded student: scores (autograded and by hand), failing visible tests, the names
    of failing hidden checks, the graders' comments. Nothing for a submission that needs a re-grade."""
    require_graded(course, assignment)
    titles = part_titles(assignment)
    out = []
    for s in read(course, assignment):
        if s.needs_regrade:  # no report from a grading that failed on our side: grade --retry-failed first
            continue
        dest = CourseFolder(course).feedback(assignment, s.student)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(page(assignment, s, titles), encoding="utf-8")
        out.append(dest)
    return out
