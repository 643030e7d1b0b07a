"""Step 5, summary: the export's summary as a text table for the terminal."""
from __future__ import annotations

import csv
from pathlib import Path


def summary_table(path: Path) -> str:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    head = f"{'cell':32} {'max':>4} {'graded':>6} {'mean':>6} {'full':>5}"
    return "\n".join([head] + [f"{r['cell']:32} {float(r['max']):4g} {r['graded']:>6} {r.get('mean') or '':>6} "
                                f"{r.get('full_marks') or '':>5}" for r in rows])

