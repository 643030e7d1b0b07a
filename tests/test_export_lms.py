"""export: the LMS grade import files (read back with the columns Canvas and Moodle document), the late
policy, and the item analysis that shows a broken question."""
import csv
import random

import pytest

from autograder.review.export import item_analysis
from autograder.review.gradebook import CellGrade, StudentGrades
from autograder.review.export import write_import

CANVAS_ROW = {"Student": "Smith, John", "ID": "1234", "SIS User ID": "S1", "SIS Login ID": "jsmith", "Section": "A"}


def student(name, auto, manual, lms="canvas", late=False, roster=None, manual_graded=True):
    cells = {"t1": CellGrade("t1", "auto", 3, auto), "q1": CellGrade("q1", "manual", 2, manual if manual_graded else None)}
    return StudentGrades(name, cells, lms={"lms": lms, "late": late, "roster": roster})


def canvas_students():
    return [student("jsmith", 3, 1.5, late=True, roster=CANVAS_ROW),
            student("jdoe", 2, 2, roster=CANVAS_ROW | {"Student": "Doe, Jane", "ID": "2345", "SIS Login ID": "jdoe"}),
            student("pending", 3, None, roster=CANVAS_ROW | {"ID": "7"}, manual_graded=False),
            student("stranger", 1, 1, roster=None)]


def test_canvas_import_raw_by_default(tmp_path):
    path = write_import("canvas", tmp_path, "a1", canvas_students(), tmp_path, title="A1 QA",
                        canvas_assignment_id="731")
    assert path.name == "a1-canvas-raw.csv"
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0])[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert {r["ID"]: float(r["A1 QA (731)"]) for r in rows} == {"1234": 4.5, "2345": 4.0}  # the late one unpenalised
    left = (tmp_path / "a1-canvas-left-out.txt").read_text()
    assert "pending: written parts not graded yet" in left and "stranger: not in the canvas roster" in left


def test_canvas_import_with_a_late_penalty(tmp_path):
    path = write_import("canvas", tmp_path, "a1", canvas_students(), tmp_path, late_penalty=0.1)
    assert path.name == "a1-canvas-late-penalised-10pct.csv"
    rows = {r["ID"]: float(r["a1"]) for r in csv.DictReader(open(path))}   # no id: Canvas makes a new column
    assert rows == {"1234": 4.05, "2345": 4.0}
    with pytest.raises(SystemExit, match="between 0 and 1"):
        write_import("canvas", tmp_path, "a1", canvas_students(), tmp_path, late_penalty=10)


def test_moodle_import_matches_on_one_identity_column_and_leaves_out_unknowns(tmp_path):
    roster = {"First name": "John", "Last name": "Smith", "ID number": "s001", "Email address": "john@uni.edu"}
    students = [student("s001", 3, 2, lms="moodle", roster=roster),
                student("ghost", 3, 2, lms="moodle", roster=None)]   # one unknown student aborts Moodle's import
    path = write_import("moodle", tmp_path, "a1", students, tmp_path, title="A1")
    rows = list(csv.DictReader(open(path)))
    assert rows == [{"First name": "John", "Last name": "Smith", "Email address": "john@uni.edu", "A1": "5"}]
    by_id = list(csv.DictReader(open(write_import("moodle", tmp_path, "a1", students, tmp_path, title="A1",
                                                  moodle_id_column="ID number"))))
    assert by_id[0]["ID number"] == "s001" and "Email address" not in by_id[0]
    assert "ghost: not in the moodle roster" in (tmp_path / "a1-moodle-left-out.txt").read_text()
    with pytest.raises(SystemExit, match="one of"):
        write_import("moodle", tmp_path, "a1", students, tmp_path, moodle_id_column="Name")


def test_item_analysis_flags_a_question_that_does_not_discriminate():
    rng = random.Random(0)
    students = []
    for i in range(40):
        ability = rng.random()
        cells = {"good1": CellGrade("good1", "auto", 2, round(2 * ability + rng.uniform(-.3, .3), 2)),
                 "good2": CellGrade("good2", "auto", 2, round(2 * ability + rng.uniform(-.3, .3), 2)),
                 "broken": CellGrade("broken", "auto", 2, float(rng.choice([0, 2]))),    # a coin flip
                 "easy": CellGrade("easy", "manual", 1, 1.0),                             # everyone gets it
                 "q": CellGrade("q", "manual", 2, None if i % 2 else 1.0)}                # half graded
        students.append(StudentGrades(f"s{i}", cells))
    cells = [("good1", 2, "auto"), ("good2", 2, "auto"), ("broken", 2, "auto"), ("easy", 1, "manual"), ("q", 2, "manual")]
    stats = {s["cell"]: s for s in item_analysis(cells, students)}
    assert stats["good1"]["discrimination"] > 0.45 and stats["good2"]["discrimination"] > 0.45
    assert abs(stats["broken"]["discrimination"]) < 0.2, stats["broken"]
    assert stats["easy"]["full_marks_share"] == 1.0 and stats["easy"]["discrimination"] is None
    assert stats["q"]["graded"] == 20
