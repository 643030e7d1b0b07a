"""One grading job in its own process: `python -m autograder.worker SOURCE SUBMISSION STUDENT ASSIGNMENT PROGRESS`.

Writes the result (and partial results while it runs) to PROGRESS as JSON, so
the batch keeps whatever it learned even if this process is killed. With
--parent-pid PID (the batch) it dies with the batch, whatever kills the batch, and
its kernel dies with it (autograder/sandbox.py).
"""
import argparse
import os
import sys
from pathlib import Path

from . import limits as grading_limits
from .engine import grade_in_fresh_dir
from .sandbox import die_with_parent


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ["source", "submission", "student", "assignment", "progress"]:
        p.add_argument(name)
    p.add_argument("--parent-pid", type=int, default=None, help="the batch's process id: end when it ends")
    grading_limits.add_arguments(p)
    a = p.parse_args()
    if a.parent_pid:
        die_with_parent(lambda: os.getppid() == a.parent_pid)
    limits = grading_limits.from_args(a)
    grade_in_fresh_dir(a.source, a.submission, a.student, a.assignment, limits, progress_file=Path(a.progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
