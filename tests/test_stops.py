"""Stopping `python -m autograder grade`: Ctrl-C, SIGTERM and SIGHUP stop it cleanly (workers and kernels
ended, scratch folders removed, what was graded kept, one line saying how to resume); after a kill -9 the
workers and kernels die too and the next `grade` removes what was left; two batches never grade at once.

Each test grades a copy of one small course in a real `grade` process, with its own temporary folder."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from autograder.demo import samples
from autograder.course import REPO, CourseFolder
from autograder.review.gradebook import ensure_gradebook

pytestmark = pytest.mark.slow  # kernels and nbgrader: the fast lane (-m "not slow") skips it

A1 = samples.A1
# The first run's limits let a sleeping cell sleep; the run after it stops each notebook at its first cell
# (its kernel started): what matters there is which submissions it grades, not their scores.
FIRST = ["--workers", "2", "--cell-timeout", "300", "--notebook-timeout", "600"]
AGAIN = ["--workers", "2", "--cell-timeout", "120", "--notebook-timeout", "1"]
PARTS = ("autograder.grading.engine", "autograder.grading.sandbox", "autograder.grading.warm", "ipykernel")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """ada's notebook is not one of a1 (graded at once, no kernel); bo's and cy's sleep in their first cell."""
    root = tmp_path_factory.mktemp("stops") / "course"

    def put(student, nb):
        path = root / "submitted" / student / A1 / f"{A1}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)

    put("ada", nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("I did not do it.")]))
    for student in ("bo", "cy"):
        nb = samples.completed()
        nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
        put(student, nb)
    ensure_gradebook(root, A1)
    return root


@pytest.fixture
def run(template):
    """A copy of the course, and `grade` on it in a subprocess with a temporary folder of its own.

    A short path, not pytest's tmp_path: the kernels' sockets lie in their working folders, inside the
    batch's scratch folder, and a socket's path has at most 107 bytes."""
    top = Path(tempfile.mkdtemp(prefix="stops-"))
    os.chmod(top, 0o711)  # a kernel that runs as nobody passes through it to its working folder
    course = top / "course"
    shutil.copytree(template, course)
    tmp = top / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    started = []

    def as_from_a_terminal():   # the stop signals at their defaults, even if pytest runs under nohup
        for s in (signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    def start(*flags, log="first"):
        with open(top / f"{log}.log", "w") as out:
            started.append(subprocess.Popen(
                [sys.executable, "-m", "autograder", "grade", A1, "--course", str(course), *flags],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=as_from_a_terminal))
        return started[-1]

    def finish(proc, log, seconds=300):
        rc = proc.wait(timeout=seconds)
        return rc, (top / f"{log}.log").read_text()

    yield {"course": course, "tmp": tmp, "marker": str(top), "start": start, "finish": finish}
    for proc in started:   # a failed test leaves nothing running: no grade, no worker, no sleeping kernel
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid in processes(str(top)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(top, ignore_errors=True)


def processes(marker: str) -> dict[int, str]:
    """The workers, sandbox launchers, warm templates and kernels alive whose command line names `marker` (a test's
    folder)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cmd += " " + (entry / "comm").read_text().strip()   # a warm kernel: the template's command, named ipykernel
        except OSError:
            continue
        if marker in cmd and any(part in cmd for part in PARTS):
            found[int(entry.name)] = cmd
    return found


def wait_for(condition, seconds: float, what: str, proc=None, log=None):
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"grade ended ({proc.returncode}) before {what}:\n{log.read_text() if log else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.5)


def kernels_running(run, proc):
    """Wait until bo's and cy's kernels run (ada, before them, is graded and saved by then)."""
    kernels = lambda: [c for c in processes(run["marker"]).values() if "ipykernel" in c]  # noqa: E731
    wait_for(lambda: len(kernels()) == 2, 300, "two kernels ran", proc, run["tmp"].parent / "first.log")
    assert (run["course"] / "grades" / A1 / "ada.json").exists()


def scratch_folders(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(("grading-", "grade-")))


def saved(course: Path) -> dict[str, str]:
    return {p.stem: p.read_text() for p in (course / "grades" / A1).glob("*.json")}


def in_gradebook(course: Path) -> list[str]:
    with CourseFolder(course).gradebook() as gb:
        return sorted(s.student.id for s in gb.find_assignment(A1).submissions)


def nothing_left_alive(run):
    wait_for(lambda: not processes(run["marker"]), 30, "every worker and kernel of the run ended")


def grading_again_grades_the_rest_once(run, before: dict[str, str]):
    rc, out = run["finish"](run["start"](*AGAIN, log="again"), "again")
    assert rc == 0 and "Traceback" not in out, out
    after = saved(run["course"])
    assert sorted(after) == ["ada", "bo", "cy"]
    assert all(after[s] == text for s, text in before.items()), "a saved result was graded again"
    assert all(json.loads(after[s])["complete"] for s in after)
    assert in_gradebook(run["course"]) == ["ada", "bo", "cy"]
    assert scratch_folders(run["tmp"]) == []
    nothing_left_alive(run)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stopped_batch_ends_its_workers_and_kernels_keeps_its_results_and_says_how_to_resume(run, sig):
    proc = run["start"](*FIRST)
    kernels_running(run, proc)
    proc.send_signal(sig)
    rc, out = run["finish"](proc, "first")
    assert rc == 128 + sig, out
    assert "Traceback" not in out, out
    expected = (f"stopped by {sig.name}: 1 of 3 submissions graded and saved; run `python -m autograder grade {A1} "
                f"--course {run['course']}` again to grade the other 2.")
    assert [line for line in out.splitlines() if "stopped" in line] == [expected], out
    nothing_left_alive(run)
    assert scratch_folders(run["tmp"]) == [], "the batch left its scratch folders"
    before = saved(run["course"])
    assert sorted(before) == ["ada"] and in_gradebook(run["course"]) == ["ada"]
    grading_again_grades_the_rest_once(run, before)


def test_after_kill_9_nothing_runs_on_and_the_next_grade_cleans_up_and_grades_the_rest_once(run):
    proc = run["start"](*FIRST)
    kernels_running(run, proc)
    # a second batch of the same assignment is refused while the first runs, and grades nothing
    rc, out = run["finish"](run["start"](*FIRST, log="second"), "second", seconds=120)
    assert rc != 0 and f"another grade of {A1} is running (pid {proc.pid})" in out and "Traceback" not in out, out
    assert len([c for c in processes(run["marker"]).values() if "ipykernel" in c]) == 2
    proc.kill()
    proc.wait()
    nothing_left_alive(run)
    left = scratch_folders(run["tmp"])
    assert len(left) == 1 and left[0].startswith("grading-"), left   # kill -9 leaves the scratch folder ...
    before = saved(run["course"])
    assert sorted(before) == ["ada"]
    grading_again_grades_the_rest_once(run, before)                  # ... and the next grade removes it
