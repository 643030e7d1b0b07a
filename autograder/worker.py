"""One grading job in its own process: `python -m autograder.worker SOURCE SUBMISSION STUDENT ASSIGNMENT PROGRESS`.

Writes the result (and partial results while it runs) to PROGRESS as JSON, so
the batch keeps whatever it learned even if this process is killed.
"""
import argparse
import sys
from pathlib import Path

from .engine import Limits, grade_in_fresh_dir


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ["source", "submission", "student", "assignment", "progress"]:
        p.add_argument(name)
    p.add_argument("--cell-timeout", type=int, default=60)
    p.add_argument("--notebook-timeout", type=int, default=240)
    p.add_argument("--mem-mb", type=int, default=6144)
    p.add_argument("--hide", action="append", default=[])
    a = p.parse_args()
    limits = Limits(a.cell_timeout, a.notebook_timeout, a.mem_mb, tuple(a.hide))
    grade_in_fresh_dir(a.source, a.submission, a.student, a.assignment, limits, progress_file=Path(a.progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
