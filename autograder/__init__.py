"""The instructor's side of the course: nbgrader wiring (see course.py and nbgrader_config.py)."""
