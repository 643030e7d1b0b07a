"""An LMS is one registered class: a third one, defined here, is read by collect (its download names and its
roster), offered by the command line, and written by export, with nothing else changed."""
import csv
import json
import re

import pytest

from autograder.__main__ import main
from autograder.cells import release_notebook
from autograder.course import CourseFolder
from autograder.lms.collect import collect, expected_students, lms_facts
from autograder.lms.systems import LMS, REGISTRY, copy_number, register, slug
from autograder.review.export import write_import
from autograder.review.gradebook import CellGrade, StudentGrades

A1 = "a1_qa_finetuning"


class Blackboard(LMS):
    """A made-up LMS: downloads named `{username}_attempt_{time}_{file}`, a roster with Username and Student ID,
    an import file of usernames and a column `Title |column id`."""
    name, title = "blackboard", "Blackboard"
    FILE = re.compile(r"^(?P<user>[a-z0-9]+)_attempt_(?P<when>\d{4}(?:-\d\d){5})_(?P<file>.+)$")
    roster_marks = frozenset({"Student ID"})
    roster_columns = ("Last Name", "First Name", "Username", "Student ID")
    roster_hint = "Blackboard's Grade Center CSV (Last Name, First Name, Username, Student ID)"
    import_options = {"blackboard_column_id": ("--blackboard-column-id", None, "the Grade Center column's id")}

    def parse(self, file_name, time):
        m = self.FILE.match(file_name)
        return m and {"lms": self.name, "key": m["user"], "username": m["user"], "late": False, "file": m["file"],
                      "order": (m["when"], copy_number(m["file"]))}

    def uid(self, row):
        return row["Username"]

    def first_last(self, row):
        return row["First Name"], row["Last Name"]

    def login(self, row):
        return slug(row["Username"])

    def number(self, row):
        return row["Student ID"]

    def matches(self, row, facts):
        return facts.get("username") == row["Username"]

    def import_table(self, rows, title, blackboard_column_id):
        header = ["Username", f"{title} |{blackboard_column_id}" if blackboard_column_id else title]
        return header, [[r["Username"], score] for r, score in rows]


@pytest.fixture
def blackboard():
    register(Blackboard)
    yield REGISTRY["blackboard"]
    del REGISTRY["blackboard"]


def download(folder):
    """Two attempts of jsmith (the later one counts), one of a student the roster lacks (collected, and listed),
    one file of no LMS."""
    folder.mkdir()
    release = release_notebook(A1).read_text()
    for name in (f"jsmith_attempt_2026-09-01-10-00-00_{A1}.ipynb", f"jsmith_attempt_2026-09-02-09-30-00_{A1}.ipynb",
                 f"mjones_attempt_2026-09-01-11-00-00_{A1}.ipynb", "homework.ipynb"):
        (folder / name).write_text(release)
    roster = folder.parent / "grade-center.csv"
    with open(roster, "w", newline="") as f:
        csv.writer(f).writerows([["Last Name", "First Name", "Username", "Student ID"],
                                 ["Smith", "John", "jsmith", "1001"], ["Doe", "Ann", "adoe", "1002"]])
    return folder, roster


def test_a_registered_lms_is_collected_and_exported(blackboard, tmp_path):
    dl, roster = download(tmp_path / "dl")
    course = tmp_path / "course"
    report = collect(dl, course, roster=roster)
    assert report.collected == [("jsmith", A1, f"jsmith_attempt_2026-09-02-09-30-00_{A1}.ipynb"),
                                ("mjones", A1, f"mjones_attempt_2026-09-01-11-00-00_{A1}.ipynb")]
    assert report.replaced == [f"jsmith_attempt_2026-09-01-10-00-00_{A1}.ipynb"]
    assert report.not_in_roster == [f"mjones (mjones_attempt_2026-09-01-11-00-00_{A1}.ipynb)"]
    assert ("homework.ipynb: the file name is not a Canvas, Moodle or Blackboard download name "
            "(or does not match --pattern)") in report.unmatched
    facts = lms_facts(CourseFolder(course).submission("jsmith", A1))
    assert facts["lms"] == "blackboard" and (facts["first_name"], facts["last_name"]) == ("John", "Smith")
    assert json.loads(CourseFolder(course).roster.read_text())["lms"] == "blackboard"

    graded = StudentGrades("jsmith", {"t1": CellGrade("t1", "auto", 8, 7.5)}, lms=facts)
    missing = {k: v for k, v in expected_students(course, A1).items() if k != "jsmith"}
    path = write_import("blackboard", course, A1, [graded], tmp_path, title="A1", missing=missing,
                        blackboard_column_id="77")
    assert list(csv.reader(open(path))) == [["Username", "A1 |77"], ["jsmith", "7.5"]]
    assert "adoe (Ann Doe): no submission" in (tmp_path / f"{A1}-blackboard-left-out.txt").read_text()


def test_the_command_line_offers_a_registered_lms_and_its_options(blackboard, tmp_path, capsys):
    with pytest.raises(SystemExit, match="no such course folder"):   # past argparse: the choice and option exist
        main(["export", A1, "--course", str(tmp_path / "none"), "--lms", "blackboard", "--blackboard-column-id", "7"])
    with pytest.raises(SystemExit):
        main(["export", A1, "--lms", "blackboard", "--canvas-id", "7"])
    assert "unrecognized arguments: --canvas-id" in capsys.readouterr().err


def test_without_it_the_lms_is_unknown_everywhere(tmp_path, capsys):
    assert "blackboard" not in REGISTRY
    with pytest.raises(SystemExit):
        main(["export", A1, "--lms", "blackboard"])
    assert "invalid choice: 'blackboard'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--lms blackboard: choose canvas or moodle"):
        write_import("blackboard", tmp_path, A1, [], tmp_path)
    with pytest.raises(TypeError, match="blackboard_column_id"):
        write_import("canvas", tmp_path, A1, [], tmp_path, blackboard_column_id="7")
    dl, roster = download(tmp_path / "dl")
    with pytest.raises(SystemExit, match="not a roster this course reads.*Canvas's gradebook CSV.*or Moodle's"):
        collect(dl, tmp_path / "course", roster=roster)
