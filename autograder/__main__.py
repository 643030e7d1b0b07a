"""The instructor's command line: `python -m autograder <step>`.

    release            generate notebooks/ from solutions/ (every assignment, or those named)
    release --check    fail if any committed release differs from what its source generates
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .course import REPO, CourseFolder, assignments, strip_outputs


def generate_release(name: str, dest_root: Path) -> Path:
    """Run nbgrader generate_assignment in a scratch course folder; write the stripped release under dest_root."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        course = CourseFolder(Path(tmp))
        course.add_source(REPO / "solutions" / name)
        generated = course.generate(name)
        dest = dest_root / name / f"{name}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(generated.read_bytes())
        strip_outputs(dest)
        return dest


def cmd_release(args) -> int:
    names = args.assignments or assignments()
    unknown = [n for n in names if n not in assignments()]
    if unknown:
        print(f"No source notebook for {unknown}: expected solutions/<name>/<name>.ipynb. "
              f"Assignments: {', '.join(assignments()) or 'none'}.", file=sys.stderr)
        return 2
    if not args.check:
        for name in names:
            print(f"released {generate_release(name, REPO / 'notebooks').relative_to(REPO)}")
        return 0
    stale = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        for name in names:
            fresh = generate_release(name, Path(tmp))
            committed = REPO / "notebooks" / name / f"{name}.ipynb"
            if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                stale.append(name)
    for name in stale:
        print(f"notebooks/{name}/{name}.ipynb is out of date with solutions/{name}: "
              f"run `python -m autograder release {name}` and commit the result.", file=sys.stderr)
    if not stale:
        print(f"releases up to date: {', '.join(names) or 'no assignments'}")
    return 1 if stale else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    rel = sub.add_parser("release", help="generate notebooks/ from solutions/")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.add_argument("--check", action="store_true", help="fail if a committed release is out of date")
    rel.set_defaults(func=cmd_release)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
