"""Experiment log and plots: every run's config and metrics as one JSON line.

    log = ExperimentLog("runs/a1.jsonl")
    log.add("baseline", config, {"f1": 41.2, "seconds": 93})
    log.frame()                       # a pandas DataFrame, one row per run
    plot_history(result.history)      # loss curves of one run
    plot_runs(log.frame(), x="train_examples", y="f1")   # runs side by side
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path


def _plain(value):
    """Config values as JSON can hold them (dataclasses become dicts, others strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)


class ExperimentLog:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def add(self, name: str, config, metrics: dict, **extra) -> dict:
        row = {"run": name, "time": dt.datetime.now().isoformat(timespec="seconds"),
               **{f"cfg.{k}": v for k, v in _flatten(_plain(config)).items()},
               **_plain(metrics), **_plain(extra)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:  # one line, appended: a crash never loses earlier runs
            f.write(json.dumps(row) + "\n")
        return row

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        rows = []
        for i, line in enumerate(self.path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"Skipping line {i} of {self.path}: not valid JSON (an interrupted write?).")
        return rows

    def frame(self):
        import pandas as pd
        return pd.DataFrame(self.rows())


def _flatten(d, prefix=""):
    out = {}
    for k, v in (d.items() if isinstance(d, dict) else []):
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out if isinstance(d, dict) else {"config": d}


def plot_history(history: dict, metrics: tuple[str, ...] = (), title: str = "", ax=None):
    """Training loss (and eval loss / metrics) against optimizer steps."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    train, evals = history.get("train", []), history.get("eval", [])
    if train:
        ax.plot([e["step"] for e in train], [e["loss"] for e in train], label="train loss")
    if evals and "eval_loss" in evals[0]:
        ax.plot([e["step"] for e in evals], [e["eval_loss"] for e in evals], "o-", label="eval loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    if metrics and evals:
        ax2 = ax.twinx()
        for m in metrics:
            ax2.plot([e["step"] for e in evals], [e.get(m) for e in evals], "s--", label=m)
        ax2.set_ylabel(", ".join(metrics))
        ax2.legend(loc="center right")
    ax.legend(loc="upper right")
    ax.set_title(title or "learning curve")
    return ax


def plot_runs(frame, x: str, y: str, hue: str | None = None, logx: bool = False, title: str = "", ax=None):
    """One metric against one setting over logged runs (a line per `hue` value)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    missing = [c for c in (x, y, hue) if c and c not in frame.columns]
    if missing:
        raise KeyError(f"The log has no column {missing}; it has {list(frame.columns)}.")
    groups = frame.groupby(hue) if hue else [(None, frame)]
    for key, g in groups:
        g = g.sort_values(x)
        ax.plot(g[x], g[y], "o-", label=str(key) if hue else y)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{y} by {x}")
    ax.grid(alpha=0.3)
    if hue:
        ax.legend(title=hue)
    return ax
