"""The instructor's side of the course: release, collect, grade, feedback, export (`python -m autograder`)."""
from .environment import put_tools_on_path

put_tools_on_path()   # nbgrader shells out to `alembic` (and jupyter): the tools installed beside this Python
