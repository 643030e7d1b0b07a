"""The LMS round trip: Canvas's and Moodle's download names and rosters in, their grade import files out.

Canvas (its "Download Submissions" zip and gradebook CSV):
  * file names `{name}[_LATE]_{user_id}_{attachment_id}_{file}`, the name lower-cased with punctuation
    and spaces removed, `anon_{id}` instead of name and user id under anonymous grading, and `-1`, `-2`
    before the extension of a resubmitted file;
  * the gradebook export's columns `Student, ID, SIS User ID, SIS Login ID, Section` (ID is the
    user id of the download names), which is also what its gradebook import wants, followed by one
    column per assignment titled `Title (assignment_id)`; an unknown title creates a new assignment.
    Canvas applies its own late policy when a grade is entered, so the default export is raw.
Moodle (the assignment's "Download all submissions" and the gradebook's CSV import):
  * file names `{Full Name}_{participant id}_assignsubmission_file_{file}`, or a folder of that name
    (ending in `_`) holding the file;
  * the gradebook import matches students on one chosen identity column (email address, ID number,
    username) and one unknown student aborts the whole import, so students not in the roster are left
    out of the file and listed.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

CANVAS = re.compile(r"^(?P<name>[a-z0-9]+)(?P<late>_late)?_(?P<user_id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
CANVAS_ANON = re.compile(r"^anon_(?P<anon>[A-Za-z0-9]+)(?P<late>_late)?_(?P<attachment>\d+)_(?P<file>.+)$",
                         re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.*)$")
COPY = re.compile(r"(?:-(?P<dash>\d+)|\s*\((?P<paren>\d+)\))$")   # "-1" (Canvas), " (1)" (a browser's copy)
MOODLE_ID_COLUMNS = ("Email address", "ID number", "Username")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "student"


def _copy_number(file: str) -> int:
    m = COPY.search(Path(file).stem)
    return int(m["dash"] or m["paren"]) if m else 0


def parse_name(path: Path, pattern: re.Pattern | None = None) -> dict | None:
    """What a download's file name says: LMS, the student's key and name, LMS user id, late, upload order."""
    name = path.name
    if pattern is not None:
        m = pattern.match(name)
        return None if not m else {"lms": "", "key": m["student"], "file": name, "late": False,
                                   "order": (_copy_number(name), 0)}
    if m := CANVAS_ANON.match(name):
        return {"lms": "canvas", "key": f"anon_{m['anon']}", "anonymous": True, "late": bool(m["late"]),
                "file": m["file"], "order": (_copy_number(m["file"]), int(m["attachment"]))}
    if m := CANVAS.match(name):
        return {"lms": "canvas", "key": f"{m['name'].lower()}-{m['user_id']}", "name": m["name"],
                "lms_user_id": m["user_id"], "late": bool(m["late"]), "file": m["file"],
                "order": (_copy_number(m["file"]), int(m["attachment"]))}
    for text, file in ((name, None), (path.parent.name, name)):
        if m := MOODLE.match(text):
            return {"lms": "moodle", "key": f"{slug(m['name'])}-{m['participant']}", "name": m["name"],
                    "participant": m["participant"], "late": None, "file": file or m["file"],
                    "order": (_copy_number(file or m["file"]), 0)}
    return None


@dataclass
class Roster:
    """The LMS's student list: Canvas's gradebook export or Moodle's (or its participants list)."""
    lms: str
    rows: list[dict]

    @classmethod
    def read(cls, path: Path) -> "Roster":
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.DictReader(f)]
        header = set(rows[0]) if rows else set()
        if {"Student", "ID", "SIS Login ID"} <= header:
            return cls("canvas", [r for r in rows if (r.get("ID") or "").strip().isdigit()])
        if {"First name", "Last name"} <= header and header & set(MOODLE_ID_COLUMNS):
            return cls("moodle", rows)
        raise SystemExit(f"{path}: not a roster this course reads. Export it from the LMS: Canvas's gradebook CSV "
                         f"(columns Student, ID, SIS User ID, SIS Login ID, Section) or Moodle's gradebook or "
                         f"participants CSV (First name, Last name and Email address or ID number).")

    def find(self, facts: dict) -> dict | None:
        """The roster's entry for a file's facts, as the course's student id and LMS fields; None if absent."""
        if self.lms == "canvas" and facts.get("lms_user_id"):
            hit = [r for r in self.rows if r["ID"].strip() == facts["lms_user_id"]]
            if len(hit) == 1:
                r = hit[0]
                last, _, first = r["Student"].partition(", ")
                return {"student": slug(r["SIS Login ID"]) if r["SIS Login ID"].strip() else f"canvas-{r['ID'].strip()}",
                        "first_name": first.strip(), "last_name": last.strip(), "roster": dict(r)}
        if self.lms == "moodle" and facts.get("name"):
            want = " ".join(facts["name"].lower().split())
            hit = [r for r in self.rows if " ".join(f"{r['First name']} {r['Last name']}".lower().split()) == want]
            if len(hit) == 1:
                r = hit[0]
                ident = (r.get("ID number") or "").strip() or (r.get("Email address") or "").split("@")[0]
                return {"student": slug(ident) if ident else slug(facts["name"]), "first_name": r["First name"],
                        "last_name": r["Last name"], "email": r.get("Email address", ""), "roster": dict(r)}
        return None


def final_score(s, late_penalty: float) -> float:
    """The total sent to the LMS: raw, or less `late_penalty` (a share of the total) when the upload was late."""
    late = bool(s.lms.get("late"))
    return round(s.total * (1 - late_penalty) if late else s.total, 2)


def write_import(lms: str, course: Path, assignment: str, students: list, out_dir: Path, title: str | None = None,
                 late_penalty: float = 0.0, canvas_assignment_id: str | None = None,
                 moodle_id_column: str = "Email address") -> Path:
    """The LMS's grade import file for `assignment`, and beside it a report of every student left out and why."""
    if lms not in ("canvas", "moodle"):
        raise SystemExit(f"--lms {lms}: choose canvas or moodle")
    if not 0 <= late_penalty < 1:
        raise SystemExit(f"--late-penalty {late_penalty}: a share of the total between 0 and 1 (0.1 takes 10% off)")
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
            rows.append((roster, final_score(s, late_penalty)))
    if lms == "canvas":
        column = f"{title} ({canvas_assignment_id})" if canvas_assignment_id else title
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
        body = [[r.get(h, "") for h in header[:5]] + [score] for r, score in rows]
    else:
        if moodle_id_column not in MOODLE_ID_COLUMNS:
            raise SystemExit(f"--moodle-id {moodle_id_column!r}: one of {', '.join(MOODLE_ID_COLUMNS)}")
        header = ["First name", "Last name", moodle_id_column, title]
        body = [[r.get("First name", ""), r.get("Last name", ""), r.get(moodle_id_column, ""), score] for r, score in rows]
    path = out_dir / f"{assignment}-{lms}-{kind}.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header] + body)
    (out_dir / f"{assignment}-{lms}-left-out.txt").write_text(
        f"{len(body)} grade(s) in {path.name} ({'raw: the LMS applies its own late policy' if kind == 'raw' else kind})\n"
        + (f"{len(left_out)} student(s) left out:\n" + "\n".join(f"  {x}" for x in left_out) if left_out else "")
        + "\n")
    return path
