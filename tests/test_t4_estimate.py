"""The T4 estimates the README and docs/course.md quote are what tools/t4_estimate.py computes from the full
profile and the solution notebooks (an estimate: no GPU has been lent to time them), and each is under 45 minutes."""
import importlib.util
import re

from shared.models import REPO
from shared.profiles import ASSIGNMENTS, get_profile

_spec = importlib.util.spec_from_file_location("t4_estimate", REPO / "tools" / "t4_estimate.py")
t4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(t4)
NAMES = list(ASSIGNMENTS)


def _estimates():
    p = get_profile("full")
    works = {name: getattr(t4, name)(p) for name in NAMES}
    return {name: tuple(round(m) for m in w.minutes()) for name, w in works.items()}, \
        sum(w.drive_bytes for w in works.values()) / 1e9


def test_every_notebook_is_estimated_under_45_minutes_on_a_t4_and_drive_stays_small():
    minutes, drive_gb = _estimates()
    assert all(high <= 45 for _, high in minutes.values()), minutes
    assert drive_gb < 15 / 5, drive_gb   # far below a free Drive's 15 GB


def test_the_docs_quote_the_estimates_the_script_computes():
    minutes, drive_gb = _estimates()
    readme = (REPO / "README.md").read_text()
    row = "| " + " | ".join(f"{lo}-{hi}" for lo, hi in minutes.values()) + " |"
    assert row in readme, row
    assert f"Estimated on Drive for the whole course: {drive_gb:.1f} GB" in readme
    course = (REPO / "docs" / "course.md").read_text()
    for name, (lo, hi) in minutes.items():
        assert re.search(rf"\| {name} \| {lo}-{hi} \|", course), name
    assert f"{drive_gb:.1f} GB left on\nDrive" in course or f"{drive_gb:.1f} GB left on Drive" in course
