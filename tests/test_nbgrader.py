"""nbgrader end to end: every assignment in solutions/ (and the fixture notebook) is
released and autograded in a temporary course folder. The solution gets full
marks on its autograded cells; the untouched release gets zero and does not crash."""
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, CourseFolder, assignments

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCES = [FIXTURES / "ps0"] + [REPO / "solutions" / a for a in assignments()]


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_solution_full_marks_release_zero(source, tmp_path):
    course = CourseFolder(tmp_path / "course")
    course.add_source(source)
    release = course.generate(source.name)
    text = release.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    course.submit("solution", source.name, course.root / "solutions" / source.name / f"{source.name}.ipynb")
    course.submit("untouched", source.name, release)
    course.autograde(source.name)

    # nbgrader goes on past a cell that raises: an experiment cell that crashes would still get full marks
    graded = nbformat.read(course.root / "autograded" / "solution" / source.name / f"{source.name}.ipynb", as_version=4)
    outputs = [o for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
    assert errors == [], f"the solution raised while autograded (smoke profile): {errors}"
    if source.parent == REPO / "solutions":   # the course's notebooks ran in the smoke profile, checks included
        text = "\n".join(o.get("text", "") for o in outputs)
        assert "profile: smoke" in text and "visible check passed" in text

    full = course.scores(source.name, "solution")
    assert full["auto_max"] > 0
    assert full["auto_score"] == full["auto_max"], full["cells"]
    zero = course.scores(source.name, "untouched")
    assert zero["auto_max"] == full["auto_max"]
    assert zero["auto_score"] == 0, zero["cells"]


def test_the_release_check_command_passes_on_a_committed_release():
    """`python -m autograder release --check` (the command an instructor runs) on one assignment; that every
    committed release is what its source generates is checked for all of them on the student distribution,
    which generates them anyway (test_distribution.py)."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "autograder", "release", "a4_decoder_classification", "--check"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "releases up to date: a4_decoder_classification" in proc.stdout
