"""After grading: the one gradebook (gradebook), formgrader's autograded notebooks (autograded), rubrics
(rubric), grading one question for everyone (by_question), feedback pages (feedback), grades and the LMS's
import file (export)."""
