"""Pilot runs of a2's sentiment fine-tuning (5b/5c) in the offline profile, outside the notebook (to size 5c's design).

    python tools/a2_pilot.py '[{"method": "max", "lr": 5e-5, "seed": 4}, {"method": "cls", "lr": 1e-4, "seed": 0}]'

Each JSON dict is one run of `finetune_sentiment` on the original encoder with the solution's `pool` (method: cls,
mean or max; lr; seed; epochs, default 1; batch 16, dropout off as offline), printed as one line
"RESULT {settings} accuracy steps seconds". Run it alone: its seconds are timings (docs/benchmarks.md).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(HF_HUB_OFFLINE="1", COURSE_PROFILE="offline")


def main(runs: list[dict]) -> None:
    import nbformat
    from shared.data import load_task
    from shared.mlm import finetune_sentiment
    from shared.train import TrainConfig
    nb = nbformat.read(ROOT / "solutions" / "a2_mlm_objective" / "a2_mlm_objective.ipynb", as_version=4)
    g = {"PROFILE": "offline", "SEED": 0}
    for cell in nb.cells:   # the setup cell, the settings, the model and tokenizer, and the solution's pool
        src = cell.source
        if cell.cell_type == "code" and ("profile = shared.setup" in src or "FT_EPOCHS = " in src
                                         or "MODEL = profile.model" in src or src.startswith("def pool")):
            exec(src, g)
    profile = g["profile"]
    sent = load_task("sentiment", profile, seed=0)
    out = tempfile.mkdtemp(prefix="a2-pilot-")
    try:
        for i, run in enumerate(runs):
            cfg = TrainConfig(output_dir=f"{out}/{i}", epochs=run.get("epochs", 1), batch_size=16, lr=run["lr"],
                              seed=run["seed"], log_every=50, progress=False, dropout=g["DROPOUT"])
            t0 = time.perf_counter()
            r = finetune_sentiment(g["MODEL"], sent, g["tokenizer"], pool_fn=g["pool"], method=run["method"], config=cfg, profile=profile)
            print("RESULT", run, round(r["accuracy"], 4), r["steps"], round(time.perf_counter() - t0, 1), flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]) if len(sys.argv) > 1 else [{"method": "cls", "lr": 1e-4, "seed": 0}])
