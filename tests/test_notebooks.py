"""Every solution notebook executes top to bottom in the smoke profile, offline, on CPU,
and committed notebooks (sources and releases) carry no outputs."""
import importlib.util
import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import REPO, assignments

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NOTEBOOKS = [REPO / "solutions" / a / f"{a}.ipynb" for a in assignments()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_runs_in_smoke_profile(path, tmp_path, monkeypatch):
    """Where nbgrader is installed (the main suite), tests/test_nbgrader.py executes every solution the same way
    (smoke profile, every cell, no error output) while it autogrades it; this runs them where it is not (the
    students' install at Colab's versions, in .ci/run). COURSE_RUN_NOTEBOOKS=1 runs them anyway."""
    if importlib.util.find_spec("nbgrader") and not os.environ.get("COURSE_RUN_NOTEBOOKS"):
        pytest.skip("executed by tests/test_nbgrader.py's autograding here (COURSE_RUN_NOTEBOOKS=1 to run it too)")
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


RECORD_RUNS = '''
import json, os, shared.train as _t
_runs, _train, _save = [], _t.train, _t._save_checkpoint
def _recording_train(*args, **kwargs):   # before `import shared.*`: every module then trains through this
    res = _train(*args, **kwargs)
    _runs.append({"steps": res.steps, "loss": res.history["train"][-1]["loss"], "resumed_from": res.resumed_from})
    return res
_t.train = _recording_train
def _save_then_disconnect(*args, **kwargs):   # the kernel dies after the n-th checkpoint, as a disconnect kills it
    out = _save(*args, **kwargs)
    _runs.append("saved")
    if sum(r == "saved" for r in _runs) == int(os.environ.get("DISCONNECT_AFTER_SAVES", "0")):
        os._exit(1)
    return out
_t._save_checkpoint = _save_then_disconnect
'''


def _run_recorded(path, workdir, env: dict, monkeypatch) -> list[dict]:
    for key in ("COURSE_CHECKPOINTS", "DISCONNECT_AFTER_SAVES", "COURSE_CHECKPOINT_MINUTES", "COURSE_KEEP_FINAL_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORD_RUNS))
    nb.cells.append(nbformat.v4.new_code_cell('print("RUNS", json.dumps([r for r in _runs if r != "saved"]))'))
    workdir.mkdir(exist_ok=True)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    last = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    return json.loads(last.split("RUNS", 1)[1])


def test_a_notebook_run_again_after_a_disconnect_resumes_each_run(tmp_path, monkeypatch):
    """a4 in the smoke profile trains three classifiers of 3 steps. With COURSE_CHECKPOINTS set (the Colab setup
    cell points it at Drive) each run checkpoints after steps 1 and 2. The kernel dies after the 4th checkpoint
    (run 2, step 2). Run again from the top, the notebook loads run 1's final weights, resumes run 2 at step 2,
    trains run 3, and every run ends with the loss of a run that was never interrupted."""
    from nbclient.exceptions import DeadKernelError
    path = REPO / "solutions" / "a4_decoder_classification" / "a4_decoder_classification.ipynb"
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    straight = _run_recorded(path, tmp_path / "straight", {}, monkeypatch)
    assert [r["steps"] for r in straight] == [3, 3, 3] and not any(r["resumed_from"] for r in straight)
    # checkpoints after every step and every final on Drive (by default: every 10 minutes, finals of 3 minutes or more)
    drive = {"COURSE_CHECKPOINTS": str(tmp_path / "drive"), "COURSE_CHECKPOINT_MINUTES": "0", "COURSE_KEEP_FINAL_MINUTES": "0"}
    with pytest.raises(DeadKernelError):
        _run_recorded(path, tmp_path / "colab", {**drive, "DISCONNECT_AFTER_SAVES": "4"}, monkeypatch)
    resumed = _run_recorded(path, tmp_path / "colab", drive, monkeypatch)
    assert resumed[0]["resumed_from"].endswith("final")
    assert resumed[1]["resumed_from"].endswith("step-0000002")
    assert resumed[2]["resumed_from"] is None
    for a, b in zip(straight, resumed):
        assert b["steps"] == a["steps"] and b["loss"] == pytest.approx(a["loss"], abs=1e-6)
