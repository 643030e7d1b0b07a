"""The grading limits: one object, one set of defaults, used by the command line, the batch, the worker
and the sandbox; and every other time limit of a cell or an nbgrader command, each derived from or named
beside CELL_TIMEOUT, saying what it governs."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

CELL_TIMEOUT = 60                        # seconds per cell of a graded submission: `grade`'s --cell-timeout
DEMO_CELL_TIMEOUT = CELL_TIMEOUT // 3    # `demo`'s --cell-timeout (20 s): its looping sample need not take a minute
# nbgrader's own execution (nbgrader_config.py): `nbgrader autograde` in CourseFolder.autograde (tests/test_nbgrader.py,
# the benchmark) and nbgrader run by hand; never `grade`. A solution notebook's slowest cell trains, so twice as long.
NBGRADER_CELL_TIMEOUT = 2 * CELL_TIMEOUT
NBGRADER_COMMAND_TIMEOUT = 900           # seconds for one whole nbgrader command (course.CourseFolder.nbgrader)
WORKER_GRACE = 60                        # seconds a worker may run past the notebook limit before the batch kills it
SCHEDULER_CONNECT_TIMEOUT = 10           # seconds `grade --scheduler` waits for the Dask scheduler to answer


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = CELL_TIMEOUT  # seconds per cell
    notebook_timeout: int = 240       # seconds for the whole notebook (enforced by the caller)
    mem_mb: int = 6144                # address-space cap of the kernel
    hide: tuple[str, ...] = ()        # folders the kernel must not see besides the defaults (the course folder)
    allow_unsandboxed: bool = False   # grade even where the sandbox cannot hide the answers (never by default)

    def args(self) -> list[str]:
        """The same limits as command-line options (for the worker process)."""
        out = ["--cell-timeout", str(self.cell_timeout), "--notebook-timeout", str(self.notebook_timeout),
               "--mem-mb", str(self.mem_mb)]
        for path in self.hide:
            out += ["--hide", str(path)]
        return out + (["--unsafe-allow-unsandboxed"] if self.allow_unsandboxed else [])


DEFAULT = Limits()


def add_arguments(parser: argparse.ArgumentParser, cell_timeout: int = DEFAULT.cell_timeout) -> argparse.ArgumentParser:
    parser.add_argument("--cell-timeout", type=int, default=cell_timeout,
                        help=f"seconds per cell (default {cell_timeout})")
    parser.add_argument("--notebook-timeout", type=int, default=DEFAULT.notebook_timeout,
                        help=f"seconds per notebook (default {DEFAULT.notebook_timeout})")
    parser.add_argument("--mem-mb", type=int, default=DEFAULT.mem_mb,
                        help=f"memory cap per kernel in MB (default {DEFAULT.mem_mb})")
    parser.add_argument("--hide", action="append", default=[], metavar="FOLDER",
                        help="another folder the grading kernel must not see (repeatable); the repository "
                             "(all but shared/, data/ and autograder/), the home and temporary folders and the "
                             "course folder are always hidden")
    parser.add_argument("--unsafe-allow-unsandboxed", dest="allow_unsandboxed", action="store_true",
                        help="grade even where the sandbox cannot hide solutions/ from students' code "
                             "(not root, or no namespaces): a submission can then read the answers")
    return parser


def from_args(args: argparse.Namespace) -> Limits:
    return Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout, mem_mb=args.mem_mb,
                  hide=tuple(args.hide), allow_unsandboxed=args.allow_unsandboxed)
