"""What grading one submission produces: a score per test cell, reasons, manual answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..cells import nbg


@dataclass
class CellResult:
    grade_id: str
    points: float
    score: float = 0.0
    status: str = "not run"               # passed | failed | not run
    visible_error: str = ""               # message of a failing visible test (shown to the student)
    hidden_failed: list[str] = field(default_factory=list)   # names of failing hidden checks
    checks_passed: int = 0                # of checks_total: the visible test and each named hidden check
    checks_total: int = 0


@dataclass
class Result:
    student: str
    assignment: str
    cells: dict[str, CellResult] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)    # manually graded cells: the student's text
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    submission_sha: str = ""
    needs_regrade: str = ""   # the grader itself failed (not the student's code): the error, for the instructor
    outputs: dict[str, list] = field(default_factory=dict)   # step number -> outputs of the student's own cells

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells.values())

    def to_json(self) -> dict:
        d = asdict(self)
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        r = cls(d["student"], d["assignment"], reasons=d["reasons"], answers=d.get("answers", {}),
                seconds=d.get("seconds", 0.0), submission_sha=d.get("submission_sha", ""),
                needs_regrade=d.get("needs_regrade", ""), outputs=d.get("outputs", {}))
        r.cells = {k: CellResult(**v) for k, v in d["cells"].items()}
        return r


def empty_result(source_nb, student: str, assignment: str) -> Result:
    """A result with every autograded test cell of the source at 0 points, not yet run."""
    result = Result(student, assignment)
    for c in source_nb.cells:
        m = nbg(c)
        if c.cell_type == "code" and m.get("grade"):
            result.cells[m["grade_id"]] = CellResult(m["grade_id"], float(m.get("points", 0)))
    return result

