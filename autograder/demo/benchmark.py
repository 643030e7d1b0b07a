"""Benchmark: plain sequential `nbgrader autograde` against `python -m autograder grade`, one batch.

Builds N submissions of a1 (complete, partial and untouched ones, in turn), grades
the batch once with nbgrader's own autograde (one submission after another, as
nbgrader does) and once with this course's parallel grader, each in a fresh
course folder, and prints seconds per submission for both. Not a test: record
the output in docs/benchmarks.md.

    python -m autograder.demo.benchmark            # 20 submissions
    python -m autograder.demo.benchmark -n 6 --workers 2
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from . import samples
from ..cells import nbg, source_notebook
from ..course import CourseFolder, assignments
from ..grading.batch import grade

A1 = samples.A1


def batch(folder: Path, n: int, assignment: str = A1) -> list[tuple[str, Path]]:
    solution_cells = [nbg(c)["grade_id"] for c in samples._source(assignment).cells
                      if nbg(c).get("solution") and c.cell_type == "code"]
    kinds = [("complete", samples.completed(assignment=assignment)),
             ("partial", samples.completed(skip={solution_cells[-1]}, assignment=assignment)),
             ("untouched", samples._release(assignment))]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        kind, nb = kinds[i % len(kinds)]
        path = folder / f"s{i:02d}-{kind}.ipynb"
        nbformat.write(nb, path)
        out.append((f"s{i:02d}{kind}", path))
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=20, help="submissions in the batch (default 20)")
    p.add_argument("--workers", type=int, default=None, help="parallel gradings for `grade` (default: CPU count)")
    p.add_argument("--assignment", default=A1, choices=assignments(), help=f"which assignment (default {A1})")
    args = p.parse_args(argv)
    A = args.assignment
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        subs = batch(tmp / "subs", args.n, A)
        # 1. plain nbgrader: generate, then one `nbgrader autograde` over the whole batch (sequential)
        plain = CourseFolder(tmp / "nbgrader-course")
        plain.add_source(source_notebook(A).parent)
        plain.generate(A)
        for student, path in subs:
            plain.submit(student, A, path)
        t0 = time.perf_counter()
        plain.autograde(A)
        t_nbgrader = time.perf_counter() - t0
        scores_nbg = {s: plain.scores(A, s)["auto_score"] for s, _ in subs}
        # 2. this course's grader
        course = tmp / "course"
        for student, path in subs:
            dest = CourseFolder(course).submission(student, A)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest)
        t0 = time.perf_counter()
        results = grade(course, A, workers=args.workers, progress_bar=False)
        t_ours = time.perf_counter() - t0
        scores_ours = {s: r.score for s, r in results.items()}
    workers = args.workers or os.cpu_count()
    print(f"# {time.strftime('%Y-%m-%d')} | {platform.node()} | {os.cpu_count()} CPU cores | "
          f"{args.n} submissions of {A} (complete / partial / untouched in turn)\n")
    print("| grader | seconds | seconds per submission |")
    print("|---|---|---|")
    print(f"| nbgrader autograde (sequential) | {t_nbgrader:.1f} | {t_nbgrader / args.n:.2f} |")
    print(f"| python -m autograder grade ({workers} workers) | {t_ours:.1f} | {t_ours / args.n:.2f} |")
    print(f"\nratio: {t_ours / t_nbgrader:.2f} of nbgrader's time")
    print("one submission with `grade` (engine time: assembly, sandboxed kernel, every test): "
          + ", ".join(f"{s} {r.seconds:.1f} s" for s, r in sorted(results.items())))
    same = all(scores_nbg[s] == scores_ours[s] for s in scores_nbg)
    print(f"same autograded scores from both: {same}")
    if not same:
        for s in sorted(scores_nbg):
            print(f"  {s}: nbgrader {scores_nbg[s]} / ours {scores_ours[s]}")


if __name__ == "__main__":
    main()
