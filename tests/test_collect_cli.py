"""collect through the command line, as an instructor runs it, on what a 300-student course brings (issue 27):
names in any script, uploads in the LMS's order, ids no two people share, every roster student listed for
the later steps, and each bad input one clear message with a non-zero exit and no traceback."""
import csv
import json
import subprocess
import sys
import unicodedata
import zipfile

import pytest

from autograder.__main__ import main
from autograder.course import REPO, assignments

A1, A2 = "a1_qa_finetuning", "a2_mlm_objective"
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{A1} (731)"]


def notebook(assignment=A1, marker=None, nbgrader=True) -> str:
    """A release notebook, marked so a test can tell two uploads apart, optionally without nbgrader's ids."""
    nb = json.loads((REPO / "notebooks" / assignment / f"{assignment}.ipynb").read_text())
    nb["metadata"]["marker"] = marker
    if not nbgrader:
        for c in nb["cells"]:
            c["metadata"].pop("nbgrader", None)
    return json.dumps(nb)


def put(folder, name, text=None, **kw):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook(**kw) if text is None else text, encoding="utf-8")
    return path


def canvas_roster(path, rows, header=CANVAS_HEADER, encoding="utf-8", delimiter=","):
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerow(["    Points Possible"] + [""] * (len(header) - 2) + ["18"])
        w.writerows(rows)
    return path


def collect(capsys, *args, create=True):
    """`python -m autograder collect ARGS [--create]` in-process: (exit status, stdout, stderr) as the shell
    sees them. A SystemExit with a message is what the interpreter prints to stderr and ends with status 1;
    any other exception (a traceback) fails the test."""
    try:
        rc, message = main(["collect", *map(str, args), *(["--create"] if create else [])]), ""
    except SystemExit as e:
        rc, message = (e.code, "") if isinstance(e.code, int) else (1, str(e.code))
    out, err = capsys.readouterr()
    return rc, out, err + message


def placed(course):
    return sorted(p.relative_to(course / "submitted").parts[:2] for p in (course / "submitted").glob("*/*/*.ipynb"))


def marker(course, student, assignment=A1):
    nb = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    return json.loads(nb.read_text())["metadata"]["marker"]


def test_canvas_names_in_any_script_are_collected(tmp_path, capsys):
    dl = tmp_path / "dl"
    put(dl, f"müllerjosé_5002_31_{A1}.ipynb")
    put(dl, f"王小明_5003_32_{A1}.ipynb")
    put(dl, f"प्रियाशर्मा_5005_34_{A1}.ipynb")                              # a vowel sign is no letter or digit
    put(dl, unicodedata.normalize("NFD", f"núñezana_5004_33_{A1}.ipynb"))   # as macOS writes it
    zip_path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        for p in dl.iterdir():
            z.write(p, p.name)
    rc, out, _ = collect(capsys, zip_path, "--course", tmp_path / "plain")
    assert rc == 0 and "NOT placed" not in out
    # without a roster: safe folder names, each with the LMS's user id
    assert placed(tmp_path / "plain") == [("canvas-5003", A1), ("canvas-5005", A1), ("mullerjose-5002", A1),
                                          ("nunezana-5004", A1)]
    roster = canvas_roster(tmp_path / "roster.csv", [["Müller, José", 5002, "S2", "jmuller", "NLP", ""],
                                                     ["王, 小明", 5003, "S3", "", "NLP", ""],
                                                     ["Núñez, Ana", 5004, "S4", "anunez", "NLP", ""],
                                                     ["शर्मा, प्रिया", 5005, "S5", "psharma", "NLP", ""]])
    rc, out, _ = collect(capsys, zip_path, "--course", tmp_path / "course", "--roster", roster)
    assert rc == 0 and "NOT" not in out
    assert placed(tmp_path / "course") == [("anunez", A1), ("canvas-5003", A1), ("jmuller", A1), ("psharma", A1)]
    facts = json.loads((tmp_path / "course/submitted/canvas-5003" / A1 / "lms.json").read_text())
    assert facts["first_name"] == "小明" and facts["lms_user_id"] == "5003"


def test_the_newest_upload_wins_by_the_lms_order_not_the_copy_number(tmp_path, capsys):
    dl = tmp_path / "dl"
    put(dl, f"smithjohn_1234_100_{A1} (1).ipynb", marker="older")    # a browser's copy, uploaded first
    put(dl, f"smithjohn_1234_200_{A1}.ipynb", marker="newer")        # Canvas's attachment 200: the newer
    rc, out, _ = collect(capsys, dl, "--course", tmp_path / "course")
    assert rc == 0
    assert marker(tmp_path / "course", "smithjohn-1234") == "newer"
    assert "1 older upload(s) replaced by the same student's newer one" in out
    assert f"smithjohn_1234_100_{A1} (1).ipynb  (older than smithjohn_1234_200_{A1}.ipynb)" in out
    assert (tmp_path / "course/unmatched" / f"smithjohn_1234_100_{A1} (1).ipynb").exists()


def test_an_older_download_collected_later_never_overwrites_a_newer_submission(tmp_path, capsys):
    new, old = tmp_path / "new", tmp_path / "old"
    put(new, f"smithjohn_1234_200_{A1}.ipynb", marker="newer")
    put(old, f"smithjohn_1234_100_{A1}.ipynb", marker="older")
    for first, then, kept in [(new, old, "older"), (old, new, "older")]:   # either order: the newer is placed
        course = tmp_path / f"course-{first.name}"
        assert collect(capsys, first, "--course", course)[0] == 0
        rc, out, _ = collect(capsys, then, "--course", course)
        assert rc == 0 and marker(course, "smithjohn-1234") == "newer"
        assert [json.loads(p.read_text())["metadata"]["marker"] for p in (course / "unmatched").rglob("*.ipynb")] \
            == [kept], "the other upload is kept in unmatched/"
        assert "older upload(s) replaced" in out


def test_moodle_uploads_are_ordered_by_their_time_in_the_download(tmp_path, capsys):
    zip_path = tmp_path / "moodle.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr(zipfile.ZipInfo(f"John Smith_101_assignsubmission_file_{A1} (1).ipynb", (2024, 1, 5, 9, 0, 0)),
                   notebook(marker="older"))
        z.writestr(zipfile.ZipInfo(f"John Smith_101_assignsubmission_file_{A1}.ipynb", (2024, 2, 5, 9, 0, 0)),
                   notebook(marker="newer"))
        for name, copy in ((f"{A1}.ipynb", "older"), (f"{A1} (1).ipynb", "newer")):   # one time: the copy decides
            z.writestr(zipfile.ZipInfo(f"Jane Doe_102_assignsubmission_file_{name}", (2024, 2, 5, 9, 0, 0)),
                       notebook(marker=copy))
    rc, out, _ = collect(capsys, zip_path, "--course", tmp_path / "course")
    assert rc == 0 and marker(tmp_path / "course", "john-smith-101") == "newer"
    assert marker(tmp_path / "course", "jane-doe-102") == "newer"
    assert f"John Smith_101_assignsubmission_file_{A1} (1).ipynb  (older than" in out


def test_logins_that_differ_in_punctuation_are_two_students(tmp_path, capsys):
    dl, course = tmp_path / "dl", tmp_path / "course"
    put(dl, f"smithjohn_1001_11_{A1}.ipynb", marker="john")
    put(dl, f"smithjane_1002_12_{A1}.ipynb", marker="jane")
    put(dl, f"doejane_1003_13_{A1}.ipynb", marker="doe")
    roster = canvas_roster(tmp_path / "roster.csv", [["Smith, John", 1001, "S1", "j.smith", "NLP", ""],
                                                     ["Smith, Jane", 1002, "S2", "j_smith", "NLP", ""],
                                                     ["Doe, Jane", 1003, "S3", "jdoe", "NLP", ""]])
    rc, out, _ = collect(capsys, dl, "--course", course, "--roster", roster)
    assert rc == 0 and "replaced" not in out
    # two logins of one slug: each with their Canvas id; a unique login keeps its slug
    assert placed(course) == [("j-smith-1001", A1), ("j-smith-1002", A1), ("jdoe", A1)]
    assert marker(course, "j-smith-1001") == "john" and marker(course, "j-smith-1002") == "jane"


def test_a_students_id_never_changes_when_the_roster_grows(tmp_path, capsys):
    course = tmp_path / "course"
    put(tmp_path / "dl1", f"smithjohn_1001_11_{A1}.ipynb")
    first = canvas_roster(tmp_path / "r1.csv", [["Smith, John", 1001, "S1", "j.smith", "NLP", ""]])
    assert collect(capsys, tmp_path / "dl1", "--course", course, "--roster", first)[0] == 0
    assert placed(course) == [("j-smith", A1)]
    put(tmp_path / "dl2", f"smithjane_1002_12_{A1}.ipynb")
    both = canvas_roster(tmp_path / "r2.csv", [["Smith, John", 1001, "S1", "j.smith", "NLP", ""],
                                               ["Smith, Jane", 1002, "S2", "j_smith", "NLP", ""]])
    assert collect(capsys, tmp_path / "dl2", "--course", course, "--roster", both)[0] == 0
    assert placed(course) == [("j-smith", A1), ("j-smith-1002", A1)]   # John keeps his folder, his grades
    # a later download without --roster: the roster kept in the course places it the same way
    put(tmp_path / "dl3", f"smithjane_1002_13_{A2}.ipynb", assignment=A2)
    rc, out, _ = collect(capsys, tmp_path / "dl3", "--course", course)
    assert rc == 0 and "roster: the one kept in" in out and ("j-smith-1002", A2) in placed(course)


def test_every_roster_student_is_listed_for_the_later_steps(tmp_path, capsys):
    from autograder.lms.collect import expected_students
    dl, course = tmp_path / "dl", tmp_path / "course"
    put(dl, f"smithjohn_1001_11_{A1}.ipynb")
    put(dl, f"leeann_1003_13_{A1}.py", text="print('my answers')")                      # a .py upload
    put(dl, f"kimbo_1004_14_homework.ipynb", nbgrader=False)                             # renamed, no ids
    roster = canvas_roster(tmp_path / "roster.csv", [["Smith, John", 1001, "S1", "jsmith", "NLP", ""],
                                                     ["Doe, Jane", 1002, "S2", "jdoe", "NLP", ""],
                                                     ["Lee, Ann", 1003, "S3", "alee", "NLP", ""],
                                                     ["Kim, Bo", 1004, "S4", "bkim", "NLP", ""]])
    assert collect(capsys, dl, "--course", course, "--roster", roster)[0] == 0
    expected = expected_students(course, A1)
    assert sorted(expected) == ["alee", "bkim", "jdoe", "jsmith"]
    assert expected["jsmith"]["why"] is None
    assert expected["jsmith"]["name"] == "John Smith" and expected["jsmith"]["lms_user_id"] == "1001"
    assert expected["jsmith"]["lms"] == "canvas" and expected["jsmith"]["roster"]["SIS Login ID"] == "jsmith"
    assert expected["jdoe"]["why"] == "no submission"
    assert expected["alee"]["why"] == f"file set aside: leeann_1003_13_{A1}.py: not a notebook (.ipynb)"
    assert expected["bkim"]["why"].startswith("file set aside: kimbo_1004_14_homework.ipynb: no cell or file name")
    # for another assignment: the .py named a1 is not theirs; an unrecognised notebook might be
    other = expected_students(course, A2)
    assert other["jsmith"]["why"] == other["alee"]["why"] == "no submission"
    assert other["bkim"]["why"].startswith("file set aside: kimbo")
    # a second download places Kim's notebook: Kim is no longer missing, nobody left the list
    put(tmp_path / "dl2", f"kimbo_1004_15_{A1}.ipynb")
    assert collect(capsys, tmp_path / "dl2", "--course", course)[0] == 0
    again = expected_students(course, A1)
    assert sorted(again) == sorted(expected) and again["bkim"]["why"] is None


@pytest.mark.parametrize("encoding,delimiter", [("cp1252", ","), ("utf-8", ";"), ("cp1252", ";"), ("utf-8-sig", "\t")])
def test_a_roster_as_excel_saves_it_is_read(tmp_path, capsys, encoding, delimiter):
    put(tmp_path / "dl", f"mullerjose_5002_31_{A1}.ipynb")
    roster = canvas_roster(tmp_path / "roster.csv", [["Müller, José", 5002, "S2", "jmuller", "NLP 101", ""]],
                           encoding=encoding, delimiter=delimiter)
    rc, out, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", "--roster", roster)
    assert (rc, err) == (0, "") and placed(tmp_path / "course") == [("jmuller", A1)]
    facts = json.loads((tmp_path / "course/submitted/jmuller" / A1 / "lms.json").read_text())
    assert (facts["first_name"], facts["last_name"]) == ("José", "Müller")


def test_a_canvas_roster_without_the_sis_columns_is_accepted(tmp_path, capsys):
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    roster = canvas_roster(tmp_path / "roster.csv", [["Smith, John", 1234, "NLP 101", ""]],
                           header=["Student", "ID", "Section", f"{A1} (731)"])
    rc, out, _ = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", "--roster", roster)
    assert rc == 0 and "NOT in the roster" not in out and placed(tmp_path / "course") == [("canvas-1234", A1)]


@pytest.mark.parametrize("header,missing", [(["Student", "SIS Login ID", "Section"], "ID"),
                                            (["First name", "Email address"], "Last name")])
def test_a_roster_missing_a_column_names_it(tmp_path, capsys, header, missing):
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    roster = tmp_path / "gradebook.csv"
    roster.write_text(";".join(header) + "\n" + ";".join(["x"] * len(header)) + "\n")
    rc, out, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", "--roster", roster)
    assert rc == 1 and str(roster) in err and f"needs the column(s) {missing} " in err and "semicolons" in err
    assert not (tmp_path / "course").exists()   # nothing written before the roster is right


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_one_damaged_zip_member_does_not_stop_the_collect(tmp_path, capsys, method):
    zip_path, course, bad = tmp_path / "dl.zip", tmp_path / "course", f"smithjohn_1234_11_{A1}.ipynb"
    with zipfile.ZipFile(zip_path, "w", compression=method) as z:
        z.writestr(f"doejane_2345_12_{A1}.ipynb", notebook())
        z.writestr(bad, notebook(marker="DAMAGE-THIS-BYTE"))
        info = z.getinfo(bad)
    data = bytearray(zip_path.read_bytes())
    if method == zipfile.ZIP_STORED:
        at = data.index(b"DAMAGE-THIS-BYTE")
    else:   # inside the compressed stream, past the member's local header
        at = info.header_offset + 30 + len(bad) + int.from_bytes(data[info.header_offset + 28:info.header_offset + 30],
                                                                 "little") + 40
    data[at:at + 8] = bytes(b ^ 0xFF for b in data[at:at + 8])
    zip_path.write_bytes(bytes(data))
    roster = canvas_roster(tmp_path / "roster.csv", [["Smith, John", 1234, "S1", "jsmith", "NLP", ""],
                                                     ["Doe, Jane", 2345, "S2", "jdoe", "NLP", ""]])
    rc, out, _ = collect(capsys, zip_path, "--course", course, "--roster", roster)
    assert rc == 0 and placed(course) == [("jdoe", A1)]
    assert f"{bad}: damaged in the zip" in out
    assert (course / "unmatched" / bad).exists()   # what could be read of it
    from autograder.lms.collect import expected_students
    assert expected_students(course, A1)["jsmith"]["why"].startswith(f"file set aside: {bad}: damaged in the zip")


def test_files_of_the_same_name_in_moodle_folders_are_all_kept(tmp_path, capsys):
    dl = tmp_path / "dl"
    put(dl, "John Smith_101_assignsubmission_file_/notes.txt", text="john's")
    put(dl, "Jane Doe_102_assignsubmission_file_/notes.txt", text="jane's")
    put(dl, f"Jane Doe_102_assignsubmission_file_/{A1}.ipynb")
    assert collect(capsys, dl, "--course", tmp_path / "course")[0] == 0
    kept = tmp_path / "course" / "unmatched"
    assert (kept / "John Smith_101_assignsubmission_file_/notes.txt").read_text() == "john's"
    assert (kept / "Jane Doe_102_assignsubmission_file_/notes.txt").read_text() == "jane's"


def test_a_missing_source_or_roster_is_named(tmp_path, capsys):
    rc, _, err = collect(capsys, tmp_path / "submissions.zip", "--course", tmp_path / "course")
    assert rc == 1 and err == f"{tmp_path / 'submissions.zip'} does not exist. Pass the LMS's download: its .zip, " \
                              f"or the folder it unpacks to."
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    rc, _, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", "--roster", tmp_path / "roster.csv")
    assert rc == 1 and f"{tmp_path / 'roster.csv'} does not exist" in err
    assert not (tmp_path / "course").exists()


def test_an_unknown_assignment_or_a_file_as_course_is_named(tmp_path, capsys):
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    rc, _, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", "--assignment", "a1")
    assert rc == 1 and err == f"--assignment a1: no such assignment. This course's: {', '.join(assignments())}."
    (tmp_path / "notes.txt").write_text("")
    rc, _, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "notes.txt")
    assert rc == 1 and err.startswith(f"{tmp_path / 'notes.txt'} is a file, not a course folder")


def test_an_empty_download_is_an_error(tmp_path, capsys):
    empty_zip = tmp_path / "empty.zip"
    zipfile.ZipFile(empty_zip, "w").close()
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README from the LMS.txt").write_text("export notes")
    for source, says in [(empty_zip, "holds no files"), (tmp_path / "empty", "holds no files"),
                         (tmp_path / "notes", "holds no notebook (.ipynb)")]:
        rc, out, err = collect(capsys, source, "--course", tmp_path / "course")
        assert rc == 1 and err.startswith(f"{source} {says}") and "nothing to collect" in err
    assert not (tmp_path / "course").exists()


def test_an_unrecognised_notebook_points_to_assignment(tmp_path, capsys):
    dl = tmp_path / "dl"
    put(dl, "smithjohn_1234_11_homework.ipynb", nbgrader=False)          # renamed, metadata dropped by an editor
    put(dl, "doejane_2345_12_mywork.ipynb", text=json.dumps(              # saved as nbformat 3
        {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}]}]}))
    rc, out, err = collect(capsys, dl, "--course", tmp_path / "course")
    assert rc == 1 and "collected 0 submission(s)" in out and "nothing was collected" in err
    assert "smithjohn_1234_11_homework.ipynb: no cell or file name of a known assignment (pass --assignment NAME" in out
    assert f"collect them again with --assignment NAME (this course's assignments: {', '.join(assignments())})" in out
    rc, out, _ = collect(capsys, dl, "--course", tmp_path / "course", "--assignment", A1)
    assert rc == 0 and placed(tmp_path / "course") == [("doejane-2345", A1), ("smithjohn-1234", A1)]


def test_collect_makes_a_course_folder_only_when_asked_and_says_so(tmp_path, capsys):
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    rc, _, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "cuorse", create=False)   # a typo
    assert rc == 1 and "no such course folder" in err and "--create" in err and not (tmp_path / "cuorse").exists()
    rc, out, _ = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course")
    assert rc == 0 and f"created course folder {tmp_path / 'course'}" in out
    rc, out, _ = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course", create=False)
    assert rc == 0 and "created course folder" not in out


def test_a_bad_input_ends_the_process_with_one_line_and_no_traceback(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes("Student;SIS Login ID\n\"Müller, José\";jm\n".encode("cp1252"))
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "autograder", "collect", str(tmp_path / "dl"), "--course",
                           str(tmp_path / "course"), "--create", "--roster", str(roster)], capture_output=True, text=True,
                          cwd=REPO)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert str(roster) in proc.stderr and "needs the column(s) ID" in proc.stderr and "cp1252" in proc.stderr


def test_a_hand_broken_roster_file_of_the_course_is_named(tmp_path, capsys):
    put(tmp_path / "dl", f"smithjohn_1234_11_{A1}.ipynb")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "roster.json").write_text('{"lms": "canvas", "students": {', encoding="utf-8")
    rc, _, err = collect(capsys, tmp_path / "dl", "--course", tmp_path / "course")
    assert rc == 1 and "roster.json is not valid JSON" in err and "delete the file" in err

