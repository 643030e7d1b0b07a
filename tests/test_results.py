"""The results files (docs/results/<assignment>.json) and what quotes them.

- every recorded experiment backs its claims: an arm beyond its floor, no arm at its ceiling, no
  inconclusive comparison (the checks of shared.tracking.Experiment.problems), within 25 minutes;
- docs/benchmarks.md's results blocks are what tools/results_tables.py generates from the files;
- every decimal figure in a model answer (a report or written answer's solution) of an assignment with a
  results file is one of that file's figures, at the precision quoted.
"""
from __future__ import annotations

import json
import math
import re
import sys

import nbformat
import pytest

from shared.models import REPO as ROOT

sys.path.insert(0, str(ROOT / "tools"))
RESULTS = sorted((ROOT / "docs" / "results").glob("*.json"))
KEYS = {"assignment", "profile", "seconds", "machine", "commit", "experiments"}
# Recorded runs that do not yet meet issue #28's bar, each with what is missing; strict, so that the mark goes
# once a new recording meets it.
KNOWN_GAPS = {
    "a6_generation_preference": "5b's neighbouring β separate in KL, but no DPO grid tried (β 0.01-300, two "
                                "learning rates, 48 or 338 pairs) decides both reward neighbours; 12 samples per "
                                "opening left β 0.03 against 3 at [-0.034, 0.027], not a powered null inside "
                                "±0.03, and about 16 would take a6 past 25 minutes (docs/benchmarks.md); recorded again at 8cd0da6 "
                                "after #31, a6 itself took 1,557 s, past 25 minutes (docs/course.md)",
}
# Decimals in model answers that are settings or textbook constants, not results (1.5: BERT replaces 10% of its 15%
# chosen tokens with a random one, 1.5% of all tokens, a2 Q1)
NOT_RESULTS = {"0.15", "1.5", "1.96", "0.5", "0.8", "0.1", "0.05", "0.03", "0.02", "0.9", "0.7", "1.0", "1.3", "2.0",
               "4.1", "4.2", "4.3"}   # 4.1-4.3: the FLAN paper's section numbers (a5 Q3)


def _figures(value, out: set[str]) -> set[str]:
    """Every number in a results file, rendered as a text would quote it (1-4 decimals; proportions in %)."""
    if isinstance(value, dict):
        for v in value.values():
            _figures(v, out)
    elif isinstance(value, list):
        for v in value:
            _figures(v, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        for x in (value, 100 * value, abs(value), 100 * abs(value)):
            for d in range(0, 5):
                out.add(f"{x:.{d}f}")
                out.add(f"{x:,.{d}f}")
    return out


def _model_answers(assignment: str) -> str:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    text = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "### BEGIN SOLUTION" in cell.source:
            body = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
            text.append(body.split("#### Rubric", 1)[0])
    return "\n".join(text)


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[p.stem]))
                                  if p.stem in KNOWN_GAPS else p for p in RESULTS], ids=[p.stem for p in RESULTS])
def test_a_results_file_backs_every_claim(path):
    from shared.tracking import Experiment
    r = json.loads(path.read_text())
    assert KEYS <= set(r) and r["assignment"] == path.stem and r["profile"] == "offline"
    assert not r["commit"].endswith("-dirty"), "recorded from uncommitted code: not reproducible"
    assert r["seconds"] <= 25 * 60, f"{path.stem} took {r['seconds']} s, more than 25 minutes"
    assert r["experiments"], "no experiment recorded"
    problems = [p for e in r["experiments"] for p in Experiment.from_dict(e).problems()]
    assert problems == [], "\n".join(problems)
    for e in r["experiments"]:
        for c in e["comparisons"]:
            assert c["verdict"] in ("effect", "powered null") and c["ci95"] is not None


def test_benchmarks_quote_the_results_files():
    import results_tables
    text = results_tables.BENCHMARKS.read_text()
    for path in RESULTS:
        assert f"<!-- results:{path.stem} -->" in text, f"docs/benchmarks.md has no results block for {path.stem}"
    assert results_tables.render(text) == text, "run `python tools/results_tables.py`: the tables differ from the files"


@pytest.mark.parametrize("path", RESULTS, ids=[p.stem for p in RESULTS])
def test_model_answers_quote_only_recorded_figures(path):
    figures = _figures(json.loads(path.read_text()), set())
    text = _model_answers(path.stem)
    quoted = re.findall(r"(?<![\w.])-?\d[\d,]*\.\d+(?![\w.])", text)
    typed = sorted({q.lstrip("-") for q in quoted} - figures - NOT_RESULTS)
    assert typed == [], f"{path.stem}'s model answers quote figures that its results file does not hold: {typed}"


def test_the_figure_check_catches_a_typed_figure(tmp_path):
    r = {"experiments": [{"arms": {"a": {"mean": 79.94, "se": 1.21}}, "comparisons": [{"difference": 0.0321}]}]}
    figures = _figures(r, set())
    assert {"79.9", "79.94", "1.2", "0.032", "3.2", "3.21"} <= figures
    assert "80.1" not in figures and "0.033" not in figures


def test_record_results_lists_what_keeps_numbers_from_backing_a_claim():
    import record_results
    exp = {"name": "levers", "metric": "F1", "higher_is_better": True, "floor": 35.1, "floor_label": "rule",
           "ceiling": 100.0, "ceiling_label": "", "margin": 5.0, "why_margin": "", "seed_sd": None,
           "arms": {"baseline": {"mean": 30.0, "se": 1.0, "n": 3, "values": [29.0, 30.0, 31.0]},
                    "lever": {"mean": 36.0, "se": 1.0, "n": 1, "values": [36.0]}},
           "comparisons": [{"a": "lever", "b": "baseline", "difference": 6.0, "ci95": [-1.0, 13.0],
                            "test": "paired", "p": 0.09, "verdict": "inconclusive", "margin": 5.0}]}
    found = record_results.problems({"experiments": [exp]})
    assert len(found) == 2 and "no arm" in found[0] and "inconclusive" in found[1]
    exp["arms"]["lever"]["mean"] = 45.0
    exp["comparisons"][0].update(difference=15.0, ci95=[8.0, 22.0], p=0.001, verdict="effect")
    assert record_results.problems({"experiments": [exp]}) == []


def test_a_table_says_how_a_distance_reads(tmp_path, monkeypatch):
    """An experiment's `reads` replaces "higher is better" in its table (a6's KL is a distance, not a score)."""
    import results_tables
    from shared.tracking import Results
    results = Results("a6_generation_preference", "offline", path=tmp_path / "results.json")
    for reads, said in [("", "higher is better"), ("higher: farther from the tuned model, not better",
                                                     "higher: farther from the tuned model, not better")]:
        x = results.experiment("5b: DPO, KL", "KL", margin=0.25, floor=0.0, reads=reads)
        x.arm("beta=0.3", items=[1.0, 2.0, 3.0])
        record = {"profile": "offline", "seconds": 1.0, "experiments": [x.to_dict()]}
        (tmp_path / "x.json").write_text(json.dumps(record))
        monkeypatch.setattr(results_tables, "RESULTS", tmp_path)
        text = results_tables.table("x")
        assert f"**5b: DPO, KL** (KL, {said})" in text
        assert type(x).from_dict(x.to_dict()).reads == reads
