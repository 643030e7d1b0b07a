"""Seconds per training step of a1's offline model, with and without dropout (docs/benchmarks.md).

    python tools/bench_step.py          # all-MiniLM-L6-v2 for QA, 16 windows of 192 tokens, fp32, this machine
    python tools/bench_step.py --memory 16 32 128   # peak memory of one step's pass at each batch (dropout off)

One bare step (forward, backward, fused AdamW) on a fixed random batch, averaged over 4 steps after one
warm-up step, in train mode with the checkpoint's dropout (0.1) and with every dropout set to 0
(shared.models.set_dropout); half the batch padded after 150 tokens, as real windows are. Run it alone.
--memory: the peak resident memory of a process that loads the model and runs one forward and backward pass
on each batch size (a fresh process for each: the peak only grows), what shared.qa.MICRO_BATCH bounds.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def seconds_per_step(dropout: float | None, steps: int = 4, length: int = 192, batch: int = 16) -> float:
    """The mean seconds of a step after a warm-up; steps=0: one pass (forward, backward) and no timing."""
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
    if steps == 0:
        model(input_ids=ids, attention_mask=mask, start_positions=pos, end_positions=pos).loss.backward()
        return 0.0
    times = []
    for _ in range(steps + 1):
        t = time.perf_counter()
        model(input_ids=ids, attention_mask=mask, start_positions=pos, end_positions=pos).loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    return sum(times[1:]) / steps


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        import resource
        import subprocess
        if len(sys.argv) == 4 and sys.argv[2] == "--one":     # the child: one pass, then its peak
            seconds_per_step(0.0, steps=0, batch=int(sys.argv[3]))
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2)   # KiB on Linux -> GiB
            sys.exit()
        for b in sys.argv[2:]:
            out = subprocess.run([sys.executable, __file__, "--memory", "--one", b], capture_output=True, text=True,
                                 check=True).stdout.split()[-1]
            print(f"batch {b} windows of 192 tokens: peak {float(out):.2f} GiB")
        sys.exit()
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for p in (None, 0.0):
        print(f"dropout {'0.1 (the checkpoint)' if p is None else p}: {seconds_per_step(p):.2f} s a step")
