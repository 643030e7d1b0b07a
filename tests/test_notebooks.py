"""Every solution notebook executes top to bottom in the smoke profile, offline, on CPU,
and committed notebooks (sources and releases) carry no outputs."""
import json

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import REPO, assignments

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NOTEBOOKS = [REPO / "solutions" / a / f"{a}.ipynb" for a in assignments()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_runs_in_smoke_profile(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "profile: smoke" in text
    assert "visible check passed" in text


def test_committed_notebooks_have_no_outputs():
    paths = list((REPO / "solutions").rglob("*.ipynb")) + list((REPO / "notebooks").rglob("*.ipynb"))
    for p in paths:
        if ".ipynb_checkpoints" in p.parts:
            continue
        nb = json.loads(p.read_text())
        dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                 and (c.get("outputs") or c.get("execution_count"))]
        assert not dirty, f"{p.relative_to(REPO)} has outputs in cells {dirty}: strip them before committing"
