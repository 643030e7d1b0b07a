"""Benchmark: `grade` cold, `grade` warm and plain sequential `nbgrader autograde`, one batch, one run.

Builds N submissions of a1 in a realistic mix (complete, partial, blank, broken in turn, plus one that loops
until the cell time limit and one that exhausts the memory cap, from 6 submissions on), grades them with this course's grader cold
(every kernel starts and imports on its own) and warm (kernels forked from one pre-imported template per
batch: autograder/grading/warm.py), each in a fresh course folder; grades the floor, N submissions that do
nothing (the release as handed out), warm; and runs nbgrader's own autograde (one submission after another)
on a subset of the mix, scaled to N. Prints seconds per submission for each, their ratios, the peak memory
per worker, and ends with `warm/cold: <ratio>; warm/floor: <ratio>`. Not a test: record the output in
docs/benchmarks.md.

    python -m autograder.demo.benchmark --submissions 12
    python -m autograder.demo.benchmark --submissions 300 --nbgrader-subset 8
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from . import samples
from ..cells import nbg, source_notebook
from ..course import CourseFolder, assignments
from ..grading.batch import grade
from ..grading.limits import DEMO_CELL_TIMEOUT, Limits

A1 = samples.A1
CYCLE = ("complete", "partial", "blank", "complete", "broken", "partial", "complete", "blank")   # in turn
SPECIAL = ("loop", "memory")   # one each per batch of 6 or more: the slowest and the most dangerous
NBGRADER_KINDS = ("complete", "partial", "blank", "broken")   # nbgrader has no memory cap and a 120 s cell limit


def kinds(n: int) -> list[str]:
    special = list(SPECIAL) if n >= 6 else []
    return special + [CYCLE[i % len(CYCLE)] for i in range(n - len(special))]


def notebook(kind: str, assignment: str = A1):
    solution_cells = [nbg(c)["grade_id"] for c in samples._source(assignment).cells
                      if nbg(c).get("solution") and c.cell_type == "code"]
    last = solution_cells[-1]
    if kind == "complete":
        return samples.completed(assignment=assignment)
    if kind == "partial":
        return samples.completed(skip={last}, assignment=assignment)
    if kind in ("blank", "floor"):
        return samples._release(assignment)
    if kind == "broken":   # a syntax error in one answer, and code that raises in another
        return samples.completed(assignment=assignment, edit={
            solution_cells[0]: lambda s: s + "\ndef broken(:\n    pass\n",
            last: lambda s: "raise RuntimeError('work in progress')\n" + s})
    if kind == "loop":
        return samples.completed(assignment=assignment, edit={last: lambda s: "while True:\n    pass\n" + s})
    if kind == "memory":
        return samples.completed(assignment=assignment, edit={
            last: lambda s: "hog = [bytearray(10**8) for _ in range(1000)]\n" + s})
    raise ValueError(kind)


def batch(folder: Path, n: int, assignment: str = A1, kind_list: list[str] | None = None) -> list[tuple[str, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, kind in enumerate(kind_list or kinds(n)):
        path = folder / f"s{i:03d}-{kind}.ipynb"
        nbformat.write(notebook(kind, assignment), path)
        out.append((f"s{i:03d}{kind}", path))
    return out


class PeakMemory:
    """The peak, while it runs, of the summed proportional set size (PSS: shared pages split among the processes
    sharing them, so a forked template's pages count once) of every process below this one."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _sample(self) -> int:
        import psutil
        total = 0
        for proc in psutil.Process().children(recursive=True):
            try:
                total += proc.memory_full_info().pss
            except (psutil.Error, OSError, AttributeError):
                pass
        return total

    def __enter__(self):
        def loop():
            while not self._stop.wait(self.interval):
                self.peak = max(self.peak, self._sample())
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _ours(tmp: Path, name: str, subs, assignment: str, workers: int, limits: Limits, warm: bool):
    course = tmp / name
    for student, path in subs:
        dest = CourseFolder(course).submission(student, assignment)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest)
    from ..grading.warm import PATH_ENV
    before = os.environ.get(PATH_ENV)
    os.environ[PATH_ENV] = "warm-only" if warm else "cold"   # a warm kernel that went cold would be a re-grade here
    try:
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            results = grade(course, assignment, workers=workers, limits=limits, progress_bar=False, warm=warm)
            seconds = time.perf_counter() - t0
    finally:
        if before is None:
            os.environ.pop(PATH_ENV)
        else:
            os.environ[PATH_ENV] = before
    return seconds, results, mem.peak


def _nbgrader(tmp: Path, subs, assignment: str):
    plain = CourseFolder(tmp / "nbgrader-course")
    plain.add_source(source_notebook(assignment).parent)
    plain.generate(assignment)
    for student, path in subs:
        plain.submit(student, assignment, path)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        plain.autograde(assignment)
        seconds = time.perf_counter() - t0
    return seconds, {s: plain.scores(assignment, s)["auto_score"] for s, _ in subs}, mem.peak


def _agreement(cold: dict, warm: dict, floor: dict, scores_nbg: dict | None) -> None:
    """Whether the paths agree: the same scores cold and warm (and from nbgrader), and no grader's failure."""
    same = all(round(cold[s].score, 2) == round(warm[s].score, 2) for s in cold)
    print(f"same scores cold and warm: {same}"
          + ("" if same else ": " + ", ".join(f"{s} {cold[s].score}/{warm[s].score}" for s in cold
                                              if cold[s].score != warm[s].score)))
    for name, results in (("cold", cold), ("warm", warm), ("floor", floor)):
        regrade = [s for s, r in results.items() if r.needs_regrade]
        print(f"marked for re-grade (the grader's failures), {name}: {len(regrade)}"
              + (f" ({', '.join(f'{s}: {results[s].needs_regrade[:120]}' for s in regrade[:5])})" if regrade else ""))
    if scores_nbg is not None:
        print(f"same scores from nbgrader on its subset: {all(scores_nbg[s] == warm[s].score for s in scores_nbg)}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--submissions", "-n", type=int, default=20, help="submissions in the batch (default 20)")
    p.add_argument("--workers", type=int, default=None, help="parallel gradings for `grade` (default: CPU count)")
    p.add_argument("--nbgrader-subset", type=int, default=None, metavar="K",
                   help="grade only K submissions (complete, partial, blank, broken) with nbgrader and scale its "
                        "time to N (default: all of those kinds when N <= 8, else 8); 0 skips nbgrader")
    p.add_argument("--cell-timeout", type=int, default=DEMO_CELL_TIMEOUT,
                   help=f"seconds per cell for `grade` (default {DEMO_CELL_TIMEOUT}, the demo's: the looping "
                        f"submission runs until it)")
    p.add_argument("--assignment", default=A1, choices=assignments(), help=f"which assignment (default {A1})")
    args = p.parse_args(argv)
    A, n = args.assignment, args.submissions
    workers = max(1, args.workers or os.cpu_count() or 1)
    limits = Limits(cell_timeout=args.cell_timeout)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        subs = batch(tmp / "subs", n, A)
        floor_subs = batch(tmp / "floor", n, A, ["floor"] * n)
        t_cold, cold, mem_cold = _ours(tmp, "cold", subs, A, workers, limits, warm=False)
        t_warm, warm, mem_warm = _ours(tmp, "warm", subs, A, workers, limits, warm=True)
        t_floor, floor, mem_floor = _ours(tmp, "floor", floor_subs, A, workers, limits, warm=True)
        eligible = [(s, path) for s, path in subs if any(s.endswith(k) for k in NBGRADER_KINDS)]
        k = len(eligible) if args.nbgrader_subset is None and len(eligible) <= 8 else (
            8 if args.nbgrader_subset is None else args.nbgrader_subset)
        nb_subs = eligible[:k]
        t_nbg, scores_nbg, mem_nbg = _nbgrader(tmp, nb_subs, A) if nb_subs else (0.0, {}, 0)
    mix = ", ".join(f"{kinds(n).count(kind)} {kind}" for kind in dict.fromkeys(kinds(n)))
    print(f"# {time.strftime('%Y-%m-%d')} | {platform.node()} | {os.cpu_count()} CPU cores | {n} submissions of {A} "
          f"({mix}) | `grade`: {workers} workers, {args.cell_timeout} s per cell\n")
    per = lambda t, m: t / m if m else float("nan")  # noqa: E731
    gib = lambda b: b / 2**30  # noqa: E731
    print("| grader | submissions | seconds | seconds per submission | peak memory per worker (GiB, PSS) |")
    print("|---|---|---|---|---|")
    print(f"| grade, cold | {n} | {t_cold:.1f} | {per(t_cold, n):.2f} | {gib(mem_cold / workers):.2f} |")
    print(f"| grade, warm | {n} | {t_warm:.1f} | {per(t_warm, n):.2f} | {gib(mem_warm / workers):.2f} |")
    print(f"| floor: grade, warm, {n} that do nothing | {n} | {t_floor:.1f} | {per(t_floor, n):.2f} | "
          f"{gib(mem_floor / workers):.2f} |")
    if nb_subs:
        print(f"| nbgrader autograde (sequential), {len(nb_subs)} of {n}, scaled to {n} | {len(nb_subs)} | "
              f"{t_nbg:.1f} (scaled: {per(t_nbg, len(nb_subs)) * n:.1f}) | {per(t_nbg, len(nb_subs)):.2f} | "
              f"{gib(mem_nbg):.2f} (one process) |")
        print(f"\nnbgrader ran {len(nb_subs)} of the {n} ({', '.join(s for s, _ in nb_subs)}): not the looping one "
              f"(120 s per cell there) nor the memory one (nbgrader caps no memory); its time per submission is "
              f"theirs, scaled to {n}")
    else:
        print("\nnbgrader: skipped (--nbgrader-subset 0)")
    _agreement(cold, warm, floor, scores_nbg if nb_subs else None)
    if nb_subs:
        print(f"ratios of seconds per submission: cold/nbgrader {per(t_cold, n) / per(t_nbg, len(nb_subs)):.2f}, "
              f"warm/nbgrader {per(t_warm, n) / per(t_nbg, len(nb_subs)):.2f}")
    print(f"warm/cold: {t_warm / t_cold:.2f}; warm/floor: {t_warm / t_floor:.2f}")


if __name__ == "__main__":
    main()
