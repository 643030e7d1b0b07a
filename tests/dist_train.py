"""Run by test_distributed.py, under torchrun or alone: train the toy model, save the weights.

    torchrun --nproc_per_node 2 tests/dist_train.py OUT.pt 4   # 2 processes x micro-batch 4
    python tests/dist_train.py OUT.pt 8                        # 1 process  x micro-batch 8
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import collate, tiny_classifier, toy_dataset  # noqa: E402

from shared.train import TrainConfig, train  # noqa: E402

out, batch = sys.argv[1], int(sys.argv[2])
# 64 examples of one length: the global batch of 8 is the same 8 examples either way.
ds = toy_dataset(64).map(lambda r: {"input_ids": (r["input_ids"] * 3)[:8], "attention_mask": [1] * 8})
res = train(tiny_classifier(), ds, TrainConfig(output_dir=str(Path(out).parent / "run"), epochs=2,
                                               batch_size=batch, lr=3e-3, progress=False),
            eval_dataset=ds, collate_fn=collate)
if int(__import__("os").environ.get("RANK", "0")) == 0:
    torch.save({"weights": res.model.state_dict(), "steps": res.steps, "history": res.history}, out)
