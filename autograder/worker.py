"""One grading job in its own process: `python -m autograder.worker SOURCE SUBMISSION STUDENT ASSIGNMENT PROGRESS`.

Writes the result (and partial results while it runs) to PROGRESS as JSON, so
the batch keeps whatever it learned even if this process is killed.
"""
import argparse
import sys
from pathlib import Path

from . import limits as grading_limits
from .engine import grade_in_fresh_dir


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ["source", "submission", "student", "assignment", "progress"]:
        p.add_argument(name)
    grading_limits.add_arguments(p)
    a = p.parse_args()
    limits = grading_limits.from_args(a)
    grade_in_fresh_dir(a.source, a.submission, a.student, a.assignment, limits, progress_file=Path(a.progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
