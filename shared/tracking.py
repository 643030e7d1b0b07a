"""Experiment log, plots and statistics: every run as one JSON line, every claim with its interval and test.

    log = ExperimentLog("runs/a1.jsonl")
    log.add("baseline", config, {"f1": 41.2, "seconds": 93})
    log.frame()                       # a pandas DataFrame, one row per run
    plot_history(result.history)      # loss curves of one run
    plot_runs(log.frame(), x="train_examples", y="f1")   # runs side by side

Statistics behind a claim, and the results recorded as data (runs/<assignment>/results.json):

    results = Results("a1_qa_finetuning", profile.name, path="runs/a1/results.json")
    exp = results.experiment("levers", metric="dev F1", floor=35.1, floor_label="overlap matcher",
                             margin=5.0, why_margin="smaller than this changes no decision")
    exp.arm("baseline", values=[41.2, 40.8, 42.0])   # one value per seed
    exp.arm("lr 3e-4", values=[47.9, 46.5, 48.8])
    exp.compare("lr 3e-4", "baseline")   # difference, 95% CI, p, and a verdict
    exp.problems()                       # sentences: arms at the floor or ceiling, inconclusive comparisons
    results.save()

The tests on their own: summarize, paired_bootstrap, mcnemar, seed_permutation, verdict, seeds_needed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np


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


def plot_runs(frame, x: str, y: str, *, hue: str | None = None, logx: bool = False, title: str = "", ax=None):
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


def compare_seeds(frame, by: str | list[str], value: str, *, title: str = "", ax=None, plot: bool = True):
    """Mean, standard deviation and standard error (std/sqrt(runs)) of `value` per arm over the runs
    (seeds) of each arm, best mean first.

    frame: one row per run (e.g. pandas.DataFrame(list_of_result_dicts)); by: the column(s) naming the arm.
    Returns the summary table and draws every run as a dot with its arm's mean ± std as a bar, so two arms
    whose dots interleave are visibly not yet different. With one run per arm the std is unknown (NaN).
    plot=False: the table only.
    """
    import matplotlib.pyplot as plt
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [value] if c not in frame.columns]
    if missing:
        raise KeyError(f"The runs have no column {missing}; they have {list(frame.columns)}.")
    table = (frame.groupby(by)[value].agg(mean="mean", std="std", runs="count", low="min", high="max")
             .reset_index().sort_values("mean", ascending=False).reset_index(drop=True))
    table.insert(table.columns.get_loc("std") + 1, "se", table["std"] / np.sqrt(table["runs"]))
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


# ---------------------------------------------------------------------------------------------------------
# Statistics behind a claim. Each test returns a dict: difference (a - b), ci95 [lo, hi], p, test, n.
# scipy.stats is imported inside the functions that use it, so `import shared.tracking` stays quick.

def summarize(values) -> dict:
    """Mean and standard error (sample std / sqrt(n)) of some values; se is None for a single value."""
    values = [float(v) for v in np.atleast_1d(values)]
    if not values:
        raise ValueError("summarize() needs at least one value.")
    n = len(values)
    se = float(np.std(values, ddof=1) / np.sqrt(n)) if n >= 2 else None
    return {"mean": float(np.mean(values)), "se": se, "n": n, "values": values}


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"Paired scores must be two lists of the same items in the same order; "
                         f"got {len(np.atleast_1d(a))} and {len(np.atleast_1d(b))} scores.")
    if len(a) == 0:
        raise ValueError("Paired scores: no items.")
    return a, b


def _batches(n_resamples: int, width: int, cells: int = 1_000_000):
    """Resample in batches of rows, so that n_resamples x width numbers never sit in memory at once."""
    rows = max(1, cells // max(1, width))
    for start in range(0, n_resamples, rows):
        yield min(rows, n_resamples - start)


def _as_extreme(stats_, observed: float) -> np.ndarray:
    """Which resampled statistics are at least as far from 0 as the observed one (float ties count)."""
    return np.abs(stats_) >= abs(observed) - 1e-9 * (1 + abs(observed))


def paired_bootstrap(a, b, n_resamples: int = 10_000, seed: int = 0) -> dict:
    """Two arms scored on the same items: difference of means, a 95% CI over the items (percentile bootstrap;
    with fewer than 30 items, where a bootstrap interval is too narrow, the paired t interval), and the p of a
    sign-flip permutation test of the per-item differences (two-sided; every sign pattern when there are at
    most 2^16, so that few items cannot reach a p they do not deserve)."""
    a, b = _paired(a, b)
    d, n = a - b, len(a)
    observed = float(d.mean())
    rng = np.random.default_rng(seed)
    if n <= 16:   # exact: all 2^n sign patterns
        signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * n)).reshape(n, -1).T
        p = float(_as_extreme((signs * d).mean(axis=1), observed).mean())
    else:
        extreme = 0
        for rows in _batches(n_resamples, n):
            signs = rng.choice([-1.0, 1.0], size=(rows, n))                  # no effect: each sign a coin flip
            extreme += int(_as_extreme((signs * d).mean(axis=1), observed).sum())
        p = (1 + extreme) / (1 + n_resamples)
    if n < 30:
        from scipy import stats
        half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
        lo, hi, how = observed - half, observed + half, "paired t CI"
    else:
        means = [d[rng.integers(0, n, size=(rows, n))].mean(axis=1) for rows in _batches(n_resamples, n)]
        lo, hi = np.percentile(np.concatenate(means), [2.5, 97.5])
        how = "paired bootstrap CI"
    return {"difference": observed, "ci95": [float(lo), float(hi)], "p": p,
            "test": f"{how}, sign-flip permutation p, {n} items", "n": n}


def f1_from_counts(counts) -> float:
    """Micro F1 from per-item (true positives, predicted, gold) counts: 2 TP / (predicted + gold)."""
    c = np.asarray(counts, dtype=float).reshape(-1, 3).sum(axis=0)
    return float(2 * c[0] / (c[1] + c[2])) if c[1] + c[2] else 0.0


def paired_bootstrap_f1(a_counts, b_counts, n_resamples: int = 10_000, seed: int = 0) -> dict:
    """Two systems on the same items (sentences), each item's (true positives, predicted, gold) entity counts:
    the micro-F1 difference, a percentile-bootstrap 95% CI over the items, and a two-sided bootstrap p (twice
    the share of resampled differences on the far side of 0). F1 is not a mean of per-item scores, so the
    items are resampled and F1 recomputed from their summed counts."""
    a, b = np.asarray(a_counts, dtype=float), np.asarray(b_counts, dtype=float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 3 or len(a) == 0:
        raise ValueError(f"paired_bootstrap_f1 needs two (n, 3) count arrays of the same items; got {a.shape} and {b.shape}.")
    n = len(a)
    observed = f1_from_counts(a) - f1_from_counts(b)
    rng = np.random.default_rng(seed)
    diffs = []
    for rows in _batches(n_resamples, n * 3):
        idx = rng.integers(0, n, size=(rows, n))
        sa, sb = a[idx].sum(axis=1), b[idx].sum(axis=1)              # (rows, 3) summed counts per resample
        fa = np.where(sa[:, 1] + sa[:, 2] > 0, 2 * sa[:, 0] / np.maximum(sa[:, 1] + sa[:, 2], 1e-12), 0.0)
        fb = np.where(sb[:, 1] + sb[:, 2] > 0, 2 * sb[:, 0] / np.maximum(sb[:, 1] + sb[:, 2], 1e-12), 0.0)
        diffs.append(fa - fb)
    diffs = np.concatenate(diffs)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return {"difference": observed, "ci95": [float(lo), float(hi)], "p": p,
            "test": f"paired bootstrap of micro F1 over {n} items", "n": n}


def mcnemar(a_correct, b_correct) -> dict:
    """Two arms' 0/1 correctness on the same items: accuracy difference, exact McNemar p (a binomial test
    on the items exactly one arm got right) and a Wald 95% CI for a paired difference of proportions."""
    from scipy import stats
    a, b = _paired(a_correct, b_correct)
    if not np.isin(a, [0, 1]).all() or not np.isin(b, [0, 1]).all():
        raise ValueError("mcnemar() needs 0/1 correctness per item; use paired_bootstrap() for scores.")
    n = len(a)
    b10 = int(((a == 1) & (b == 0)).sum())   # a right, b wrong
    b01 = int(((a == 0) & (b == 1)).sum())   # a wrong, b right
    d = (b10 - b01) / n
    p = stats.binomtest(b01, b01 + b10, 0.5).pvalue if b01 + b10 else 1.0
    half = 1.96 * math.sqrt(max((b10 + b01) - (b10 - b01) ** 2 / n, 0.0)) / n
    return {"difference": d, "ci95": [d - half, d + half], "p": float(p),
            "test": f"McNemar exact, {n} items", "n": n}


def seed_permutation(a, b, n_resamples: int = 10_000, seed: int = 0) -> dict:
    """Two arms' values over independent runs (seeds), not paired: difference of means, permutation p
    (every relabelling of the runs when there are at most 20,000, else random ones) and Welch's 95% CI."""
    from scipy import stats
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:
        raise ValueError(f"seed_permutation() needs values in both arms; got {na} and {nb}.")
    observed = float(a.mean() - b.mean())
    if na < 2 or nb < 2:
        test = "one run per arm: no test" if na == nb == 1 else f"{na} vs {nb} runs, one run in an arm: no test"
        return {"difference": observed, "ci95": None, "p": None, "test": test, "n": na + nb}

    pooled = np.concatenate([a, b])
    if math.comb(na + nb, na) <= 20_000:                # exact: every way to call na of the runs "a"
        kind = "exact"
        groups = np.array(list(itertools.combinations(range(na + nb), na)))
        sum_a = pooled[groups].sum(axis=1)
        diffs = sum_a / na - (pooled.sum() - sum_a) / nb
        p = float(_as_extreme(diffs, observed).mean())
    else:
        kind = "random"
        rng = np.random.default_rng(seed)
        extreme = 0
        for rows in _batches(n_resamples, na + nb):
            shuffled = rng.permuted(np.tile(pooled, (rows, 1)), axis=1)
            diffs = shuffled[:, :na].mean(axis=1) - shuffled[:, na:].mean(axis=1)
            extreme += int(_as_extreme(diffs, observed).sum())
        p = (1 + extreme) / (1 + n_resamples)

    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb      # Welch: each arm keeps its own variance
    se = math.sqrt(va + vb)
    if se > 0:
        df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))   # Welch-Satterthwaite
        half = float(stats.t.ppf(0.975, df) * se)
    else:
        half = 0.0                                        # every run of both arms gave the same value
    return {"difference": observed, "ci95": [observed - half, observed + half], "p": p,
            "test": f"permutation over seeds ({kind}), Welch 95% CI, {na} vs {nb} runs", "n": na + nb}


def verdict(ci95, margin: float, p: float | None = None) -> str:
    """"effect" if the 95% CI excludes 0 (and the test's p, when there is one, is below 0.05); "powered null"
    if the CI lies within ±margin (any effect is too small to matter); otherwise "inconclusive": the data
    cannot tell (also when there is no CI)."""
    if ci95 is None:
        return "inconclusive"
    lo, hi = ci95
    if (lo > 0 or hi < 0) and (p is None or p < 0.05):
        return "effect"
    if -margin <= lo and hi <= margin:
        return "powered null"
    return "inconclusive"


def seeds_needed(sd: float, difference: float, alpha: float = 0.05, power: float = 0.8,
                 paired: bool = False) -> int:
    """Runs per arm that a two-sided test at `alpha` needs to detect `difference` with probability `power`,
    given the between-seed standard deviation `sd` (paired=True: sd of the per-pair differences).
    The normal approximation: n = 2 (z_{1-alpha/2} + z_power)^2 sd^2 / difference^2 (no 2 when paired)."""
    from scipy import stats
    if difference == 0:
        raise ValueError("No number of runs detects a difference of 0.")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n = (1 if paired else 2) * z ** 2 * sd ** 2 / difference ** 2
    return max(2, math.ceil(n - 1e-9))   # 1e-9: 16.000000001 from rounding is still 16


# ---------------------------------------------------------------------------------------------------------
# Results recorded as data: experiments, their arms, and the comparisons between arms.

def _round(value):
    """Floats to 6 significant digits (NaN and inf become null), through dicts and lists, for the JSON."""
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    return value


def _scale(value: float, items: np.ndarray) -> float:
    """k such that value = k * mean(items) (e.g. 100: items 0/1, value in %); 1 when mean(items) is 0."""
    m = float(np.mean(items))
    return value / m if m != 0 else 1.0


EACH_ARM = "each arm"      # seed_sd: every arm's own run-to-run spread, not one for all


def _checked_seeds(name: str, seeds, values) -> list[int] | None:
    """An arm's seeds as ints, one distinct seed per value (None: no seeds)."""
    if seeds is None:
        return None
    seeds = [int(s) for s in seeds]
    n_values = len(np.atleast_1d(values)) if values is not None else 1
    if len(seeds) != n_values or len(set(seeds)) != len(seeds):
        raise ValueError(f"Arm {name!r}: seeds= needs one distinct seed per value; got {len(seeds)} "
                         f"seeds {seeds} for {n_values} value(s).")
    return seeds


class Experiment:
    """One question (e.g. "which lever helps?"): its arms, the comparisons between them, and the bounds
    that make a number meaningful (floor: a trivial baseline; ceiling: the best possible score)."""

    def __init__(self, name: str, metric: str, *, margin: float, higher_is_better: bool = True,
                 floor: float | None = None, floor_label: str = "", ceiling: float | None = None,
                 ceiling_label: str = "", why_margin: str = "", seed_sd: float | str | None = None,
                 seed_df: float | None = None, reads: str = ""):
        self.name, self.metric, self.margin, self.why_margin = name, metric, float(margin), why_margin
        self.reads = reads   # how the metric reads where "higher is better" would mislead (a distance, a cost)
        if isinstance(seed_sd, str) and seed_sd != EACH_ARM:
            raise ValueError(f'seed_sd is a number (one spread for every arm), {EACH_ARM!r} or None, not {seed_sd!r}.')
        self.seed_sd = None if seed_sd is None else seed_sd if seed_sd == EACH_ARM else float(seed_sd)
        # the degrees of freedom of a numeric seed_sd (its runs - 1); None: a known sd (a normal interval)
        self.seed_df = None if seed_df is None else float(seed_df)
        self._item_runs: dict[str, int] = {}     # name -> how many runs its items average (1: one run)
        self.higher_is_better = bool(higher_is_better)
        self.floor, self.floor_label, self.ceiling, self.ceiling_label = floor, floor_label, ceiling, ceiling_label
        self.arms: dict[str, dict] = {}          # name -> {"mean", "se", "n", "values"[, "items_n"]}
        self.comparisons: list[dict] = []
        self._items: dict[str, tuple[np.ndarray, str]] = {}   # name -> (per-item scores, kind); not saved

    def arm(self, name: str, *, values=None, items=None, kind: str = "score", item_runs: int = 1,
            seeds=None, fixed: bool = False) -> dict:
        """Record an arm: `values` one number per run (seed); `items` optionally the per-item scores of one
        run (or averaged over `item_runs` runs), which allow a paired test; kind "accuracy" (items are 0/1),
        "score", or "f1" (items are per-item (true positives, predicted, gold) counts, e.g. entities per
        sentence). `seeds`: each value's seed, where a seed gives every arm the same random draws (initial
        head, order of batches): two arms run on the same seeds are then compared seed by seed (with
        seed_sd "each arm"). `fixed`: a run that no seed changes (zero-shot prompting has no examples to draw), so
        it adds no run-to-run noise to a comparison; its SE is still its items'. Same name: replaced."""
        seeds = _checked_seeds(name, seeds, values)
        self._item_runs[name] = int(item_runs)
        if kind not in ("accuracy", "score", "f1"):
            raise ValueError(f'kind must be "accuracy", "score" or "f1", not {kind!r}.')
        if fixed and kind == "f1":
            raise ValueError(f"Arm {name!r}: fixed=True is for accuracy and score arms, not f1.")
        if kind == "f1" and items is not None:
            items = np.asarray(items, dtype=float).reshape(-1, 3)
            f1 = f1_from_counts(items)
            arm = summarize(values if values is not None else [f1])
            if arm["n"] == 1:
                k = arm["mean"] / f1 if f1 else 1.0          # the value's units (F1 or F1 x 100)
                rng = np.random.default_rng(0)
                boot = [f1_from_counts(items[rng.integers(0, len(items), len(items))]) for _ in range(1000)]
                arm["se"] = float(np.std(boot, ddof=1) * abs(k))
            arm["items_n"] = len(items)
            if seeds is not None:
                arm["seeds"] = seeds
            self._items[name] = (items, kind)
            self.arms[name] = arm
            self._recompare(name)
            return arm
        if items is not None:
            items = np.asarray(items, dtype=float).ravel()
            if len(items) == 0:
                raise ValueError(f"Arm {name!r}: items is empty.")
            if kind == "accuracy" and not np.isin(items, [0, 1]).all():
                raise ValueError(f'Arm {name!r}: kind="accuracy" needs 0/1 items.')
        if values is None:
            if items is None:
                raise ValueError(f"Arm {name!r} needs values (one per run) or items.")
            values = [items.mean()]
        arm = summarize(values)
        if arm["n"] == 1 and items is not None and len(items) >= 2:
            # One run: its SE comes from the items, in the value's units (items 0/1, value in %: x100).
            arm["se"] = float(np.std(items, ddof=1) / np.sqrt(len(items)) * abs(_scale(arm["mean"], items)))
        if items is not None:
            arm["items_n"] = len(items)
            self._items[name] = (items, kind)
        else:
            self._items.pop(name, None)
        if seeds is not None:
            arm["seeds"] = seeds
        if fixed:
            if arm["n"] != 1:
                raise ValueError(f"Arm {name!r}: a fixed arm is one run (no seed changes it); got {arm['n']} values.")
            arm["fixed"] = True
        self.arms[name] = arm
        self._recompare(name)
        return arm

    def _recompare(self, name: str) -> None:
        """After arm `name` changed: recompute the comparisons with it (every comparison with seed_sd "each arm",
        where an arm of one run borrows the spread of the arms with several)."""
        for c in self.comparisons:
            if (name in (c["a"], c["b"]) or self.seed_sd == EACH_ARM) and c["a"] in self.arms and c["b"] in self.arms:
                self.compare(c["a"], c["b"], margin=c["margin"])

    def compare(self, a: str, b: str, margin: float | None = None) -> dict:
        """Difference a - b with its 95% CI, p and verdict. Paired when both arms have items of the same
        length (McNemar for two accuracy arms, else a paired bootstrap); otherwise a permutation test
        over the runs' values. Same (a, b) again: replaced."""
        for arm in (a, b):
            if arm not in self.arms:
                raise KeyError(f"Experiment {self.name!r} has no arm {arm!r}; it has {list(self.arms)}.")
        margin = self.margin if margin is None else float(margin)
        (items_a, kind_a), (items_b, kind_b) = self._items.get(a, (None, "")), self._items.get(b, (None, ""))
        if kind_a == kind_b == "f1" and len(items_a) == len(items_b):
            result = paired_bootstrap_f1(items_a, items_b)
            # the value's units (F1 or F1 x 100) from a single-run arm, whose value is F1(items) x k exactly
            k = (self.arms[a]["mean"] / f1_from_counts(items_a)
                 if self.arms[a]["n"] == 1 and f1_from_counts(items_a) else 1.0)
            result["difference"] *= k
            result["ci95"] = [float(k * x) for x in result["ci95"]]
        elif "f1" in (kind_a, kind_b):
            result = seed_permutation(self.arms[a]["values"], self.arms[b]["values"])
        elif items_a is not None and items_b is not None and len(items_a) == len(items_b):
            paired = mcnemar if kind_a == kind_b == "accuracy" else paired_bootstrap
            result = paired(items_a, items_b)
            # The test ran on the items; report it in the values' units (e.g. x100 for items 0/1, values in %).
            # the scale comes from single-run arms, whose value is its items' mean times k exactly
            scales = [_scale(self.arms[x]["mean"], it) for x, it in ((a, items_a), (b, items_b))
                      if it.mean() != 0 and self.arms[x]["n"] == 1]
            k = float(np.mean(scales)) if scales else 1.0
            result["difference"] *= k
            result["ci95"] = [float(k * x) for x in result["ci95"]]
        else:
            result = seed_permutation(self.arms[a]["values"], self.arms[b]["values"])
        both_fixed = self.arms[a].get("fixed") and self.arms[b].get("fixed")
        if self.seed_sd and result["test"].endswith(" items") and not both_fixed:   # paired: add the run-to-run noise
            result = self._with_seed_noise(result, a, b)
        comparison = {"a": a, "b": b, "difference": result["difference"], "ci95": result["ci95"],
                      "test": result["test"], "p": result["p"], "verdict": verdict(result["ci95"], margin, result["p"]),
                      "margin": margin}
        same = [i for i, c in enumerate(self.comparisons) if (c["a"], c["b"]) == (a, b)]
        if same:
            self.comparisons[same[0]] = comparison
        else:
            self.comparisons.append(comparison)
        return comparison

    def _arm_sd(self, name: str) -> tuple[float, float | None] | None:
        """An arm's run-to-run sd and its degrees of freedom (None: taken as known). The experiment's seed_sd;
        with seed_sd "each arm" the arm's own (its values' sample sd, n - 1 df), and for an arm of one run the
        pooled sd of the arms that have several (their variances weighted by df). None where nothing measured it."""
        if self.arms[name].get("fixed"):
            return 0.0, None
        if self.seed_sd != EACH_ARM:
            return self.seed_sd, self.seed_df
        values = self.arms[name]["values"]
        if len(values) > 1:
            return float(np.std(values, ddof=1)), len(values) - 1.0
        several = [arm["values"] for arm in self.arms.values() if len(arm["values"]) > 1]
        if not several:
            return None
        df = sum(len(v) - 1 for v in several)
        return float(np.sqrt(sum(np.var(v, ddof=1) * (len(v) - 1) for v in several) / df)), float(df)

    def _seed_differences(self, a: str, b: str) -> np.ndarray | None:
        """With seed_sd "each arm": arm a's value minus arm b's, seed by seed, where both arms name the same
        seeds (at least two); None otherwise."""
        if self.seed_sd != EACH_ARM:
            return None
        seeds_a, seeds_b = self.arms[a].get("seeds"), self.arms[b].get("seeds")
        if not seeds_a or not seeds_b or sorted(seeds_a) != sorted(seeds_b) or len(seeds_a) < 2:
            return None
        value_b = dict(zip(seeds_b, self.arms[b]["values"]))
        return np.array([v - value_b[s] for s, v in zip(seeds_a, self.arms[a]["values"])])

    def _with_seed_noise(self, result: dict, a: str, b: str) -> dict:
        """A paired test compares two trained models on the same items; a recipe against a recipe also carries
        the run-to-run noise. Add it: var = (the paired CI's half-width / 1.96)^2 + sd_a^2 / r_a + sd_b^2 / r_b,
        r the runs behind each arm's items and sd the run-to-run sd (`_arm_sd`: one for every arm, or each arm's
        own where arms spread differently). Two arms run on the same seeds (`seeds=`, each seed the same random
        draws in both) are blocked by seed: their part is var(a_s - b_s) / n over the n seeds, which leaves out
        what a seed does to both arms alike. A sd measured on a few runs is itself uncertain: the interval and p
        then use Student's t with Welch-Satterthwaite degrees of freedom (the items' part counted as exact), as
        for a1's one-run levers against three seeds (their df in docs/results/a1_qa_finetuning.json)."""
        from scipy import stats
        lo, hi = result["ci95"]
        d = result["difference"]
        by_seed = self._seed_differences(a, b)
        runs = self._item_runs.get(a, 1)
        if by_seed is not None and runs == self._item_runs.get(b, 1):
            # the same seeds: the spread of the per-seed differences, over the runs both arms' items average
            sd_d = float(np.std(by_seed, ddof=1))
            parts = [sd_d ** 2 / runs]
            terms = [(parts[0], len(by_seed) - 1.0)]
            spread = f"paired by seed: sd {sd_d:.3g} of {len(by_seed)} per-seed differences"
        else:
            noise = [self._arm_sd(a), self._arm_sd(b)]
            if None in noise:
                return result
            (sd_a, df_a), (sd_b, df_b) = noise
            parts = [sd_a ** 2 / self._item_runs.get(a, 1), sd_b ** 2 / self._item_runs.get(b, 1)]
            if self.seed_sd == EACH_ARM:
                terms = [(parts[0], df_a), (parts[1], df_b)]
                spread = f"sd {sd_a:.3g} and {sd_b:.3g}, each arm's own"
            else:   # one sd for both arms: one estimate, its df once (a fixed arm has none)
                terms = [(sum(parts), df_a if df_a is not None else df_b)]
                spread = f"sd {self.seed_sd:.3g}"
        var = ((hi - lo) / (2 * 1.96)) ** 2 + sum(parts)
        se = math.sqrt(var)
        denominator = sum(v ** 2 / df for v, df in terms if df is not None and df > 0)
        df = var ** 2 / denominator if denominator > 0 else math.inf
        dist = stats.t(df) if math.isfinite(df) else stats.norm
        q = float(dist.ppf(0.975)) if math.isfinite(df) else 1.96
        p = float(2 * dist.sf(abs(d) / se)) if se > 0 else (0.0 if d else 1.0)
        t_part = f", t with {df:.1f} df" if math.isfinite(df) else ""
        return {**result, "ci95": [d - q * se, d + q * se], "p": max(p, result["p"] or 0.0),
                "test": f"{result['test']}, plus seed noise ({spread}{t_part})"}

    @classmethod
    def from_dict(cls, d: dict) -> "Experiment":
        """An experiment as saved in a results file (its arms' per-item scores are not saved: no new comparisons)."""
        exp = cls(d["name"], d["metric"], margin=d["margin"], higher_is_better=d["higher_is_better"], floor=d["floor"],
                  floor_label=d.get("floor_label", ""), ceiling=d["ceiling"], ceiling_label=d.get("ceiling_label", ""),
                  why_margin=d.get("why_margin", ""), seed_sd=d.get("seed_sd"), seed_df=d.get("seed_df"),
                  reads=d.get("reads", ""))
        exp.arms = {name: dict(arm) for name, arm in d["arms"].items()}
        exp.comparisons = [dict(c) for c in d["comparisons"]]
        return exp

    def problems(self) -> list[str]:
        """What keeps these numbers from backing a claim, as sentences: no arm more than 2 SE beyond the floor
        (the experiment shows nothing a trivial baseline does not), an arm within 2 SE of the ceiling (no room
        left to show a difference), and every inconclusive comparison. An empty list: nothing found."""
        out = []
        up = 1 if self.higher_is_better else -1          # +1: above the floor is better
        shown = lambda arm: (f"{arm['mean']:.4g} ± {arm['se']:.2g} SE" if arm["se"] is not None   # noqa: E731
                             else f"{arm['mean']:.4g}, no SE")
        beyond = lambda arm: up * (arm["mean"] - self.floor) > 2 * (arm["se"] or 0.0)            # noqa: E731
        if self.floor is not None and self.arms and not any(beyond(a) for a in self.arms.values()):
            floor = f"the floor {self.floor:g}" + (f" ({self.floor_label})" if self.floor_label else "")
            out.append(f"{self.name}: no arm is more than 2 SE {'above' if up > 0 else 'below'} {floor}: "
                       f"the experiment shows nothing a trivial baseline does not.")
        for name, arm in self.arms.items():
            if self.ceiling is not None and up * (self.ceiling - arm["mean"]) <= 2 * (arm["se"] or 0.0):
                ceiling = f"the ceiling {self.ceiling:g}" + (f" ({self.ceiling_label})" if self.ceiling_label else "")
                out.append(f"{self.name}: arm {name!r} ({shown(arm)}) is within 2 SE of {ceiling}: "
                           f"no room left to show a difference.")
        for c in self.comparisons:
            if c["verdict"] == "inconclusive":
                ci = (f"95% CI [{c['ci95'][0]:.3g}, {c['ci95'][1]:.3g}], p {c['p']:.2g}, margin ±{c['margin']:g}"
                      if c["ci95"] is not None and c["p"] is not None else "no test (one run per arm)")
                out.append(f"{self.name}: {c['a']!r} vs {c['b']!r} is inconclusive (difference {c['difference']:+.3g}, "
                           f"{ci}): more seeds or more items needed.")
        return out

    def to_dict(self) -> dict:
        return {"name": self.name, "metric": self.metric, "higher_is_better": self.higher_is_better,
                "floor": self.floor, "floor_label": self.floor_label, "ceiling": self.ceiling,
                "ceiling_label": self.ceiling_label, "margin": self.margin, "why_margin": self.why_margin,
                "seed_sd": self.seed_sd, "seed_df": self.seed_df, "reads": self.reads,
                "arms": {name: dict(arm) for name, arm in self.arms.items()},
                "comparisons": [dict(c) for c in self.comparisons]}


class Results:
    """An assignment's experiments, saved as one JSON file (see the module docstring)."""

    def __init__(self, assignment: str, profile, path: str | os.PathLike = "results.json"):
        self.assignment = assignment
        self.profile = str(getattr(profile, "name", profile))   # a Profile or its name
        self.path = Path(path)
        self.experiments: dict[str, Experiment] = {}
        self.facts: dict[str, object] = {}

    def fact(self, name: str, value):
        """A measured figure that is not an arm of an experiment (a parameter count, a step count), kept so
        that texts quoting it can be checked against this file."""
        self.facts[name] = _plain(value)
        return value

    def experiment(self, name: str, metric: str, *, margin: float, higher_is_better: bool = True,
                   floor: float | None = None, floor_label: str = "", ceiling: float | None = None,
                   ceiling_label: str = "", why_margin: str = "", seed_sd: float | str | None = None,
                   seed_df: float | None = None, reads: str = "") -> Experiment:
        """Start an experiment (the same name again starts it afresh). margin: the smallest difference that
        would matter, in the metric's units; why_margin: why that size; seed_sd: the run-to-run standard
        deviation measured for this metric (another seed, another model), which paired comparisons add to
        their item noise (see Experiment.compare), or "each arm" where every arm has seeds of its own and
        they spread differently: each comparison then adds its two arms' own spreads. seed_df: how many runs
        minus one a numeric seed_sd comes from, so that its uncertainty widens the interval (Student's t).
        reads: how the metric reads where "higher is better" would mislead (e.g. "higher: farther from the
        reference" for a distance); higher_is_better still sets which side of the floor counts."""
        self.experiments[name] = Experiment(name, metric, margin=margin, higher_is_better=higher_is_better, floor=floor,
                                            floor_label=floor_label, ceiling=ceiling, ceiling_label=ceiling_label,
                                            why_margin=why_margin, seed_sd=seed_sd, seed_df=seed_df, reads=reads)
        return self.experiments[name]

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "profile": self.profile,
                "experiments": [e.to_dict() for e in self.experiments.values()], "facts": self.facts}

    def save(self) -> Path:
        """Write the JSON: to a temporary file first, then renamed, so a crash never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, suffix=".tmp", delete=False) as f:
            try:
                json.dump(_round(self.to_dict()), f, indent=2)
            except BaseException:
                f.close()
                os.unlink(f.name)
                raise
        os.chmod(f.name, 0o644)             # a temporary file is private; a results file is not
        os.replace(f.name, self.path)
        return self.path

    @staticmethod
    def load(path: str | os.PathLike) -> dict:
        """A saved results file, as the dict it holds."""
        return json.loads(Path(path).read_text())

    def table(self):
        """One row per comparison: experiment, a, b, difference, ci95, p, verdict."""
        import pandas as pd
        rows = [{"experiment": e.name, **{k: c[k] for k in ("a", "b", "difference", "ci95", "p", "verdict")}}
                for e in self.experiments.values() for c in e.comparisons]
        return pd.DataFrame(rows, columns=["experiment", "a", "b", "difference", "ci95", "p", "verdict"])


def plot_comparisons(exp_or_results, ax=None):
    """Forest plot: each comparison's difference with its 95% CI, a line at 0 and dashed lines at ±margin."""
    import matplotlib.pyplot as plt
    if isinstance(exp_or_results, Results):
        rows = [(f"{e.name}: {c['a']} vs {c['b']}", c) for e in exp_or_results.experiments.values()
                for c in e.comparisons]
        metric = ", ".join(dict.fromkeys(e.metric for e in exp_or_results.experiments.values()))
    else:
        rows = [(f"{c['a']} vs {c['b']}", c) for c in exp_or_results.comparisons]
        metric = exp_or_results.metric
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.8 + 0.45 * max(1, len(rows))))
    ax.axvline(0, color="black", lw=1)
    for y, (_, c) in enumerate(rows):
        ax.vlines([-c["margin"], c["margin"]], y - 0.5, y + 0.5, colors="grey", linestyles="dashed")
        if c["ci95"] is None:
            ax.plot(c["difference"], y, "x", color="C3")          # no CI: one run per arm
        else:
            lo, hi = c["ci95"]
            below, above = max(0, c["difference"] - lo), max(0, hi - c["difference"])
            ax.errorbar(c["difference"], y, xerr=[[below], [above]], fmt="o", capsize=4,
                        color={"effect": "C0", "powered null": "C2"}.get(c["verdict"], "C1"))
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(f"difference in {metric} (a - b), 95% CI; dashed: ±margin")
    ax.set_title("comparisons")
    ax.grid(alpha=0.3, axis="x")
    return ax
