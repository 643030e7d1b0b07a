"""nbgrader configuration of the course: solutions/ is the source, notebooks/ the release.

The instructor's command line (`python -m autograder`) loads this file; nbgrader
run by hand from the repository root picks it up too if copied there. The
gradebook and student folders live in a separate course folder (`--course`),
never in the repository.
"""
import os

from autograder.cells import CODE_STUB, HIDDEN_TESTS_DELIMITERS, RELEASE, SOLUTION_DELIMITERS, SOURCE, TEXT_STUB
from autograder.course import CourseFolder
from autograder.grading.limits import NBGRADER_CELL_TIMEOUT

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads the file)

# The gradebook beside this file (the course folder), shared by formgrader, by-question and `grade`: a writer
# waits for another (BUSY_TIMEOUT seconds) instead of failing with "database is locked" (SQLite's default: 5 s).
here = CourseFolder(os.path.dirname(os.path.abspath(__file__)))
c.CourseDirectory.db_url = here.gradebook_url

c.CourseDirectory.source_directory = SOURCE
c.CourseDirectory.release_directory = RELEASE
c.CourseDirectory.submitted_directory = CourseFolder.SUBMITTED
c.CourseDirectory.autograded_directory = CourseFolder.AUTOGRADED
c.CourseDirectory.feedback_directory = CourseFolder.FEEDBACK

# The markers of solutions and hidden tests (autograder/cells.py), and what students see in their place.
c.ClearSolutions.begin_solution_delimeter, c.ClearSolutions.end_solution_delimeter = SOLUTION_DELIMITERS
c.ClearSolutions.code_stub = {"python": CODE_STUB}
c.ClearSolutions.text_stub = TEXT_STUB
c.ClearHiddenTests.begin_test_delimeter, c.ClearHiddenTests.end_test_delimeter = HIDDEN_TESTS_DELIMITERS

# nbgrader's own execution (`nbgrader autograde`, `nbgrader validate`), in the smoke profile (nbgrader sets
# NBGRADER_EXECUTION): a cell that runs longer is stopped. `python -m autograder grade` runs its own kernels
# under grading/limits.py's CELL_TIMEOUT instead.
c.ExecutePreprocessor.timeout = NBGRADER_CELL_TIMEOUT
c.ExecutePreprocessor.kernel_name = "python3"
c.Execute.interrupt_on_timeout = True
