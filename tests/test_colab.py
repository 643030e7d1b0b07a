"""The students' install on Colab: requirements.txt must keep every package of Colab's runtime as it is,
on every runtime a student can select (tests/colab/: one file per runtime, Colab's versions of 2026-08-19
and of 2026.07), and must not carry the instructors' tools."""
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.course import REPO

COLABS = sorted((Path(__file__).parent / "colab").glob("colab-*.txt"))
RUNTIME = {"ipython", "ipykernel", "jupyter-client", "notebook", "tornado", "pandas", "requests", "numpy"}
INSTRUCTORS = {"nbgrader", "jupyterlab", "nbconvert", "pytest", "notebook", "ipython", "ipykernel", "dask",
               "distributed"}


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[canonicalize_name(name)] = version
    return out


def requirements(path: Path) -> list[Requirement]:
    lines = [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines()]
    return [Requirement(ln) for ln in lines if ln and not ln.startswith("-")]


def changed_on_colab(reqs: list[Requirement], colab: dict[str, str]) -> list[str]:
    """Requirements that Colab's installed version does not satisfy, so pip would replace it."""
    return [f"{r} (Colab has {colab[canonicalize_name(r.name)]})" for r in reqs
            if canonicalize_name(r.name) in colab and colab[canonicalize_name(r.name)] not in r.specifier]


def test_every_selectable_runtime_has_its_fixture():
    assert {p.name for p in COLABS} >= {"colab-2026-08-19.txt", "colab-2026-07-14.txt"}, COLABS


@pytest.mark.parametrize("path", COLABS, ids=lambda p: p.stem)
def test_the_students_install_keeps_colabs_packages(path):
    colab = pins(path)
    assert RUNTIME <= set(colab), "the fixture must list every runtime package"
    assert changed_on_colab(requirements(REPO / "requirements.txt"), colab) == []


@pytest.mark.parametrize("path", COLABS, ids=lambda p: p.stem)
def test_the_check_catches_a_bound_above_colabs_version(path):
    colab = pins(path)
    assert colab["pandas"].startswith("2.2."), colab["pandas"]
    assert changed_on_colab([Requirement("pandas>=3.1"), Requirement("tqdm>=4.60")], colab) == [
        f"pandas>=3.1 (Colab has {colab['pandas']})"]


def test_the_instructors_tools_stay_out_of_the_students_install():
    names = {canonicalize_name(r.name) for r in requirements(REPO / "requirements.txt")}
    assert not names & INSTRUCTORS, names & INSTRUCTORS
    instructor = (REPO / "requirements-instructor.txt").read_text()
    assert "-r requirements.txt" in instructor
    assert {"jupyterlab", "nbgrader", "pytest"} <= {canonicalize_name(r.name) for r in
                                                   requirements(REPO / "requirements-instructor.txt")}

