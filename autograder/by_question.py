"""Grading by question: one written question across all students on one page, as Gradescope and
PrairieLearn graders work, writing to the same gradebook as formgrader.

The answers come from the autograded notebooks, in a stable shuffled order (a hash of assignment,
question and student, so graders do not meet them in roster order and two graders see the same order).
The question's rubric items are buttons on every answer; an answer's score is the sum of the points of
the items it has, clipped to the question's points. Changing an item's points re-scores every answer
that has it. The marks and the item points live in the gradebook (tables `course_rubric_marks` and
`course_rubric_points`); each score is written as the cell's manual score, so formgrader, `feedback`
and `export` show it.

    python -m autograder by-question a1_qa_finetuning a1_q1 --course course   # then open the printed address
"""
from __future__ import annotations

import hashlib
import html
import json
import sqlite3
from pathlib import Path

import nbformat

from .assembly import nbg
from .autograded import autograded_path
from .course import source_path
from .gradebook import open_gradebook, set_manual
from .rubric import rubrics


class QuestionGrader:
    def __init__(self, course: Path, assignment: str, question: str, grader: str = "instructor"):
        self.course, self.assignment, self.question, self.grader = Path(course), assignment, question, grader
        all_rubrics = rubrics(source_path(assignment))
        if question not in all_rubrics:
            raise SystemExit(f"{question} is not a written question of {assignment}: "
                             f"choose one of {', '.join(all_rubrics)}")
        self.rubric = all_rubrics[question]
        with self._db() as con:
            con.execute("CREATE TABLE IF NOT EXISTS course_rubric_marks (assignment TEXT, question TEXT, "
                        "student TEXT, items TEXT, grader TEXT, PRIMARY KEY (assignment, question, student))")
            con.execute("CREATE TABLE IF NOT EXISTS course_rubric_points (assignment TEXT, question TEXT, "
                        "item INTEGER, points REAL, PRIMARY KEY (assignment, question, item))")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.course / "gradebook.db", timeout=30)

    def students(self) -> list[str]:
        """Students with a graded submission, in the page's stable shuffled order."""
        with open_gradebook(self.course) as gb:
            ids = [s.student.id for s in gb.find_assignment(self.assignment).submissions]
        key = lambda s: hashlib.sha256(f"{self.assignment}/{self.question}/{s}".encode()).hexdigest()  # noqa: E731
        return sorted(ids, key=key)

    def answer(self, student: str) -> str:
        path = autograded_path(self.course, self.assignment, student)
        if not path.exists():
            return "(no autograded notebook: grade the submission first)"
        cell = next((c for c in nbformat.read(path, as_version=4).cells if nbg(c).get("grade_id") == self.question),
                    None)
        if cell is None:
            return "(no answer)"
        text = cell.source.replace(self.rubric.question, "", 1).strip()   # the answer without the question
        return text or "(no answer)"

    def points(self) -> list[float]:
        with self._db() as con:
            saved = dict(con.execute("SELECT item, points FROM course_rubric_points WHERE assignment=? AND question=?",
                                     (self.assignment, self.question)).fetchall())
        return [saved.get(i, item.points) for i, item in enumerate(self.rubric.items)]

    def marks(self) -> dict[str, list[int]]:
        with self._db() as con:
            rows = con.execute("SELECT student, items FROM course_rubric_marks WHERE assignment=? AND question=?",
                               (self.assignment, self.question)).fetchall()
        return {s: json.loads(items) for s, items in rows}

    def score(self, items: list[int], points: list[float]) -> float:
        return round(min(self.rubric.points, max(0.0, sum(points[i] for i in items))), 2)

    def toggle(self, student: str, item: int, on: bool) -> float:
        """Give (or take away) one rubric item of one answer; returns its new score (also in the gradebook)."""
        if not 0 <= item < len(self.rubric.items):
            raise ValueError(f"item {item}: the rubric of {self.question} has items 0-{len(self.rubric.items) - 1}")
        items = set(self.marks().get(student, []))
        items = items | {item} if on else items - {item}
        with self._db() as con:
            con.execute("INSERT OR REPLACE INTO course_rubric_marks VALUES (?, ?, ?, ?, ?)",
                        (self.assignment, self.question, student, json.dumps(sorted(items)), self.grader))
        score = self.score(sorted(items), self.points())
        set_manual(self.course, self.assignment, student, self.question, score)
        return score

    def set_points(self, item: int, points: float) -> dict[str, float]:
        """Change one item's points; every answer that has the item is re-scored. Returns the new scores."""
        if not 0 <= item < len(self.rubric.items):
            raise ValueError(f"item {item}: the rubric of {self.question} has items 0-{len(self.rubric.items) - 1}")
        with self._db() as con:
            con.execute("INSERT OR REPLACE INTO course_rubric_points VALUES (?, ?, ?, ?)",
                        (self.assignment, self.question, item, float(points)))
        pts, rescored = self.points(), {}
        for student, items in self.marks().items():
            if item in items:
                rescored[student] = self.score(items, pts)
                set_manual(self.course, self.assignment, student, self.question, rescored[student])
        return rescored

    def state(self) -> dict:
        marks, pts = self.marks(), self.points()
        return {"question": self.question, "assignment": self.assignment, "max": self.rubric.points,
                "items": [{"text": it.text, "points": p} for it, p in zip(self.rubric.items, pts)],
                "answers": [{"student": s, "answer": self.answer(s), "items": marks.get(s, []),
                             "score": self.score(marks[s], pts) if s in marks else None}
                            for s in self.students()]}


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:60em;color:#222}}
.answer{{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:1em 0}}
.answer pre{{white-space:pre-wrap;font-family:inherit}}
button.item{{margin:.2em;border:1px solid #4a7bb7;background:#fff;border-radius:4px;padding:.3em .6em;cursor:pointer}}
button.item.on{{background:#4a7bb7;color:#fff}}.score{{font-weight:bold}}
#rubric input{{width:4em}}.model{{background:#f6f6f6;padding:.5em}}</style></head><body>
<h1>{title}</h1><p>{question}</p>
<details><summary>Model answer</summary><div class="model"><pre>{model}</pre></div></details>
<h2>Rubric (points per item; change one to re-score every answer that has it)</h2><ol id="rubric"></ol>
<h2>Answers (<span id="n"></span>, stable shuffled order)</h2><div id="answers"></div>
<script>
async function call(path, body) {{
  const r = await fetch(path, body ? {{method: "POST", body: JSON.stringify(body)}} : {{}});
  if (!r.ok) {{ alert(await r.text()); }}
  return r.json();
}}
function esc(t) {{ const d = document.createElement("div"); d.textContent = t; return d.innerHTML; }}
async function render() {{
  const s = await call("api/state");
  document.getElementById("n").textContent = s.answers.length;
  document.getElementById("rubric").innerHTML = s.items.map((it, i) =>
    `<li><input type="number" step="0.5" id="points-${{i}}" value="${{it.points}}"
      onchange="call('api/points', {{item: ${{i}}, points: parseFloat(this.value)}}).then(render)"> ${{esc(it.text)}}</li>`).join("");
  document.getElementById("answers").innerHTML = s.answers.map((a, k) =>
    `<div class="answer" id="answer-${{a.student}}"><div><b>#${{k + 1}}</b> <small>${{esc(a.student)}}</small>
      <span class="score" id="score-${{a.student}}">${{a.score === null ? "not graded" : a.score + " / " + s.max}}</span></div>
      <pre>${{esc(a.answer)}}</pre>` +
    s.items.map((it, i) => `<button class="item ${{a.items.includes(i) ? "on" : ""}}" id="item-${{a.student}}-${{i}}"
      onclick="call('api/toggle', {{student: '${{a.student}}', item: ${{i}}, on: ${{!a.items.includes(i)}}}}).then(render)">
      ${{it.points}}: ${{esc(it.text.slice(0, 60))}}</button>`).join("") + `</div>`).join("");
}}
render();
</script></body></html>"""


def page(grader: QuestionGrader) -> str:
    r = grader.rubric
    return PAGE.format(title=html.escape(f"{grader.assignment}: {r.grade_id} ({r.points:g} points)"),
                       question=html.escape(r.question), model=html.escape(r.model_answer))


def make_server(grader: QuestionGrader, port: int = 0):
    """An HTTP server on localhost for the page (port 0: any free port)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, code: int, body: str, kind: str = "application/json"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path in ("/", "/index.html"):
                return self._send(200, page(grader), "text/html")
            if self.path == "/api/state":
                return self._send(200, json.dumps(grader.state()))
            self._send(404, json.dumps({"error": "not found"}))

        def do_POST(self):
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path == "/api/toggle":
                    out = {"score": grader.toggle(body["student"], int(body["item"]), bool(body["on"]))}
                elif self.path == "/api/points":
                    out = {"rescored": grader.set_points(int(body["item"]), float(body["points"]))}
                else:
                    return self._send(404, json.dumps({"error": "not found"}))
            except (KeyError, ValueError) as err:
                return self._send(400, json.dumps({"error": str(err)}))
            self._send(200, json.dumps(out))

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def serve(course: Path, assignment: str, question: str, port: int, grader_name: str) -> int:
    grader = QuestionGrader(course, assignment, question, grader_name)
    server = make_server(grader, port)
    print(f"grading {question} of {assignment} for {len(grader.students())} students: "
          f"http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C to stop; every click is saved)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
