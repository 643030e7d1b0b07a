"""Reference implementations the grader compares students' work with (never shipped to students)."""
