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


def compare_seeds(frame, by: str | list[str], value: str, title: str = "", ax=None, plot: bool = True):
    """Mean and standard deviation of `value` per arm over the runs (seeds) of each arm, best mean first.

    frame: one row per run (e.g. pandas.DataFrame(list_of_result_dicts)); by: the column(s) naming the arm.
    Returns the summary table and draws every run as a dot with its arm's mean ± std as a bar, so two arms
    whose dots interleave are visibly not yet different. With one run per arm the std is unknown (NaN).
    plot=False: the table only.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [value] if c not in frame.columns]
    if missing:
        raise KeyError(f"The runs have no column {missing}; they have {list(frame.columns)}.")
    table = (frame.groupby(by)[value].agg(mean="mean", std="std", runs="count", low="min", high="max")
             .reset_index().sort_values("mean", ascending=False).reset_index(drop=True))
    if not plot:
        return table
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.8 + 0.45 * len(table)))
    keys = [tuple(row[c] for c in by) for _, row in table.iterrows()]
    runs = dict(list(frame.groupby(by)[value]))   # arm (a tuple) -> its runs' values
    for y, key in enumerate(keys):
        ax.plot(runs[key], [y] * len(runs[key]), "o", color="grey", alpha=0.6, ms=4)
    ax.errorbar(table["mean"], range(len(table)), xerr=np.nan_to_num(table["std"].to_numpy()), fmt="D",
                color="C0", capsize=4, label="mean ± std")
    ax.set_yticks(range(len(table)), [" / ".join(map(str, k)) for k in keys])
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel(f"{value} (grey: one run each)")
    ax.set_title(title or f"{value} by {', '.join(by)}")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower right", fontsize=8)
    return table
