"""`python -m shared`: the platform's end-to-end check on its built-in defaults.

Fine-tunes the profile's encoder (offline: all-MiniLM-L6-v2) on the course's
sentiment set with the shared training loop, evaluates dev accuracy before and
after, appends the run to the experiment log and saves the learning curve.

    python -m shared                    # offline profile, about 20 s on 2 CPU cores
    python -m shared --profile smoke    # seconds
"""
from __future__ import annotations

import argparse
from pathlib import Path


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Fine-tune the profile's encoder on the sentiment set.")
    p.add_argument("--profile", default=None, help="full | offline | smoke (default: offline, or COURSE_PROFILE)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--out", default="runs/platform-check")
    args = p.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    from transformers import AutoModelForSequenceClassification

    from . import setup
    from .classify import accuracy
    from .data import DataCollatorWithPadding, load_task
    from .models import load_model, load_tokenizer
    from .tracking import ExperimentLog, plot_history
    from .train import TrainConfig, train

    profile = setup(args.profile or "offline", seed=0)
    spec = profile.model("encoder")
    tok = load_tokenizer(spec)
    ds = load_task("sentiment", profile)
    enc = ds.map(lambda b: tok(b["sentence"], truncation=True, max_length=profile.max_length), batched=True,
                 remove_columns=["sentence", "idx"]).rename_column("label", "labels")
    collate = DataCollatorWithPadding(tok)
    model = load_model(AutoModelForSequenceClassification, spec, num_labels=2)

    def dev_accuracy(m) -> dict:
        return {"accuracy": accuracy(m, enc["validation"], collate, batch_size=64)["accuracy"]}

    before = dev_accuracy(model)["accuracy"]
    cfg = TrainConfig(output_dir=args.out, epochs=args.epochs, batch_size=32, lr=profile.settings("main")["lr"],
                      max_steps=profile.max_steps, log_every=5, resume=False)
    result = train(model, enc["train"], cfg, eval_dataset=enc["validation"], collate_fn=collate,
                   evaluate_fn=dev_accuracy)
    after = result.final_eval["accuracy"]
    log = ExperimentLog(Path(args.out) / "runs.jsonl")
    log.add(f"{profile.name}-sentiment", cfg, {"accuracy_before": before, "accuracy": after,
                                               "seconds": result.seconds, "steps": result.steps}, model=spec)
    ax = plot_history(result.history, metrics=("accuracy",), title=f"{spec} on the sentiment set")
    figure = Path(args.out) / "learning_curve.png"
    ax.figure.savefig(figure, dpi=120, bbox_inches="tight")
    print(f"\n{spec}: dev accuracy {before:.3f} before, {after:.3f} after {result.steps} steps "
          f"({result.seconds:.0f} s).")
    print(f"run log: {log.path}\nlearning curve: {figure}")


if __name__ == "__main__":
    main()
