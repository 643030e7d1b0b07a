"""collect: Canvas's and Moodle's downloads in (file names as each LMS documents them), nbgrader's layout
out; every file placed or reported with why; a notebook of another assignment never filed under this one."""
import json
import shutil
import zipfile

import pytest

from autograder.course import REPO
from autograder.lms.collect import collect

A1, A2 = "a1_qa_finetuning", "a2_mlm_objective"


def release(name):
    return REPO / "notebooks" / name / f"{name}.ipynb"


def put(folder, name, assignment=A1, text=None):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
    else:
        shutil.copy(release(assignment), path)
    return path


CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,a1 (731)
    Points Possible,,,,,18
"Smith, John",1234,S1,jsmith,NLP 101,
"Doe, Jane",2345,S2,jdoe,NLP 101,
"O'Brien, Ann",3456,S3,,NLP 101,
"""


def test_a_canvas_download_with_its_roster(tmp_path):
    dl = tmp_path / "dl"
    put(dl, f"smithjohn_1234_11_{A1}.ipynb")                       # first upload
    put(dl, f"smithjohn_LATE_1234_19_{A1}-1.ipynb")                # resubmitted, late: this one counts
    put(dl, f"doejane_2345_12_Copy of {A1}.ipynb")                 # Colab's "Copy of"
    put(dl, f"obrienann_3456_13_{A1} (1).ipynb")                   # a browser's "(1)"
    put(dl, f"doejane_2345_14_{A2}.ipynb", A2)                     # another assignment: its own folder
    put(dl, "newstudent_9999_15_homework.ipynb")                   # not in the roster: collected, reported
    put(dl, "anon_x7Kp2_16_homework.ipynb")                        # anonymous grading
    put(dl, "notes_1234_17_readme.txt", text="hi")                 # not a notebook
    put(dl, "random-name.ipynb")                                   # no LMS name
    (tmp_path / "roster.csv").write_text(CANVAS_ROSTER)
    zip_path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        for p in dl.iterdir():
            z.write(p, p.name)
    course = tmp_path / "course"
    report = collect(zip_path, course, roster=tmp_path / "roster.csv")
    placed = sorted((s, a) for s, a, _ in report.collected)
    assert placed == [("anon_x7Kp2", A1), ("canvas-3456", A1), ("jdoe", A1), ("jdoe", A2), ("jsmith", A1),
                      ("newstudent-9999", A1)]
    smith = json.loads((course / "submitted/jsmith" / A1 / "lms.json").read_text())
    assert smith["lms_user_id"] == "1234" and smith["late"] is True and smith["file"] == f"{A1}-1.ipynb"
    assert smith["first_name"] == "John" and smith["last_name"] == "Smith"
    assert json.loads((course / "submitted/jdoe" / A1 / "lms.json").read_text())["late"] is False
    assert report.replaced == [f"smithjohn_1234_11_{A1}.ipynb"]
    assert {u.split(":")[0] for u in report.unmatched} == {"notes_1234_17_readme.txt", "random-name.ipynb"}
    assert [x.split(" ")[0] for x in report.not_in_roster] == ["anon_x7Kp2", "newstudent"]
    for name in [u.split(":")[0] for u in report.unmatched] + report.replaced:
        assert (course / "unmatched" / name).exists()   # kept, never dropped
    text = (course / "collect_report.txt").read_text()
    assert "NOT placed" in text and "NOT in the roster" in text


def test_a_moodle_download_files_and_folders(tmp_path):
    dl = tmp_path / "dl"
    put(dl, f"John Smith_101_assignsubmission_file_{A1}.ipynb")
    put(dl, f"Jane Doe_102_assignsubmission_file_/Copy of {A1}.ipynb")     # "download in folders"
    put(dl, f"Ann Lee_103_assignsubmission_file_{A2}.ipynb", A2)
    (tmp_path / "roster.csv").write_text("First name,Last name,ID number,Email address\n"
                                         "John,Smith,s001,john@uni.edu\nJane,Doe,,jane@uni.edu\n")
    course = tmp_path / "course"
    report = collect(dl, course, assignment=A1, roster=tmp_path / "roster.csv")
    assert sorted((s, a) for s, a, _ in report.collected) == [("jane", A1), ("s001", A1)]
    # a notebook of another assignment is never filed under the one asked for
    assert any(u.startswith("Ann Lee_103") and f"a notebook of {A2}, not of {A1}" in u for u in report.unmatched)
    assert json.loads((course / "submitted/s001" / A1 / "lms.json").read_text())["email"] == "john@uni.edu"


def test_the_assignment_comes_from_the_cells_not_the_file_name(tmp_path):
    dl = tmp_path / "dl"
    put(dl, f"smithjohn_1234_11_{A1}.ipynb", A2)            # named a1, holds a2
    put(dl, "doejane_2345_12_a1_qa.ipynb")                   # a name that is no assignment; the cells say a1
    put(dl, f"leeann_3456_13_{A1}.ipynb", text=json.dumps({"cells": [{"cell_type": "code", "source": "",
        "metadata": {"nbgrader": {"grade_id": "ps0_q1"}}, "outputs": []}], "metadata": {}, "nbformat": 4,
        "nbformat_minor": 5}))                               # another course's notebook
    put(dl, f"kimbo_4567_14_{A1}.ipynb", text="")            # broken: filed by its name, graded 0 with the reason
    report = collect(dl, tmp_path / "course")
    assert sorted((s, a) for s, a, _ in report.collected) == [("doejane-2345", A1), ("kimbo-4567", A1),
                                                             ("smithjohn-1234", A2)]
    assert any(u.startswith("leeann") and "no assignment of this course" in u for u in report.unmatched)


def test_custom_pattern_and_clear_errors(tmp_path):
    put(tmp_path / "export", "s001.ipynb")
    put(tmp_path / "export", "s002.ipynb", text='{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    report = collect(tmp_path / "export", tmp_path / "course", pattern=r"^(?P<student>s\d+)\.ipynb$",
                     assignment=A1)
    assert [s for s, _, _ in report.collected] == ["s001", "s002"]
    with pytest.raises(SystemExit, match="student"):
        collect(tmp_path / "export", tmp_path / "c3", pattern=r"^.*\.ipynb$", assignment="a1")
    with pytest.raises(SystemExit, match="missing.zip does not exist"):   # issue 27: was "neither a folder nor a zip"
        collect(tmp_path / "missing.zip", tmp_path / "c4")
    (tmp_path / "bad.csv").write_text("name,score\nx,1\n")
    with pytest.raises(SystemExit, match="not a roster"):
        collect(tmp_path / "export", tmp_path / "c5", roster=tmp_path / "bad.csv")
