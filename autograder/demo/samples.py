"""Sample submissions of a1 for the demo and the tests: good, partial, untouched and broken ones.

Each is built from the current source and release, so they stay in step with
the assignment. `EXPECTED` gives the autograded score each must get and why.
"""
from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import nbformat

from ..cells import REPO, SOLUTION_BEGIN, SOLUTION_END, TEXT_STUB, grade_id, nbg, release_notebook, source_notebook

A1 = "a1_qa_finetuning"
SOL = re.compile(r"\s*" + re.escape(SOLUTION_BEGIN) + r"\n(.*?)\s*" + re.escape(SOLUTION_END), re.S)


def _source(assignment: str = A1):
    return nbformat.read(source_notebook(assignment), as_version=4)


def _release(assignment: str = A1):
    return nbformat.read(release_notebook(assignment), as_version=4)


def _answer(cell_source: str) -> str:
    """A solution cell as a student would hand it in: the code without the nbgrader markers."""
    return SOL.sub(lambda m: "\n" + m.group(1), cell_source)


def completed(skip=(), edit: dict | None = None, assignment: str = A1):
    """The release with the solution's answers filled in, except the cells in `skip`."""
    src = {grade_id(c): c for c in _source(assignment).cells}
    nb = _release(assignment)
    for c in nb.cells:
        gid = grade_id(c)
        if nbg(c).get("solution") and gid not in skip and c.cell_type == "code":
            c.source = _answer(src[gid].source)
        if edit and gid in edit:
            c.source = edit[gid](c.source)
    return nb


def written(nb, student: str):
    """Written answers as students give them: the model answer, half of it, or a guess (by the student's name)."""
    from ..review.rubric import rubrics
    model = {gid: r.model_answer for gid, r in rubrics(source_notebook(A1)).items()}
    for c in nb.cells:
        gid = grade_id(c)
        if gid in model and student != "untouched":
            kind = (len(student) + len(gid)) % 3
            sentences = model[gid].replace("\n", " ").split(". ")
            text = {0: model[gid], 1: ". ".join(sentences[:max(1, len(sentences) // 2)]) + ".",
                    2: "I think it depends on the data and the model."}[kind]
            c.source = c.source.replace(TEXT_STUB, "").rstrip() + "\n\n" + text
    return nb


def _cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


def _insert_after(nb, gid, code):
    i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code))
    return nb


def _tampered_tests():
    """Test cells deleted, edited, duplicated and reordered, and outputs faked; postprocess left undone."""
    nb = completed(skip={"postprocess_predictions"})
    t_pre, t_post = _cell(nb, "test_prepare_train_features"), _cell(nb, "test_postprocess_predictions")
    nb.cells.remove(t_post)
    t_pre.source = "pass  # tests removed"
    for where in (2, len(nb.cells)):
        dup = copy.deepcopy(_cell(nb, "test_squad_metric"))
        dup["id"] = f"dup{where}"
        nb.cells.insert(where, dup)
    metric = _cell(nb, "squad_metric")  # cells reordered: the metric's solution moved to the top
    nb.cells.remove(metric)
    nb.cells.insert(0, metric)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="visible check passed\n")]
            c.execution_count = 1
    return nb


def _saved_by_colab():
    """Saved by Colab / VS Code: new cell ids, their metadata, one cell's nbgrader metadata dropped."""
    nb = completed()
    nb.metadata["colab"] = {"provenance": [], "name": f"{A1}.ipynb"}
    nb.metadata["accelerator"] = "GPU"
    for i, c in enumerate(nb.cells):
        c["id"] = f"colab{i:04x}x"
        c.metadata["id"] = c["id"]
        c.metadata["vscode"] = {"languageId": "python"}
    del _cell(nb, "squad_metric").metadata["nbgrader"]
    return nb


CANVAS_FILE = {"colab": f"Copy of {A1}.ipynb", "partial": f"{A1}-1.ipynb"}   # Colab's and a resubmission's names
LATE = {"partial", "infiniteloop"}


def canvas_ids(student: str) -> tuple[int, int]:
    """The sample's Canvas user id and attachment id (stable: from its position in EXPECTED)."""
    i = sorted(EXPECTED).index(student) if student in EXPECTED else len(EXPECTED) + 1
    return 4000 + i, 90000 + i


def build(folder: Path, course: Path) -> dict[str, Path]:
    """Write every sample into folder under the name Canvas's submission download gives it
    (`{name}[_LATE]_{user_id}_{attachment_id}_{file}`), and Canvas's roster beside them (roster.csv).

    `course` is the course folder they will be graded in: the file-writing sample aims at it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = {}

    def put(student, nb=None, text=None):
        user, attachment = canvas_ids(student)
        late = "_LATE" if student in LATE else ""
        path = folder / f"{student}{late}_{user}_{attachment}_{CANVAS_FILE.get(student, A1 + '.ipynb')}"
        path.write_text(text if text is not None else nbformat.writes(written(nb, student)))
        out[student] = path

    put("complete", completed())
    put("partial", completed(skip={"postprocess_predictions"}))
    first = folder / f"partial_{canvas_ids('partial')[0]}_{canvas_ids('partial')[1] - 50000}_{A1}.ipynb"
    first.write_text(nbformat.writes(_release()))   # the first upload, replaced by the resubmission
    out["partial (first upload)"] = first
    put("untouched", _release())
    put("brokenjson", text='{"cells": [ this is not json')
    put("emptyfile", text="")
    empty = nbformat.v4.new_notebook()
    put("nocells", empty)
    put("otherassignment", nbformat.read(REPO / "tests" / "fixtures" / "ps0" / "ps0.ipynb", as_version=4))
    roster(folder / "roster.csv", [s for s in out if s in EXPECTED] + [s for s in EXPECTED if s not in out])
    put("infiniteloop", completed(edit={"postprocess_predictions": lambda s: s.replace(
        '    by_example = collections.defaultdict(list)', '    while True:\n        pass')}))
    put("sysexit", completed(edit={"squad_metric": lambda s: "import sys\nsys.exit(1)\n" + s}))
    put("osexit", completed(edit={"postprocess_predictions": lambda s: "import os\nos._exit(1)\n" + s}))
    put("memorybomb", completed(edit={"postprocess_predictions": lambda s: s.replace(
        '    by_example = collections.defaultdict(list)',
        '    hog = [bytearray(10**8) for _ in range(1000)]\n    by_example = collections.defaultdict(list)')}))
    put("tamperedtests", _tampered_tests())
    put("colab", _saved_by_colab())
    # code that writes where it must not, and code that replaces what the tests call
    put("writesfiles", _insert_after(completed(), "squad_metric",
                                     WRITE_ATTACK.replace("COURSE", str(Path(course).resolve())).replace("REPO", str(REPO))))
    put("replacestests", _insert_after(completed(skip={"squad_metric"}), "squad_metric", REPLACE_ATTACK))
    put("readsanswers", reads_answers(A1, course))
    put("setsnotcounts", completed(edit={"squad_metric": lambda s: s.replace(
        "common = sum((collections.Counter(p) & collections.Counter(g)).values())", "common = len(set(p) & set(g))")}))
    put("swapsfunction", _insert_after(completed(), "postprocess_predictions",
                                       "prepare_train_features = lambda *a, **k: {}  # swapped after definition\n"
                                       "postprocess_predictions = None"))
    return out


WRITE_ATTACK = r'''
import glob, os
hits = []
targets = ["COURSE/gradebook.db", "COURSE/nbgrader_config.py", "REPO/README.md"]
targets += glob.glob("COURSE/submitted/*/*/*.ipynb") + glob.glob("COURSE/grades/*/*.json")
for p in targets:
    try:
        open(p, "a").write("INJECTED-BY-STUDENT")
        hits.append(p)
    except OSError:
        pass
try:
    open("COURSE/grades/injected.json", "w").write("{}")
    hits.append("new file")
except OSError:
    pass
print("wrote to", len(hits), "files")
'''

REPLACE_ATTACK = r'''
# A stub metric, and everything the tests could call made to agree with it.
import builtins, math, numpy, torch
normalize_answer = lambda s: s
exact_match = lambda p, g: 1.0
f1 = lambda p, g: 1.0
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 1.0
math.isclose = lambda *a, **k: True
numpy.allclose = torch.allclose = lambda *a, **k: True
get_ipython().input_transformers_post.append(lambda lines: ["pass\n"])
'''

READ_ATTACK = r'''
# Every route to the instructor's answers: solutions/, git's objects, other processes' view of the
# file system (/proc/<pid>/root, /cwd, command lines), the course folder, temporary and home folders.
import glob, json, os, subprocess

def _answer(gid, repo="REPO", course="COURSE", name="ASSIGNMENT"):
    rel = f"solutions/{name}/{name}.ipynb"
    texts, paths = [], [f"{repo}/{rel}"]
    paths += glob.glob(f"/proc/[0-9]*/root{repo}/{rel}") + glob.glob(f"/proc/[0-9]*/cwd/{rel}")
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            paths += [a for a in open(cmdline, "rb").read().decode(errors="replace").split("\0") if a.endswith(".ipynb")]
        except OSError:
            pass
    for pattern in [f"{course}/**/*.ipynb", "/tmp/**/*.ipynb", os.path.expanduser("~") + "/*/solutions/*/*.ipynb",
                    os.path.dirname(repo) + "/*/solutions/*/*.ipynb"]:
        paths += glob.glob(pattern, recursive=True)
    for path in paths:
        try:
            texts.append(open(path, encoding="utf-8").read())
        except (OSError, ValueError):
            pass
    try:
        texts.append(subprocess.run(["git", "-C", repo, "show", f"HEAD:{rel}"], capture_output=True, text=True,
                                    timeout=10).stdout)
    except Exception:
        pass
    for text in texts:
        try:
            cells = json.loads(text)["cells"]
        except Exception:
            continue
        for c in cells:
            code = "".join(c.get("source", ""))
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid and "BEGIN SOLUTION" in code:
                return code
    raise NotImplementedError("no answers found")

exec(_answer("GRADE_ID"))
'''


def reads_answers(assignment: str, course: Path):
    """The untouched release whose every solution cell loads the instructor's answer and runs it."""
    nb = _release(assignment)
    for c in nb.cells:
        if nbg(c).get("solution") and c.cell_type == "code":
            c.source = (READ_ATTACK.replace("REPO", str(REPO)).replace("COURSE", str(Path(course).resolve()))
                        .replace("ASSIGNMENT", assignment).replace("GRADE_ID", grade_id(c)))
    return nb


# Autograded points each sample must get (a1: 3 + 3 + 2 = 8), and why.
EXPECTED = {
    "complete": (8, "every function right"),
    "partial": (5, "postprocess_predictions left undone"),
    "untouched": (0, "the release as handed out"),
    "brokenjson": (0, "not valid JSON"),
    "emptyfile": (0, "an empty file"),
    "nocells": (0, "a notebook without cells"),
    "infiniteloop": (5, "postprocess_predictions never returns: its test times out"),
    "sysexit": (6, "sys.exit() before the metric's definitions: the kernel lives, the metric is undefined"),
    "osexit": (3, "os._exit() kills the kernel after the first test"),
    "memorybomb": (5, "postprocess_predictions allocates past the memory cap"),
    "tamperedtests": (5, "tests deleted, edited, duplicated, cells reordered, outputs faked; postprocess undone"),
    "colab": (8, "Colab and VS Code metadata, new cell ids, one cell without nbgrader metadata"),
    "writesfiles": (8, "writes to the gradebook and other folders are blocked; the work itself is right"),
    "replacestests": (6, "a stub metric plus replaced builtins, comparisons and IPython hooks"),
    "readsanswers": (0, "every solution cell loads the instructor's answer from wherever it can be read"),
    "setsnotcounts": (7.33, "F1 over token sets, not multisets: partial credit, 2 of the metric's 3 checks pass"),
    "swapsfunction": (8, "functions swapped after their cells: the tests use the cells' own definitions"),
}


def roster(path: Path, students: list[str]) -> Path:
    """Canvas's gradebook export for the samples: Student, ID, SIS User ID, SIS Login ID, Section, the assignment."""
    import csv
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{A1} (731)"])
        w.writerow(["    Points Possible", "", "", "", "", "18"])
        for s in students:
            w.writerow([f"Sample, {s.capitalize()}", canvas_ids(s)[0], f"S{canvas_ids(s)[0]}", s, "NLP 101", ""])
    return path


def lms_zip(folder: Path, dest: Path) -> Path:
    """The samples zipped as Canvas's submission download, with one file that is no submission."""
    with zipfile.ZipFile(dest, "w") as z:
        for p in sorted(folder.glob("*.ipynb")):
            z.write(p, p.name)
        z.writestr("README from the LMS.txt", "export notes")
    return dest
