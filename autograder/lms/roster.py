"""An LMS's roster: its student list (the gradebook's CSV export), read for whichever registered LMS wrote it,
and the course's student id of each of its students."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .systems import LMS, REGISTRY, either, named, student_id

DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _decode(path: Path) -> tuple[str, str]:
    """A roster's text and its encoding: UTF-8 (with or without Excel's BOM), else Windows' cp1252."""
    if not path.is_file():
        raise SystemExit(f"{path} does not exist: pass --roster the CSV exported from the LMS's gradebook.")
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise SystemExit(f"{path}: neither UTF-8 nor Windows (cp1252) text. Save it again as CSV UTF-8 "
                     f"(Excel: File > Save As > CSV UTF-8), or export it from the LMS again.")


def _system(header: list[str], path: Path, read_as: str) -> LMS:
    """The registered LMS whose roster has this header: of those whose columns it has, the first with none
    missing, else the first (whose missing columns are the message)."""
    marked = [lms for lms in REGISTRY.values() if lms.roster_marks & set(header)]
    if not marked:
        raise SystemExit(f"{path}: not a roster this course reads {read_as}. Export it from the LMS: "
                         f"{either(lms.roster_hint for lms in REGISTRY.values())}.")
    return next((lms for lms in marked if not lms.missing_columns(header)), marked[0])


@dataclass
class Roster:
    """The LMS's student list: Canvas's gradebook export, Moodle's (or its participants list), or another
    registered LMS's.

    Each student gets the course's id once and keeps it (`saved`: the entries of the rosters read before):
    the login's slug (Canvas's SIS Login ID; Moodle's ID number, else the email's name) when no other
    student's slug is the same, else the slug and their LMS id (`j-smith-2345`): two people never share
    an id. Without a login: `canvas-<ID>`."""
    lms: str
    rows: list[dict]
    known: dict[str, str] = field(default_factory=dict)   # LMS user id -> the course's student id

    @property
    def system(self) -> LMS:
        return named(self.lms, "the roster's LMS")

    @classmethod
    def read(cls, path: Path, saved: dict[str, dict] | None = None) -> "Roster":
        path = Path(path)
        text, encoding = _decode(path)
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = max(DELIMITERS, key=first.count)   # Excel writes ";" where "," is the decimal comma
        lines = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)]
        header = [h.strip() for h in lines[0]] if lines else []
        rows = [dict(zip(header, [c.strip() for c in r] + [""] * (len(header) - len(r)))) for r in lines[1:]]
        read_as = f"(read as {encoding}, columns split at {DELIMITERS[delimiter]}: {', '.join(header) or 'none'})"
        lms = _system(header, path, read_as)
        need = lms.missing_columns(header)
        if need:
            raise SystemExit(f"{path}: a {lms.title} roster needs the column(s) {', '.join(need)} {read_as}. "
                             f"Export the roster from {lms.title} again, or add the column(s).")
        rows = lms.students(rows)
        if not rows:
            raise SystemExit(f"{path}: a {lms.title} roster without a student {read_as}. Export it from the "
                             f"course's gradebook with its students.")
        return cls(lms.name, rows).assign(saved or {})

    @classmethod
    def of(cls, lms: str, saved: dict[str, dict]) -> "Roster":
        """The roster kept from earlier collects (`entries()` of each, merged)."""
        return cls(lms, [e["roster"] for e in saved.values() if e["lms"] == lms]).assign(saved)

    def assign(self, saved: dict[str, dict]) -> "Roster":
        """Give every row its student id (those in `saved` keep theirs); a row per LMS user id."""
        lms, first = self.system, {}
        for r in self.rows:
            first.setdefault(lms.uid(r), r)   # a student listed twice (two sections) is one student
        self.rows = list(first.values())
        self.known = {e["lms_user_id"]: sid for sid, e in saved.items() if e["lms"] == self.lms}
        fresh = [r for r in self.rows if lms.uid(r) not in self.known]
        logins = [lms.login(r) for r in fresh]
        taken = set(saved)
        for r, login in zip(fresh, logins):
            number = lms.number(r)
            unique = login and logins.count(login) == 1 and login not in taken
            sid = login if unique else student_id(login, number, self.lms)
            while sid in taken:   # only if someone's login is another's `login-number`
                sid = f"{sid}-{number}"
            self.known[lms.uid(r)] = sid
            taken.add(sid)
        return self

    def entries(self) -> dict[str, dict]:
        """Every roster student by the course's id: name, LMS, LMS user id and the roster's row."""
        lms = self.system
        return {self.known[lms.uid(r)]: {"name": lms.full_name(r), "lms": self.lms, "lms_user_id": lms.uid(r),
                                         "roster": dict(r)} for r in self.rows}

    def find(self, facts: dict) -> dict | None:
        """The roster's entry for a file's facts, as the course's student id and LMS fields; None if absent."""
        lms = self.system
        hit = [r for r in self.rows if lms.matches(r, facts)]
        if len(hit) != 1:
            return None
        r = hit[0]
        first, last = lms.first_last(r)
        return {"student": self.known[lms.uid(r)], "lms_user_id": lms.uid(r), "roster": dict(r),
                "first_name": first, "last_name": last} | lms.contact(r)
