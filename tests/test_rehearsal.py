"""The full profile rehearsed: every solution notebook run through the full profile's code path (its model ids,
data sets, configurations, splits and columns, COURSE_REHEARSAL=1: shared.profiles.rehearsal) at the smoke
profile's sizes, against stand-ins of the hub (tests/rehearsal_hub.py) read through the course's own loading code
with HF_HUB_OFFLINE=1.

Two rules are checked in the same run:
  device  no module with parameters runs a forward pass unless a placement (shared.device.place) reached all its
          parameters and they are fp32: on a GPU runtime such a module would have been left on the CPU (or in
          bf16, which a T4 cannot compute fast). This check is installed by the test, not by the course's code.
  Drive   with COURSE_CHECKPOINTS set (the Colab setup cell points it at Drive), what the notebook's training
          leaves there: at most one checkpoint per run, no optimizer state once a run is finished, nothing
          deleted (a file deleted through the Drive mount goes to Drive's trash and still counts).

`pytest -k rehearsal` and `pytest -k device` select these. Like tests/test_notebooks.py, they run where nbgrader is
not installed (the students' install at Colab's versions in .ci/run), or anywhere with COURSE_RUN_NOTEBOOKS=1.
"""
import importlib.util
import json
import os

import nbformat
import pytest
import torch
from nbclient import NotebookClient

from autograder.course import REPO, assignments

from tests import rehearsal_hub

pytestmark = pytest.mark.slow

NOTEBOOKS = [REPO / "solutions" / a / f"{a}.ipynb" for a in assignments()]

DEVICE_CHECK = '''
import json, linecache, sys, torch, transformers, weakref
_device_rule = {"forwards": 0, "broken": []}
_calls = []   # the modules whose forward is running, outermost first
_pretrained = weakref.WeakKeyDictionary()   # module -> whether a pretrained model is part of it
def _device_rule_check(module, args):
    _calls.append(module)
    own = dict(module.named_parameters(recurse=False))
    if not own:
        return
    _device_rule["forwards"] += 1
    unplaced = [n for n, p in own.items() if not getattr(p, "_course_placed", False)]
    half = [n for n, p in own.items() if p.is_floating_point() and p.dtype != torch.float32]
    root = _calls[0]
    # unplaced matters in anything built on a pretrained model (it is slow on a CPU), or in a model of which another
    # part is placed (the two parts would be on two devices); a small torch module of a test's own, wholly on the CPU,
    # runs there on a GPU runtime too
    if root not in _pretrained:
        _pretrained[root] = any(isinstance(m, transformers.PreTrainedModel) for m in root.modules())
    matters = unplaced and (_pretrained[root] or any(getattr(p, "_course_placed", False) for p in root.parameters()))
    if matters or half:
        frame = sys._getframe(1)
        while frame is not None and "ipykernel" not in frame.f_code.co_filename:
            frame = frame.f_back
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip() if frame else "?"
        what = "unplaced (on a GPU: left on the CPU)" if matters else "not fp32"
        entry = f"{type(module).__name__} in {type(root).__name__}: {unplaced or half} {what}, at: {line}"
        if entry not in _device_rule["broken"]:
            _device_rule["broken"].append(entry)
def _device_rule_done(module, args, output):
    if _calls and _calls[-1] is module:
        _calls.pop()
torch.nn.modules.module.register_module_forward_pre_hook(_device_rule_check)
torch.nn.modules.module.register_module_forward_hook(_device_rule_done, always_call=True)
get_ipython().events.register("pre_run_cell", lambda *a: _calls.clear())   # a forward a cell broke off leaves none
'''


DRIVE_DELETIONS = '''
import os, shutil
_deleted, _drive = [], os.environ["COURSE_CHECKPOINTS"]
def _spy(real):
    def deleting(path, *args, **kwargs):
        if str(path).startswith(_drive) and os.path.exists(path):
            _deleted.append(str(path))
        return real(path, *args, **kwargs)
    return deleting
shutil.rmtree, os.remove, os.unlink = _spy(shutil.rmtree), _spy(os.remove), _spy(os.unlink)
'''


def _drive_report(drive) -> dict:
    """What the notebook's training left on Drive: per run folder its checkpoints and final (folders set aside
    for reuse, `.tmp`, apart), and the bytes outside the finals' weights and state."""
    runs = {}
    for folder in sorted(drive.rglob("*")):
        if folder.is_dir() and (folder.name == "final" or folder.name.startswith("step-")) \
                and not folder.name.endswith(".tmp"):
            runs.setdefault(str(folder.parent.relative_to(drive)), []).append(folder.name)
    files = [f for f in drive.rglob("*") if f.is_file()]
    left = sum(f.stat().st_size for f in files if not (f.parent.name == "final" and f.name in ("model.pt", "trainer_state.json")))
    # what a final costs per parameter (the T4 estimate's Drive figures assume 4 bytes: fp32, no optimizer state)
    weights = [f for f in files if f.parent.name == "final" and f.name == "model.pt"]
    params = 0
    for f in weights:   # each stored tensor once (tied weights share one: torch.save writes it once)
        stored = {t.untyped_storage().data_ptr(): t for t in torch.load(f, map_location="cpu", weights_only=True).values()}
        assert all(t.dtype == torch.float32 for t in stored.values() if t.is_floating_point()), f
        params += sum(t.untyped_storage().nbytes() // t.element_size() for t in stored.values())
    per_param = sum(f.stat().st_size for f in weights) / max(params, 1)
    return {"runs": runs, "bytes_besides_finals": left, "bytes": sum(f.stat().st_size for f in files),
            "bytes_per_parameter": per_param}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    return rehearsal_hub.build(tmp_path_factory.mktemp("rehearsal-hub"))


def _rehearse(path, hub, workdir, monkeypatch, first_cell: str = "") -> tuple[str, dict]:
    """Run a solution notebook in the rehearsal with the device check; its printed text and what the check saw."""
    if importlib.util.find_spec("nbgrader") and not os.environ.get("COURSE_RUN_NOTEBOOKS"):
        pytest.skip("run in the students' install at Colab's versions (.ci/run); COURSE_RUN_NOTEBOOKS=1 runs it here")
    # the Drive policy's worst case: a checkpoint after every step, every run's final weights on Drive
    env = {**hub, "COURSE_PROFILE": "full", "COURSE_REHEARSAL": "1", "COURSE_DEVICE_CHECK": "1",
           "COURSE_CHECKPOINTS": str(workdir / "drive"), "COURSE_CHECKPOINT_MINUTES": "0", "COURSE_KEEP_FINAL_MINUTES": "0"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(DEVICE_CHECK + DRIVE_DELETIONS + first_cell))
    nb.cells.append(nbformat.v4.new_code_cell('print("DEVICE_RULE", json.dumps({**_device_rule, "deleted": _deleted}))'))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return text, json.loads(text.split("DEVICE_RULE", 1)[1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_rehearsal_full_profile_device_rule_and_drive(path, hub, tmp_path, monkeypatch):
    text, checked = _rehearse(path, hub, tmp_path, monkeypatch)
    assert "profile: full" in text and "visible check passed" in text
    assert checked["forwards"] > 0   # the check saw the notebook's models run
    assert not checked["broken"], "device rule broken:\n" + "\n".join(checked["broken"])
    drive = _drive_report(tmp_path / "drive")
    print(f"Drive after {path.stem}: {len(drive['runs'])} runs, {drive['bytes']:,} bytes, "
          f"{drive['bytes_per_parameter']:.2f} bytes a parameter in the final weights")
    assert not checked["deleted"], f"deleted on Drive (its trash keeps them): {checked['deleted']}"
    assert drive["runs"] and all(entries == ["final"] for entries in drive["runs"].values()), drive["runs"]
    assert drive["bytes_besides_finals"] == 0   # no optimizer state, no checkpoint left: only each run's final
    assert 4.0 <= drive["bytes_per_parameter"] < 4.6   # fp32 weights (tiny models: a little pickling besides)


def test_rehearsal_device_check_catches_models_left_unplaced(hub, tmp_path, monkeypatch):
    """The check has teeth: with placing made a no-op (as on a main without the device rule), a4's loaded model,
    and the classifiers built on it, are reported."""
    noop = "import shared.device\nshared.device.place = lambda model, *a, **k: model\n"
    _, checked = _rehearse(NOTEBOOKS[3], hub, tmp_path, monkeypatch, first_cell=noop)
    assert NOTEBOOKS[3].stem.startswith("a4")
    broken = "\n".join(checked["broken"])
    for root in ("GPT2LMHeadModel", "LastTokenClassifier", "GPT2ForSequenceClassification"):
        assert f"in {root}:" in broken, broken
