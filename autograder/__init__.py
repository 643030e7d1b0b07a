"""The instructor's side of the course: release, collect, grade, feedback, export (`python -m autograder`)."""
import os
import sys
from pathlib import Path

# nbgrader shells out to `alembic` (and jupyter): the tools installed beside this Python must be on PATH.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
