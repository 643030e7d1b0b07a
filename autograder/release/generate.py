"""Release notebooks: notebooks/<a>/<a>.ipynb generated from solutions/<a>/<a>.ipynb by nbgrader, stripped
of outputs, with the Colab setup cell (colab_setup_cell.py, pointed at course.toml's student release) and
Colab's GPU-runtime metadata.

    python -m autograder release [A ...]      generate_release for each into notebooks/
    python -m autograder release --check      stale(): the committed releases that differ from what their source makes
"""
from __future__ import annotations

import json
import re
import tempfile
import tomllib
from pathlib import Path

from ..cells import COLAB_SETUP, grade_id, notebook, release_notebook, source_notebook
from ..course import REPO, CourseFolder

SETUP_CELL = Path(__file__).with_name("colab_setup_cell.py")
COLAB_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


def generate_release(name: str, dest_root: Path) -> Path:
    """Run nbgrader generate_assignment in a scratch course folder; write the stripped release under dest_root."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        course = CourseFolder(Path(tmp))
        course.add_source(source_notebook(name).parent)
        generated = course.generate(name)
        dest = notebook(dest_root, name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(generated.read_bytes())
        strip_outputs(dest)
        finish_release(dest)
        return dest


def strip_outputs(path: Path) -> None:
    """Remove outputs and execution counts in place (the committed form of a notebook)."""
    nb = json.loads(path.read_text())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def stale(names: list[str]) -> list[str]:
    """The assignments whose committed release differs from what their source generates now."""
    out = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        for name in names:
            fresh = generate_release(name, Path(tmp))
            committed = release_notebook(name)
            if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                out.append(name)
    return out


def config() -> dict:
    """course.toml's [student] table: the public repository and the release tag."""
    return tomllib.loads((REPO / "course.toml").read_text())["student"]


def setup_cell(repository: str | None = None, release: str | None = None) -> str:
    """The Colab setup cell (colab_setup_cell.py), pointing at the student repository and release (course.toml's,
    unless given)."""
    cfg = config()
    text = SETUP_CELL.read_text()
    text = re.sub(r'^COURSE_REPOSITORY = ".*"$', f'COURSE_REPOSITORY = "{repository or cfg["repository"]}"', text,
                  count=1, flags=re.M)
    return re.sub(r'^COURSE_RELEASE = ".*"$', f'COURSE_RELEASE = "{release or cfg["release"]}"', text,
                  count=1, flags=re.M).rstrip("\n")


def finish_release(path: Path) -> None:
    """Put the setup cell and Colab's GPU-runtime metadata into a generated release notebook."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if (grade_id(cell) or "").endswith(COLAB_SETUP):
            cell["source"] = setup_cell().splitlines(keepends=True)
    nb["metadata"].update(COLAB_METADATA)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
