"""Grading by question: one written question across all students on one page, as Gradescope and
PrairieLearn graders work, on the same gradebook as formgrader.

The answers come from the autograded notebooks, in a stable shuffled order (a hash of assignment,
question and student, so graders do not meet them in roster order and two graders see the same order).
The question's rubric items are buttons on every answer; an answer's score is the sum of the points of
the items it has, clipped to the question's points. Changing an item's points re-scores every answer
that has it. The marks and the item points live in the gradebook (tables `course_rubric_marks` and
`course_rubric_points`); each score is written as the cell's manual score, so formgrader, `feedback`
and `export` show it.

One gradebook, many graders. The score shown is always the gradebook's manual score of the cell, so a
score typed in formgrader shows here as it is; loading the page writes nothing. A click writes one
item of one answer, and that answer's score, in one transaction (two pages clicking items of the same
answer both keep their item). When an answer's score was set outside this page (formgrader, or a
score that differs from what its rubric items give), the page shows it with "set in formgrader", and
a click on an item asks first: the click replaces that score with the rubric's (starting from the
items this page has recorded, none if it has none). The server refuses such a click unless the page
sends `replace` (409), so a score set in formgrader a moment ago is never overwritten unseen. For the
same reason, changing an item's points re-scores only the answers whose score is still their rubric's.
A click for a student with no submission of the assignment is refused (404) and writes nothing.

The page is the grader's alone: the server listens on 127.0.0.1 (unless `--host`), and its address
carries a secret token (`/?token=...`, as Jupyter's) that every request must bring (the page sends it
on as the `X-Grader-Token` header). A write must also come from the page itself (its Origin, or else
its Referer, is the server's own address) and be `application/json`, which a form or a simple
cross-origin request of another web site cannot send. The question and the model answer are the
instructor's markdown, rendered; the students' answers are rendered as markdown with every HTML tag
escaped and harmful links removed, and the page runs no script but its own (Content-Security-Policy).

    python -m autograder by-question a1_qa_finetuning a1_q1 --course course   # then open the printed address
"""
from __future__ import annotations

import hashlib
import hmac
import html
import json
import math
import secrets
import socket
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
from sqlalchemy.exc import OperationalError

from ..cells import grade_id
from ..course import CourseFolder, source_path
from .gradebook import find_grade, in_snapshot, in_transaction, manual_scores, put_manual, put_rubric_marks, \
    put_rubric_points, require_graded, rubric_marks, rubric_points, students
from .rubric import rubrics

SET_ELSEWHERE = "set in formgrader"
TOKEN_HEADER = "X-Grader-Token"


class Conflict(Exception):
    """A click that would replace a score set outside this page, sent without `replace`."""


def markdown(text: str) -> str:
    """Markdown as HTML with every HTML tag of the text escaped and harmful links (javascript:) removed."""
    import mistune   # nbconvert's markdown renderer (nbgrader brings it)
    return mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])(text)


class QuestionGrader:
    def __init__(self, course: Path, assignment: str, question: str, grader: str = "instructor"):
        self.course, self.assignment, self.question, self.grader = Path(course), assignment, question, grader
        all_rubrics = rubrics(source_path(assignment))
        if question not in all_rubrics:
            raise SystemExit(f"{question} is not a written question of {assignment}: "
                             f"choose one of {', '.join(all_rubrics)}")
        self.rubric = all_rubrics[question]
        self._answers: dict[str, tuple[float, str, str]] = {}   # student -> (notebook's mtime, answer, its HTML)

    def _order(self, students) -> list[str]:
        key = lambda s: hashlib.sha256(f"{self.assignment}/{self.question}/{s}".encode()).hexdigest()  # noqa: E731
        return sorted(students, key=key)

    def students(self) -> list[str]:
        """Students with a graded submission, in the page's stable shuffled order."""
        return self._order(students(self.course, self.assignment))

    def _answer(self, student: str) -> tuple[str, str]:
        """The student's answer and its HTML (read again only when the autograded notebook changes)."""
        path = CourseFolder(self.course).autograded(student, self.assignment)
        mtime = path.stat().st_mtime if path.exists() else -1.0
        if self._answers.get(student, (None,))[0] != mtime:
            if mtime < 0:
                text = "(no autograded notebook: grade the submission first)"
            else:
                try:
                    cell = next((c for c in nbformat.read(path, as_version=4).cells
                                 if grade_id(c) == self.question), None)
                except Exception as err:  # noqa: BLE001  (one unreadable notebook must not blank the page)
                    cell = nbformat.v4.new_markdown_cell(f"(the autograded notebook {path} cannot be read: "
                                                         f"{type(err).__name__}: {err}; grade this student again)")
                # the answer without the question
                text = (cell.source.replace(self.rubric.question, "", 1).strip() if cell else "") or "(no answer)"
            self._answers[student] = (mtime, text, markdown(text))
        return self._answers[student][1:]

    # -- the gradebook, inside a transaction the caller holds
    def _points(self, gb) -> list[float]:
        saved = rubric_points(gb, self.assignment, self.question)
        return [saved.get(i, item.points) for i, item in enumerate(self.rubric.items)]

    def _marks(self, gb) -> dict[str, list[int]]:
        return rubric_marks(gb, self.assignment, self.question)

    def _manual_scores(self, gb) -> dict[str, float | None]:
        return manual_scores(gb, self.assignment, self.question)

    def score(self, items: list[int], points: list[float]) -> float:
        return round(min(self.rubric.points, max(0.0, sum(points[i] for i in items))), 2)

    def set_elsewhere(self, manual: float | None, items: list[int] | None, points: list[float]) -> bool:
        """True when the gradebook has a score for the answer that its rubric items here do not give."""
        return manual is not None and (items is None or abs(self.score(items, points) - manual) > 1e-9)

    def _item(self, item: int) -> int:
        if not 0 <= item < len(self.rubric.items):
            raise ValueError(f"item {item}: the rubric of {self.question} has items 0-{len(self.rubric.items) - 1}")
        return item

    # -- what the page calls
    def toggle(self, student: str, item: int, on: bool, replace: bool = False) -> float:
        """Give (or take away) one rubric item of one answer; returns its new score (also in the gradebook).

        Refused (Conflict) when the answer's score was set outside this page, unless `replace`."""
        self._item(item)

        def work(gb) -> float:
            grade = find_grade(gb, self.assignment, self.question, student)
            points, marked = self._points(gb), self._marks(gb).get(student)
            if self.set_elsewhere(grade.manual_score, marked, points) and not replace:
                raise Conflict(f"{student}'s {self.question} has {grade.manual_score:g} points {SET_ELSEWHERE}: "
                               f"reload the page to see it; a click then asks before replacing it with the rubric's")
            items = set(marked or []) | {item} if on else set(marked or []) - {item}
            put_rubric_marks(gb, self.assignment, self.question, student, sorted(items), self.grader)
            score = self.score(sorted(items), points)
            put_manual(gb, self.assignment, student, self.question, score)
            return score
        return in_transaction(self.course, work)

    def set_points(self, item: int, points: float) -> dict[str, float]:
        """Change one item's points; every answer that has the item and whose score is still its rubric's is
        re-scored (a score set in formgrader stays). Returns the new scores."""
        self._item(item)
        if not math.isfinite(points):
            raise ValueError(f"points of item {item}: {points} is not a number")

        def work(gb) -> dict[str, float]:
            old = self._points(gb)
            put_rubric_points(gb, self.assignment, self.question, item, points)
            new, manual, rescored = self._points(gb), self._manual_scores(gb), {}
            for student, items in self._marks(gb).items():
                if item in items and student in manual and not self.set_elsewhere(manual[student], items, old):
                    rescored[student] = self.score(items, new)
                    put_manual(gb, self.assignment, student, self.question, rescored[student])
            return rescored
        return in_transaction(self.course, work)

    def state(self) -> dict:
        """Everything the page shows, read in one transaction; writes nothing."""
        # one snapshot: marks and scores of the same moment
        points, marks, manual = in_snapshot(self.course, lambda gb: (self._points(gb), self._marks(gb),
                                                                     self._manual_scores(gb)))
        answers = []
        for s in self._order(manual):
            text, text_html = self._answer(s)
            answers.append({"student": s, "answer": text, "answer_html": text_html, "items": marks.get(s, []),
                            "score": manual[s], "set_elsewhere": self.set_elsewhere(manual[s], marks.get(s), points)})
        return {"question": self.question, "assignment": self.assignment, "max": self.rubric.points,
                "items": [{"text": it.text, "points": p} for it, p in zip(self.rubric.items, points)],
                "set_elsewhere": SET_ELSEWHERE, "answers": answers}


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:60em;color:#222}}
.answer{{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:1em 0}}
.text{{overflow-wrap:anywhere}}.text pre{{white-space:pre-wrap}}
button.item{{margin:.2em;border:1px solid #4a7bb7;background:#fff;border-radius:4px;padding:.3em .6em;cursor:pointer}}
button.item.on{{background:#4a7bb7;color:#fff}}.score{{font-weight:bold}}.note{{color:#a35a00;margin-left:.5em}}
#rubric input{{width:4em}}.model{{background:#f6f6f6;padding:.5em}}</style></head><body>
<h1>{title}</h1><div class="question">{question}</div>
<details><summary>Model answer</summary><div class="model">{model}</div></details>
<h2>Rubric (points per item; change one to re-score every answer that has it)</h2><ol id="rubric"></ol>
<h2>Answers (<span id="n"></span>, stable shuffled order)</h2><div id="answers"></div>
<script nonce="{nonce}">
const TOKEN = new URLSearchParams(location.search).get("token") || "";
async function call(path, body) {{
  const opts = {{headers: {{"{header}": TOKEN}}}};
  if (body) {{
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }}
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({{error: r.status + " " + r.statusText}}));
  if (!r.ok) {{ alert(data.error); }}
  return data;
}}
function el(tag, attrs, ...children) {{
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {{}})) {{
    if (k === "html") e.innerHTML = v; else e.setAttribute(k, v);
  }}
  e.append(...children);
  return e;
}}
async function toggle(s, a, i) {{
  if (a.set_elsewhere && !confirm(`${{a.student}}: ${{a.score}} / ${{s.max}} was ${{s.set_elsewhere}}. ` +
                                  "Replace it with the score of this page's rubric items?")) return;
  await call("api/toggle", {{student: a.student, item: i, on: !a.items.includes(i), replace: a.set_elsewhere}});
  render();
}}
async function render() {{
  const s = await call("api/state");
  document.getElementById("n").textContent = s.answers.length;
  document.getElementById("rubric").replaceChildren(...s.items.map((it, i) => {{
    const input = el("input", {{type: "number", step: "0.5", id: `points-${{i}}`, value: it.points}});
    input.addEventListener("change", async () => {{
      const points = parseFloat(input.value);
      if (!Number.isFinite(points)) return;   // cleared, or still being typed
      await call("api/points", {{item: i, points: points}});
      render();
    }});
    return el("li", {{}}, input, " " + it.text);
  }}));
  document.getElementById("answers").replaceChildren(...s.answers.map((a, k) => {{
    const score = a.score === null ? "not graded" : `${{a.score}} / ${{s.max}}`;
    const head = el("div", {{}}, el("b", {{}}, `#${{k + 1}} `), el("small", {{}}, a.student), " ",
                    el("span", {{class: "score", id: `score-${{a.student}}`}}, score));
    if (a.set_elsewhere) {{
      head.append(el("span", {{class: "note", id: `note-${{a.student}}`}},
                     `${{s.set_elsewhere}}: a click on an item replaces it with the rubric's score (it asks first)`));
    }}
    const buttons = s.items.map((it, i) => {{
      const b = el("button", {{class: "item" + (a.items.includes(i) ? " on" : ""), id: `item-${{a.student}}-${{i}}`}},
                   `${{it.points}}: ${{it.text.slice(0, 60)}}`);
      b.addEventListener("click", () => toggle(s, a, i));
      return b;
    }});
    return el("div", {{class: "answer", id: `answer-${{a.student}}`}}, head,
              el("div", {{class: "text", html: a.answer_html}}), ...buttons);
  }}));
}}
render();
</script></body></html>"""


def page(grader: QuestionGrader, nonce: str) -> str:
    r = grader.rubric
    return PAGE.format(title=html.escape(f"{grader.assignment}: {r.grade_id} ({r.points:g} points)"),
                       question=markdown(r.question), model=markdown(r.model_answer), nonce=nonce,
                       header=TOKEN_HEADER)


def _csp(nonce: str) -> str:
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
            f"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _origins(host: str, port: int) -> set[str]:
    """The addresses the page itself is served from: its own origin is the only one allowed to write."""
    names = {host, "127.0.0.1", "localhost", "[::1]"}
    if host in ("", "0.0.0.0", "::"):   # every interface: the machine's own names too
        names |= {socket.gethostname(), socket.getfqdn()}
    return {f"http://{n}:{port}" for n in names if n not in ("", "0.0.0.0", "::")}


class _Handler(BaseHTTPRequestHandler):
    """The page and its API; the server carries `grader`, `token` and `host`."""

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, body: str, kind: str = "application/json", nonce: str = ""):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")   # the token never leaves in a Referer
        self.send_header("Content-Security-Policy", _csp(nonce or secrets.token_urlsafe(8)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, message: str):
        self._send(code, json.dumps({"error": message}))

    def _refusal(self, write: bool) -> tuple[int, str] | None:
        """Why this request is refused (status, message), or None."""
        given = self.headers.get(TOKEN_HEADER) or parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            return 403, ("this page needs its token: open the address that `by-question` printed "
                         "(it ends in /?token=...)")
        if not write:
            return None
        # its own origin: a name of this server, or the Host this request came to (an SSH tunnel, a proxy, an
        # address of the machine); a page elsewhere sends its own Origin, and without the token it has nothing
        origins = _origins(self.server.host, self.server.server_address[1]) | {f"http://{self.headers.get('Host')}"}
        origin = self.headers.get("Origin")
        referer = self.headers.get("Referer", "")
        if origin is not None and origin not in origins or \
                origin is None and not any(referer.startswith(o + "/") for o in origins):
            return 403, "a change must come from the by-question page itself (wrong Origin or Referer)"
        if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            return 415, "a change must be sent as application/json"
        return None

    def do_GET(self):
        refusal = self._refusal(write=False)
        if refusal:
            return self._error(*refusal)
        path, grader = urlsplit(self.path).path, self.server.grader
        if path in ("/", "/index.html"):
            nonce = secrets.token_urlsafe(16)
            return self._send(200, page(grader, nonce), "text/html", nonce)
        if path == "/api/state":
            return self._send(200, json.dumps(grader.state()))
        self._error(404, "not found")

    def do_POST(self):
        refusal = self._refusal(write=True)
        if refusal:
            return self._error(*refusal)
        try:
            out = self._change(urlsplit(self.path).path)
        except KeyError as err:
            return self._error(400, f"bad request: no {err} in it")
        except LookupError as err:
            return self._error(404, str(err))
        except Conflict as err:
            return self._error(409, str(err))
        except (TypeError, ValueError) as err:
            return self._error(400, f"bad request: {err}")
        except (sqlite3.OperationalError, OperationalError) as err:
            return self._error(503, f"the gradebook is busy ({err}): nothing was saved; click again")
        self._send(200, json.dumps(out))

    def _change(self, path: str) -> dict:
        grader = self.server.grader
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if path == "/api/toggle":
            return {"score": grader.toggle(str(body["student"]), int(body["item"]), bool(body["on"]),
                                           bool(body.get("replace")))}
        if path == "/api/points":
            return {"rescored": grader.set_points(int(body["item"]), float(body["points"]))}
        raise LookupError("not found")


def make_server(grader: QuestionGrader, port: int = 0, host: str = "127.0.0.1"):
    """An HTTP server for the page (port 0: any free port). Its `token` must come with every request;
    `url` is the address to open."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.grader, server.token, server.host = grader, secrets.token_urlsafe(32), host
    shown = socket.gethostname() if host in ("", "0.0.0.0", "::") else host
    server.url = f"http://{shown}:{server.server_address[1]}/?token={server.token}"
    return server


def serve(course: Path, assignment: str, question: str, port: int, grader_name: str, host: str = "127.0.0.1") -> int:
    require_graded(course, assignment)   # a wrong --course: one message, and no empty gradebook made there
    grader = QuestionGrader(course, assignment, question, grader_name)
    try:
        server = make_server(grader, port, host)
    except OSError as err:
        raise SystemExit(f"by-question cannot listen on {host}:{port} ({err.strerror}): choose another --port "
                         f"(0: any free one), or stop what uses it.") from None
    print(f"grading {question} of {assignment} for {len(grader.students())} students: "
          f"{server.url}  (Ctrl-C to stop; every click is saved)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
