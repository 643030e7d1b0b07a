"""The grading pipeline end to end on the bundled sample submissions of a1: every broken,
hostile or odd submission gets its expected recorded grade and a reason; nothing else changes."""
import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.demo import samples
from autograder.cells import source_notebook
from autograder.course import REPO
from autograder.grading.assembly import split_test
from autograder.grading.engine import grade_in_fresh_dir
from autograder.grading.limits import Limits
from autograder.grading.batch import grade
from autograder.lms.collect import collect
from autograder.review.export import export
from autograder.review.feedback import feedback
from autograder.review.gradebook import ensure_gradebook

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

A1 = samples.A1
LIMITS = Limits(cell_timeout=10, notebook_timeout=120, mem_mb=6144)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    samples.build(root / "export", root)
    zip_path = samples.lms_zip(root / "export", root / "export.zip")
    report = collect(zip_path, root, roster=root / "export" / "roster.csv")
    ensure_gradebook(root, A1)
    protected = {p: digest(p) for p in [REPO / "README.md", root / "nbgrader_config.py"]
                 + sorted((root / "submitted").rglob("*.ipynb"))}
    results = grade(root, A1, workers=2, limits=LIMITS, progress_bar=False)
    return {"root": root, "report": report, "results": results, "protected": protected}


def test_collect_matches_every_student_and_reports_the_rest(course):
    report = course["report"]
    assert sorted(s for s, _, _ in report.collected) == sorted(samples.EXPECTED)
    assert sorted(u.split(":")[0] for u in report.unmatched) == [
        "README from the LMS.txt", f"otherassignment_{samples.canvas_ids('otherassignment')[0]}_"
                                   f"{samples.canvas_ids('otherassignment')[1]}_{A1}.ipynb"]
    assert (course["root"] / "unmatched" / "README from the LMS.txt").exists()
    assert report.replaced == [f"partial_{samples.canvas_ids('partial')[0]}_{samples.canvas_ids('partial')[1] - 50000}_{A1}.ipynb"]
    assert not report.not_in_roster
    assert "NOT placed" in (course["root"] / "collect_report.txt").read_text()


@pytest.mark.parametrize("student", sorted(samples.EXPECTED))
def test_sample_gets_its_expected_grade(course, student):
    expected, why = samples.EXPECTED[student]
    result = course["results"][student]
    assert round(result.score, 2) == expected, f"{student} ({why}): {result.score}, cells {result.cells}, {result.reasons}"
    if expected < result.max_score:  # every lost point comes with a reason the report can show
        explained = result.reasons or all(c.visible_error or c.hidden_failed
                                          for c in result.cells.values() if c.score < c.points)
        assert explained, f"{student} lost points without a recorded reason"


def test_writes_to_course_files_are_blocked(course):
    for path, before in course["protected"].items():
        assert digest(path) == before, f"{path} was changed during grading"
    assert not (course["root"] / "grades" / "injected.json").exists()
    assert b"INJECTED-BY-STUDENT" not in (course["root"] / "gradebook.db").read_bytes()


def test_feedback_never_shows_hidden_tests(course):
    pages = feedback(course["root"], A1)
    assert len(pages) == len(samples.EXPECTED)
    source = nbformat.read(REPO / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
    hidden_lines = set()
    for cell in source.cells:
        for _, part in split_test(cell.source)[1]:
            hidden_lines |= {ln.strip() for ln in part.splitlines() if len(ln.strip()) > 12}
    assert len(hidden_lines) > 20
    for page in pages:
        text = page.read_text()
        leaked = [ln for ln in hidden_lines if ln in text]
        assert not leaked, f"{page.name} shows hidden test source: {leaked[:3]}"
    partial = (course["root"] / "feedback" / A1 / "partial.html").read_text()
    assert "hidden check failed: <b>" in partial and "NotImplementedError" in partial
    sets = (course["root"] / "feedback" / A1 / "setsnotcounts.html").read_text()
    assert "2 of 3 checks passed" in sets and "1.33 / 2" in sets


def test_export_equals_the_gradebook(course):
    from nbgrader.api import Gradebook
    paths = export(course["root"], A1)
    rows = {r["student"]: r for r in csv.DictReader(open(paths["grades"]))}
    assert set(rows) == set(samples.EXPECTED)
    with Gradebook(f"sqlite:///{course['root'] / 'gradebook.db'}") as gb:
        for student, row in rows.items():
            sub = gb.find_submission(A1, student)
            assert float(row["total"]) == sub.score
            for nb in sub.notebooks:
                for g in nb.grades:
                    if g.cell_type == "code":
                        assert float(row[g.name]) == g.score
    assert paths["figure"].stat().st_size > 5000
    summary = list(csv.DictReader(open(paths["summary"])))
    assert {r["cell"] for r in summary} >= {"test_prepare_train_features", "a1_report"}


def _spy_on_workers(monkeypatch) -> list[str]:
    """The students whose grading starts a worker, in order."""
    from autograder.grading import batch
    started = []
    real_worker = batch._run_worker
    monkeypatch.setattr(batch, "_run_worker", lambda *a, **k: started.append(a[2]) or real_worker(*a, **k))
    return started


def _result_files(root) -> dict:
    return {p.name: json.loads(p.read_text()) for p in (root / "grades" / A1).glob("*.json")}


def test_grading_again_changes_nothing_and_a_stopped_batch_resumes(course, monkeypatch):
    started = _spy_on_workers(monkeypatch)
    root = course["root"]
    before = _result_files(root)
    # a batch stopped midway: two results missing
    for name in ["complete.json", "partial.json"]:
        (root / "grades" / A1 / name).unlink()
    again = grade(root, A1, workers=2, limits=LIMITS, progress_bar=False)
    assert sorted(started) == ["complete", "partial"]  # two gradings, not all of them
    for student, r in again.items():
        assert r.score == course["results"][student].score
    after = _result_files(root)
    untouched = [n for n in before if n not in {"complete.json", "partial.json"}]
    assert all(after[n] == before[n] for n in untouched), "finished students were graded again"


def test_grade_students_grades_only_those_named_and_leaves_the_rest(course, monkeypatch):
    started = _spy_on_workers(monkeypatch)
    root = course["root"]
    before = _result_files(root)
    only = grade(root, A1, workers=1, limits=LIMITS, progress_bar=False, force=True, students=["partial"])
    assert started == ["partial"] and list(only) == ["partial"]
    assert only["partial"].score == course["results"]["partial"].score
    after = _result_files(root)
    assert all(after[n] == before[n] for n in before if n != "partial.json"), "a student not named was graded"


def _tiny_course(tmp_path, student_code, extra_cell=""):
    """A one-test source notebook whose test uses every comparison a test may call."""
    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "task": False, "locked": False,
                             "solution": False, "grade": False, **kw}}
    src = nbformat.v4.new_notebook()
    src.cells = [
        nbformat.v4.new_code_cell("def area(r):\n    ### BEGIN SOLUTION\n    return 3.14159 * r * r\n    ### END SOLUTION",
                                  metadata=meta("area", solution=True)),
        nbformat.v4.new_code_cell(
            "import math, numpy as np, torch\n"
            "assert math.isclose(area(1.0), 3.14159)\n"
            "assert np.allclose(area(np.ones(2)), 3.14159)\n"
            "np.testing.assert_allclose(area(2.0), 12.56636)\n"
            "assert torch.allclose(area(torch.ones(2)), torch.tensor(3.14159))\n"
            "assert abs(area(3.0) - 28.27431) < 1e-4 and max([area(1.0), 0]) > 3",
            metadata=meta("test_area", grade=True, locked=True, points=1)),
    ]
    sub = nbformat.v4.new_notebook()
    sub.cells = [nbformat.v4.new_code_cell(student_code, metadata=meta("area", solution=True))]
    if extra_cell:
        sub.cells.append(nbformat.v4.new_code_cell(extra_cell))
    sub.cells.append(nbformat.v4.new_code_cell(src.cells[1].source, metadata=src.cells[1].metadata))
    nbformat.write(src, tmp_path / "source.ipynb")
    nbformat.write(sub, tmp_path / "sub.ipynb")
    return grade_in_fresh_dir(tmp_path / "source.ipynb", tmp_path / "sub.ipynb", "s", "tiny", LIMITS)


REPLACE_EVERYTHING = """
import builtins, math, numpy, numpy.testing, torch
math.isclose = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
builtins.abs = lambda x: 0
"""


def test_replaced_comparisons_cannot_make_a_wrong_answer_pass(tmp_path):
    assert _tiny_course(tmp_path, "def area(r):\n    return 3.14159 * r * r").score == 1
    wrong = "def area(r):\n    return 2 * r"
    assert _tiny_course(tmp_path, wrong).score == 0
    assert _tiny_course(tmp_path, wrong, REPLACE_EVERYTHING).score == 0
    # the same replacements made from inside the function the test calls
    sneaky = "def area(r):\n" + "\n".join("    " + ln for ln in REPLACE_EVERYTHING.strip().splitlines()) + "\n    return 2 * r"
    assert _tiny_course(tmp_path, sneaky).score == 0


def test_a_stub_swapped_in_after_the_solution_is_not_what_is_tested(tmp_path):
    right = "def area(r):\n    return 3.14159 * r * r"
    assert _tiny_course(tmp_path, right, "area = lambda r: 0").score == 1
    wrong = "def area(r):\n    return 0"
    hooks = "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"
    assert _tiny_course(tmp_path, wrong, hooks).score == 0


# ------------------------------------------------------------------ answers out of the kernel's reach

def _run_attack_outside_the_sandbox(assignment, course):
    """The answer-reading sample's cells run as plain Python: they must find every answer (so the
    sandboxed 0 means the answers were out of reach, not that the attack was broken)."""
    from autograder.grading.assembly import nbg
    found = {}
    cells = samples.reads_answers(assignment, course).cells
    last_test = max(i for i, c in enumerate(cells) if nbg(c).get("grade") and c.cell_type == "code")
    for cell in cells[:last_test]:   # as in grading: the experiments after the last test (a1's design) do not run
        if nbg(cell).get("solution") and cell.cell_type == "code":
            import torch   # what the notebooks' import cells give every answer (decorators and base classes need it)
            ns = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
            exec(cell.source, ns)  # noqa: S102  (the sample's own code, on purpose)
            found[nbg(cell)["grade_id"]] = ns
    return found


@pytest.mark.parametrize("assignment", ["a1_qa_finetuning", "a5_multitask_instruction", "a6_generation_preference"])
def test_the_answer_reading_submission_works_outside_the_sandbox(assignment, tmp_path):
    found = _run_attack_outside_the_sandbox(assignment, tmp_path)
    import types   # each answer defines something of its own (a function, a class, a6's DECODING), not only modules
    assert found and all(any(not k.startswith("_") and not isinstance(v, types.ModuleType) for k, v in ns.items())
                         for ns in found.values()), found.keys()


@pytest.mark.parametrize("assignment, points", [("a5_multitask_instruction", 7), ("a6_generation_preference", 12)])
def test_a_submission_that_reads_the_answers_scores_zero(assignment, points, tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    nbformat.write(samples.reads_answers(assignment, course), tmp_path / "reads.ipynb")
    limits = Limits(cell_timeout=30, notebook_timeout=120, hide=(str(course),))
    result = grade_in_fresh_dir(REPO / "solutions" / assignment / f"{assignment}.ipynb", tmp_path / "reads.ipynb", "reads",
                                assignment, limits)
    assert result.max_score == points and result.score == 0, result.cells


def test_the_sandbox_self_check_reports_what_is_visible_outside_it(tmp_path):
    from autograder.grading.sandbox import _self_check
    problems = _self_check([str(REPO)], [str(REPO / "shared")], [str(tmp_path)])
    assert any("solutions" in p for p in problems) and any(str(REPO) in p for p in problems), problems


def test_other_copies_of_the_course_beside_it_and_its_worktrees_are_hidden_too(tmp_path, monkeypatch):
    import subprocess
    from autograder.grading import sandbox
    from autograder.grading.sandbox import other_checkouts, policy
    repo, clone, notes = tmp_path / "course", tmp_path / "course-copy", tmp_path / "notes"
    for folder in (repo / "solutions", clone / "solutions", notes):
        folder.mkdir(parents=True)
    assert other_checkouts(repo) == [clone]              # a sibling with solutions/, not any sibling
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True)
    far = tmp_path / "elsewhere" / "wt"
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", str(far)], check=True)
    assert other_checkouts(repo) == sorted([clone, far])  # a worktree anywhere
    monkeypatch.setattr(sandbox, "other_checkouts", lambda: [clone, far])   # what the policy hides: what it finds
    hidden = policy(tmp_path / "w")["hide"]
    assert os.path.realpath(clone) in hidden and os.path.realpath(far) in hidden


def test_the_sandbox_hides_answers_here():
    from autograder.grading.sandbox import probe
    assert probe() == [], "the grading sandbox cannot hide the answers on this machine"


def test_grading_refuses_without_a_sandbox_unless_told(monkeypatch, capsys):
    from autograder.grading import batch, sandbox
    monkeypatch.setattr(sandbox, "probe", lambda hide=(): ["not root: solutions/ stays readable"])
    with pytest.raises(SystemExit, match="(?s)REFUSING TO GRADE.*--unsafe-allow-unsandboxed"):
        batch.check_sandbox(Limits())
    assert batch.check_sandbox(Limits(allow_unsandboxed=True)) == ["not root: solutions/ stays readable"]
    assert "WITHOUT a working sandbox" in capsys.readouterr().err


def test_no_kernel_outlives_its_grading(tmp_path):
    def kernels():
        out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        return sum(("ipykernel_launcher" in line or "autograder.grading.warm" in line) and "/grade-s-" in line
                   for line in out.splitlines())   # cold kernels; warm ones, their launchers and template
    assert _tiny_course(tmp_path, "def area(r):\n    return 3.14159 * r * r").score == 1
    assert kernels() == 0


# ------------------------------------------------------------------ grader errors are not student zeros

def test_a_grader_failure_is_marked_for_regrade_not_scored_zero(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    from autograder.grading import batch
    root = tmp_path / "course"
    student_nb = root / "submitted" / "ada" / A1 / f"{A1}.ipynb"
    student_nb.parent.mkdir(parents=True)
    nbformat.write(samples.completed(), student_nb)
    real_worker = batch._run_worker
    # the grader's own worker crashes before it grades anything
    monkeypatch.setattr(batch, "_run_worker", lambda *a, **k: subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.exit('grader bug: no module named xyz')"],
        stderr=subprocess.PIPE, start_new_session=True))
    result = grade(root, A1, workers=1, limits=LIMITS, progress_bar=False)["ada"]
    assert "grader bug" in result.needs_regrade
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:   # a failed grading leaves no score, not a zero
        assert "ada" not in {s.student.id for s in gb.find_assignment(A1).submissions}
    row = next(r for r in csv.DictReader(open(export(root, A1)["grades"])) if r["student"] == "ada")
    assert row["status"] == "needs re-grade" and row["total"] == "" and row["test_squad_metric"] == ""
    assert feedback(root, A1) == []                      # no report of zeros goes to the student
    # a plain re-run does not loop on it; --retry-failed grades it (now with the real worker)
    assert grade(root, A1, workers=1, limits=LIMITS, progress_bar=False)["ada"].needs_regrade
    monkeypatch.setattr(batch, "_run_worker", real_worker)
    again = grade(root, A1, workers=1, limits=LIMITS, progress_bar=False, retry_failed=True)["ada"]
    assert not again.needs_regrade and again.score == 8


def test_a_kernel_that_cannot_start_is_the_graders_fault(tmp_path):
    bad = Limits(cell_timeout=10, notebook_timeout=60, mem_mb=40)   # too little memory to start Python
    nbformat.write(samples.completed(), tmp_path / "sub.ipynb")
    result = grade_in_fresh_dir(REPO / "solutions" / A1 / f"{A1}.ipynb", tmp_path / "sub.ipynb", "s", A1, bad)
    assert result.needs_regrade and result.score == 0 and "kernel" in result.needs_regrade, result


# ------------------------------------------------------------------ partial credit

def test_a_cell_scores_the_share_of_its_checks_that_pass(tmp_path):
    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "task": False, "locked": False,
                             "solution": False, "grade": False, **kw}}
    src = nbformat.v4.new_notebook()
    src.cells = [
        nbformat.v4.new_code_cell("def clip(x, lo, hi):\n    ### BEGIN SOLUTION\n    return max(lo, min(hi, x))\n"
                                  "    ### END SOLUTION", metadata=meta("clip", solution=True)),
        nbformat.v4.new_code_cell(
            "assert clip(5, 0, 10) == 5\n### BEGIN HIDDEN TESTS\n# CHECK: above the range\nassert clip(12, 0, 10) == 10\n"
            "# CHECK: below the range\nassert clip(-3, 0, 10) == 0\n### END HIDDEN TESTS",
            metadata=meta("test_clip", grade=True, locked=True, points=3)),
    ]
    nbformat.write(src, tmp_path / "source.ipynb")
    scores = {}
    for name, code in {"right": "def clip(x, lo, hi):\n    return max(lo, min(hi, x))",
                       "no_lower_bound": "def clip(x, lo, hi):\n    return min(hi, x)",
                       "stub": "def clip(x, lo, hi):\n    raise NotImplementedError()"}.items():
        sub = nbformat.v4.new_notebook()
        sub.cells = [nbformat.v4.new_code_cell(code, metadata=meta("clip", solution=True))]
        nbformat.write(sub, tmp_path / f"{name}.ipynb")
        result = grade_in_fresh_dir(tmp_path / "source.ipynb", tmp_path / f"{name}.ipynb", name, "tiny", LIMITS)
        scores[name] = result.cells["test_clip"]
    assert (scores["right"].score, scores["right"].checks_passed, scores["right"].checks_total) == (3, 3, 3)
    partial = scores["no_lower_bound"]
    assert (partial.score, partial.checks_passed, partial.hidden_failed) == (2, 2, ["below the range"])
    assert partial.status == "failed" and scores["stub"].score == 0 and scores["stub"].checks_passed == 0


# ------------------------------------------------------------------ manual grading: formgrader, rubrics, by question

@pytest.fixture
def graded_copy(course, tmp_path):
    """A copy of the graded demo course to enter manual grades in (the module's course stays as graded)."""
    import shutil
    root = tmp_path / "course"
    shutil.copytree(course["root"], root)
    return root


def test_every_submission_has_an_autograded_notebook_for_formgrader(course):
    from autograder.review.rubric import rubrics
    source = REPO / "solutions" / A1 / f"{A1}.ipynb"
    written = rubrics(source)
    cells = nbformat.read(source, as_version=4).cells
    elsewhere = "\n".join(split_test(c.source)[0] for c in cells)   # the source without its hidden tests
    hidden_lines = {ln.strip() for c in cells for _, part in split_test(c.source)[1] for ln in part.splitlines()
                    if len(ln.strip()) > 12 and ln.strip() not in elsewhere}
    assert len(hidden_lines) > 20
    for student in samples.EXPECTED:
        nb = nbformat.read(course["root"] / "autograded" / student / A1 / f"{A1}.ipynb", as_version=4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for gid in written:   # each written answer, with its rubric right after it
            i = ids.index(gid)
            assert nb.cells[i].cell_type == "markdown" and nb.cells[i].metadata["nbgrader"]["grade"]
            assert "Rubric (instructors only)" in nb.cells[i + 1].source
        text = nbformat.writes(nb)
        assert not [ln for ln in hidden_lines if ln in text], f"{student}: hidden tests in the autograded notebook"
        for c in nb.cells:   # a test cell's one output is the grader's verdict, never what the student printed
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code":
                assert len(c.outputs) == 1 and c.outputs[0]["text"].startswith("autograder: ")
    complete = nbformat.read(course["root"] / "autograded/complete" / A1 / f"{A1}.ipynb", as_version=4)
    answer = next(c for c in complete.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "a1_q1")
    assert "YOUR ANSWER HERE" not in answer.source and len(answer.source) > 200


def test_a_manual_score_from_the_gradebook_reaches_export_and_feedback(graded_copy):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded_copy / 'gradebook.db'}") as gb:   # what formgrader does on save
        gb.find_grade("a1_q1", A1, A1, "partial").manual_score = 1.5
        gb.find_comment("a1_q1", A1, A1, "partial").manual_comment = "Two reasons, one method."
        gb.db.commit()
    rows = {r["student"]: r for r in csv.DictReader(open(export(graded_copy, A1)["grades"]))}
    assert float(rows["partial"]["a1_q1"]) == 1.5 and float(rows["partial"]["manual"]) == 1.5
    assert float(rows["partial"]["total"]) == 5 + 1.5
    assert rows["complete"]["a1_q1"] == "" and rows["complete"]["status"] == "4 part(s) to grade by hand"
    feedback(graded_copy, A1)
    page = (graded_copy / "feedback" / A1 / "partial.html").read_text()
    assert "1.5 / 2" in page and "Two reasons, one method." in page and "6.5 / 18" in page


def test_rubrics_exist_for_every_written_part_and_never_leak(course):
    import subprocess
    import sys

    from autograder.course import assignments
    from autograder.review.rubric import rubrics
    for name in assignments():
        source = REPO / "solutions" / name / f"{name}.ipynb"
        found = rubrics(source)   # raises on a written cell without a rubric, or items not adding up
        manual = [c for c in nbformat.read(source, as_version=4).cells
                  if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
        assert len(found) == len(manual) == 4, name
        release = (REPO / "notebooks" / name / f"{name}.ipynb").read_text()
        for r in found.values():
            assert r.items and r.model_answer
            for item in r.items:
                assert item.text not in release, f"{name}: rubric of {r.grade_id} in the release"
            assert r.model_answer[:80] not in release
    pages = " ".join(p.read_text() for p in (course["root"] / "feedback" / A1).glob("*.html"))
    for r in rubrics(REPO / "solutions" / A1 / f"{A1}.ipynb").values():
        assert not any(item.text in pages for item in r.items) and "Rubric" not in pages
    out = subprocess.run([sys.executable, "-m", "autograder", "rubric", A1], capture_output=True, text=True)
    assert out.returncode == 0 and "a1_q2 (2 points)" in out.stdout and "model answer" in out.stdout


def test_one_question_for_all_students_on_one_page(graded_copy):
    import json
    import threading
    import urllib.request

    from autograder.review.by_question import QuestionGrader, make_server
    grader = QuestionGrader(graded_copy, A1, "a1_q1")
    order = grader.students()
    assert sorted(order) == sorted(samples.EXPECTED) and order != sorted(order)
    assert QuestionGrader(graded_copy, A1, "a1_q1").students() == order        # stable
    assert grader.toggle("complete", 0, True) == 1 and grader.toggle("complete", 1, True) == 2
    assert grader.toggle("partial", 0, True) == 1
    assert grader.set_points(0, 0.5) == {"complete": 1.5, "partial": 0.5}      # re-scores every answer with it
    server = make_server(grader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    page = {"X-Grader-Token": server.token, "Origin": url, "Content-Type": "application/json"}   # what it sends
    try:
        assert "a1_q1" in urllib.request.urlopen(server.url).read().decode()
        post = urllib.request.Request(url + "/api/toggle", data=json.dumps({"student": "colab", "item": 1,
                                                                            "on": True}).encode(), headers=page)
        assert json.loads(urllib.request.urlopen(post).read())["score"] == 1
        state = json.loads(urllib.request.urlopen(urllib.request.Request(url + "/api/state", headers=page)).read())
        assert [a["student"] for a in state["answers"]] == order and len(state["items"]) == 2
    finally:
        server.shutdown()
    rows = {r["student"]: r for r in csv.DictReader(open(export(graded_copy, A1)["grades"]))}
    assert [float(rows[s]["a1_q1"]) for s in ("complete", "partial", "colab")] == [1.5, 0.5, 1]
    with pytest.raises(SystemExit, match="not a written question"):
        QuestionGrader(graded_copy, A1, "test_squad_metric")


def test_once_every_written_part_is_graded_the_canvas_import_has_every_students_total(graded_copy):
    from autograder.review.gradebook import set_manual
    from autograder.review.rubric import rubrics
    written = rubrics(REPO / "solutions" / A1 / f"{A1}.ipynb")
    for i, student in enumerate(sorted(samples.EXPECTED)):
        for gid, r in written.items():
            set_manual(graded_copy, A1, student, gid, (i % 3) * r.points / 2)
    with pytest.raises(ValueError, match="0 to 2 points"):
        set_manual(graded_copy, A1, "complete", "a1_q1", 3)
    paths = export(graded_copy, A1, lms="canvas", canvas_assignment_id="731", title=A1)
    totals = {r["student"]: float(r["total"]) for r in csv.DictReader(open(paths["grades"]))}
    roster = {r["SIS Login ID"]: r["ID"] for r in csv.DictReader(open(graded_copy / "export" / "roster.csv"))}
    imported = {r["ID"]: float(r[f"{A1} (731)"]) for r in csv.DictReader(open(paths["lms"]))}
    assert paths["lms"].name.endswith("-canvas-raw.csv")
    assert imported == {roster[s]: t for s, t in totals.items()}      # every student, raw totals
    late = export(graded_copy, A1, lms="canvas", late_penalty=0.2)["lms"]
    penalised = {r["ID"]: float(r[A1]) for r in csv.DictReader(open(late))}
    for s in samples.LATE:
        assert penalised[roster[s]] == round(totals[s] * 0.8, 2)
    summary = {r["cell"]: r for r in csv.DictReader(open(paths["summary"]))}
    assert summary["a1_q1"]["graded"] == str(len(samples.EXPECTED)) and summary["a1_q1"]["discrimination"]


@pytest.mark.parametrize("path", ["cold", "warm"])
def test_a_cell_is_stopped_at_the_notebook_limit_not_only_at_its_own(tmp_path, path):
    """A notebook's time limit stops the cell that runs past it (the kernel is interrupted), not the batch's kill
    WORKER_GRACE seconds later; the tests after it score 0 and the reason says which limit."""
    import time
    nb = samples.completed()
    nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    sub = tmp_path / "sub.ipynb"
    nbformat.write(nb, sub)
    limits = Limits(cell_timeout=300, notebook_timeout=15, mem_mb=6144)
    started = time.monotonic()
    result = grade_in_fresh_dir(source_notebook(A1), sub, "sleeper", A1, limits, warm=path == "warm")
    seconds = time.monotonic() - started
    assert not result.needs_regrade, result.needs_regrade
    assert any("notebook time limit (15 s)" in r for r in result.reasons), result.reasons
    assert "KeyboardInterrupt" in json.dumps(result.outputs), result.outputs   # interrupted, as at a cell's limit
    assert result.score == 0 and seconds < 15 + 30, (result.score, seconds)
