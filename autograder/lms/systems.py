"""Each LMS is one class, registered by name: the file names of its submissions download, its roster (the
gradebook's CSV export), how to find a roster student from a file's name, and its grade import file.
`collect` reads the download names and rosters of every registered LMS; `export --lms NAME` (its choices:
the registered names) writes NAME's import file. Adding an LMS is one subclass with `@register`
(tests/test_lms_registry.py adds one).

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

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import ClassVar

COPY = re.compile(r"(?:-(?P<dash>\d+)|\s*\((?P<paren>\d+)\))$")   # "-1" (Canvas), " (1)" (a browser's copy)
SAFE_ID = re.compile(r"[^\W_][\w.-]*")                             # a folder name on every system: no /, no leading .


def slug(text: str) -> str:
    """`text` as a folder name: lower-case ASCII letters (accents dropped), digits and dashes ("" if none)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def student_id(name: str, number: str, lms: str) -> str:
    """A student's id from a name and a number the LMS gives only them: `smithjohn-1234`, or `canvas-5003`
    when the name has no ASCII letter (`王小明`). The number keeps two people of one name apart."""
    base = slug(name)
    return f"{base}-{number}" if base else f"{lms}-{number}"


def tag(text: str) -> str:
    """A short stable number for `text`, for LMS identities that are no number (Moodle's email addresses)."""
    return hashlib.sha1(text.encode()).hexdigest()[:6]


def copy_number(file: str) -> int:
    m = COPY.search(Path(file).stem)
    return int(m["dash"] or m["paren"]) if m else 0


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class LMS:
    """What an LMS decides. The facts of a download's file name are a dict: "lms" (its name), "key" (the
    student's id when no roster knows them), "file" (the file's own name), "late", "order" (a tuple: the
    newest upload of a student sorts last), and what else the LMS says ("name", "lms_user_id" ...)."""
    name: ClassVar[str]                  # on the command line, in lms.json and roster.json
    title: ClassVar[str]                 # in messages
    roster_marks: ClassVar[frozenset]    # a CSV with one of these columns is this LMS's roster
    roster_columns: ClassVar[tuple]      # the columns its roster needs
    roster_hint: ClassVar[str]           # what to export, for the message when a CSV is no LMS's roster
    # the options of its import file: keyword -> (command-line flag, default, help)
    import_options: ClassVar[dict[str, tuple[str, object, str]]] = {}

    # -- the download
    def parse(self, file_name: str, time: float) -> dict | None:
        """The facts of a file name this LMS writes (`time`: the file's time in the download), or None."""
        return None

    def parse_in_folder(self, folder: str, file_name: str, time: float) -> dict | None:
        """The facts of a file in a folder this LMS names after a student, or None."""
        return None

    # -- the roster
    def missing_columns(self, header: list[str]) -> list[str]:
        return [c for c in self.roster_columns if c not in header]

    def students(self, rows: list[dict]) -> list[dict]:
        """The roster's rows that are students."""
        return rows

    def uid(self, row: dict) -> str:
        """The LMS's identity of a roster row."""
        raise NotImplementedError

    def first_last(self, row: dict) -> tuple[str, str]:
        raise NotImplementedError

    def full_name(self, row: dict) -> str:
        """The student's name, first name first."""
        return " ".join(x for x in self.first_last(row) if x)

    def login(self, row: dict) -> str:
        """The slug a course's student id is made of ("" if none)."""
        return slug(self.full_name(row))

    def number(self, row: dict) -> str:
        """The number that tells two students of one login apart."""
        return tag(self.uid(row))

    def matches(self, row: dict, facts: dict) -> bool:
        """Whether a file's facts name this roster row."""
        return False

    def contact(self, row: dict) -> dict:
        """What else collect keeps of a roster student (as nbgrader's student fields)."""
        return {}

    # -- the grade import file
    def import_table(self, rows: list[tuple[dict, str]], title: str, **options) -> tuple[list[str], list[list]]:
        """(header, body) of the import file: a row per (roster row, score); `options` as import_options."""
        raise NotImplementedError


REGISTRY: dict[str, LMS] = {}   # by name, in the order registered


def register(cls: type[LMS]) -> type[LMS]:
    """Register an LMS class under its name (a class decorator)."""
    REGISTRY[cls.name] = cls()
    return cls


def named(name: str, what: str = "--lms") -> LMS:
    """The registered LMS of this name; one message naming the others if there is none."""
    if name not in REGISTRY:
        raise SystemExit(f"{what} {name}: choose {either(REGISTRY)}")
    return REGISTRY[name]


def either(words) -> str:
    """"a or b", "a, b or c"."""
    words = list(words)
    return " or ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} or {words[-1]}"


def parse_name(path: Path, pattern: re.Pattern | None = None, time: float = 0) -> dict | None:
    """What a download's file name says, by `pattern` (a regex with a (?P<student>...) group) or else by the
    name each registered LMS gives files (first) or folders; None when none does. The order is the LMS's own
    first (Canvas's attachment id; for Moodle, `time`: the file's time in its download), then the copy number
    (` (1)`, `-1`), which only breaks ties."""
    name, parent = (unicodedata.normalize("NFC", p) for p in (path.name, path.parent.name))  # macOS writes NFD
    if pattern is not None:
        m = pattern.match(name)
        if not m:
            return None
        raw = m["student"] or ""
        key = raw if SAFE_ID.fullmatch(raw) else student_id(raw, tag(raw), "student")   # no / or .. in a folder
        return {"lms": "", "key": key, "file": name, "late": False, "order": (0, copy_number(name))}
    for lms in REGISTRY.values():
        if facts := lms.parse(name, time):
            return facts
    return next((facts for lms in REGISTRY.values() if (facts := lms.parse_in_folder(parent, name, time))), None)


@register
class Canvas(LMS):
    name, title = "canvas", "Canvas"
    # the name part: anything but an underscore, in any script with its combining marks (`müllerjosé`, `王小明`,
    # `प्रियाशर्मा`: Canvas keeps word characters, and a vowel sign or virama is one though not alphanumeric)
    FILE = re.compile(r"^(?P<name>[^_]*)(?P<late>_late)?_(?P<user_id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
                      re.IGNORECASE)
    ANONYMOUS = re.compile(r"^anon_(?P<anon>[A-Za-z0-9]+)(?P<late>_late)?_(?P<attachment>\d+)_(?P<file>.+)$",
                           re.IGNORECASE)
    roster_marks = frozenset({"Student", "ID", "SIS Login ID"})
    roster_columns = ("Student", "ID")           # SIS User ID, SIS Login ID and Section are optional
    roster_hint = "Canvas's gradebook CSV (columns Student, ID, SIS User ID, SIS Login ID, Section)"
    import_options = {"canvas_assignment_id": ("--canvas-assignment-id", None, "Canvas's id of the assignment (its "
                                               "column is 'Title (id)'; without it Canvas creates a new one)")}

    def parse(self, file_name: str, time: float) -> dict | None:
        if m := self.ANONYMOUS.match(file_name):
            return {"lms": self.name, "key": f"anon_{m['anon']}", "anonymous": True, "late": bool(m["late"]),
                    "file": m["file"], "order": (int(m["attachment"]), copy_number(m["file"]))}
        if m := self.FILE.match(file_name):
            return {"lms": self.name, "key": student_id(m["name"], m["user_id"], self.name), "name": m["name"],
                    "lms_user_id": m["user_id"], "late": bool(m["late"]), "file": m["file"],
                    "order": (int(m["attachment"]), copy_number(m["file"]))}
        return None

    def students(self, rows: list[dict]) -> list[dict]:
        return [r for r in rows if r["ID"].isdigit()]   # not "Points Possible"

    def uid(self, row: dict) -> str:
        return row["ID"]

    def first_last(self, row: dict) -> tuple[str, str]:
        last, comma, first = row["Student"].partition(",")   # "Last, First", or one name
        return (first.strip(), last.strip()) if comma else ("", row["Student"].strip())

    def login(self, row: dict) -> str:
        return slug(row.get("SIS Login ID", ""))

    def number(self, row: dict) -> str:
        return row["ID"]

    def matches(self, row: dict, facts: dict) -> bool:
        return bool(facts.get("lms_user_id")) and row["ID"] == facts["lms_user_id"]

    def import_table(self, rows, title, canvas_assignment_id):
        column = f"{title} ({canvas_assignment_id})" if canvas_assignment_id else title
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
        return header, [[r.get(h, "") for h in header[:5]] + [score] for r, score in rows]


@register
class Moodle(LMS):
    name, title = "moodle", "Moodle"
    FILE = re.compile(r"^(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.*)$")
    ID_COLUMNS = ("Email address", "ID number", "Username")
    roster_marks = frozenset({"First name", "Last name"})
    roster_columns = ("First name", "Last name")  # and one of ID_COLUMNS
    roster_hint = "Moodle's gradebook or participants CSV (First name, Last name and Email address or ID number)"
    import_options = {"moodle_id_column": ("--moodle-id", "Email address",
                                           "the identity column Moodle matches students on")}

    def parse(self, file_name: str, time: float) -> dict | None:
        m = self.FILE.match(file_name)
        return self._facts(m, m["file"], time) if m else None

    def parse_in_folder(self, folder: str, file_name: str, time: float) -> dict | None:
        m = self.FILE.match(folder)
        return self._facts(m, file_name, time) if m else None

    def _facts(self, m: re.Match, file: str, time: float) -> dict:
        return {"lms": self.name, "key": student_id(m["name"], m["participant"], self.name), "name": m["name"],
                "participant": m["participant"], "late": None, "file": file, "order": (int(time), copy_number(file))}

    def missing_columns(self, header: list[str]) -> list[str]:
        need = super().missing_columns(header)
        return need + ([] if set(self.ID_COLUMNS) & set(header) else [f"one of {', '.join(self.ID_COLUMNS)}"])

    def uid(self, row: dict) -> str:
        """The ID number, email or username."""
        return next((row[c] for c in ("ID number", "Email address", "Username") if row.get(c)), "") \
            or self.full_name(row)

    def first_last(self, row: dict) -> tuple[str, str]:
        return row["First name"], row["Last name"]

    def login(self, row: dict) -> str:
        ident = row.get("ID number") or (row.get("Email address") or "").split("@")[0] or row.get("Username", "")
        return slug(ident) or slug(self.full_name(row))

    def matches(self, row: dict, facts: dict) -> bool:   # Moodle's full name: first last, or last first
        return bool(facts.get("name")) and _name(facts["name"]) in {
            _name(f"{row['First name']} {row['Last name']}"), _name(f"{row['Last name']} {row['First name']}")}

    def contact(self, row: dict) -> dict:
        return {"email": row.get("Email address", "")}

    def import_table(self, rows, title, moodle_id_column):
        if moodle_id_column not in self.ID_COLUMNS:
            raise SystemExit(f"--moodle-id {moodle_id_column!r}: one of {', '.join(self.ID_COLUMNS)}")
        header = ["First name", "Last name", moodle_id_column, title]
        return header, [[r.get("First name", ""), r.get("Last name", ""), r.get(moodle_id_column, ""), score]
                        for r, score in rows]
