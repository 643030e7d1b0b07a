"""The LMS round trip: Canvas's and Moodle's download names and rosters in, their grade import files out.

Canvas (its "Download Submissions" zip and gradebook CSV):
  * file names `{name}[_LATE]_{user_id}_{attachment_id}_{file}`, the name lower-cased with punctuation
    and spaces removed (letters of any script kept: `müllerjosé`, `王小明`), `anon_{id}` instead of name
    and user id under anonymous grading, and `-1`, `-2` before the extension of a resubmitted file;
  * the gradebook export's columns `Student, ID, SIS User ID, SIS Login ID, Section` (ID is the user id
    of the download names; the SIS columns are absent where a school has no SIS; Excel re-saves it as
    cp1252, and with `;` where `,` is the decimal comma), which is also what its gradebook import wants,
    followed by one column per assignment titled `Title (assignment_id)`; an unknown title creates a new
    assignment.
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
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# the name part: anything but an underscore, in any script with its combining marks (`müllerjosé`, `王小明`,
# `प्रियाशर्मा`: Canvas keeps word characters, and a vowel sign or virama is one though not alphanumeric)
CANVAS = re.compile(r"^(?P<name>[^_]*)(?P<late>_late)?_(?P<user_id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
CANVAS_ANON = re.compile(r"^anon_(?P<anon>[A-Za-z0-9]+)(?P<late>_late)?_(?P<attachment>\d+)_(?P<file>.+)$",
                         re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.*)$")
COPY = re.compile(r"(?:-(?P<dash>\d+)|\s*\((?P<paren>\d+)\))$")   # "-1" (Canvas), " (1)" (a browser's copy)
SAFE_ID = re.compile(r"[^\W_][\w.-]*")                             # a folder name on every system: no /, no leading .
MOODLE_ID_COLUMNS = ("Email address", "ID number", "Username")
CANVAS_COLUMNS = ("Student", "ID")           # SIS User ID, SIS Login ID and Section are optional
MOODLE_COLUMNS = ("First name", "Last name")  # and one of MOODLE_ID_COLUMNS
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def slug(text: str) -> str:
    """`text` as a folder name: lower-case ASCII letters (accents dropped), digits and dashes ("" if none)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def student_id(name: str, number: str, lms: str) -> str:
    """A student's id from a name and a number the LMS gives only them: `smithjohn-1234`, or `canvas-5003`
    when the name has no ASCII letter (`王小明`). The number keeps two people of one name apart."""
    base = slug(name)
    return f"{base}-{number}" if base else f"{lms}-{number}"


def _tag(text: str) -> str:
    """A short stable number for `text`, for LMS identities that are no number (Moodle's email addresses)."""
    return hashlib.sha1(text.encode()).hexdigest()[:6]


def _copy_number(file: str) -> int:
    m = COPY.search(Path(file).stem)
    return int(m["dash"] or m["paren"]) if m else 0


def parse_name(path: Path, pattern: re.Pattern | None = None, time: float = 0) -> dict | None:
    """What a download's file name says: LMS, the student's key and name, LMS user id, late, upload order.

    The order is the LMS's own first (Canvas's attachment id; for Moodle, `time`: the file's time in its
    download), then the copy number (` (1)`, `-1`), which only breaks ties."""
    name, parent = (unicodedata.normalize("NFC", p) for p in (path.name, path.parent.name))  # macOS writes NFD
    if pattern is not None:
        m = pattern.match(name)
        if not m:
            return None
        raw = m["student"] or ""
        key = raw if SAFE_ID.fullmatch(raw) else student_id(raw, _tag(raw), "student")   # no / or .. in a folder
        return {"lms": "", "key": key, "file": name, "late": False, "order": (0, _copy_number(name))}
    if m := CANVAS_ANON.match(name):
        return {"lms": "canvas", "key": f"anon_{m['anon']}", "anonymous": True, "late": bool(m["late"]),
                "file": m["file"], "order": (int(m["attachment"]), _copy_number(m["file"]))}
    if m := CANVAS.match(name):
        return {"lms": "canvas", "key": student_id(m["name"], m["user_id"], "canvas"), "name": m["name"],
                "lms_user_id": m["user_id"], "late": bool(m["late"]), "file": m["file"],
                "order": (int(m["attachment"]), _copy_number(m["file"]))}
    for text, file in ((name, None), (parent, name)):
        if m := MOODLE.match(text):
            return {"lms": "moodle", "key": student_id(m["name"], m["participant"], "moodle"), "name": m["name"],
                    "participant": m["participant"], "late": None, "file": file or m["file"],
                    "order": (int(time), _copy_number(file or m["file"]))}
    return None


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


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass
class Roster:
    """The LMS's student list: Canvas's gradebook export or Moodle's (or its participants list).

    Each student gets the course's id once and keeps it (`saved`: the entries of the rosters read before):
    the login's slug (Canvas's SIS Login ID; Moodle's ID number, else the email's name) when no other
    student's slug is the same, else the slug and their LMS id (`j-smith-2345`): two people never share
    an id. Without a login: `canvas-<ID>`."""
    lms: str
    rows: list[dict]
    known: dict[str, str] = field(default_factory=dict)   # LMS user id -> the course's student id

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
        if {"First name", "Last name"} & set(header):
            lms, need = "moodle", [c for c in MOODLE_COLUMNS if c not in header]
            need += [] if set(MOODLE_ID_COLUMNS) & set(header) else [f"one of {', '.join(MOODLE_ID_COLUMNS)}"]
        elif {"Student", "ID", "SIS Login ID"} & set(header):
            lms, need = "canvas", [c for c in CANVAS_COLUMNS if c not in header]
        else:
            raise SystemExit(f"{path}: not a roster this course reads {read_as}. Export it from the LMS: Canvas's "
                             f"gradebook CSV (columns Student, ID, SIS User ID, SIS Login ID, Section) or Moodle's "
                             f"gradebook or participants CSV (First name, Last name and Email address or ID number).")
        if need:
            raise SystemExit(f"{path}: a {lms.capitalize()} roster needs the column(s) {', '.join(need)} {read_as}. "
                             f"Export the roster from {lms.capitalize()} again, or add the column(s).")
        if lms == "canvas":
            rows = [r for r in rows if r["ID"].isdigit()]   # not "Points Possible"
        if not rows:
            raise SystemExit(f"{path}: a {lms.capitalize()} roster without a student {read_as}. Export it from the "
                             f"course's gradebook with its students.")
        return cls(lms, rows).assign(saved or {})

    @classmethod
    def of(cls, lms: str, saved: dict[str, dict]) -> "Roster":
        """The roster kept from earlier collects (`entries()` of each, merged)."""
        return cls(lms, [e["roster"] for e in saved.values() if e["lms"] == lms]).assign(saved)

    def uid(self, r: dict) -> str:
        """The LMS's identity of a row: Canvas's user id (ID); Moodle's ID number, email or username."""
        if self.lms == "canvas":
            return r["ID"]
        return next((r[c] for c in ("ID number", "Email address", "Username") if r.get(c)), "") or self.name(r)

    def first_last(self, r: dict) -> tuple[str, str]:
        """(first name, last name) of a row: Canvas writes "Last, First" (or one name), Moodle two columns."""
        if self.lms == "canvas":
            last, comma, first = r["Student"].partition(",")
            return (first.strip(), last.strip()) if comma else ("", r["Student"].strip())
        return r["First name"], r["Last name"]

    def name(self, r: dict) -> str:
        """The student's name, first name first."""
        return " ".join(x for x in self.first_last(r) if x)

    def _login(self, r: dict) -> str:
        if self.lms == "canvas":
            return slug(r.get("SIS Login ID", ""))
        ident = r.get("ID number") or (r.get("Email address") or "").split("@")[0] or r.get("Username", "")
        return slug(ident) or slug(self.name(r))

    def assign(self, saved: dict[str, dict]) -> "Roster":
        """Give every row its student id (those in `saved` keep theirs); a row per LMS user id."""
        first = {}
        for r in self.rows:
            first.setdefault(self.uid(r), r)   # a student listed twice (two sections) is one student
        self.rows = list(first.values())
        self.known = {e["lms_user_id"]: sid for sid, e in saved.items() if e["lms"] == self.lms}
        fresh = [r for r in self.rows if self.uid(r) not in self.known]
        logins = [self._login(r) for r in fresh]
        taken = set(saved)
        for r, login in zip(fresh, logins):
            number = r["ID"] if self.lms == "canvas" else _tag(self.uid(r))
            unique = login and logins.count(login) == 1 and login not in taken
            sid = login if unique else student_id(login, number, self.lms)
            while sid in taken:   # only if someone's login is another's `login-number`
                sid = f"{sid}-{number}"
            self.known[self.uid(r)] = sid
            taken.add(sid)
        return self

    def entries(self) -> dict[str, dict]:
        """Every roster student by the course's id: name, LMS, LMS user id and the roster's row."""
        return {self.known[self.uid(r)]: {"name": self.name(r), "lms": self.lms, "lms_user_id": self.uid(r),
                                          "roster": dict(r)} for r in self.rows}

    def find(self, facts: dict) -> dict | None:
        """The roster's entry for a file's facts, as the course's student id and LMS fields; None if absent."""
        if self.lms == "canvas" and facts.get("lms_user_id"):
            hit = [r for r in self.rows if r["ID"] == facts["lms_user_id"]]
        elif self.lms == "moodle" and facts.get("name"):   # Moodle's full name: first last, or last first
            hit = [r for r in self.rows if _name(facts["name"]) in {_name(f"{r['First name']} {r['Last name']}"),
                                                                  _name(f"{r['Last name']} {r['First name']}")}]
        else:
            hit = []
        if len(hit) != 1:
            return None
        r = hit[0]
        first, last = self.first_last(r)
        out = {"student": self.known[self.uid(r)], "lms_user_id": self.uid(r), "roster": dict(r),
               "first_name": first, "last_name": last}
        return out | ({"email": r.get("Email address", "")} if self.lms == "moodle" else {})
