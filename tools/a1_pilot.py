"""Pilot runs of a1's QA fine-tuning in the offline profile, outside the notebook (to size its design).

    python tools/a1_pilot.py '[{}, {"batch_size": 8, "seed": 1}]'

Each JSON dict changes the offline baseline (400 questions, one epoch, lr 3e-4, batch 16, dropout off); each
run is trained and scored on the dev questions with the solution's own functions, and printed as one line
"RESULT {changes} {EM, F1, steps, seconds}". Run it alone: its seconds are timings (docs/benchmarks.md).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(HF_HUB_OFFLINE="1", COURSE_PROFILE="offline")


def solution_functions() -> dict:
    """The solution notebook's setup cell and its QA functions, executed (the cells that define them)."""
    import nbformat
    nb = nbformat.read(ROOT / "solutions" / "a1_qa_finetuning" / "a1_qa_finetuning.ipynb", as_version=4)
    names = ("def prepare_train_features", "def postprocess_predictions", "def normalize_answer")
    g = {"PROFILE": "offline", "SEED": 0}
    for cell in nb.cells:
        if cell.cell_type == "code" and ("profile = shared.setup" in cell.source or cell.source.startswith(names)):
            exec(cell.source, g)
    return g


def main(changes: list[dict]) -> None:
    from shared.qa import QARun, run_qa
    g = solution_functions()
    profile, sizes = g["profile"], g["SIZES"]
    data = g["load_task"]("qa", profile, seed=0)
    base = QARun(name="pilot", model=profile.model("encoder"), train_examples=sizes["baseline_examples"], epochs=1,
                 lr=sizes["baseline_lr"], batch_size=16, max_length=sizes["max_length"],
                 doc_stride=sizes["doc_stride"], dropout=sizes["dropout"])
    cap = max([c.get("max_length", 0) for c in changes] + [profile.max_length])
    profile = replace(profile, max_length=cap)        # a window longer than the profile's cap, for a pilot
    out = tempfile.mkdtemp(prefix="a1-pilot-")
    try:
        for change in changes:
            r = run_qa(base.but(**change), data, prepare_train_fn=g["prepare_train_features"], postprocess_fn=g["postprocess_predictions"],
                       metric_fns=(g["exact_match"], g["f1"]), profile=profile, output_dir=out)
            print("RESULT", change, {k: r[k] for k in ("exact_match", "f1", "steps", "train_seconds", "total_seconds")},
                  flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else [{}])
