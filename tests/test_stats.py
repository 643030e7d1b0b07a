"""The statistics behind experimental claims (shared.tracking), checked against hand-computed cases,
scipy and simulation; and the results recorder's JSON."""
import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from shared.tracking import (Experiment, Results, compare_seeds, mcnemar, paired_bootstrap, plot_comparisons,
                             seed_permutation, seeds_needed, summarize, verdict)


# --- the tests on their own -------------------------------------------------------------------------------

def test_summarize_by_hand():
    s = summarize([1, 2, 3, 4])
    # sample std of 1..4 is sqrt(5/3); se = that / sqrt(4)
    assert s == {"mean": 2.5, "se": pytest.approx(math.sqrt(5 / 3) / 2), "n": 4, "values": [1.0, 2.0, 3.0, 4.0]}
    assert all(type(v) is float for v in s["values"]) and type(s["mean"]) is float
    assert summarize([41.2]) == {"mean": 41.2, "se": None, "n": 1, "values": [41.2]}


def test_mcnemar_on_a_table_by_hand():
    # 30 items: 15 both right, 5 both wrong, 8 only a right (b10), 2 only b right (b01)
    a = [1] * 15 + [0] * 5 + [1] * 8 + [0] * 2
    b = [1] * 15 + [0] * 5 + [0] * 8 + [1] * 2
    r = mcnemar(a, b)
    assert r["difference"] == pytest.approx(0.2)                 # 23/30 - 17/30
    assert r["p"] == pytest.approx(2 * (1 + 10 + 45) / 2 ** 10)    # two-sided P(X <= 2), X ~ Bin(10, 1/2)
    half = 1.96 * math.sqrt(10 - 6 ** 2 / 30) / 30
    assert r["ci95"] == pytest.approx([0.2 - half, 0.2 + half])
    assert r["test"] == "McNemar exact, 30 items" and r["n"] == 30
    swapped = mcnemar(b, a)
    assert swapped["difference"] == pytest.approx(-0.2) and swapped["p"] == pytest.approx(r["p"])
    same = mcnemar([1, 0, 1], [1, 0, 1])                         # no discordant pairs
    assert same["p"] == 1.0 and same["difference"] == 0 and same["ci95"] == [0, 0]
    with pytest.raises(ValueError, match="0/1"):
        mcnemar([0.5, 1], [1, 0])


def test_seed_permutation_exact_by_hand_and_welch_against_scipy():
    # a = [3, 4], b = [1, 2]: the 6 ways to pick a's two runs from {3, 4, 1, 2} give differences
    # 2, -1, 0, 0, 1, -2; two of them are as far from 0 as the observed 2, so p = 2/6.
    r = seed_permutation([3, 4], [1, 2])
    assert r["difference"] == 2 and r["p"] == pytest.approx(1 / 3)
    assert r["test"] == "permutation over seeds (exact), Welch 95% CI, 2 vs 2 runs"
    # Welch by hand: se = sqrt(0.5/2 + 0.5/2), df = 2, t_0.975(2) = 4.302653
    assert r["ci95"] == pytest.approx([2 - 4.302653 * math.sqrt(0.5), 2 + 4.302653 * math.sqrt(0.5)], rel=1e-6)
    a, b = [10.0, 12.0, 17.0, 11.0], [1.0, 2.0, 1.5]               # unequal variances and sizes
    r = seed_permutation(a, b)
    ttest = stats.ttest_ind(a, b, equal_var=False)
    if hasattr(ttest, "confidence_interval"):
        expected = list(ttest.confidence_interval(0.95))
    else:                                                          # older scipy: Welch by hand
        va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
        df = (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2)
        half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
        expected = [np.mean(a) - np.mean(b) - half, np.mean(a) - np.mean(b) + half]
    assert r["ci95"] == pytest.approx(expected)
    # a holds the four largest runs: of the C(7, 4) = 35 splits only the observed one is that extreme
    # (the four smallest give -9.7, not -11)
    assert r["difference"] == 11 and r["p"] == pytest.approx(1 / 35)


def test_seed_permutation_random_matches_full_enumeration():
    a = [0.61, 0.58, 0.66, 0.60, 0.63, 0.57, 0.64, 0.59, 0.62]
    b = [0.60, 0.55, 0.59, 0.61, 0.56, 0.58, 0.62, 0.57, 0.54]
    r = seed_permutation(a, b)                                     # C(18, 9) = 48,620 > 20,000: random
    assert "(random)" in r["test"] and "9 vs 9 runs" in r["test"]
    pooled, observed = a + b, np.mean(a) - np.mean(b)
    count = total = 0
    for idx in itertools.combinations(range(18), 9):
        chosen = set(idx)
        mean_a = sum(pooled[i] for i in chosen) / 9
        mean_b = sum(pooled[i] for i in range(18) if i not in chosen) / 9
        count += abs(mean_a - mean_b) >= abs(observed) - 1e-12
        total += 1
    exact = count / total
    assert 0.01 < exact < 0.2                                      # a case where the estimate has work to do
    assert r["p"] == pytest.approx(exact, abs=0.01)                # 10,000 resamples: sd about 0.003


def test_seed_permutation_with_one_run_per_arm_has_no_test():
    r = seed_permutation([50.0], [45.0])
    assert r["difference"] == 5 and r["ci95"] is None and r["p"] is None
    assert r["test"] == "one run per arm: no test"
    assert verdict(r["ci95"], 1.0) == "inconclusive"
    assert seed_permutation([50.0, 51.0, 49.0], [45.0])["p"] is None


def test_paired_bootstrap_sign_flip_p_by_hand_and_length_check():
    # per-item differences (1, 1, 1): of the 8 sign patterns, 2 give |mean| = 1, so p = 2/8
    r = paired_bootstrap([1, 1, 1], [0, 0, 0])
    assert r["difference"] == 1 and r["p"] == pytest.approx(0.25, abs=0.015) and r["ci95"] == [1, 1]
    assert r["p"] == 0.25                                              # exact: all 8 patterns enumerated
    assert r["test"] == "paired t CI, sign-flip permutation p, 3 items" and r["n"] == 3   # few items: a t interval
    # 20 items all +1: exact p = 2/2^20, so no random sign flip reaches it
    assert paired_bootstrap([1] * 20, [0] * 20)["p"] == pytest.approx(1 / 10_001)
    with pytest.raises(ValueError, match=r"3 and 4"):
        paired_bootstrap([1, 2, 3], [1, 2, 3, 4])


def test_paired_bootstrap_ci_covers_the_true_difference():
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(40):
        difficulty = rng.normal(0, 1, 80)
        a = difficulty + 0.3 + rng.normal(0, 0.5, 80)
        b = difficulty + rng.normal(0, 0.5, 80)
        lo, hi = paired_bootstrap(a, b, n_resamples=2000, seed=int(rng.integers(1_000)))["ci95"]
        covered += lo <= 0.3 <= hi
    assert covered >= 34                                           # 95% nominal; 34/40 = 85%
    # many items: the percentile interval is close to the normal one, mean ± 1.96 sd / sqrt(n)
    d = rng.normal(0.3, 1.0, 2000)
    lo, hi = paired_bootstrap(d, np.zeros_like(d))["ci95"]
    assert hi - lo == pytest.approx(2 * 1.96 * d.std(ddof=1) / math.sqrt(2000), rel=0.05)


def test_pairing_gives_a_narrower_interval_on_correlated_items():
    rng = np.random.default_rng(0)
    difficulty = rng.normal(0, 1, 100)                             # items differ far more than the arms do
    a = difficulty + 0.1 + rng.normal(0, 0.1, 100)
    b = difficulty + rng.normal(0, 0.1, 100)
    paired = paired_bootstrap(a, b)
    unpaired = seed_permutation(a, b)                              # the same numbers, treated as independent
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(paired["ci95"]) < 0.25 * width(unpaired["ci95"])
    assert verdict(paired["ci95"], 0.05) == "effect" and verdict(unpaired["ci95"], 0.05) == "inconclusive"
    assert paired["ci95"][0] < 0.1 < paired["ci95"][1]


def test_verdict_three_cases():
    assert verdict([0.5, 2.0], margin=1.0) == "effect"
    assert verdict([-3.0, -0.1], margin=1.0) == "effect"
    assert verdict([-0.8, 0.9], margin=1.0) == "powered null"
    assert verdict([0.0, 0.9], margin=1.0) == "powered null"        # touching 0 does not exclude it
    assert verdict([-0.5, 1.5], margin=1.0) == "inconclusive"
    assert verdict(None, margin=1.0) == "inconclusive"
    # an interval that excludes 0 while the test itself does not reject (McNemar's exact p 0.109 with a
    # Wald interval above 0) is not called an effect
    assert verdict([0.006, 0.394], margin=0.2, p=0.109) == "inconclusive"
    assert verdict([0.006, 0.394], margin=0.2, p=0.01) == "effect"


def test_seeds_needed_textbook_case():
    assert seeds_needed(sd=1, difference=1) == 16                  # 2 (1.96 + 0.84)^2 = 15.7 -> 16 per arm
    assert seeds_needed(sd=1, difference=1, paired=True) == 8
    assert seeds_needed(sd=2, difference=1) == 63                  # 4 x 15.7 = 62.8
    assert seeds_needed(sd=1, difference=-1) == 16
    assert seeds_needed(sd=1, difference=1, alpha=0.01, power=0.9) == 30   # 2 (2.576 + 1.282)^2 = 29.8
    assert seeds_needed(sd=0.1, difference=5) == 2                 # never fewer than 2
    with pytest.raises(ValueError):
        seeds_needed(sd=1, difference=0)


def test_seeds_needed_gives_the_promised_power_in_simulation():
    rng = np.random.default_rng(0)

    def power(n, difference, sd, sims=4000):
        a = rng.normal(difference, sd, (sims, n))
        b = rng.normal(0, sd, (sims, n))
        return (stats.ttest_ind(a, b, axis=1).pvalue < 0.05).mean()

    n = seeds_needed(sd=2.0, difference=1.5)
    assert n == 28
    assert 0.75 < power(n, 1.5, 2.0) < 0.85                        # the t-test's true power at n = 28: ~0.79
    assert power(n // 2, 1.5, 2.0) < 0.6                           # half as many runs: clearly underpowered
    n = seeds_needed(sd=1.0, difference=0.5, paired=True)
    diffs = rng.normal(0.5, 1.0, (4000, n))
    assert n == 32 and 0.75 < (stats.ttest_1samp(diffs, 0, axis=1).pvalue < 0.05).mean() < 0.85


def test_compare_seeds_table_has_the_standard_error():
    import pandas as pd
    runs = pd.DataFrame({"arm": ["x", "x", "x", "y", "y"], "acc": [0.70, 0.72, 0.74, 0.60, 0.64]})
    table = compare_seeds(runs, by="arm", value="acc", plot=False)
    assert list(table.columns) == ["arm", "mean", "std", "se", "runs", "low", "high"]
    assert table.loc[0, "se"] == pytest.approx(0.02 / math.sqrt(3))
    assert table.loc[1, "se"] == pytest.approx(summarize([0.60, 0.64])["se"])


# --- the results recorder -----------------------------------------------------------------------------------

def _levers(path):
    results = Results("a1_qa_finetuning", "smoke", path=path)
    exp = results.experiment("levers", metric="dev F1", higher_is_better=True, floor=35.1,
                             floor_label="overlap matcher", ceiling=100.0, ceiling_label="exact span",
                             margin=5.0, why_margin="smaller gains do not change which lever to pull")
    exp.arm("baseline", values=[41.23456789, 40.8, 42.0, 41.5, 40.2])   # 5 seeds: an exact permutation can reach p < 0.05
    exp.arm("lr 3e-4", values=[47.9, 46.5, 48.8, 47.1, 48.0])
    return results, exp


def test_results_json_shape_and_round_trip(tmp_path):
    path = tmp_path / "runs" / "a1" / "results.json"               # folders that do not exist yet
    results, exp = _levers(path)
    rng = np.random.default_rng(0)
    exp.arm("one run", values=[61.0], items=rng.random(50))
    exp.compare("lr 3e-4", "baseline")
    assert results.save() == path
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]   # no temporary file left behind
    saved = Results.load(path)
    assert saved == json.loads(path.read_text())
    assert set(saved) == {"assignment", "profile", "experiments", "facts"}
    assert (saved["assignment"], saved["profile"]) == ("a1_qa_finetuning", "smoke")
    (e,) = saved["experiments"]
    assert set(e) == {"name", "metric", "higher_is_better", "floor", "floor_label", "ceiling", "ceiling_label",
                      "margin", "why_margin", "seed_sd", "seed_df", "reads", "arms", "comparisons"}
    assert (e["floor"], e["ceiling"], e["margin"], e["higher_is_better"]) == (35.1, 100.0, 5.0, True)
    assert set(e["arms"]["baseline"]) == {"mean", "se", "n", "values"}
    assert set(e["arms"]["one run"]) == {"mean", "se", "n", "values", "items_n"}
    assert e["arms"]["one run"]["items_n"] == 50 and e["arms"]["one run"]["n"] == 1
    assert e["arms"]["baseline"]["values"] == [41.2346, 40.8, 42.0, 41.5, 40.2]            # 6 significant digits
    assert e["arms"]["baseline"]["mean"] == float(f"{np.mean([41.23456789, 40.8, 42.0, 41.5, 40.2]):.6g}")
    (c,) = e["comparisons"]
    assert set(c) == {"a", "b", "difference", "ci95", "test", "p", "verdict", "margin"}
    assert (c["a"], c["b"], c["margin"]) == ("lr 3e-4", "baseline", 5.0)
    assert c["verdict"] in {"effect", "powered null", "inconclusive"} and len(c["ci95"]) == 2
    # the file is plain JSON that a second save rewrites in place
    exp.arm("one run", values=[62.0], items=rng.random(50))
    results.save()
    assert Results.load(path)["experiments"][0]["arms"]["one run"]["values"] == [62.0]


def test_an_arm_with_one_run_takes_its_se_from_the_items_in_the_values_units(tmp_path):
    results, exp = _levers(tmp_path / "r.json")
    items = [1] * 30 + [0] * 20                                    # accuracy 0.6, reported as 60 (%)
    arm = exp.arm("single", values=[60.0], items=items, kind="accuracy")
    assert arm["mean"] == 60.0 and arm["n"] == 1
    assert arm["se"] == pytest.approx(100 * np.std(items, ddof=1) / math.sqrt(50))
    assert exp.arm("alone", values=[60.0])["se"] is None


def test_re_adding_an_arm_or_a_comparison_replaces_it(tmp_path):
    results, exp = _levers(tmp_path / "r.json")
    first = exp.compare("lr 3e-4", "baseline")
    exp.compare("lr 3e-4", "baseline")
    assert len(exp.comparisons) == 1
    exp.arm("lr 3e-4", values=[41.0, 42.1, 40.9])                  # a cell re-run with new numbers
    assert list(exp.arms) == ["baseline", "lr 3e-4"] and exp.arms["lr 3e-4"]["values"] == [41.0, 42.1, 40.9]
    assert len(exp.comparisons) == 1                               # the comparison follows the new arm
    assert exp.comparisons[0]["difference"] == pytest.approx(np.mean([41.0, 42.1, 40.9]) -
                                                             np.mean([41.23456789, 40.8, 42.0, 41.5, 40.2]))
    assert exp.comparisons[0]["difference"] != first["difference"]
    exp.compare("baseline", "lr 3e-4")                             # the other direction is another comparison
    assert len(exp.comparisons) == 2
    again = results.experiment("levers", metric="dev F1", margin=5.0)   # re-running the cell that starts it
    assert len(results.experiments) == 1 and again.arms == {}


def test_compare_picks_the_test_from_what_the_arms_hold(tmp_path):
    rng = np.random.default_rng(0)
    results = Results("a3", "smoke", path=tmp_path / "r.json")
    exp = results.experiment("pooling", metric="dev accuracy (%)", margin=2.0)
    right_a = (rng.random(400) < 0.80).astype(int)
    right_b = right_a.copy()                                       # the same items, mostly the same answers:
    right_b[np.flatnonzero(right_a == 1)[:50]] = 0                 # 50 that only a gets right,
    right_b[np.flatnonzero(right_a == 0)[:10]] = 1                 # 10 that only b gets right
    exp.arm("mean", values=[100 * right_a.mean()], items=right_a, kind="accuracy")
    exp.arm("cls", values=[100 * right_b.mean()], items=right_b, kind="accuracy")
    c = exp.compare("mean", "cls")
    assert c["test"] == "McNemar exact, 400 items"
    # the test ran on 0/1 items; the difference is reported in the values' units (percentage points)
    assert c["difference"] == pytest.approx(100 * (right_a.mean() - right_b.mean()))
    assert c["p"] == pytest.approx(mcnemar(right_a, right_b)["p"])
    assert c["verdict"] == verdict(c["ci95"], 2.0) == "effect"

    f1_a, f1_b = rng.random(400), rng.random(400)
    exp.arm("f1 a", values=[f1_a.mean()], items=f1_a)
    exp.arm("f1 b", values=[f1_b.mean()], items=f1_b)
    exp.arm("acc b", values=[f1_b.mean()], items=(f1_b > 0.5).astype(int), kind="accuracy")
    assert exp.compare("f1 a", "f1 b")["test"].startswith("paired bootstrap")
    assert exp.compare("f1 a", "acc b")["test"].startswith("paired bootstrap")   # only one arm is 0/1

    exp.arm("short", values=[50.0, 52.0], items=right_a[:100], kind="accuracy")
    exp.arm("long", values=[60.0, 61.0], items=right_b, kind="accuracy")
    assert exp.compare("long", "short")["test"] == "permutation over seeds (exact), Welch 95% CI, 2 vs 2 runs"
    assert exp.compare("mean", "long")["test"] == "McNemar exact, 400 items"   # same length: paired
    exp.arm("seeds a", values=[80.0, 81.0, 79.5])
    exp.arm("seeds b", values=[70.0, 71.5, 69.0])
    c = exp.compare("seeds a", "seeds b", margin=5.0)
    assert c["test"] == "permutation over seeds (exact), Welch 95% CI, 3 vs 3 runs" and c["margin"] == 5.0
    # 3 runs against 3: the exact permutation's smallest p is 2/20 = 0.1, so however far apart, no effect
    assert c["p"] == pytest.approx(0.1) and c["verdict"] == "inconclusive"
    exp.arm("seeds a", values=[80.0, 81.0, 79.5, 80.4, 80.9])
    exp.arm("seeds b", values=[70.0, 71.5, 69.0, 70.2, 70.8])
    assert exp.compare("seeds a", "seeds b", margin=5.0)["verdict"] == "effect"
    with pytest.raises(KeyError, match="no arm 'missing'"):
        exp.compare("seeds a", "missing")


def test_problems_catch_floor_ceiling_and_inconclusive(tmp_path):
    results, exp = _levers(tmp_path / "r.json")
    exp.compare("lr 3e-4", "baseline")                             # 6.4 points apart, tight: an effect
    assert exp.comparisons[0]["verdict"] == "effect"
    assert exp.problems() == []                                    # a clean experiment

    exp.arm("at floor", values=[35.0, 36.2, 35.6])                 # mean 35.6, 2 SE = 0.69: 35.1 is within
    exp.arm("at ceiling", values=[99.9, 99.5, 100.0])
    exp.arm("noisy", values=[45.0, 60.0, 52.0])                    # well above the floor, but noisy
    exp.compare("noisy", "baseline")
    found = exp.problems()                                         # other arms are beyond the floor: no floor problem
    assert len(found) == 2, found
    assert "'at ceiling'" in found[0] and "ceiling 100" in found[0]
    assert "'noisy' vs 'baseline' is inconclusive" in found[1]
    alone = results.experiment("at the floor", metric="dev F1", floor=35.1, floor_label="overlap matcher", margin=5.0)
    alone.arm("at floor", values=[35.0, 36.2, 35.6])
    alone.arm("below", values=[20.0, 21.0, 22.0])
    (only,) = alone.problems()                                     # no arm more than 2 SE above the floor
    assert "no arm" in only and "floor 35.1" in only and "overlap matcher" in only
    # just over 2 SE above the floor is enough
    alone.arm("at floor", values=[36.0, 37.0, 38.0])               # mean 37, 2 SE = 1.15: 35.85 > 35.1
    assert alone.problems() == []


def test_problems_respect_lower_is_better(tmp_path):
    results = Results("a4", "smoke", path=tmp_path / "r.json")
    exp = results.experiment("perplexity", metric="dev perplexity", higher_is_better=False, floor=100.0,
                             floor_label="unigram model", ceiling=1.0, ceiling_label="perfect prediction",
                             margin=2.0)
    exp.arm("bad", values=[99.0, 101.5, 100.2])
    found = exp.problems()                                         # the only arm is at the floor
    assert len(found) == 1 and "no arm" in found[0] and "below the floor" in found[0]
    exp.arm("good", values=[40.0, 41.0, 39.5])
    assert exp.problems() == []                                    # one arm far below the floor is enough
    exp.arm("perfect", values=[1.0, 1.0, 1.03])
    found = exp.problems()
    assert len(found) == 1 and "'perfect'" in found[0] and "ceiling" in found[0]


def test_table_and_forest_plot(tmp_path):
    results, exp = _levers(tmp_path / "r.json")
    exp.compare("lr 3e-4", "baseline")
    exp.arm("single", values=[44.0])
    exp.compare("single", "baseline")                              # no CI: one run
    other = results.experiment("data size", metric="dev F1", margin=3.0)
    other.arm("2k", values=[40.0, 41.0])
    other.arm("8k", values=[40.5, 41.2])
    other.compare("8k", "2k")
    table = results.table()
    assert list(table.columns) == ["experiment", "a", "b", "difference", "ci95", "p", "verdict"]
    assert list(table["experiment"]) == ["levers", "levers", "data size"]
    assert list(table["verdict"][:2]) == ["effect", "inconclusive"] and table["ci95"][1] is None

    ax = plot_comparisons(exp)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["lr 3e-4 vs baseline", "single vs baseline"]
    dashed = [c for c in ax.collections if c.get_linestyle()[0][1] is not None]   # the ±margin lines
    xs = sorted({round(float(x), 6) for c in dashed for seg in c.get_segments() for x in seg[:, 0]})
    assert xs == [-5.0, 5.0]
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.lines)             # the line at 0
    ax = plot_comparisons(results)
    assert len(ax.get_yticklabels()) == 3 and "data size: 8k vs 2k" in [t.get_text() for t in ax.get_yticklabels()]


def test_paired_bootstrap_f1_recomputes_f1_from_summed_counts():
    from shared.tracking import f1_from_counts, paired_bootstrap_f1
    # by hand: a finds 8 of 10 gold entities with 9 predictions, b 6 of 10 with 10: F1 16/19 and 12/20
    a = [(4, 4, 5), (4, 5, 5)]
    b = [(3, 5, 5), (3, 5, 5)]
    assert f1_from_counts(a) == pytest.approx(16 / 19) and f1_from_counts(b) == pytest.approx(12 / 20)
    r = paired_bootstrap_f1(a, b, n_resamples=2000)
    assert r["difference"] == pytest.approx(16 / 19 - 12 / 20) and r["n"] == 2
    assert paired_bootstrap_f1(a, a)["ci95"] == [0.0, 0.0] and paired_bootstrap_f1(a, a)["p"] == 1.0
    # F1 is not the mean of per-item F1s: the bootstrap must resample items and sum their counts
    lopsided = [(0, 1, 1), (50, 50, 50)]
    assert f1_from_counts(lopsided) == pytest.approx(100 / 102)
    with pytest.raises(ValueError, match="count arrays"):
        paired_bootstrap_f1(a, b[:1])


def test_f1_arms_compare_paired_and_report_a_bootstrap_se(tmp_path):
    rng = np.random.default_rng(3)
    gold = rng.integers(1, 4, 300)
    better = np.c_[np.minimum(gold, rng.binomial(gold, 0.95)), gold, gold]
    worse = np.c_[np.minimum(gold, rng.binomial(gold, 0.80)), gold, gold]
    exp = Results("a2", "smoke", path=tmp_path / "r.json").experiment("ner", metric="entity F1", margin=0.02,
                                                                      floor=0.0, ceiling=1.0)
    exp.arm("adapted", items=better, kind="f1")
    exp.arm("original", items=worse, kind="f1")
    assert 0.005 < exp.arms["adapted"]["se"] < 0.03 and exp.arms["adapted"]["items_n"] == 300
    c = exp.compare("adapted", "original")
    assert c["test"] == "paired bootstrap of micro F1 over 300 items" and c["verdict"] == "effect"
    assert c["ci95"][0] < c["difference"] < c["ci95"][1]
    assert exp.compare("adapted", "adapted")["verdict"] == "powered null"


def test_few_items_get_a_t_interval_and_an_exact_sign_flip_p():
    from scipy import stats
    a, b = [0.9, 0.8, 0.95, 0.7, 0.85], [0.5, 0.6, 0.4, 0.55, 0.5]
    r = paired_bootstrap(a, b)
    d = np.subtract(a, b)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
    assert r["ci95"] == pytest.approx([d.mean() - half, d.mean() + half])
    assert r["p"] == 2 / 32            # all five differences positive: 2 of the 32 sign patterns are as extreme
    assert verdict(r["ci95"], 0.05, r["p"]) == "inconclusive"   # five items can never reach p < 0.05


def test_seed_noise_widens_paired_comparisons(tmp_path):
    """A lever's run against the baseline's run, paired over questions, compares two models; with the
    measured seed-to-seed sd the interval also covers another seed of either recipe."""
    rng = np.random.default_rng(5)
    base = rng.random(200) * 100
    lever = base + rng.normal(3.0, 5.0, 200)
    plain = Results("a1", "smoke", path=tmp_path / "a.json").experiment("levers", "F1", margin=5.0)
    noisy = Results("a1", "smoke", path=tmp_path / "b.json").experiment("levers", "F1", margin=5.0, seed_sd=2.0)
    for exp in (plain, noisy):
        exp.arm("baseline", values=[base.mean(), base.mean() + 1, base.mean() - 1], items=base)
        exp.arm("lever", values=[lever.mean()], items=lever)
    c0, c1 = plain.compare("lever", "baseline"), noisy.compare("lever", "baseline")
    assert c1["difference"] == pytest.approx(c0["difference"])
    se0 = (c0["ci95"][1] - c0["ci95"][0]) / (2 * 1.96)
    assert (c1["ci95"][1] - c1["ci95"][0]) / (2 * 1.96) == pytest.approx(math.sqrt(se0 ** 2 + 2 * 2.0 ** 2), rel=1e-6)
    assert c1["p"] >= c0["p"] and c1["test"].endswith("plus seed noise (sd 2)")
    # items averaged over 4 runs carry a quarter of the seed variance each
    noisy.arm("lever", values=[lever.mean()] * 4, items=lever, item_runs=4)
    noisy.arm("baseline", values=[base.mean()] * 4, items=base, item_runs=4)
    c2 = noisy.compare("lever", "baseline")
    assert (c2["ci95"][1] - c2["ci95"][0]) / (2 * 1.96) == pytest.approx(math.sqrt(se0 ** 2 + 2 * 2.0 ** 2 / 4), rel=1e-6)


def test_seed_noise_of_each_arm_when_arms_spread_differently(tmp_path):
    """Where one arm's seeds spread far more than another's (a2's max pooling against CLS), a pooled sd would
    charge one arm's instability to every comparison; with seed_sd "each arm" a comparison adds its own two
    arms' variances, each divided by the runs its items average, and an arm of one run takes the pooled sd of
    the arms that have several. Each sd comes from a few runs, so the interval uses Student's t with
    Welch-Satterthwaite degrees of freedom (the items' part counted as exact)."""
    from scipy import stats
    rng = np.random.default_rng(7)
    base = (rng.random(300) < 0.8).astype(float)
    steady, steady2, shaky, single = [0.80, 0.81, 0.79], [0.78, 0.79, 0.77], [0.70, 0.78, 0.62], [0.75]
    exp = Results("a2", "smoke", path=tmp_path / "r.json").experiment("poolings", "accuracy", margin=0.03,
                                                                      seed_sd="each arm")
    plain = Results("a2", "smoke", path=tmp_path / "p.json").experiment("poolings", "accuracy", margin=0.03)
    for e in (exp, plain):
        e.arm("steady", values=steady, items=base, kind="score", item_runs=3)
        e.arm("steady too", values=steady2, items=np.roll(base, 3), kind="score", item_runs=3)
        e.arm("shaky", values=shaky, items=np.roll(base, 1), kind="score", item_runs=3)
        e.arm("single", values=single, items=np.roll(base, 2), kind="score")

    def expected(c0, parts_and_df):
        var_items = ((c0["ci95"][1] - c0["ci95"][0]) / (2 * 1.96)) ** 2
        var = var_items + sum(v for v, _ in parts_and_df)
        df = var ** 2 / sum(v ** 2 / k for v, k in parts_and_df)
        return stats.t.ppf(0.975, df) * math.sqrt(var), df

    half = lambda c: (c["ci95"][1] - c["ci95"][0]) / 2          # noqa: E731
    c = exp.compare("steady", "shaky")
    want, df = expected(plain.compare("steady", "shaky"), [(0.01 ** 2 / 3, 2), (0.08 ** 2 / 3, 2)])
    assert half(c) == pytest.approx(want, rel=1e-6)
    assert c["test"].endswith(f"plus seed noise (sd 0.01 and 0.08, each arm's own, t with {df:.1f} df)")
    # two steady arms are not widened by the shaky one (a pooled sd would be)
    c = exp.compare("steady", "steady too")
    want, _ = expected(plain.compare("steady", "steady too"), [(0.01 ** 2 / 3, 2), (0.01 ** 2 / 3, 2)])
    assert half(c) == pytest.approx(want, rel=1e-6)
    # one run: the pooled variance of the arms with several (weighted by their df: 2 each here), 6 df
    pooled = (0.01 ** 2 + 0.01 ** 2 + 0.08 ** 2) / 3
    want, _ = expected(plain.compare("single", "steady"), [(pooled, 6), (0.01 ** 2 / 3, 2)])
    assert half(exp.compare("single", "steady")) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="each arm"):
        Results("a2", "smoke", path=tmp_path / "x.json").experiment("x", "accuracy", margin=0.03, seed_sd="each")


def test_a_fixed_arm_adds_no_seed_noise_but_keeps_its_items_se(tmp_path):
    """Zero-shot prompting has no examples to draw: its one run is what every seed would give. Against a few-shot
    arm of four draws, only the few-shot arm's own spread (3 df) joins the items' part; were the zero-shot arm an
    ordinary one-run arm, it would borrow the pooled spread of the arms with several. Its SE is still its items'."""
    from scipy import stats
    rng = np.random.default_rng(3)
    zero = (rng.random(400) < 0.6).astype(float)
    draws = [0.55, 0.50, 0.52, 0.49]
    exp = Results("a4", "smoke", path=tmp_path / "r.json").experiment("shots", "accuracy", margin=0.05,
                                                                      seed_sd="each arm")
    plain = Results("a4", "smoke", path=tmp_path / "p.json").experiment("shots", "accuracy", margin=0.05)
    for e in (exp, plain):
        e.arm("4 shots", values=draws, items=np.roll(zero, 5), kind="score", item_runs=4)
    exp.arm("0 shots", items=zero, kind="accuracy", fixed=True)
    plain.arm("0 shots", items=zero, kind="accuracy")
    assert exp.arms["0 shots"]["se"] == pytest.approx(np.std(zero, ddof=1) / math.sqrt(400))
    assert exp.arms["0 shots"]["fixed"] is True and "fixed" not in exp.arms["4 shots"]
    c0, c = plain.compare("4 shots", "0 shots"), exp.compare("4 shots", "0 shots")
    var = ((c0["ci95"][1] - c0["ci95"][0]) / (2 * 1.96)) ** 2 + np.var(draws, ddof=1) / 4
    df = var ** 2 / ((np.var(draws, ddof=1) / 4) ** 2 / 3)
    assert (c["ci95"][1] - c["ci95"][0]) / 2 == pytest.approx(stats.t.ppf(0.975, df) * math.sqrt(var), rel=1e-6)
    # an ordinary one-run arm borrows the spread of the arms with several: wider
    exp.arm("0 shots, not fixed", items=zero, kind="accuracy")
    c2 = exp.compare("4 shots", "0 shots, not fixed")
    assert c2["ci95"][1] - c2["ci95"][0] > c["ci95"][1] - c["ci95"][0]
    assert Experiment.from_dict(exp.to_dict()).arms["0 shots"]["fixed"] is True
    with pytest.raises(ValueError, match="fixed"):
        exp.arm("x", values=[0.5, 0.6], fixed=True)
    # two fixed arms: a plain paired test, no seed noise in its name or its interval
    exp.arm("0 shots, other wording", items=np.roll(zero, 7), kind="accuracy", fixed=True)
    both = exp.compare("0 shots", "0 shots, other wording")
    assert both["test"] == "McNemar exact, 400 items"
    # one sd for every arm (a number, with its df): a fixed arm a takes the df of arm b, Student's t either way round
    one = Results("a4", "smoke", path=tmp_path / "o.json").experiment("shots", "accuracy", margin=0.05, seed_sd=0.05,
                                                                      seed_df=4)
    one.arm("4 shots", values=draws, items=np.roll(zero, 5), kind="score", item_runs=4)
    one.arm("0 shots", items=zero, kind="accuracy", fixed=True)
    ab, ba = one.compare("0 shots", "4 shots"), one.compare("4 shots", "0 shots")
    assert "t with" in ab["test"] and "t with" in ba["test"]
    assert ab["ci95"][1] - ab["ci95"][0] == pytest.approx(ba["ci95"][1] - ba["ci95"][0])


def test_a_seed_sd_from_few_runs_widens_the_interval_by_students_t(tmp_path):
    """a1's lever (one run) against its baseline (three seeds): the seed sd comes from three runs (2 df), so
    the interval's quantile is Student's t at the Welch-Satterthwaite df, not 1.96; a known sd keeps 1.96."""
    from scipy import stats
    rng = np.random.default_rng(3)
    base = rng.random(264) * 100
    lever = np.clip(base - 10 + rng.normal(0, 20, 264), 0, 100)
    known = Results("a1", "smoke", path=tmp_path / "k.json").experiment("levers", "F1", margin=5.0, seed_sd=3.2)
    few = Results("a1", "smoke", path=tmp_path / "f.json").experiment("levers", "F1", margin=5.0, seed_sd=3.2,
                                                                      seed_df=2)
    for e in (known, few):
        e.arm("baseline", values=[base.mean()] * 3, items=base, item_runs=3)
        e.arm("lever", values=[lever.mean()], items=lever)
    k, f = known.compare("lever", "baseline"), few.compare("lever", "baseline")
    se = (k["ci95"][1] - k["ci95"][0]) / (2 * 1.96)
    seed_var = 3.2 ** 2 * (1 + 1 / 3)
    df = se ** 4 / (seed_var ** 2 / 2)
    assert (f["ci95"][1] - f["ci95"][0]) / 2 == pytest.approx(stats.t.ppf(0.975, df) * se, rel=1e-6)
    assert f["p"] >= 2 * stats.t.sf(abs(f["difference"]) / se, df) - 1e-12
    assert f["p"] > k["p"] and f["test"].endswith(f"t with {df:.1f} df)") and k["test"].endswith("(sd 3.2)")


def test_arms_on_the_same_seeds_are_compared_seed_by_seed(tmp_path):
    """a2's poolings: seed s gives every pooling the same initial head and order of batches. Two arms that
    name the same seeds are blocked by seed: their seed part is the variance of the per-seed differences over
    the n seeds (n - 1 df), not the two arms' own variances; what a seed does to both arms alike cancels.
    Values given in another seed order are matched by seed; arms without seeds keep each arm's own spread."""
    from scipy import stats
    rng = np.random.default_rng(11)
    base = (rng.random(400) < 0.85).astype(float)
    a_vals, b_vals = [0.854, 0.881, 0.908, 0.870], [0.823, 0.869, 0.865, 0.850]   # both rise with the seed
    exp = Results("a2", "smoke", path=tmp_path / "s.json").experiment("poolings", "accuracy", margin=0.03,
                                                                      seed_sd="each arm")
    plain = Results("a2", "smoke", path=tmp_path / "p.json").experiment("poolings", "accuracy", margin=0.03)
    unseeded = Results("a2", "smoke", path=tmp_path / "u.json").experiment("poolings", "accuracy", margin=0.03,
                                                                           seed_sd="each arm")
    for e in (exp, plain, unseeded):
        seeded = e is exp
        e.arm("cls", values=a_vals, items=base, item_runs=4, seeds=[0, 1, 2, 3] if seeded else None)
        # b's values listed in another seed order: matched by seed, not by position
        e.arm("mean", values=[b_vals[i] for i in (2, 0, 3, 1)], items=np.roll(base, 5), item_runs=4,
              seeds=[2, 0, 3, 1] if seeded else None)
    c, c0, cu = exp.compare("cls", "mean"), plain.compare("cls", "mean"), unseeded.compare("cls", "mean")
    d = np.subtract(a_vals, b_vals)
    var_items = ((c0["ci95"][1] - c0["ci95"][0]) / (2 * 1.96)) ** 2
    part = np.var(d, ddof=1) / 4
    df = (var_items + part) ** 2 / (part ** 2 / 3)
    half = stats.t.ppf(0.975, df) * math.sqrt(var_items + part)
    assert (c["ci95"][1] - c["ci95"][0]) / 2 == pytest.approx(half, rel=1e-6)
    assert c["test"].endswith(f"(paired by seed: sd {np.std(d, ddof=1):.3g} of 4 per-seed differences, t with {df:.1f} df)")
    # the seed shared by both arms cancels: narrower than each arm's own spread added
    assert c["ci95"][1] - c["ci95"][0] < cu["ci95"][1] - cu["ci95"][0] and "each arm's own" in cu["test"]
    # the seeds are kept in the results file; other seeds than the other arm's: each arm's own spread again
    assert exp.to_dict()["arms"]["cls"]["seeds"] == [0, 1, 2, 3]
    exp.arm("mean", values=b_vals, items=np.roll(base, 5), item_runs=4, seeds=[4, 5, 6, 7])
    assert "each arm's own" in exp.compare("cls", "mean")["test"]
    with pytest.raises(ValueError, match="one distinct seed per value"):
        exp.arm("max", values=[0.8, 0.7], seeds=[0, 0])
    # items of one run each (values from four seeds): the seed part is the per-seed differences' whole variance
    exp.arm("cls", values=a_vals, items=base, seeds=[0, 1, 2, 3])
    exp.arm("mean", values=b_vals, items=np.roll(base, 5), seeds=[0, 1, 2, 3])
    one = exp.compare("cls", "mean")
    part = np.var(d, ddof=1)
    df = (var_items + part) ** 2 / (part ** 2 / 3)
    assert (one["ci95"][1] - one["ci95"][0]) / 2 == pytest.approx(stats.t.ppf(0.975, df) * math.sqrt(var_items + part),
                                                                   rel=1e-6)
