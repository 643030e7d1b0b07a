"""No spoilers in what students receive: the data cards and the release notebooks quote baselines, chance,
ceilings and targets, never a figure of the solutions' own runs (docs/results/*.json), and no measured run
time in prose (times are in docs/benchmarks.md). The checks can fail: planted spoilers are found."""
import json
import shutil
import sys

import nbformat
import pytest

from autograder.course import REPO

sys.path.insert(0, str(REPO))
from tools.spoilers import (NOT_SPOILERS, find_spoilers, find_time_quotes, renderings, spoiler_figures,  # noqa: E402
                            spoilers, student_texts, time_quotes)

# Figures of the solutions' offline runs as of 2026-12 (docs/benchmarks.md), in the shape of docs/results/*.json:
# until docs/results/ holds the real files, what students receive is checked against these.
TODAY = REPO / "tests" / "fixtures" / "spoilers"
STUDENT_TEXTS = sorted(student_texts())
# Strict: a mark must go once its quote has gone.
PENDING_SPOILERS: dict[str, str] = {}   # release -> why it still quotes a solution figure (strict xfail)
PENDING_TIMES: dict[str, str] = {}      # release -> why it still quotes a measured time (strict xfail)


def _pending(pending):
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=pending[name])) if name in pending
            else name for name in STUDENT_TEXTS]


def _results(folder, floor=35.1, ceiling=100.0):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a1_qa_finetuning.json").write_text(json.dumps({
        "assignment": "a1_qa_finetuning", "profile": "offline", "seconds": 1234, "experiments": [
            {"name": "improved", "metric": "dev F1", "floor": floor, "ceiling": ceiling,
             "arms": {"baseline": {"mean": 41.2, "se": 1.1, "n": 3, "values": [40.1, 41.0, 42.5]},
                      "improved": {"mean": 79.94, "se": 0.4, "n": 3, "values": [79.5, 80.3, 80.02]}},
             "comparisons": [{"a": "improved", "b": "baseline", "difference": 38.74, "ci95": [36.0, 41.0],
                              "p": 0.001, "verdict": "effect", "margin": 5.0}]},
            {"name": "calibration", "metric": "dev accuracy", "floor": 0.6, "ceiling": 1.0,
             "arms": {"raw": {"mean": 0.9083, "se": 0.01, "n": 1, "values": [0.9083]},
                      "calibrated": {"mean": 0.6, "se": 0.0, "n": 1, "values": [0.6]}},
             "comparisons": [{"a": "raw", "b": "calibrated", "difference": 0.3083}]}]}))
    return folder


def test_nothing_students_receive_quotes_a_figure_of_the_solutions_runs():
    """docs/results/*.json, all of them, against every data card and release notebook (none yet: no figures)."""
    found = spoilers(spoiler_figures())
    assert found == [], "solution figures in what students receive:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("name", _pending(PENDING_SPOILERS))
def test_no_card_or_release_quotes_todays_solution_figures(name):
    figures = spoiler_figures(TODAY)
    assert {"79.9", "78.4", "90.8", "93.5", "0.683", "68.3", "3.451", "46,679"} <= set(figures)
    found = [r for r in find_spoilers(student_texts()[name], figures) if (name, r) not in NOT_SPOILERS]
    assert found == [], f"{name} quotes solution figures: " + "; ".join(f"{r} ({figures[r]})" for r in found)


def test_solution_figures_are_rendered_as_a_text_quotes_them(tmp_path):
    figures = spoiler_figures(_results(tmp_path / "results"))
    assert {"79.9", "79.94", "79.940", "80.3", "80.02", "38.7", "38.74"} <= set(figures)  # means, values, differences
    assert {"0.908", "90.8", "90.83", "0.308", "30.8"} <= set(figures)                    # a proportion, as a percent too
    assert not {"0.91", "0.9", "0.31", "80"} & set(figures)                                 # < 3 significant digits: out
    assert renderings(3.5) == {"3.50", "3.500"} and "0.91" not in renderings(0.9083, proportion=True)
    assert not {"35.1", "100.0", "0.600", "60.0", "1.000"} & set(figures)                   # floors and ceilings: out
    assert spoiler_figures(tmp_path / "no-such-folder") == {}


def test_a_planted_spoiler_is_found_and_a_floor_or_ceiling_is_not(tmp_path):
    figures = spoiler_figures(_results(tmp_path / "results"))
    real_card = (REPO / "data" / "qa" / "README.md").read_text()
    assert find_spoilers(real_card, figures) == []
    assert find_spoilers(real_card + "\n| the solution's configuration | 78.0 / **79.9** |\n", figures) == ["79.9"]
    assert find_spoilers("raw accuracy 90.8% against calibrated 0.600", figures) == ["90.8"]
    assert find_spoilers("best simple baseline 35.1, ceiling 100.0; 0.6 is the majority class", figures) == []
    assert find_spoilers("179.91, 79.95, 2079.9, 79.945, 1,079.9, 1.79.9", figures) == []                # whole numbers only
    assert find_spoilers("F1 79.9.", figures) == ["79.9"]                                    # a sentence's full stop

    # the whole check: a planted card and a planted release notebook, in a copy of what students receive
    root = tmp_path / "student"
    shutil.copytree(REPO / "data", root / "data", ignore=shutil.ignore_patterns("*.jsonl", "*.py"))
    a4 = "a4_decoder_classification"  # a release that quotes none of the planted figures
    shutil.copytree(REPO / "notebooks" / a4, root / "notebooks" / a4)
    assert spoilers(figures, root) == []
    with open(root / "data" / "qa" / "README.md", "a") as f:
        f.write("\nThe solution's configuration reaches F1 79.94 (+38.7 over the baseline).\n")
    path = root / "notebooks" / a4 / f"{a4}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nThe solution's calibrated prompt scores 0.908."
    nbformat.write(nb, path)
    found = spoilers(figures, root)
    assert any(f.startswith("data/qa/README.md: 79.94 (") for f in found)
    assert any(f.startswith("data/qa/README.md: 38.7 (") for f in found)
    assert any(f.startswith("notebooks/a4_decoder_classification/a4_decoder_classification.ipynb: 0.908 (")
               for f in found)


@pytest.mark.parametrize("name", _pending(PENDING_TIMES))
def test_no_card_or_release_quotes_a_measured_time(name):
    assert find_time_quotes(student_texts()[name]) == [], "times belong in docs/benchmarks.md: point there"


def test_a_planted_time_quote_is_found_and_a_limit_is_not(tmp_path):
    for quote in ["on a 2-core CPU it took\n22 minutes", "about 40 s offline", "12 min of training", "7.4 minutes",
                  "between 10 and 15 seconds", "a whole run: 1,302 s", "3-5 min per run", "in 2 hours"]:
        assert find_time_quotes(quote), quote
    for fine in ["at most 30 seconds per cell", "a timeout of 600 s", "the smoke profile (tiny models, seconds)",
                 "a 2-core CPU", "3 epochs of 8 steps", "`seconds` column", "h_T, the 4 heads", "top-5 sampling",
                 "how long it takes: docs/benchmarks.md", "GPT-2 124M",
                 "steps: int = 0\n    seconds: float = 0.0"]:
        assert find_time_quotes(fine) == [], fine
    root = tmp_path / "student"
    shutil.copytree(REPO / "data", root / "data", ignore=shutil.ignore_patterns("*.jsonl", "*.py"))
    (root / "notebooks").mkdir()
    with open(root / "data" / "ner" / "README.md", "a") as f:
        f.write("\nFine-tuning takes 3.5 minutes on a 2-core CPU.\n")
    assert [q.split(":")[0] for q in time_quotes(root)] == ["data/ner/README.md"]


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "notebooks").iterdir() if p.is_dir()))
def test_each_answer_cell_says_your_answer_here_once(assignment):
    """nbgrader writes "YOUR ANSWER HERE" where the solution was: a source cell that also writes it shows it twice."""
    nb = nbformat.read(REPO / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    twice = [c.metadata.get("nbgrader", {}).get("grade_id", i) for i, c in enumerate(nb.cells)
             if c.cell_type == "markdown" and c.source.count("YOUR ANSWER HERE") > 1]
    assert twice == [], f"{assignment}: cells with the placeholder twice: {twice}"


def test_a2_names_the_encoder_its_full_profile_loads():
    """a2's text once said bert-base-uncased for the full profile's MLM step; shared/profiles.py loads DistilBERT."""
    import re
    from shared.profiles import get_profile
    full = get_profile("full").model("mlm").split("/")[-1]
    name = "a2_mlm_objective"
    nb = nbformat.read(REPO / "notebooks" / name / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    named = set(re.findall(r"\b(?:distil)?bert-base-(?:un)?cased\b", text))
    assert named == {full}, f"a2's release names {sorted(named)}; its full profile's MLM model is {full}"
