"""The by-question page on a course shared with formgrader and the grading batch: it shows every score
the gradebook has, a click changes only what it says, concurrent graders lose nothing, and only the
grader who started it can use it (token, same origin, JSON).

The course is made without grading any notebook: nbgrader generates the assignment, `record` writes
each student's autograded result, and `autograded.write` their autograded notebook. Each by-question
server is started as an instructor starts it, `python -m autograder by-question`, and driven over HTTP."""
import json
import re
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

import nbformat
import pytest

from autograder.demo import samples
from autograder.review import autograded
from autograder.grading.assembly import nbg
from autograder.course import REPO
from autograder.review.gradebook import ensure_gradebook, record
from autograder.grading.results import empty_result

pytestmark = pytest.mark.slow   # nbgrader generates the assignment; by-question servers start
A1 = samples.A1
SOURCE = REPO / "solutions" / A1 / f"{A1}.ipynb"
RACERS = [f"s{i:02}" for i in range(1, 11)]           # the concurrency test's students
ATTACK = ("A **bold** claim <img src=x onerror=\"alert(1)\"> and [a link](javascript:alert(2))\n\n"
          "<script>alert('xss')</script>")
STUDENTS = ["alice", "bob", "carol", "mallory"] + RACERS


def _result(student: str, round_: int = 0):
    """An autograded result: every test cell scored, a different score each round."""
    result = empty_result(nbformat.read(SOURCE, as_version=4), student, A1)
    for k, cell in enumerate(result.cells.values()):
        cell.score = cell.points * ((k + round_ + len(student)) % 3) / 2
        cell.status = "passed" if cell.score == cell.points else "failed"
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    ensure_gradebook(root, A1)
    for student in STUDENTS:
        nb = samples.written(samples.completed(), student)
        if student == "mallory":
            next(c for c in nb.cells if nbg(c).get("grade_id") == "a1_q3").source += "\n\n" + ATTACK
        submission = root / "submitted" / student / A1 / f"{A1}.ipynb"
        submission.parent.mkdir(parents=True)
        nbformat.write(nb, submission)
        record(root, _result(student))
        autograded.write(root, SOURCE, submission, _result(student))
    return root


@contextmanager
def page(course, question):
    """`python -m autograder by-question A1 question` on a free port; yields its printed address."""
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "by-question", A1, question, "--course", str(course),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        printed = ""
        for line in proc.stdout:   # warnings may come first; the address comes before the server waits
            printed += line
            if found := re.search(r"(http://\S+)", line):
                break
        else:
            pytest.fail(f"by-question printed no address:\n{printed}")
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def origin(url: str) -> str:
    return f"http://{urlsplit(url).netloc}"


def token(url: str) -> str:
    return urlsplit(url).query.removeprefix("token=")


def http(url: str, path: str, body=None, headers: dict | None = None, data: bytes | None = None):
    """(status, parsed JSON or text) of one request to the server at `url` (its printed address)."""
    if body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(origin(url) + path, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def grader(url: str) -> dict:
    """The headers the page itself sends with a change."""
    return {"X-Grader-Token": token(url), "Origin": origin(url), "Content-Type": "application/json"}


def state(url: str) -> dict:
    status, out = http(url, "/api/state", headers={"X-Grader-Token": token(url)})
    assert status == 200, out
    return {a["student"]: a for a in out["answers"]}


def dump(course) -> str:
    """Everything in the gradebook, as SQL."""
    con = sqlite3.connect(course / "gradebook.db")
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def needs_regrade(course, student: str) -> str:
    """A collected, correct submission whose grading failed through the grader's fault: `grade --retry-failed`
    grades it again."""
    from autograder.course import CourseFolder, sha256
    from autograder.grading.batch import write_json
    submission = course / "submitted" / student / A1 / f"{A1}.ipynb"
    submission.parent.mkdir(parents=True)
    nbformat.write(samples.completed(), submission)
    failed = empty_result(nbformat.read(SOURCE, as_version=4), student, A1)
    failed.needs_regrade = "the grader's worker failed (planted)"
    record(course, failed)
    write_json(CourseFolder(course).result(A1, student), failed.to_json() | {
        "submission_sha": sha256(submission), "source_sha": sha256(SOURCE), "complete": True})
    return student


def gradebook_scores(course, *students) -> dict:
    """{(student, cell): (auto score, manual score)}, as formgrader reads them."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(s, g.name): (g.auto_score, g.manual_score) for s in students
                for nb in gb.find_submission(A1, s).notebooks for g in nb.grades}


def formgrader_sets(course, student: str, grade_id: str, score: float) -> None:
    """What formgrader's grade handler does when a grader types a score: nbgrader's own Gradebook, commit."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade(grade_id, A1, A1, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()


def test_the_page_shows_formgrader_scores_and_a_click_never_replaces_one_unseen(course):
    formgrader_sets(course, "alice", "a1_q2", 2)          # typed in formgrader before the page was opened
    before = dump(course)
    others = {k: v for k, v in gradebook_scores(course, "alice", "bob").items() if k[1] != "a1_q2"}
    with page(course, "a1_q2") as url:
        status, html = http(url, f"/?token={token(url)}")
        answers = state(url)
        assert status == 200 and "a1_q2" in html
        assert dump(course) == before, "opening the page changed the gradebook"
        assert answers["alice"]["score"] == 2 and answers["alice"]["set_elsewhere"]
        assert answers["bob"]["score"] is None and not answers["bob"]["set_elsewhere"]
        # a click on alice's answer is refused until the page says the grader chose to replace the score
        status, out = http(url, "/api/toggle", {"student": "alice", "item": 0, "on": True}, grader(url))
        assert status == 409 and "set in formgrader" in out["error"]
        assert dump(course) == before
        status, out = http(url, "/api/toggle", {"student": "alice", "item": 0, "on": True, "replace": True},
                           grader(url))
        assert (status, out) == (200, {"score": 1})
        assert state(url)["alice"] | {"answer": "", "answer_html": ""} == {
            "student": "alice", "answer": "", "answer_html": "", "items": [0], "score": 1, "set_elsewhere": False}
        # bob: graded here (item 1), then changed in formgrader: the page shows it, a re-score keeps it
        assert http(url, "/api/toggle", {"student": "bob", "item": 1, "on": True}, grader(url)) == (200, {"score": 1})
        formgrader_sets(course, "bob", "a1_q2", 1.5)
        assert state(url)["bob"]["score"] == 1.5 and state(url)["bob"]["set_elsewhere"]
        status, out = http(url, "/api/points", {"item": 0, "points": 0.5}, grader(url))
        assert (status, out) == (200, {"rescored": {"alice": 0.5}})
        status, out = http(url, "/api/points", {"item": 1, "points": 0.5}, grader(url))
        assert (status, out) == (200, {"rescored": {}})     # bob has item 1, but his score is formgrader's
        assert http(url, "/api/toggle", {"student": "bob", "item": 0, "on": True}, grader(url))[0] == 409
    scores = gradebook_scores(course, "alice", "bob")
    assert scores[("alice", "a1_q2")][1] == 0.5 and scores[("bob", "a1_q2")][1] == 1.5
    assert {k: v for k, v in scores.items() if k[1] != "a1_q2"} == others      # nothing else changed


def test_a_click_for_a_student_without_a_submission_is_refused_and_writes_nothing(course):
    with page(course, "a1_q1") as url:
        before = dump(course)
        status, out = http(url, "/api/toggle", {"student": "nobody", "item": 0, "on": True}, grader(url))
        assert status == 404 and "nobody" in out["error"]
        status, out = http(url, "/api/toggle", {"student": "carol", "item": 7, "on": True}, grader(url))
        assert status == 400 and "items 0-1" in out["error"]
        status, out = http(url, "/api/toggle", {"item": 0, "on": True}, grader(url))
        assert status == 400
        assert dump(course) == before


def test_only_the_grader_with_the_token_can_read_or_change_grades(course):
    with page(course, "a1_q1") as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", url), url
        before = dump(course)
        good = {"student": "carol", "item": 0, "on": True}
        for path in ("/", "/api/state", "/?token=wrong", "/api/state?token=" + token(url)[:-1]):
            status, out = http(url, path)
            assert status == 403 and "token" in out["error"], path
        assert http(url, "/api/state", headers={"X-Grader-Token": "wrong"})[0] == 403
        refused = [  # (headers, body) of writes another web page, or another user of the machine, could send
            ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, json.dumps(good).encode()),
            (grader(url) | {"X-Grader-Token": "wrong"}, json.dumps(good).encode()),
            (grader(url) | {"Origin": "http://evil.example"}, json.dumps(good).encode()),
            (grader(url) | {"Origin": "null"}, json.dumps(good).encode()),
            (grader(url) | {"Content-Type": "text/plain"}, json.dumps(good).encode()),
            (grader(url) | {"Content-Type": "application/x-www-form-urlencoded"}, b"student=carol&item=0&on=1"),
            ({"X-Grader-Token": token(url), "Content-Type": "application/json"}, json.dumps(good).encode()),
            ({"X-Grader-Token": token(url), "Content-Type": "application/json",
              "Referer": "http://evil.example/page"}, json.dumps(good).encode())]
        for headers, data in refused:
            status, out = http(url, "/api/toggle", headers=headers, data=data)
            assert status in (403, 415) and out["error"], headers
        assert dump(course) == before, "a refused request changed the gradebook"
        # the page's own requests: the token, its own origin (or referer), JSON
        assert http(url, "/api/toggle", good, grader(url)) == (200, {"score": 1})
        referer = {"X-Grader-Token": token(url), "Content-Type": "application/json", "Referer": url}
        assert http(url, "/api/toggle", good | {"item": 1}, referer) == (200, {"score": 2})
        # reached through an SSH tunnel or a proxy: the page's origin is the address the browser used
        tunnel = grader(url) | {"Host": "localhost:18765", "Origin": "http://localhost:18765"}
        assert http(url, "/api/toggle", good | {"on": False}, tunnel) == (200, {"score": 1})


def test_the_question_is_markdown_and_an_answer_cannot_run_script(course):
    with page(course, "a1_q3") as url:
        req = urllib.request.Request(url)
        with urllib.request.urlopen(req) as r:
            html, csp = r.read().decode(), r.headers["Content-Security-Policy"]
        assert "<strong>Q3.</strong>" in html and "<code>doc_stride = 0</code>" in html
        nonce = re.search(r"script-src 'nonce-([\w-]+)'", csp).group(1)
        assert re.findall(r"<script[^>]*>", html) == [f'<script nonce="{nonce}">']
        shown = state(url)["mallory"]
        assert ATTACK in shown["answer"]
        assert "&lt;script&gt;" in shown["answer_html"] and "<strong>bold</strong>" in shown["answer_html"]
        for bad in ("<script", "<img", "javascript:"):
            assert bad not in shown["answer_html"], bad


def test_many_graders_at_once_lose_no_score(course):
    """Two by-question pages clicking items of the same answers at the same moments, formgrader typing
    scores of other questions, the batch recording autograded results again, and `grade --retry-failed`
    grading a submission in its own process, all at once."""
    from nbgrader.api import Gradebook
    rounds, errors = 3, []
    formgrader_intended = {(s, q): (i + r) % 3 * 0.5 for r in range(rounds) for i, s in enumerate(RACERS)
                           for q in ("a1_report", "a1_q3")}          # the last round's values win

    def guarded(work):
        def run():
            try:
                work()
            except BaseException as err:   # noqa: BLE001  (reported below)
                errors.append(f"{work.__name__}: {err!r}")
        return threading.Thread(target=run)

    with page(course, "a1_q1") as url_a, page(course, "a1_q1") as url_b:
        both = threading.Barrier(2, timeout=120)

        def clicks(url, item):
            def work():
                for student in RACERS:
                    for on in (True, False, True):   # ends with the item given
                        both.wait()                  # the other page clicks the same answer now
                        status, out = http(url, "/api/toggle", {"student": student, "item": item, "on": on},
                                           grader(url))
                        assert status == 200, out
            work.__name__ = f"page {item}"
            return work

        def formgrader():   # one session, as formgrader keeps, with the course config's busy timeout
            with Gradebook(f"sqlite:///{course / 'gradebook.db'}?timeout=30") as gb:
                for r in range(rounds):
                    for i, s in enumerate(RACERS):
                        for q in ("a1_report", "a1_q3"):
                            grade = gb.find_grade(q, A1, A1, s)
                            grade.manual_score = (i + r) % 3 * 0.5
                            grade.needs_manual_grade = False
                            gb.db.commit()

        def batch():
            for r in range(1, rounds + 1):
                for s in RACERS:
                    record(course, _result(s, r))

        threads = [guarded(w) for w in (clicks(url_a, 0), clicks(url_b, 1), formgrader, batch)]
        retry = needs_regrade(course, "retry")   # and `grade --retry-failed` grading one submission meanwhile
        grading = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A1, "--course", str(course),
                                    "--retry-failed", "--workers", "1", "--cell-timeout", "60"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        out, _ = grading.communicate(timeout=600)
        assert not errors, errors
        assert grading.returncode == 0 and re.search(r"retry\s+8 / 8", out), out
        answers = state(url_a)
    scores = gradebook_scores(course, *RACERS, retry)
    assert sum(auto for (s, _), (auto, _) in scores.items() if s == retry and auto is not None) == 8
    for s in RACERS:
        assert answers[s]["items"] == [0, 1] and answers[s]["score"] == 2, (s, answers[s])
        assert scores[(s, "a1_q1")] == (None, 2), s
        assert scores[(s, "a1_q2")] == (None, None), s       # nobody graded it: still not graded
        for q in ("a1_report", "a1_q3"):
            assert scores[(s, q)][1] == formgrader_intended[(s, q)], (s, q)
        for gid, cell in _result(s, rounds).cells.items():
            assert scores[(s, gid)][0] == cell.score, (s, gid)


def test_a_wrong_course_is_one_message_and_creates_nothing(tmp_path, capsys):
    from autograder.__main__ import main
    with pytest.raises(SystemExit) as stop:
        main(["by-question", A1, "a1_q1", "--course", str(tmp_path / "no-such-course")])
    assert "no such course folder" in str(stop.value) and not (tmp_path / "no-such-course").exists()
