"""Step 1, collect: an LMS download (a folder or zip) into <course>/submitted/<student>/<assignment>/.

File names, as the LMSs write them (autograder/lms.py has the patterns):

* Canvas: `{name}[_LATE]_{user_id}_{attachment_id}_{file}` (name lower-cased, punctuation removed;
  `anon_{id}` under anonymous grading; `-1`, `-2` before the extension of a resubmitted file);
* Moodle: `{Full Name}_{participant id}_assignsubmission_file_{file}` (or a folder of that name
  holding the file);
* anything else: `--pattern`, a regular expression with a (?P<student>...) group (the assignment still
  comes from the notebook, or from `--assignment` for notebooks without nbgrader ids).

Which assignment a notebook belongs to is read from its cells (the nbgrader ids of an assignment's
source), and from its file name only when an editor dropped every id; `Copy of`, ` (1)` and `-1` in
names change nothing. A roster (the LMS's student list as CSV) turns LMS ids into the course's student
ids and names. Every file that cannot be placed is kept in <course>/unmatched/ and listed, with why.
Each collected submission gets `lms.json` beside it (LMS, LMS user id, name, late, the original file).
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .lms import Roster, parse_name

@dataclass
class CollectReport:
    collected: list[tuple[str, str, str]] = field(default_factory=list)  # (student, assignment, file)
    unmatched: list[str] = field(default_factory=list)                    # "file: why"
    replaced: list[str] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"collected {len(self.collected)} submission(s)"]
        lines += [f"  {s} / {a} <- {f}" for s, a, f in self.collected]
        if self.replaced:
            lines.append(f"{len(self.replaced)} earlier file(s) of the same student replaced by a later upload "
                         f"(kept in unmatched/):")
            lines += [f"  {f}" for f in self.replaced]
        if self.not_in_roster:
            lines.append(f"{len(self.not_in_roster)} student(s) NOT in the roster (collected; left out of the LMS "
                         f"import file until the roster has them):")
            lines += [f"  {f}" for f in self.not_in_roster]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} file(s) NOT placed (kept in unmatched/):")
            lines += [f"  {f}" for f in self.unmatched]
        return "\n".join(lines)


@lru_cache(maxsize=None)
def _source_ids() -> dict[str, frozenset]:
    """The nbgrader ids of every assignment's source notebook (read once per process)."""
    from .course import REPO, assignments
    out = {}
    for name in assignments():
        src = json.loads((REPO / "solutions" / name / f"{name}.ipynb").read_text())
        out[name] = frozenset({c["metadata"].get("nbgrader", {}).get("grade_id") for c in src["cells"]} - {None})
    return out


def notebook_assignment(path: Path, file_name: str) -> tuple[str | None, str]:
    """(assignment, how it was found) of a notebook: by the nbgrader ids of its cells; by its file name only
    when it has none (an editor dropped them, or the file is broken: it is graded 0 with the reason then)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8", errors="replace")).get("cells", [])
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}
    except (ValueError, AttributeError):
        ids = set()
    best, overlap = None, 0
    for name, src_ids in _source_ids().items():
        if len(ids & src_ids) > overlap:
            best, overlap = name, len(ids & src_ids)
    if best:
        return best, "cells"
    if ids:
        return None, "a notebook of no assignment of this course (none of its cells is)"
    words = re.sub(r"[^a-z0-9]+", "_", file_name.lower())
    named = [a for a in _source_ids() if a in words]
    return (named[0], "file name") if len(named) == 1 else (None, "no cell or file name of a known assignment")


def _files(src: Path, tmp: str) -> list[Path]:
    if src.is_file() and zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as z:
            z.extractall(tmp)
        src = Path(tmp)
    elif not src.is_dir():
        raise SystemExit(f"{src} is neither a folder nor a zip file.")
    return sorted(p for p in src.rglob("*") if p.is_file() and "__MACOSX" not in p.parts
                  and not p.name.startswith("."))


def collect(source: Path, course: Path, pattern: str | None = None, assignment: str | None = None,
            roster: Path | None = None) -> CollectReport:
    """Copy an LMS download into submitted/<student>/<assignment>/, every file placed or reported."""
    course = Path(course)
    regex = re.compile(pattern) if pattern else None
    if regex is not None and "student" not in regex.groupindex:
        raise SystemExit("--pattern needs a named group (?P<student>...)")
    people = Roster.read(Path(roster)) if roster else None
    report, chosen = CollectReport(), {}
    (course / "unmatched").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(source), tmp)
        for f in files:
            why = _place(f, regex, assignment, people, chosen, report)
            if why:
                shutil.copy2(f, course / "unmatched" / f.name)
                report.unmatched.append(f"{f.name}: {why}")
        kept = {v[1].name for v in chosen.values()}
        for f in files:
            if f.name in report.replaced and f.name not in kept:
                shutil.copy2(f, course / "unmatched" / f.name)
        for (student, assign), (order, f, facts) in sorted(chosen.items()):
            dest = course / "submitted" / student / assign / f"{assign}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
            (dest.parent / "lms.json").write_text(json.dumps(facts, indent=1))
            report.collected.append((student, assign, f.name))
    (course / "collect_report.txt").write_text(report.text() + "\n")
    return report


def _place(f: Path, regex, assignment: str | None, people, chosen: dict, report: CollectReport) -> str | None:
    """File `f` into `chosen` (the newest upload per student and assignment); the reason if it cannot be."""
    if f.suffix.lower() != ".ipynb":
        return "not a notebook (.ipynb)"
    facts = parse_name(f, regex)
    if facts is None:
        return "the file name is not a Canvas or Moodle download name (or does not match --pattern)"
    assign, how = notebook_assignment(f, facts.get("file", f.name))
    if assign is None and assignment and how.startswith("no cell"):
        assign, how = assignment, "--assignment"
    if assign is None:
        return how
    if assignment and assign != assignment:
        return f"a notebook of {assign}, not of {assignment} (found by its {how})"
    if people is not None:
        person = people.find(facts)
        if person is None:
            report.not_in_roster.append(f"{facts.get('name') or facts['key']} ({f.name})")
        else:
            facts |= person
    student = facts.get("student") or facts["key"]
    facts |= {"student": student, "assignment": assign, "found_by": how}
    key = (student, assign)
    if key in chosen and chosen[key][0] > facts["order"]:   # an older upload than the one kept
        report.replaced.append(f.name)
        return None
    if key in chosen:
        report.replaced.append(chosen[key][1].name)
    chosen[key] = (facts["order"], f, facts)
    return None


def lms_facts(notebook: Path) -> dict:
    """What collect learned about a submission from the LMS (empty if it was not collected from one)."""
    path = Path(notebook).parent / "lms.json"
    return json.loads(path.read_text()) if path.exists() else {}


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
