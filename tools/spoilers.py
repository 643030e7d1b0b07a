"""The solution's figures, so that nothing students receive quotes them (tests/test_spoilers.py).

Data cards and release notebooks may carry simple baselines, chance, ceilings and targets, never what
the solution notebooks' own runs scored. Those runs are recorded in `docs/results/*.json` (instructors'
repository only), one file per assignment:

    {"assignment": "a1_qa_finetuning", "profile": "offline", "seconds": 1234,
     "experiments": [{"name": ..., "metric": ..., "floor": 35.1, "ceiling": 100.0,
                      "arms": {"baseline": {"mean": 41.2, "se": 1.1, "n": 3, "values": [40.1, 41.0, 42.5]}},
                      "comparisons": [{"a": "x", "b": "baseline", "difference": 6.3, "ci95": [2.0, 9.0], ...}]}]}

`spoiler_figures` renders every arm's mean and values and every comparison's difference the ways a text
would quote it (1, 2 and 3 decimals; a proportion also as a percent), keeps only renderings of at least
three significant digits (shorter ones, "3.5" or "0.91", are ordinary numbers) and drops every rendering
of an experiment's floor or ceiling, which cards may quote. `find_spoilers` finds those renderings as
whole numbers in a text ("79.9" is not in "179.91"). A card's own figure that a solution figure happens
to round to (a baseline of 76.7 and an improvement of 76.7 points) goes into NOT_SPOILERS, with what it is.

`find_time_quotes` finds measured run times quoted in prose ("it took 22 minutes", "about 40 s"): times
belong in docs/benchmarks.md, with their machine and date, and a notebook points there.

    python tools/spoilers.py [RESULTS_DIR]   # the figures and times found in data cards and releases; rc 1 if any
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (file, rendering): a figure a student text quotes as something else than a solution result. Each entry
# says what the figure is there.
NOT_SPOILERS: dict[tuple[str, str], str] = {
    ("data/reviews/README.md", "76.7"): "the bigram baseline's test accuracy (tools/baselines.py)",
    ("notebooks/a3_slm_vs_llm/a3_slm_vs_llm.ipynb", "38.6"): "a model's parameter count in a visible check's "
                                                             "text (\"38.6M parameters\")",
    ("data/ner/README.md", "57.6"): "a logistic-regression baseline's entity F1 (tools/baselines.py)",
    ("data/ner/README.md", "62.5"): "a logistic-regression baseline's entity F1 (tools/baselines.py)",
    ("data/ner/README.md", "70.0"): "a logistic-regression baseline's entity F1 (tools/baselines.py)",
    ("data/reviews/README.md", "50.0"): "the majority class on a half-positive test split",
    ("notebooks/a1_qa_finetuning/a1_qa_finetuning.ipynb", "1.96"): "the normal quantile of a 95% interval",
    ("notebooks/a2_mlm_objective/a2_mlm_objective.ipynb", "1.96"): "the normal quantile of a 95% interval",
    ("notebooks/a6_generation_preference/a6_generation_preference.ipynb", "1.96"): "the normal quantile of a 95% "
                                                                                   "interval",
    ("notebooks/a6_generation_preference/a6_generation_preference.ipynb", "0.531"): "a Wilson interval's lower end "
                                                                                    "for 15 of 20, worked by hand",
    ("notebooks/a6_generation_preference/a6_generation_preference.ipynb", "0.644"): "softmax([2, 1, 0, -1])'s first "
                                                                                    "probability in a visible check",
    ("notebooks/a6_generation_preference/a6_generation_preference.ipynb", "12.0"): "a log-probability typed as an "
                                                                                   "input of dpo_loss's visible check",
    ("data/corpus/README.md", "12.0"): "the share of dev sentences whose skeleton occurs in train (the data card's "
                                       "own count)",
}


def significant_digits(rendering: str) -> int:
    """Digits from the first non-zero one: "0.908" -> 3, "3.5" -> 2, "79.90" -> 4."""
    digits = re.sub(r"\D", "", rendering).lstrip("0")
    return len(digits)


def renderings(value: float, proportion: bool = False) -> set[str]:
    """How a text would quote `value`: 1, 2 and 3 decimals (and as a percent, with 1 and 2 decimals, for a
    proportion), without sign, only those with at least three significant digits."""
    value = abs(float(value))
    out = {f"{value:.{d}f}" for d in (1, 2, 3)}
    if proportion:
        out |= {f"{100 * value:.{d}f}" for d in (1, 2)}
    if value >= 10_000:  # large figures (perplexities) are quoted whole, often with thousands separators
        out |= {f"{value:.0f}", f"{value:,.0f}"} | {f"{value:,.{d}f}" for d in (1, 2)}
    return {r for r in out if significant_digits(r) >= 3}


def _is_proportion(experiment: dict, numbers: list[float]) -> bool:
    ceiling = experiment.get("ceiling")
    if ceiling is not None:
        return abs(float(ceiling)) <= 1
    return bool(numbers) and all(abs(x) <= 1 for x in numbers)


def _figures_of(experiment: dict) -> list[tuple[float, str]]:
    """(value, what it is) for every arm's mean and values and every comparison's difference."""
    found = []
    for arm, stats in (experiment.get("arms") or {}).items():
        if stats.get("mean") is not None:
            found.append((stats["mean"], f"arm {arm} mean"))
        found += [(v, f"arm {arm} value") for v in stats.get("values") or [] if v is not None]
    for comp in experiment.get("comparisons") or []:
        if comp.get("difference") is not None:
            found.append((comp["difference"], f"{comp.get('a')} - {comp.get('b')} difference"))
    return found


def spoiler_figures(results_dir: str | Path = "docs/results") -> dict[str, str]:
    """{rendering: where it comes from} for every solution figure in results_dir/*.json (relative paths are
    the repository's). No folder, no figures. Renderings of any experiment's floor or ceiling are left out."""
    folder = Path(results_dir)
    folder = folder if folder.is_absolute() else ROOT / folder
    figures: dict[str, str] = {}
    allowed: set[str] = set()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        results = json.loads(path.read_text())
        for experiment in results.get("experiments") or []:
            numbers = _figures_of(experiment)
            proportion = _is_proportion(experiment, [v for v, _ in numbers])
            bounds = [experiment.get(k) for k in ("floor", "ceiling") if experiment.get(k) is not None]
            allowed |= {r for b in bounds for r in renderings(b, proportion)}
            for value, what in numbers:
                if any(float(value) == float(b) for b in bounds):
                    continue
                where = f"{path.name}: {experiment.get('name', '?')}, {what} {value}"
                for r in renderings(value, proportion):
                    figures.setdefault(r, where)
    return {r: where for r, where in figures.items() if r not in allowed}


def _pattern(rendering: str) -> re.Pattern:
    # not preceded by a digit or by "digit." / "digit,"; not followed by a digit or by "." / "," and a digit
    return re.compile(r"(?<!\d)(?<!\d[.,])" + re.escape(rendering) + r"(?!\d)(?![.,]\d)")


def find_spoilers(text: str, figures) -> list[str]:
    """The figures (renderings, from spoiler_figures or any iterable of strings) that occur in text as whole
    numbers, sorted."""
    return sorted(r for r in figures if r in text and _pattern(r).search(text))


def student_texts(root: Path = ROOT) -> dict[str, str]:
    """{path: text} of what students receive that is written as prose: every data card (data/**/*.md, which
    the distribution copies as they are) and every release notebook (all cells' source)."""
    import nbformat
    texts = {str(p.relative_to(root)): p.read_text() for p in sorted((root / "data").rglob("*.md"))}
    for path in sorted((root / "notebooks").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts[str(path.relative_to(root))] = "\n".join(c.source for c in nb.cells)
    return texts


def spoilers(figures: dict[str, str] | None = None, root: Path = ROOT,
             allowed: dict[tuple[str, str], str] = NOT_SPOILERS) -> list[str]:
    """'file: figure (where it comes from)' for every solution figure quoted in what students receive
    (data cards and release notebooks), but those `allowed` for that file."""
    figures = spoiler_figures() if figures is None else figures
    return [f"{name}: {r} ({figures[r] if isinstance(figures, dict) else 'solution figure'})"
            for name, text in student_texts(root).items() for r in find_spoilers(text, figures)
            if (name, r) not in allowed]


# ------------------------------------------------------------------ measured times in prose

_SP = r"[ \t\u00a0]*"  # a space, not a line break: "steps = 0\n    seconds = ..." is code, not a time
TIME = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?:" + _SP + r"(?:-|–|to)" + _SP + r"\d+(?:[.,]\d+)?)?" + _SP +
                  r"(?:minutes?|mins?|seconds?|secs?|hours?|hrs?|ms|h|s)\b(?!-)", re.I)
# a limit or a budget the text sets ("at most 30 seconds", "a timeout of 600 s") is an instruction, not a measurement
LIMIT = re.compile(r"\b(?:at most|max(?:imum)?|limit(?:ed)?|timeout|time-out|no more than|budget)\b"
                   r"[^.\n]{0,24}$", re.I)


def find_time_quotes(text: str) -> list[str]:
    """Measured run times quoted in prose ("it took 22 minutes", "about 40 s"), with their line. Times belong
    in docs/benchmarks.md, where each has its machine and date; a text points there instead. Limits and
    budgets the text sets are not quotes."""
    found = []
    for m in TIME.finditer(text):
        before = text[:m.start()].rsplit("\n", 1)[-1]
        if LIMIT.search(before):
            continue
        line = (before + text[m.start():].split("\n", 1)[0]).strip()
        found.append(f"{m.group()!r} in: {line[:160]}")
    return found


def time_quotes(root: Path = ROOT) -> list[str]:
    """'file: quote' for every measured time quoted in what students receive."""
    return [f"{name}: {q}" for name, text in student_texts(root).items() for q in find_time_quotes(text)]


if __name__ == "__main__":
    dir_ = sys.argv[1] if len(sys.argv) > 1 else "docs/results"
    found = spoilers(spoiler_figures(dir_))
    print("\n".join(found) or f"no figure of {dir_} in data cards or release notebooks")
    times = time_quotes()
    print("\n".join(times) or "no measured time quoted in data cards or release notebooks")
    sys.exit(1 if found or times else 0)
