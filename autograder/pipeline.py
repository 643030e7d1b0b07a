"""The instructor's loop over a course folder, one module a step:

    collect   (autograder/collect.py)    an LMS download into <course>/submitted/
    grade     (autograder/batch.py)      every submission in parallel workers, each by autograder/engine.py
    feedback  (autograder/feedback.py)   one HTML page per student
    export    (autograder/export.py)     grades and a summary as CSV and a plot
    summary   (autograder/summary.py)    that summary as a text table

Course folder layout (created as needed; never the repository):

    <course>/nbgrader_config.py, gradebook.db         nbgrader's config and gradebook
    <course>/submitted/<student>/<assignment>/<assignment>.ipynb
    <course>/unmatched/                               files collect could not match (kept, listed)
    <course>/grades/<assignment>/<student>.json       one result per submission (scores, reasons)
    <course>/feedback/<assignment>/<student>.html
    <course>/export/<assignment>-grades.csv, -summary.csv, -summary.png

Grades go into nbgrader's gradebook (autograder/gradebook.py, their one writer), so nbgrader's
formgrader can add the manual scores; `grade` writes each student's result as soon as it is
done, so a batch stopped midway resumes with the students not yet graded.
"""
from .batch import UnsafeSandbox, check_sandbox, grade
from .collect import DEFAULT_PATTERN, CollectReport, collect, submissions
from .export import export
from .feedback import feedback
from .gradebook import ensure_gradebook, record
from .summary import summary_table

__all__ = ["collect", "submissions", "CollectReport", "DEFAULT_PATTERN", "grade", "check_sandbox", "UnsafeSandbox",
           "ensure_gradebook", "record", "feedback", "export", "summary_table"]
