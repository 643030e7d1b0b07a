"""Step 5, summary: the export's item analysis as a text table for the terminal."""
from __future__ import annotations

import csv
from pathlib import Path


def summary_table(path: Path) -> str:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    head = f"{'cell':32} {'kind':6} {'max':>4} {'graded':>6} {'mean':>6} {'full':>5} {'discr.':>6}"
    return "\n".join([head] + [f"{r['cell']:32} {r['kind']:6} {float(r['max']):4g} {r['graded']:>6} "
                                f"{r.get('mean') or '':>6} {r.get('full_marks_share') or '':>5} "
                                f"{r.get('discrimination') or '':>6}" for r in rows])
