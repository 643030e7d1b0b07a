"""Seconds per training step of a1's offline model, with and without dropout (docs/benchmarks.md).

    python tools/bench_step.py          # all-MiniLM-L6-v2 for QA, 16 windows of 192 tokens, fp32, this machine

One bare step (forward, backward, fused AdamW) on a fixed random batch, averaged over 4 steps after one
warm-up step, in train mode with the checkpoint's dropout (0.1) and with every dropout set to 0
(shared.models.set_dropout); half the batch padded after 150 tokens, as real windows are. Run it alone.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def seconds_per_step(dropout: float | None, steps: int = 4, length: int = 192, batch: int = 16) -> float:
    import torch
    from transformers import AutoModelForQuestionAnswering
    from shared.models import load_model, set_dropout
    from shared.profiles import MINILM
    torch.manual_seed(0)
    model = load_model(AutoModelForQuestionAnswering, MINILM)
    if dropout is not None:
        set_dropout(model, dropout)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    ids = torch.randint(1000, 20000, (batch, length))
    mask = torch.ones_like(ids)
    mask[::2, 150:] = 0
    pos = torch.randint(0, 100, (batch,))
    times = []
    for _ in range(steps + 1):
        t = time.perf_counter()
        model(input_ids=ids, attention_mask=mask, start_positions=pos, end_positions=pos).loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    return sum(times[1:]) / steps


if __name__ == "__main__":
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for p in (None, 0.0):
        print(f"dropout {'0.1 (the checkpoint)' if p is None else p}: {seconds_per_step(p):.2f} s a step")
