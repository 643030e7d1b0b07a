"""Run a solution notebook top to bottom in the offline profile and record its results as data.

    python tools/record_results.py a3_slm_vs_llm          # writes docs/results/a3_slm_vs_llm.json
    python tools/record_results.py a3_slm_vs_llm --check  # only re-checks the recorded file

The notebook writes its experiments (arms, comparisons, floors, ceilings: `shared.tracking.Results`) to
`runs/<a>/results.json` beside itself; this tool times the whole run, adds the machine and the commit,
and writes `docs/results/<assignment>.json`, the one home of every figure that docs/benchmarks.md, the
README and the model answers quote. It then lists what keeps the numbers from backing a claim (an
experiment with no arm beyond its floor, an arm at its ceiling, an inconclusive comparison), and
exits 1 if there is any. Run it alone on the machine: its `seconds` is the notebook's time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
sys.path.insert(0, str(ROOT))


def machine() -> str:
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}; Python {platform.python_version()}, torch {torch.__version__}"


def commit(assignment: str) -> str:
    """HEAD, marked dirty when the notebook or shared/ differ from it (then the figures are not reproducible)."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", f"solutions/{assignment}", "shared"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return head + ("-dirty" if dirty else "")


def problems(recorded: dict) -> list[str]:
    from shared.tracking import Experiment
    return [p for e in recorded["experiments"] for p in Experiment.from_dict(e).problems()]


def run(assignment: str, output: Path) -> dict:
    folder = ROOT / "solutions" / assignment
    notebook = folder / f"{assignment}.ipynb"
    if not notebook.exists():
        names = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
        sys.exit(f"No solution notebook {notebook}. Assignments: {', '.join(names)}.")
    started = time.time()
    at_start = commit(assignment)   # the code that runs: later edits to the tree do not change it
    env = {**os.environ, "COURSE_PROFILE": "offline", "HF_HUB_OFFLINE": "1"}
    cmd = ["jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=-1",
           str(notebook), "--output", str(output)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env)
    seconds = round(time.perf_counter() - t0, 1)
    if done.returncode:
        sys.exit(f"The notebook failed after {seconds} s (exit {done.returncode}); its outputs: {output}.")
    fresh = [p for p in folder.glob("runs/*/results.json") if p.stat().st_mtime >= started]
    if len(fresh) != 1:
        sys.exit(f"Expected one results file written by this run under {folder}/runs/, found {fresh}.")
    recorded = json.loads(fresh[0].read_text())
    out = {"assignment": assignment, "profile": recorded["profile"], "seconds": seconds, "machine": machine(),
           "commit": at_start, "date": dt.date.today().isoformat(),
           "command": f"python tools/record_results.py {assignment}",
           "experiments": recorded["experiments"], "facts": recorded.get("facts", {})}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{assignment}.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("assignment", help="e.g. a3_slm_vs_llm (a folder of solutions/)")
    ap.add_argument("--check", action="store_true", help="only check the recorded docs/results file")
    ap.add_argument("--output", type=Path, default=None, help="the executed notebook (default /tmp/<a>-offline.ipynb)")
    args = ap.parse_args(argv)
    if args.check:
        path = RESULTS / f"{args.assignment}.json"
        if not path.exists():
            sys.exit(f"No {path}: run `python tools/record_results.py {args.assignment}` first.")
        recorded = json.loads(path.read_text())
    else:
        recorded = run(args.assignment, args.output or Path(f"/tmp/{args.assignment}-offline.ipynb"))
    found = problems(recorded)
    print(f"{args.assignment}: {recorded['seconds']} s, {len(recorded['experiments'])} experiments, "
          f"{sum(len(e['comparisons']) for e in recorded['experiments'])} comparisons, {len(found)} problems")
    for p in found:
        print("  -", p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
