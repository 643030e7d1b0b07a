"""The instructor's loop over a course folder, one module a step:

    collect      (autograder/collect.py, lms.py)  an LMS download and roster into <course>/submitted/
    grade        (autograder/batch.py)      every submission in parallel workers, each by autograder/engine.py;
                                            scores into the gradebook, notebooks into <course>/autograded/
    manual       formgrader, or autograder/by_question.py   written answers by hand, with their rubrics
    feedback     (autograder/feedback.py)   one HTML page per student
    export       (autograder/export.py)     grades, item analysis (CSV and a plot), the LMS's import file
    summary      (autograder/summary.py)    the item analysis as a text table

Course folder layout (created as needed; never the repository):

    <course>/nbgrader_config.py, gradebook.db         nbgrader's config and the one gradebook (gradebook.py)
    <course>/submitted/<student>/<assignment>/<assignment>.ipynb, lms.json
    <course>/autograded/<student>/<assignment>/<assignment>.ipynb   for formgrader's manual grading
    <course>/unmatched/                               files collect could not place (kept, listed)
    <course>/grades/<assignment>/<student>.json       the batch's resume cache (nothing reads grades from it)
    <course>/feedback/<assignment>/<student>.html
    <course>/export/<assignment>-grades.csv, -summary.csv, -summary.png, -canvas-raw.csv, ...

Every score, automatic and manual, lives in nbgrader's gradebook (autograder/gradebook.py is its one
writer and reader); `grade` records each student as soon as they are done, so a batch stopped midway
resumes with the students not yet graded.
"""
from .batch import UnsafeSandbox, check_sandbox, grade
from .collect import CollectReport, collect, submissions
from .export import export
from .feedback import feedback
from .gradebook import ensure_gradebook, read, record, set_manual
from .summary import summary_table

__all__ = ["collect", "submissions", "CollectReport", "grade", "check_sandbox", "UnsafeSandbox",
           "ensure_gradebook", "record", "read", "set_manual", "feedback", "export", "summary_table"]
