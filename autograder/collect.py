"""Step 1, collect: an LMS download (a folder or zip of notebooks) into <course>/submitted/<student>/<assignment>/."""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


DEFAULT_PATTERN = r"^(?P<student>[A-Za-z0-9.-]+)_(?:\d+_)*(?P<assignment>a\d+_[A-Za-z0-9_]+?)(?:-\d+)?\.ipynb$"


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

