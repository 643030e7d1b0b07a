"""Assembly: the notebook to run, rebuilt from the instructor's source with the student's solution cells put in.

Test cells, hidden tests and setup always come from the source; see engine.py for the rules."""
from __future__ import annotations

import ast
import re

from ..cells import TEXT_STUB, grade_id, nbg, split_test


def defined_names(source: str) -> list[str]:
    """Top-level names a cell defines (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def assemble(source_nb, student_nb) -> tuple[list[dict], dict[str, str], list[str]]:
    """The steps to run, the student's manual answers, and notes for the report."""
    notes: list[str] = []
    src = _SourceIndex(source_nb.cells)
    by_id = _student_cells_by_id(student_nb, notes)
    added = _added_cells(src, student_nb, by_id, notes)
    return _steps(src, by_id, added, notes), written_answers(src, student_nb, by_id, notes), notes


class _SourceIndex:
    """The source's cells, where its tests end, and how to find a cell by grade_id or by its text."""

    def __init__(self, cells):
        self.cells = cells
        tests = [i for i, c in enumerate(cells) if c.cell_type == "code" and nbg(c).get("grade")]
        self.last_test = tests[-1] if tests else len(cells) - 1
        self.ids = {grade_id(c): i for i, c in enumerate(cells) if grade_id(c)}
        self.texts = {_norm(c.source): i for i, c in enumerate(cells)}
        for i in tests:  # release versions of test cells (hidden part removed) also count as known text
            self.texts.setdefault(_norm(split_test(cells[i].source)[0]), i)


UNMATCHED = "**answer not matched: shown in full.**"


def _question_key(text: str) -> str:
    """A written question's first line, without markdown marks, case or spacing: how it is found again."""
    first = next((line for line in text.replace(TEXT_STUB, "").splitlines() if line.strip()), "")
    return " ".join(re.sub(r"[*_#`>]", " ", first).lower().split())


def written_answers(src: "_SourceIndex", student_nb, by_id: dict, notes: list[str]) -> dict[str, str]:
    """Each written question's answer. By nbgrader id; where an editor dropped the metadata, by the question's
    text kept in the cell, else by the cell's place: the cells between two recognised cells fill the unanswered
    answer slots between them when they are as many, and join the answer above them when there is no slot.
    Text that cannot be placed is never lost: it is shown in full, flagged, under every question left without
    a sure answer (or, when each has one, under the last question)."""
    written = {nbg(c)["grade_id"]: (i, _question_key(c.source)) for i, c in enumerate(src.cells)
               if c.cell_type == "markdown" and nbg(c).get("grade") and nbg(c).get("solution")}
    answers = {gid: cs[0].source for gid, cs in by_id.items() if gid in written}
    at_index = {i: gid for gid, (i, _) in written.items()}
    how, unplaced, run, anchor = {}, [], [], -1

    def close(until: float) -> None:
        slots = [at_index[i] for i in sorted(at_index) if anchor < i < (until if until > anchor else float("inf"))
                 and at_index[i] not in answers]
        if run and len(run) == len(slots):
            for gid, text in zip(slots, run):
                answers[gid], how[gid] = text, "its place between the cells around it"
        elif run and not slots and anchor in at_index:
            answers[at_index[anchor]] = "\n\n".join([answers.get(at_index[anchor], ""), *run]).strip()
        else:
            unplaced.extend(run)
        run.clear()

    for c in student_nb.cells:
        gid, text = grade_id(c), _norm(c.source)
        if gid in src.ids or text in src.texts:
            close(src.ids[gid] if gid in src.ids else src.texts[text])
            anchor = src.ids[gid] if gid in src.ids else src.texts[text]
        elif c.cell_type == "markdown" and text:
            key = " ".join(re.sub(r"[*_#`>]", " ", c.source).lower().split())
            q = next((g for g, (_, k) in written.items() if k and k in key and g not in answers), None)
            if q is None:
                run.append(c.source)
                continue
            close(written[q][0])
            answers[q], how[q], anchor = c.source, "its question", written[q][0]
    close(float("inf"))
    notes += [f"written answer '{g}' had no nbgrader metadata; matched by {h}" for g, h in how.items()]
    missing = [g for g in written if g not in answers]
    # where the loose text is shown: under each question without a sure answer, else under the last question
    unsure = missing + [g for g, h in how.items() if h != "its question"] or list(written)[-1:]
    shown = "\n\n---\n\n".join(unplaced)
    for g in unplaced and unsure:
        answers[g] = (f"{answers[g]}\n\n---\n\n" if g in answers else "") + \
            f"{UNMATCHED} The submission's written cells that match no question:\n\n---\n\n{shown}"
    if unplaced and unsure:
        notes.append(f"{len(unplaced)} written cell(s) matched no question: shown in full to the grader under "
                     f"{', '.join(unsure)}")
    return answers


def _student_cells_by_id(student_nb, notes: list[str]) -> dict[str, list]:
    by_id: dict[str, list] = {}
    for c in student_nb.cells:
        gid = grade_id(c)
        if gid:
            by_id.setdefault(gid, []).append(c)
    dupes = [g for g, cs in by_id.items() if len(cs) > 1]
    if dupes:
        notes.append(f"cells duplicated in the submission (the source's copy or the first one was used): {', '.join(sorted(dupes))}")
    return by_id


def _added_cells(src: _SourceIndex, student_nb, by_id: dict, notes: list[str]) -> dict[int, list[str]]:
    """Code cells the student added, by the source cell they follow (-1: before all); cells after the last
    test are left out. A solution cell whose metadata an editor dropped is matched by its definitions."""
    added: dict[int, list[str]] = {}
    anchor = -1
    used_by_content: set[int] = set()
    for c in student_nb.cells:
        gid = grade_id(c)
        text = _norm(c.source)
        if gid in src.ids or text in src.texts:
            anchor = src.ids[gid] if gid in src.ids else src.texts[text]
            continue
        if c.cell_type != "code" or not text:
            continue
        match = _solution_by_definitions(src, c, by_id, used_by_content)
        if match is not None:
            used_by_content.add(match)
            by_id.setdefault(nbg(src.cells[match])["grade_id"], []).append(c)
            notes.append(f"solution cell '{nbg(src.cells[match])['grade_id']}' had no nbgrader metadata; matched by its definitions")
            anchor = match
        elif anchor < src.last_test:
            added.setdefault(anchor, []).append(c.source)
    return added


def _solution_by_definitions(src: _SourceIndex, cell, by_id: dict, used: set[int]) -> int | None:
    names = set(defined_names(cell.source))
    return next((i for i, sc in enumerate(src.cells) if nbg(sc).get("solution") and sc.cell_type == "code"
                 and names and names >= set(defined_names(sc.source)) and grade_id(sc) not in by_id
                 and i not in used), None)


def _steps(src: _SourceIndex, by_id: dict, added: dict[int, list[str]], notes: list[str]) -> list[dict]:
    steps = [{"kind": "added", "code": code, "at": -1} for code in added.get(-1, [])]
    for i, c in enumerate(src.cells[:src.last_test + 1]):
        meta = nbg(c)
        if c.cell_type == "code":
            if meta.get("solution"):
                gid = meta["grade_id"]
                student = next((s for s in by_id.get(gid, []) if s.cell_type == "code"), None)
                if student is None:
                    notes.append(f"solution cell '{gid}' is missing from the submission")
                code = student.source if student is not None else \
                    "raise NotImplementedError('solution cell missing from the submission')"
                steps.append({"kind": "solution", "grade_id": gid, "code": code, "names": defined_names(c.source),
                              "at": i})
            elif meta.get("grade"):
                visible, hidden = split_test(c.source)
                steps.append({"kind": "test", "grade_id": meta["grade_id"], "points": float(meta.get("points", 0)),
                              "visible": visible, "hidden": hidden, "at": i})
            else:
                steps.append({"kind": "source", "code": c.source, "at": i})
        steps += [{"kind": "added", "code": code, "at": i} for code in added.get(i, [])]
    return steps
