"""Tables of docs/results/*.json, written into docs/benchmarks.md: the docs quote the results files, never
figures typed by hand.

    python tools/results_tables.py          # rewrites every block between <!-- results:NAME --> and <!-- /results -->
    python tools/results_tables.py --check  # exit 1 if a block differs from what its file gives (the tests run this)

A block names one assignment (`<!-- results:a3_slm_vs_llm -->`); its text is generated from
docs/results/a3_slm_vs_llm.json: the run (seconds, machine, commit, command), then per experiment its
floor, ceiling and margin, one row per arm (mean, SE, n) and one row per comparison (difference, 95% CI,
test, p, verdict).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
BLOCK = re.compile(r"(<!-- results:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.S)


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, (int, float)):
        return f"{x:.{digits}g}"
    return str(x)


def table(name: str) -> str:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return f"*No {path.relative_to(ROOT)} yet: run `python tools/record_results.py {name}`.*\n"
    r = json.loads(path.read_text())
    out = [f"Generated from `docs/results/{name}.json` by `python tools/results_tables.py`. Run: "
           f"`{r.get('command', '')}`, profile {r['profile']}, **{r['seconds']:.0f} s** for the whole notebook, "
           f"{r.get('date', '')}, commit {r.get('commit', '?')[:12]}, on {r.get('machine', '?')}.", ""]
    for e in r["experiments"]:
        better = e.get("reads") or ("higher is better" if e["higher_is_better"] else "lower is better")
        out += [f"**{e['name']}** ({e['metric']}, {better}). Floor {fmt(e['floor'])} ({e.get('floor_label', '')}); "
                f"ceiling {fmt(e['ceiling'])} ({e.get('ceiling_label', '')}); margin ±{fmt(e['margin'])} "
                f"({e.get('why_margin', '')}).", "",
                "| arm | mean | SE | n |", "|---|---|---|---|"]
        out += [f"| {arm} | {fmt(a['mean'])} | {fmt(a['se'], 2)} | {a['n']}"
                f"{' run, ' + str(a['items_n']) + ' items' if a.get('items_n') else ''} |" for arm, a in e["arms"].items()]
        if e["comparisons"]:
            out += ["", "| comparison | difference | 95% CI | test | p | verdict |", "|---|---|---|---|---|---|"]
            for c in e["comparisons"]:
                ci = f"[{fmt(c['ci95'][0], 3)}, {fmt(c['ci95'][1], 3)}]" if c["ci95"] else "-"
                out.append(f"| {c['a']} vs {c['b']} | {fmt(c['difference'], 3)} | {ci} | {c['test']} | "
                           f"{fmt(c['p'], 2)} | {c['verdict']} |")
        out.append("")
    return "\n".join(out)


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + table(m.group("name")) + m.group(4), text)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = BENCHMARKS.read_text()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print("docs/benchmarks.md differs from docs/results/: run `python tools/results_tables.py`.")
            return 1
        return 0
    BENCHMARKS.write_text(new)
    print(f"{len(BLOCK.findall(text))} results blocks written into {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
