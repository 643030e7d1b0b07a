"""The student distribution: no answers in it (and the check can fail), tagged releases, and a Colab
setup cell that installs it from its repository, once, and says so when run again."""
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.release import distribution, generate
from autograder.course import REPO, assignments

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    dest = tmp_path_factory.mktemp("student-repo")
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    message = distribution.publish(dest)
    return dest, message


def test_the_distribution_holds_no_answer_and_no_instructors_folder(published):
    dest, _ = published
    assert distribution.leaks(dest) == []
    assert not any((dest / f).exists() for f in ("solutions", "autograder", "tests"))
    assert sorted(p.parent.name for p in (dest / "notebooks").glob("*/*.ipynb")) == assignments()
    assert (dest / "shared" / "train.py").exists() and (dest / "data" / "qa" / "train.jsonl").exists()


def test_every_committed_release_is_what_its_source_generates(published):
    """The distribution generates every release from solutions/ with the release command's own function; each
    must equal the committed notebooks/ byte for byte (what `release --check` checks), or a student gets a
    notebook that its source no longer makes."""
    dest, _ = published
    stale = [name for name in assignments()
             if (dest / "notebooks" / name / f"{name}.ipynb").read_bytes()
             != (REPO / "notebooks" / name / f"{name}.ipynb").read_bytes()]
    assert not stale, (f"out of date with their sources: {stale}; run `python -m autograder release <name>` "
                       f"and commit the result")


def test_every_notebook_installs_the_student_release_on_a_gpu_runtime(published):
    dest, _ = published
    cfg = generate.config()
    for path in sorted((dest / "notebooks").glob("*/*.ipynb")):
        nb = json.loads(path.read_text())
        assert nb["metadata"]["accelerator"] == "GPU" and nb["metadata"]["colab"]["gpuType"] == "T4", path.name
        setup = "".join(nb["cells"][1]["source"])
        assert f'COURSE_REPOSITORY = "{cfg["repository"]}"' in setup and f'COURSE_RELEASE = "{cfg["release"]}"' in setup
        assert '"clone"' in setup and '"--branch", COURSE_RELEASE' in setup and "solutions" not in setup
        # the committed release in the instructors' repository is the same notebook
        assert (REPO / "notebooks" / path.parent.name / path.name).read_text() == path.read_text()


@pytest.mark.parametrize("plant", ["marker", "model answer", "hidden test", "instructors folder"])
def test_the_leak_check_finds_planted_answers(published, tmp_path, plant):
    dest, _ = published
    copy = tmp_path / "copy"
    shutil.copytree(dest, copy, ignore=shutil.ignore_patterns(".git"))
    source = nbformat.read(REPO / "solutions" / "a2_mlm_objective" / "a2_mlm_objective.ipynb", as_version=4)
    answer = next(c.source for c in source.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"))
    hidden = next(c.source for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source)
    hidden = hidden.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS")[0]
    if plant == "marker":
        (copy / "shared" / "extra.py").write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    elif plant == "model answer":
        with open(copy / "data" / "sentiment" / "README.md", "a") as f:
            f.write("\n" + max(answer.splitlines(), key=len) + "\n")
    elif plant == "hidden test":
        (copy / "shared" / "checks.py").write_text(hidden)
    else:
        (copy / "solutions").mkdir()
        (copy / "solutions" / "notes.txt").write_text("nothing")
    assert distribution.leaks(copy), f"a planted {plant} was not found"


def test_a_published_release_is_tagged_and_never_changes(published):
    dest, message = published
    release = generate.config()["release"]
    assert "tagged" in message
    tags = subprocess.run(["git", "-C", str(dest), "tag"], capture_output=True, text=True).stdout.split()
    assert tags == [release]
    files = lambda: {p: p.stat().st_mtime_ns for p in dest.rglob("*")  # noqa: E731
                     if p.is_file() and ".git" not in p.relative_to(dest).parts}
    before = files()
    with pytest.raises(SystemExit, match="already has the tag"):
        distribution.publish(dest)
    assert files() == before, "a refused publish rewrote the clone's files"


def _run_setup_cell(code: str, home, env_extra=None):
    env = dict(os.environ, COURSE_SETUP_AS_COLAB="1", COURSE_HOME=str(home), **(env_extra or {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)


FAKE_DRIVE = """
import os
def mount(path, **kwargs):
    if os.environ.get("FAKE_DRIVE_DECLINE"):
        raise PermissionError("the student declined")
    open(os.environ["FAKE_DRIVE_LOG"], "a").write(path + "\\n")
"""


def _fake_colab(tmp_path):
    """google.colab.drive as Colab has it, as a namespace package so google.protobuf etc. still import."""
    pkg = tmp_path / "fake-colab" / "google" / "colab"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "drive.py").write_text(FAKE_DRIVE)
    return {"PYTHONPATH": str(tmp_path / "fake-colab"), "FAKE_DRIVE_LOG": str(tmp_path / "mounts.log")}


def test_the_setup_cell_installs_the_release_once_and_says_so_when_run_again(published, tmp_path):
    dest, _ = published
    cell = generate.setup_cell(repository=str(dest))   # the student repository, cloned from disk
    home = tmp_path / "content" / "nlp-course"
    colab = _fake_colab(tmp_path)
    first = _run_setup_cell(cell, home, colab)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "installed course release" in first.stdout and "RESTART" not in first.stdout
    # Drive is offered: mounted, and the training loop's checkpoints pointed at it
    assert (tmp_path / "mounts.log").read_text() == "/content/drive\n"
    assert "checkpoints: /content/drive/MyDrive/nlp-course/checkpoints" in first.stdout
    assert "no GPU in this runtime" in first.stdout  # this machine has none: the cell says how to get one
    assert (home / "shared" / "train.py").exists() and not (home / "solutions").exists()
    before = sorted(str(p.relative_to(home)) for p in home.rglob("*") if ".git" not in p.parts)
    second = _run_setup_cell(cell, home, {**colab, "FAKE_DRIVE_DECLINE": "1"})
    assert second.returncode == 0, second.stderr[-2000:]
    assert "is installed" in second.stdout and "nothing to do" in second.stdout
    assert "Drive not mounted (PermissionError: the student declined)" in second.stdout  # declining is no error
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*") if ".git" not in p.parts) == before
    other = _run_setup_cell(generate.setup_cell(repository=str(dest), release="no-such-release"), home)
    assert other.returncode != 0  # a release that was never published fails loudly, not silently
    assert "COURSE SETUP FAILED: the course release 'no-such-release' is not published" in other.stderr
    assert "Traceback" not in other.stderr and "check COURSE_RELEASE" in other.stderr


def _failure(cell: str, home, env=None) -> str:
    proc = _run_setup_cell(cell, home, env)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.count("COURSE SETUP FAILED") == 1 and "What to do:" in proc.stderr
    return proc.stderr


def test_each_setup_cell_failure_is_one_message_saying_what_to_do(published, tmp_path):
    """No repository, no network, a pip failure: one message each (no traceback) that says what happened and what
    to do. The network is faked by a git on PATH that answers as git does without one."""
    dest, _ = published
    home = tmp_path / "content" / "nlp-course"
    err = _failure(generate.setup_cell(repository=str(tmp_path / "no-such-repository")), home)
    assert f"the course repository {tmp_path / 'no-such-repository'} cannot be cloned" in err
    assert "check COURSE_REPOSITORY" in err
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\necho \"fatal: unable to access 'https://github.com/x/': Could not resolve "
                              "host: github.com\" >&2\nexit 128\n")
    (fake / "git").chmod(0o755)
    err = _failure(generate.setup_cell(), home, {"PATH": f"{fake}:{os.environ['PATH']}"})
    assert "this runtime cannot reach https://github.com/nlp-course/nlp-course-student" in err
    assert "Could not resolve host" in err            # the details: git's own last line
    err = _failure(generate.setup_cell(repository=str(dest)), home,
                   {"PIP_CONSTRAINT": str(tmp_path / "no-such-constraints.txt")})
    assert "pip could not install the course's packages (-r requirements.txt)" in err and "run this cell again" in err
    assert not (home / ".installed-release").exists()   # nothing half-installed is taken for installed


def test_the_setup_cell_installs_the_offline_models_when_asked(published, tmp_path):
    """OFFLINE = True (no GPU on purpose) after a plain install: the offline profile's models are added without a
    new clone, and the student's runs/ stay; a failed clone of another release leaves everything as it was. The CPU
    message says which PROFILE to set, or, without OFFLINE, how to get a GPU or ask for the offline models."""
    dest, _ = published
    home = tmp_path / "content" / "nlp-course"
    plain = _run_setup_cell(generate.setup_cell(repository=str(dest)), home)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert "T4 GPU" in plain.stdout and "OFFLINE = True" in plain.stdout
    work = home / "runs" / "a2" / "results.json"
    work.parent.mkdir(parents=True)
    work.write_text("{}")
    marker = home / "shared" / "not-reinstalled"
    marker.write_text("")
    cell = generate.setup_cell(repository=str(dest)).replace("OFFLINE = False", "OFFLINE = True", 1)
    proc = _run_setup_cell(cell, home)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "with the offline profile's models" in proc.stdout
    assert (home / ".installed-release").read_text().endswith("+offline")
    assert 'no GPU in this runtime: set PROFILE = "offline"' in proc.stdout
    assert work.exists() and marker.exists()            # the student's work kept, the release not cloned again
    again = _run_setup_cell(generate.setup_cell(repository=str(dest)), home)
    assert "nothing to do" in again.stdout          # the offline install covers a plain one
    _failure(generate.setup_cell(repository=str(dest), release="no-such-release"), home)
    assert work.exists() and marker.exists() and (home / "shared" / "train.py").exists()


def test_the_setup_cell_does_nothing_outside_colab(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COURSE_SETUP_AS_COLAB"}
    proc = subprocess.run([sys.executable, "-c", generate.setup_cell()], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "" and list(tmp_path.iterdir()) == []
