"""Step 1, collect: an LMS download (a folder or zip) into <course>/submitted/<student>/<assignment>/.

File names, as the LMSs write them (systems.py has them: every registered LMS is read):

* Canvas: `{name}[_LATE]_{user_id}_{attachment_id}_{file}` (name lower-cased, punctuation removed, letters
  of any script kept; `anon_{id}` under anonymous grading; `-1`, `-2` before the extension of a resubmitted file);
* Moodle: `{Full Name}_{participant id}_assignsubmission_file_{file}` (or a folder of that name
  holding the file);
* anything else: `--pattern`, a regular expression with a (?P<student>...) group (the assignment still
  comes from the notebook, or from `--assignment` for notebooks without nbgrader ids).

Which assignment a notebook belongs to is read from its cells (the nbgrader ids of an assignment's
source), and from its file name only when an editor dropped every id; `Copy of`, ` (1)` and `-1` in
names change nothing. Of a student's uploads the newest counts: by the LMS's order (Canvas's attachment
id, the time Moodle gives the file), copy numbers only breaking ties. A roster (the LMS's student list as
CSV) turns LMS ids into the course's student ids and names; it is kept in <course>/roster.json (merged
with the rosters of earlier collects, and used when --roster is not given), so every roster student is
listed by the later steps (`expected_students`). Every file that cannot be placed is kept in
<course>/unmatched/ and listed, with why; those of a roster student are also kept in
<course>/set_aside.json. A damaged zip member is reported, never the end of the collect.
Each collected submission gets `lms.json` beside it (LMS, LMS user id, name, late, the original file).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..cells import grade_ids, source_notebook
from ..course import CourseFolder, assignments, require_course, source_path
from .roster import Roster
from .systems import REGISTRY, either, parse_name

UNKNOWN = "no cell or file name of a known assignment"
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)


@dataclass
class CollectReport:
    collected: list[tuple[str, str, str]] = field(default_factory=list)  # (student, assignment, file)
    unmatched: list[str] = field(default_factory=list)                    # "file: why"
    replaced: list[str] = field(default_factory=list)                     # older uploads
    replaced_by: dict[str, str] = field(default_factory=dict)             # older upload -> the newer one kept
    not_in_roster: list[str] = field(default_factory=list)
    roster: str = ""                                                      # which roster was used

    def text(self) -> str:
        lines = ([self.roster] if self.roster else []) + [f"collected {len(self.collected)} submission(s)"]
        lines += [f"  {s} / {a} <- {f}" for s, a, f in self.collected]
        if self.replaced:
            lines.append(f"{len(self.replaced)} older upload(s) replaced by the same student's newer one "
                         f"(the older kept in unmatched/):")
            lines += [f"  {f}  (older than {self.replaced_by[f]})" for f in self.replaced]
        if self.not_in_roster:
            lines.append(f"{len(self.not_in_roster)} student(s) NOT in the roster (collected; left out of the LMS "
                         f"import file until the roster has them):")
            lines += [f"  {f}" for f in self.not_in_roster]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} file(s) NOT placed (kept in unmatched/):")
            lines += [f"  {f}" for f in self.unmatched]
        if any(UNKNOWN in u for u in self.unmatched):
            lines.append(f"Notebooks of no known assignment: if they are of one assignment, collect them again with "
                         f"--assignment NAME (this course's assignments: {', '.join(_source_ids())}).")
        return "\n".join(lines)


@lru_cache(maxsize=None)
def _source_ids() -> dict[str, frozenset]:
    """The nbgrader ids of every assignment's source notebook (read once per process)."""
    return {name: frozenset(grade_ids(json.loads(source_notebook(name).read_text())["cells"]))
            for name in assignments()}


def _named(file_name: str) -> str | None:
    """The one assignment a file's name names, if it names exactly one."""
    words = re.sub(r"[^a-z0-9]+", "_", file_name.lower())
    named = [a for a in _source_ids() if a in words]
    return named[0] if len(named) == 1 else None


def notebook_assignment(path: Path, file_name: str) -> tuple[str | None, str]:
    """(assignment, how it was found) of a notebook: by the nbgrader ids of its cells; by its file name only
    when it has none (an editor dropped them, or the file is broken: it is graded 0 with the reason then)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        cells = nb.get("cells") or [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]   # nbformat 3
        ids = grade_ids(cells)
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
    named = _named(file_name)
    return (named, "file name") if named else (None, f"{UNKNOWN} (pass --assignment NAME to file it under NAME)")


def _unzip(src: Path, tmp: Path) -> list[tuple[str, Path | None, str | None]]:
    """Extract a zip member by member into tmp/files; a damaged member is reported (with what could be read
    of it, in tmp/damaged), never the end of the collect. Each file keeps its time in the zip (Moodle's)."""
    try:
        z = zipfile.ZipFile(src)
    except ZIP_ERRORS as e:
        raise SystemExit(f"{src}: a damaged zip file ({e}). Download it from the LMS again.")
    stage, out = tmp / "stage", []
    with z:
        for info in z.infolist():
            if info.is_dir():
                continue
            if not info.flag_bits & 0x800:   # a name not marked UTF-8: read as UTF-8 when it is (Windows' zip)
                try:
                    info.filename = info.orig_filename.encode("cp437").decode("utf-8")
                except UnicodeError:
                    pass
            try:
                z.extract(info, stage)
                damage = None
            except ZIP_ERRORS as e:
                damage = f"damaged in the zip ({type(e).__name__}: {e}); what could be read of it is kept"
            found = [p for p in stage.rglob("*") if p.is_file()]
            for p in found:
                rel = p.relative_to(stage)
                dest = tmp / ("damaged" if damage else "files") / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                p.replace(dest)
                try:
                    stamp = time.mktime(info.date_time + (0, 0, -1))
                    os.utime(dest, (stamp, stamp))
                except (OverflowError, ValueError):
                    pass
                if damage:
                    out.append((rel.as_posix(), dest, damage))
            if damage and not found:
                out.append((info.filename, None, damage))
            shutil.rmtree(stage, ignore_errors=True)
    return out


def _wanted(rel: str) -> bool:
    return "__MACOSX" not in rel.split("/") and not rel.rsplit("/", 1)[-1].startswith(".")


def _files(src: Path, tmp: Path) -> list[tuple[str, Path | None, str | None]]:
    """Every file of a download: (its path inside the download, where it is now, what damaged it)."""
    if not src.exists():
        raise SystemExit(f"{src} does not exist. Pass the LMS's download: its .zip, or the folder it unpacks to.")
    if src.is_dir():
        root, damaged = src, []
    elif zipfile.is_zipfile(src):
        root, damaged = tmp / "files", _unzip(src, tmp)
    else:
        raise SystemExit(f"{src} is neither a folder nor a zip file. Pass the LMS's download as it came (its .zip), "
                         f"or the folder it unpacks to.")
    files = [(p.relative_to(root).as_posix(), p, None) for p in root.rglob("*") if p.is_file()]
    return sorted((f for f in files + damaged if _wanted(f[0])), key=lambda f: f[0])


def _read(path: Path) -> dict:
    """One of collect's own files (roster.json, set_aside.json); one clear message if a hand edit broke it."""
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, UnicodeDecodeError) as err:
        raise SystemExit(f"{path} is not valid JSON ({err}): undo the hand edit, or delete the file and collect "
                         f"again with --roster (it is written anew from the roster).") from None


def _write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _keep(f: Path | None, dest: Path) -> None:
    if f is not None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)


def collect(source: Path, course: Path, pattern: str | None = None, assignment: str | None = None,
            roster: Path | None = None) -> CollectReport:
    """Copy an LMS download into submitted/<student>/<assignment>/, every file placed or reported."""
    cf, course, source = CourseFolder(course), Path(course), Path(source)
    regex = re.compile(pattern) if pattern else None
    if regex is not None and "student" not in regex.groupindex:
        raise SystemExit("--pattern needs a named group (?P<student>...)")
    if assignment and assignment not in _source_ids():
        raise SystemExit(f"--assignment {assignment}: no such assignment. This course's: {', '.join(_source_ids())}.")
    if course.exists() and not course.is_dir():
        raise SystemExit(f"{course} is a file, not a course folder: pass --course a folder (new or a course's).")
    report = CollectReport()
    people = _roster(cf, roster, report)
    candidates, aside = defaultdict(list), defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(source, Path(tmp))
        if not files:
            raise SystemExit(f"{source} holds no files: nothing to collect. Download the submissions from the LMS "
                             f"again (Canvas: Download Submissions; Moodle: Download all submissions).")
        if not any(rel.lower().endswith(".ipynb") for rel, _, _ in files):
            raise SystemExit(f"{source} holds no notebook (.ipynb), only {len(files)} other file(s) (such as "
                             f"{', '.join(rel for rel, _, _ in files[:3])}): nothing to collect. Is it the "
                             f"submissions download of a notebook assignment?")
        cf.unmatched.mkdir(parents=True, exist_ok=True)
        for rel, f, damage in files:
            why = _place(rel, f, damage, regex, assignment, people, candidates, aside, report)
            if why:
                _keep(f, cf.unmatched / rel)
                report.unmatched.append(f"{rel}: {why}")
        for (student, assign), uploads in sorted(candidates.items()):
            *older, (_, rel, f, facts) = sorted(uploads, key=lambda u: u[0])   # the newest last
            for _, old, old_f, _ in older:
                _keep(old_f, cf.unmatched / old)
                report.replaced.append(old)
                report.replaced_by[old] = rel
            _submit(cf, student, assign, rel, f, facts, report)
    _remember(cf, people, aside)
    cf.collect_report.write_text(report.text() + "\n", encoding="utf-8")
    return report


def _submit(cf: CourseFolder, student: str, assign: str, rel: str, f: Path, facts: dict, report: CollectReport) -> None:
    """Place the newest upload of this download; against a submission an earlier collect placed, the LMS's
    order decides again, and whichever loses is kept in unmatched/ (an older download never overwrites)."""
    dest = cf.submission(student, assign)
    before = lms_facts(dest) if dest.exists() else {}
    if before and dest.read_bytes() != f.read_bytes():
        older_now = before.get("lms") == facts.get("lms") and tuple(before.get("order", ())) > tuple(facts["order"])
        if older_now:   # this download's upload is older than the one placed already: it stays
            _keep(f, cf.unmatched / rel)
            report.replaced.append(rel)
            report.replaced_by[rel] = f"{before.get('file', dest.name)} (placed by an earlier collect)"
            return
        earlier = f"earlier collect/{student}/{assign}/{before.get('file', dest.name)}"
        _keep(dest, cf.unmatched / earlier)
        report.replaced.append(earlier)
        report.replaced_by[earlier] = rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(f, dest)
    (dest.parent / CourseFolder.LMS_FACTS).write_text(json.dumps(facts, indent=1))
    report.collected.append((student, assign, rel))


def _roster(cf: CourseFolder, roster: Path | None, report: CollectReport) -> Roster | None:
    """The roster to match files with: the one given (its students keep the ids earlier collects gave them),
    else the one kept in the course by earlier collects, else none."""
    saved = _read(cf.roster)
    if roster:
        people = Roster.read(Path(roster), saved.get("students", {}))
        report.roster = f"roster: {roster} ({len(people.rows)} students; kept in {cf.roster})"
        return people
    if saved:
        people = Roster.of(saved["lms"], saved["students"])
        report.roster = f"roster: the one kept in {cf.roster} ({len(people.rows)} students)"
        return people
    return None


def _remember(cf: CourseFolder, people: Roster | None, aside: dict) -> None:
    """Keep the roster (merged with those of earlier collects) and the files set aside per roster student."""
    if people is not None:
        saved = _read(cf.roster).get("students", {})
        _write(cf.roster, {"lms": people.lms, "students": saved | people.entries()})
    if aside:
        kept = _read(cf.set_aside)
        for student, entries in aside.items():
            kept[student] = kept.get(student, []) + [e for e in entries if e not in kept.get(student, [])]
        _write(cf.set_aside, kept)


def _place(rel: str, f: Path | None, damage: str | None, regex, assignment: str | None, people: Roster | None,
           candidates: dict, aside: dict, report: CollectReport) -> str | None:
    """File one upload among `candidates` (per student and assignment), or the reason it cannot be, kept in
    `aside` for the roster student it belongs to."""
    facts = parse_name(Path(rel), regex, f.stat().st_mtime if f else 0)
    if facts is None:
        return (f"the file name is not a {either(lms.title for lms in REGISTRY.values())} download name "
                f"(or does not match --pattern)")
    person = people.find(facts) if people is not None else None
    assign, why, how = _assignment(rel, f, damage, facts["file"], assignment)
    if why:
        if person is not None:
            aside[person["student"]].append({"file": rel, "why": why, "assignment": assign})
        return why
    if people is not None and person is None:
        report.not_in_roster.append(f"{facts.get('name') or facts['key']} ({rel})")
    facts |= (person or {}) | {"assignment": assign, "found_by": how}
    facts["student"] = facts.get("student") or facts["key"]
    candidates[(facts["student"], assign)].append((facts["order"], rel, f, facts))
    return None


def _assignment(rel: str, f: Path | None, damage: str | None, file_name: str,
                wanted: str | None) -> tuple[str | None, str | None, str]:
    """(the upload's assignment, why it cannot be placed or None, how the assignment was found)."""
    if damage or Path(rel).suffix.lower() != ".ipynb":
        return _named(file_name), damage or "not a notebook (.ipynb)", "file name"
    assign, how = notebook_assignment(f, file_name)
    if assign is None and wanted and how.startswith(UNKNOWN):
        return wanted, None, "--assignment"
    if assign is None:
        return None, how, how
    if wanted and assign != wanted:
        return assign, f"a notebook of {assign}, not of {wanted} (found by its {how})", how
    return assign, None, how


def expected_students(course: Path, assignment: str) -> dict[str, dict]:
    """Every student of the rosters collect has read, by the course's student id: {"name", "lms_user_id",
    "lms", "roster" (the roster's row), "why"}: why is None when a submission of `assignment` was placed
    for them, else "no submission", or each file of theirs that was set aside and why."""
    cf = CourseFolder(course)
    aside = _read(cf.set_aside)
    out = {}
    for student, entry in sorted(_read(cf.roster).get("students", {}).items()):
        placed = cf.submission(student, assignment).exists()
        files = [a for a in aside.get(student, []) if a["assignment"] in (None, assignment)]
        why = "; ".join(f"file set aside: {a['file']}: {a['why']}" for a in files) or "no submission"
        out[student] = entry | {"why": None if placed else why}
    return out


def lms_facts(notebook: Path) -> dict:
    """What collect learned about a submission from the LMS (empty if it was not collected from one)."""
    path = Path(notebook).parent / CourseFolder.LMS_FACTS
    return json.loads(path.read_text()) if path.exists() else {}


def submissions(course: Path, assignment: str) -> list[tuple[str, Path]]:
    cf = CourseFolder(course)
    if not cf.submitted.is_dir():
        return []
    out = []
    for student_dir in sorted(p for p in cf.submitted.iterdir() if p.is_dir()):
        nb = cf.submission(student_dir.name, assignment)
        if nb.exists():
            out.append((student_dir.name, nb))
    return out


def require_submissions(course: Path, assignment: str) -> None:
    """Stop with one message, before anything is written, when there is nothing of `assignment` to grade in
    `course` (a wrong --course or assignment name, or `grade` before `collect`)."""
    source_path(assignment)
    course = require_course(course)
    if not submissions(course, assignment):
        raise SystemExit(f"{course}: no submissions of {assignment} in {CourseFolder(course).submitted}. Run "
                         f"`python -m autograder collect DOWNLOAD --course {course}` first, or check --course.")
