"""Benchmark: the shared/ training loop against transformers' Trainer, side by side.

Both train the same model on the same data for the same number of steps with
the same batch, learning rate, schedule, clipping and seed. Each runs in its
own fresh process (so peak memory is its own) and the table compares steps per
second, peak memory and final training loss. Not a test: record its output in
docs/benchmarks.md with the date and machine.

    python -m shared.benchmark                         # offline profile: all-MiniLM-L6-v2, sentiment set
    python -m shared.benchmark --profile smoke --steps 20
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def _data_and_model(profile_name: str, n_train: int, max_length: int):
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

    from .data import load_local, subset
    from .models import load_model, load_tokenizer
    from .profiles import get_profile
    profile = get_profile(profile_name)
    spec = profile.model("encoder")
    tok = load_tokenizer(spec)
    ds = subset(load_local("sentiment")["train"], n_train, seed=0)
    ds = ds.map(lambda b: tok(b["sentence"], truncation=True, max_length=max_length), batched=True,
                remove_columns=["sentence", "idx"]).rename_column("label", "labels")
    model = load_model(AutoModelForSequenceClassification, spec, num_labels=2)
    return model, ds, DataCollatorWithPadding(tok), spec


def _peak_memory_mb() -> float:
    import torch
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_one(backend: str, args) -> dict:
    import torch
    model, ds, collator, spec = _data_and_model(args.profile, args.steps * args.batch_size, args.max_length)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    if backend == "shared":
        from .train import TrainConfig, train
        cfg = TrainConfig(output_dir=args.out + "/shared", max_steps=args.steps, batch_size=args.batch_size,
                          lr=args.lr, warmup_ratio=0.1, log_every=args.steps, seed=0, progress=False)
        t0 = time.perf_counter()
        res = train(model, ds, cfg, collate_fn=collator)
        seconds = time.perf_counter() - t0
        final_loss = res.history["train"][-1]["loss"]
    else:
        from transformers import Trainer, TrainingArguments
        targs = TrainingArguments(output_dir=args.out + "/trainer", max_steps=args.steps,
                                  per_device_train_batch_size=args.batch_size, learning_rate=args.lr,
                                  lr_scheduler_type="linear", warmup_steps=int(0.1 * args.steps),
                                  weight_decay=0.01, max_grad_norm=1.0, logging_steps=args.steps,
                                  save_strategy="no", report_to=[], seed=0, disable_tqdm=True,
                                  dataloader_num_workers=0, use_cpu=not torch.cuda.is_available(),
                                  bf16=torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8,
                                  fp16=torch.cuda.is_available() and torch.cuda.get_device_capability()[0] < 8)
        trainer = Trainer(model=model, args=targs, train_dataset=ds, data_collator=collator)
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
        final_loss = [h["loss"] for h in trainer.state.log_history if "loss" in h][-1]
    return {"backend": backend, "model": spec, "steps": args.steps, "seconds": seconds,
            "steps_per_s": args.steps / seconds, "peak_mb": _peak_memory_mb(), "final_loss": final_loss}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="offline", choices=["offline", "smoke", "full"])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--repeats", type=int, default=3, help="runs of each loop, interleaved")
    p.add_argument("--out", default="runs/benchmark")
    p.add_argument("--backend", choices=["shared", "trainer"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.backend:  # child process: one backend, one JSON line on stdout
        print("RESULT " + json.dumps(run_one(args.backend, args)))
        return
    results = []
    for backend in ["shared", "trainer"] * args.repeats:  # interleaved, to even out drift
        cmd = [sys.executable, "-m", "shared.benchmark", "--backend", backend] + list(argv or sys.argv[1:])
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode or not line:
            sys.exit(f"{backend} run failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(line[0][7:]))
    import torch
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    print(f"# {time.strftime('%Y-%m-%d')} | {platform.node()} | {device} | torch {torch.__version__}")
    print(f"# model {results[0]['model']} | {args.steps} steps | batch {args.batch_size} | "
          f"max_length {args.max_length} | sentiment set\n")
    print("| loop | run | steps/s | seconds | peak memory (MB) | final loss |")
    print("|---|---|---|---|---|---|")
    for i, r in enumerate(results):
        print(f"| {r['backend']} | {i // 2 + 1} | {r['steps_per_s']:.2f} | {r['seconds']:.1f} | "
              f"{r['peak_mb']:.0f} | {r['final_loss']:.4f} |")
    for b in ["shared", "trainer"]:
        rs = [r for r in results if r["backend"] == b]
        print(f"\n{b}: mean {sum(r['steps_per_s'] for r in rs) / len(rs):.2f} steps/s", end="")
    print()


if __name__ == "__main__":
    main()
