"""The instructor's loop through the command line, on the inputs a real course brings: written answers from an
editor that dropped every cell's metadata, a Unicode name, a late upload, a test stopped at its time limit, a
roster student with nothing handed in; and the commands that must refuse instead of losing or inventing work."""
import copy
import csv
import json
import zipfile

import nbformat
import pytest

from autograder.demo import samples
from autograder.__main__ import main
from autograder.grading.assembly import UNMATCHED, nbg

A1 = samples.A1
LOOSE = "My own notes: I ran everything twice."
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,a1 (731)
    Points Possible,,,,,18
"Müller, José",5002,S5002,jmueller,NLP 101,
"Sample, Infiniteloop",{loop_id},S{loop_id},infiniteloop,NLP 101,
"Absent, Amy",5009,S5009,aabsent,NLP 101,
"""


def no_metadata(nb):
    """The notebook as an editor that keeps no cell metadata saves it."""
    for c in nb.cells:
        c.metadata = {}
    return nb


def written_of(nb):
    from autograder.grading.assembly import assemble
    return assemble(samples._source(), nb)[1:]


def test_an_answer_without_its_question_is_placed_by_its_place_and_a_loose_one_is_shown_flagged():
    nb = no_metadata(samples.written(samples.completed(), "nometa"))
    q2 = next(c for c in nb.cells if c.source.startswith("**Q2.**"))
    q2.source = "Human comparisons train the reward model."          # the question deleted, the answer kept
    answers, notes = written_of(nb)
    assert answers["a1_q2"] == q2.source and "a1_q1" in answers and "a1_q3" in answers
    assert "written answer 'a1_q2' had no nbgrader metadata; matched by its place between the cells around it" in notes
    q3 = next(c for c in nb.cells if c.source.startswith("**Q3.**"))
    nb.cells.remove(q3)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("Overlap keeps answers whole."))   # far from any question
    answers, notes = written_of(nb)
    assert answers["a1_q3"].startswith("**answer not matched: shown in full.**")
    assert "Overlap keeps answers whole." in answers["a1_q3"] and any("matched no question" in n for n in notes)


def test_loose_text_is_shown_under_the_last_question_when_every_question_has_its_answer():
    nb = samples.written(samples.completed(), "nometa")                        # metadata kept
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("My notes on the data, before any question."))
    answers, notes = written_of(nb)
    assert "My notes on the data" in answers["a1_q3"] and UNMATCHED in answers["a1_q3"]
    assert UNMATCHED not in answers["a1_q1"] and any("matched no question" in n for n in notes)


def test_a_cell_added_below_an_answer_joins_it():
    nb = samples.written(samples.completed(), "nometa")
    at = next(i for i, c in enumerate(nb.cells) if nbg(c).get("grade_id") == "a1_q1")
    nb.cells.insert(at + 1, nbformat.v4.new_markdown_cell("And a third reason, in a cell of its own."))
    answers, _ = written_of(nb)
    assert answers["a1_q1"].startswith(nb.cells[at].source) and answers["a1_q1"].endswith("cell of its own.")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """collect, grade, feedback and export of three roster students, each through the command line."""
    root = tmp_path_factory.mktemp("cli")
    every = samples.build(root / "samples", root / "course")
    loop_id = samples.canvas_ids("infiniteloop")[0]
    answers = samples.written(samples.completed(), "nometa")
    q2 = next(c for c in answers.cells if nbg(c).get("grade_id") == "a1_q2")
    q2.source = q2.source.rsplit("\n\n", 1)[-1]                       # the question deleted, the answer kept
    answers.cells.insert(1, nbformat.v4.new_markdown_cell(LOOSE))     # a note of the student's, far from any question
    zip_path = root / "submissions.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr(f"müllerjosé_LATE_5002_200_{A1}.ipynb", nbformat.writes(no_metadata(copy.deepcopy(answers))))
        z.write(every["infiniteloop"], every["infiniteloop"].name)
    (root / "roster.csv").write_text(ROSTER.format(loop_id=loop_id), encoding="utf-8")
    course = root / "course"
    assert main(["collect", str(zip_path), "--roster", str(root / "roster.csv"), "--course", str(course),
                 "--create"]) == 0
    assert main(["grade", A1, "--course", str(course), "--workers", "2", "--cell-timeout", "10",
                 "--notebook-timeout", "150"]) == 0
    assert main(["feedback", A1, "--course", str(course)]) == 0
    assert main(["export", A1, "--course", str(course), "--lms", "canvas", "--late-penalty", "0.1"]) == 0
    rows = list(csv.DictReader(open(course / "export" / f"{A1}-grades.csv", encoding="utf-8")))
    return {"course": course, "answers": answers, "rows": {r["lms_user_id"]: r for r in rows},
            "loop_id": str(loop_id)}


@pytest.mark.slow
def test_written_answers_are_kept_when_the_editor_dropped_every_cells_metadata(graded):
    row = graded["rows"]["5002"]
    nb = nbformat.read(graded["course"] / "autograded" / row["student"] / A1 / f"{A1}.ipynb", as_version=4)
    shown = {nbg(c)["grade_id"]: c.source for c in nb.cells if nbg(c).get("grade") and c.cell_type == "markdown"}
    given = {nbg(c)["grade_id"]: c.source for c in graded["answers"].cells if c.cell_type == "markdown"
             and nbg(c).get("grade")}
    assert set(shown) == set(given) == {"a1_report", "a1_q1", "a1_q2", "a1_q3"}
    for gid, text in given.items():
        assert "(no answer)" not in shown[gid]
        assert text.strip().splitlines()[-1] in shown[gid], f"{gid}: the student's answer is not shown"
    assert LOOSE in shown["a1_q2"] and UNMATCHED in shown["a1_q2"], "loose text shown, flagged, where unsure"
    assert row["status"] == "4 part(s) to grade by hand" and float(row["test_squad_metric"]) == 2


@pytest.mark.slow
def test_the_grades_file_names_each_student_with_lms_id_late_flag_and_both_totals(graded):
    row = graded["rows"]["5002"]
    assert row["name"] == "José Müller" and row["late"] == "yes"
    assert row["total"] == "8" and row["total_late_penalised_10pct"] == "7.2" and row["max"] == "18"
    loop = graded["rows"][graded["loop_id"]]
    assert loop["late"] == "yes" and loop["total"] == "5" and loop["test_postprocess_predictions"] == "0"
    numbers = [v for r in graded["rows"].values() for k, v in r.items() if k.startswith(("test_", "total", "auto"))]
    assert numbers and not [v for v in numbers if v.endswith(".0")], "one way of writing numbers: 8, not 8.0"


@pytest.mark.slow
def test_a_roster_student_without_a_submission_is_listed_not_lost(graded):
    absent = graded["rows"]["5009"]
    assert absent["status"].startswith("not graded") and "no submission" in absent["status"]
    assert absent["name"] == "Amy Absent" and absent["total"] == ""
    left_out = (graded["course"] / "export" / f"{A1}-canvas-left-out.txt").read_text(encoding="utf-8")
    assert "Amy Absent" in left_out and "no submission" in left_out


@pytest.mark.slow
def test_feedback_names_the_student_the_parts_late_and_the_time_limit(graded):
    folder = graded["course"] / "feedback" / A1
    page = (folder / f"{graded['rows']['5002']['student']}.html").read_text(encoding="utf-8")
    assert "José Müller" in page and "Submitted late" in page
    assert "Part 1: from character answers to token labels" in page and "Q1. Why is fine-tuning needed?" in page
    assert "Automatic checks" in page and "Notes from the grader" not in page
    loop = (folder / f"{graded['rows'][graded['loop_id']]['student']}.html").read_text(encoding="utf-8")
    assert "stopped at the time limit" in loop and "KeyboardInterrupt" not in loop


@pytest.mark.parametrize("step", ["feedback", "export"])
def test_feedback_or_export_before_grade_says_to_grade_first(step, tmp_path, capsys):
    course = tmp_path / "course"
    dl = tmp_path / "dl"
    dl.mkdir()
    (dl / f"doejane_2345_12_{A1}.ipynb").write_text(nbformat.writes(samples.completed()))
    assert main(["collect", str(dl), "--course", str(course), "--create"]) == 0
    with pytest.raises(SystemExit) as stop:
        main([step, A1, "--course", str(course)])
    assert f"python -m autograder grade {A1} --course {course}" in str(stop.value.code)
    assert not (course / "export").exists() and not (course / "feedback").exists()


@pytest.mark.parametrize("step", ["grade", "feedback", "export"])
def test_a_wrong_course_folder_is_refused_and_not_created(step, tmp_path):
    wrong = tmp_path / "cuorse"
    with pytest.raises(SystemExit) as stop:
        main([step, A1, "--course", str(wrong)])
    assert "no such course folder" in str(stop.value.code) and not wrong.exists()


def test_a_late_penalty_out_of_range_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["export", A1, "--course", str(tmp_path), "--late-penalty", "10"])
    assert "--late-penalty 10: a share of the total between 0 and 1" in str(stop.value.code)
    assert not (tmp_path / "export").exists()


def test_grade_with_nothing_collected_is_refused(tmp_path):
    course = tmp_path / "course"
    (course / "submitted").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        main(["grade", A1, "--course", str(course)])
    assert f"no submissions of {A1}" in str(stop.value.code) and sorted(p.name for p in course.iterdir()) == ["submitted"]


def test_grade_students_with_a_name_not_collected_is_refused_before_anything_is_written(tmp_path, capsys):
    course = tmp_path / "course"
    nb = course / "submitted" / "alice" / A1 / f"{A1}.ipynb"
    nb.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), nb)
    assert main(["grade", A1, "--course", str(course), "--students", "alice,bob, carol"]) == 2
    err = capsys.readouterr().err
    assert f"no collected submission of {A1} for bob, carol" in err and "submitted" in err
    assert sorted(p.name for p in course.iterdir()) == ["submitted"]


def test_demo_never_deletes_a_folder_it_did_not_create(tmp_path):
    course = tmp_path / "my-course"
    course.mkdir()
    (course / "gradebook.db").write_bytes(b"manual grades of a whole term")
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--course", str(course)])
    assert "not a demo course" in str(stop.value.code)
    assert (course / "gradebook.db").read_bytes() == b"manual grades of a whole term"
    assert json.dumps(sorted(p.name for p in course.iterdir())) == '["gradebook.db"]'
