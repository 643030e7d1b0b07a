"""Experiment log and plots, and the platform's main job in the smoke profile."""
import json
import subprocess
import sys

import pytest

from shared.tracking import ExperimentLog, compare_seeds, plot_history, plot_runs
from shared.train import TrainConfig


def test_log_round_trip_and_survives_a_torn_line(tmp_path, capsys):
    log = ExperimentLog(tmp_path / "runs.jsonl")
    log.add("a", TrainConfig(lr=1e-4), {"f1": 50.0})
    log.add("b", {"lr": 3e-4, "nested": {"k": 2}}, {"f1": 61.5}, note="bigger lr")
    with open(log.path, "a") as f:
        f.write('{"run": "c", "f1"')  # a write cut short by a crash
    df = log.frame()
    assert list(df["run"]) == ["a", "b"] and list(df["f1"]) == [50.0, 61.5]
    assert df.loc[0, "cfg.lr"] == 1e-4 and df.loc[1, "cfg.nested.k"] == 2
    assert "Skipping line 3" in capsys.readouterr().out


def test_plots_draw_what_they_are_given(tmp_path):
    history = {"train": [{"step": s, "loss": 1 / s} for s in range(1, 6)],
               "eval": [{"step": 5, "eval_loss": 0.3, "f1": 40.0}]}
    ax = plot_history(history, metrics=("f1",))
    assert len(ax.lines) == 2 and list(ax.lines[0].get_ydata()) == [1 / s for s in range(1, 6)]
    log = ExperimentLog(tmp_path / "r.jsonl")
    for n, f1 in [(100, 30.0), (400, 45.0), (200, 38.0)]:
        log.add(f"n{n}", {"n": n}, {"f1": f1})
    ax = plot_runs(log.frame(), x="cfg.n", y="f1", logx=True)
    assert list(ax.lines[0].get_xdata()) == [100, 200, 400]  # sorted by x
    with pytest.raises(KeyError, match="no column"):
        plot_runs(log.frame(), x="epochs", y="f1")


def test_main_job_runs_in_smoke_profile(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "shared", "--profile", "smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "dev accuracy" in proc.stdout
    row = json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[-1])
    assert row["steps"] == 3 and (tmp_path / "learning_curve.png").stat().st_size > 1000


def test_compare_seeds_summarises_each_arm_by_hand():
    import pandas as pd
    runs = pd.DataFrame([{"method": m, "n": n, "seed": s, "acc": a} for m, n, s, a in [
        ("cls", 600, 0, 0.70), ("cls", 600, 1, 0.60), ("mean", 600, 0, 0.72), ("mean", 600, 1, 0.74),
        ("mean", 600, 2, 0.70), ("max", 600, 0, 0.62)]])
    table = compare_seeds(runs, by=["method", "n"], value="acc", plot=False)
    # best mean first; std is the sample std (n-1): cls (0.70, 0.60) -> 0.0707; mean (0.72, 0.74, 0.70) -> 0.02
    assert list(table["method"]) == ["mean", "cls", "max"]
    assert table.loc[0, "mean"] == pytest.approx(0.72) and table.loc[0, "std"] == pytest.approx(0.02)
    assert table.loc[1, "mean"] == pytest.approx(0.65) and table.loc[1, "std"] == pytest.approx(0.1 / 2 ** 0.5)
    assert list(table["runs"]) == [3, 2, 1] and pd.isna(table.loc[2, "std"])
    assert (table.loc[0, "low"], table.loc[0, "high"]) == (0.70, 0.74)
    import matplotlib.pyplot as plt
    _, ax = plt.subplots()
    plotted = compare_seeds(runs, by="method", value="acc", ax=ax)
    assert list(plotted["method"]) == ["mean", "cls", "max"]
    assert len(ax.lines) >= 3  # a row of dots per arm, plus the mean ± std bars
    with pytest.raises(KeyError, match="no column"):
        compare_seeds(runs, by="pooling", value="acc", plot=False)
