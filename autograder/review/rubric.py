"""Rubrics of the manually graded cells, read from the source notebooks.

Each manually graded markdown cell of a source notebook ends its solution region with

    #### Rubric
    - [1] what earns this point
    - [1] what earns that one

before `### END SOLUTION`; the text between `### BEGIN SOLUTION` and `#### Rubric` is the model
answer. nbgrader removes the whole solution region from the release, so neither reaches students.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import RUBRIC_HEADING, SOLUTION_BEGIN, SOLUTION_END, TEXT_STUB, nbg

ITEM = re.compile(r"^- \[(?P<points>\d+(?:\.\d+)?)\] (?P<text>.+)$")
MARKER = "Rubric (instructors only)"   # the heading of the rubric cell in autograded notebooks


@dataclass
class RubricItem:
    points: float
    text: str


@dataclass
class Rubric:
    grade_id: str
    points: float
    question: str
    model_answer: str
    items: list[RubricItem] = field(default_factory=list)

    def markdown(self) -> str:
        items = "\n".join(f"- **{i.points:g}** {i.text}" for i in self.items)
        return (f"**{MARKER}: {self.grade_id}, {self.points:g} points**\n\n{items}\n\n"
                f"<details><summary>Model answer</summary>\n\n{self.model_answer}\n\n</details>")

    def text(self) -> str:
        items = "\n".join(f"  [{i.points:g}] {i.text}" for i in self.items)
        return f"{self.grade_id} ({self.points:g} points)\n{items}\n  model answer:\n    " + \
            self.model_answer.replace("\n", "\n    ")


def parse(grade_id: str, points: float, source: str) -> Rubric:
    """The rubric of one manually graded cell; a missing or inconsistent rubric is an error naming the cell."""
    begin, end = source.find(SOLUTION_BEGIN), source.rfind(SOLUTION_END)
    head = source.find(RUBRIC_HEADING, max(begin, 0))
    if begin < 0 or end < 0 or head < 0 or not begin < head < end:
        raise ValueError(f"{grade_id}: no '{RUBRIC_HEADING}' section between BEGIN SOLUTION and END SOLUTION")
    items = []
    for line in source[head + len(RUBRIC_HEADING):end].strip().splitlines():
        m = ITEM.match(line.strip())
        if not m:
            raise ValueError(f"{grade_id}: rubric line {line!r} is not '- [points] criterion'")
        items.append(RubricItem(float(m["points"]), m["text"].strip()))
    if abs(sum(i.points for i in items) - points) > 1e-9:
        raise ValueError(f"{grade_id}: the rubric's items add up to {sum(i.points for i in items):g} "
                         f"points, the cell is worth {points:g}")
    question = source[:begin].replace(TEXT_STUB, "").strip()
    return Rubric(grade_id, points, question, source[begin + len(SOLUTION_BEGIN):head].strip(), items)


def rubrics(source: Path) -> dict[str, Rubric]:
    """Every manually graded cell's rubric in a source notebook, by grade id, in notebook order."""
    import nbformat

    out = {}
    for c in nbformat.read(source, as_version=4).cells:
        m = nbg(c)
        if c.cell_type == "markdown" and m.get("grade"):
            out[m["grade_id"]] = parse(m["grade_id"], float(m.get("points", 0)), c.source)
    return out
