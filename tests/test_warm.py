"""The warm path (autograder/grading/warm.py): kernels forked from one template per batch are fresh processes,
never reused, under the same sandbox. tests/test_grading.py's hard cases run on it with
AUTOGRADER_KERNELS=warm (see docs/grading.md)."""
import contextlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading import warm
from autograder.grading.engine import grade_in_fresh_dir
from autograder.grading.limits import Limits

pytestmark = pytest.mark.slow  # kernels

LIMITS = Limits(cell_timeout=10, notebook_timeout=120, mem_mb=6144, hide=(tempfile.gettempdir(),))

# the first student leaves state everywhere a next kernel could find it; the test reads what this kernel sees
SOLUTION = """
import os, sys
def seen():
    stat = open('/proc/self/stat').read().rsplit(')', 1)[1].split()
    return {"start": stat[19], "global": "LEAK" in globals(), "file": os.path.exists("leak.txt"),
            "env": os.environ.get("LEAK"), "warm": "autograder.grading.warm" in sys.modules,
            "home": os.environ.get("HOME"), "user": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(),
            "tmp": __import__("tempfile").gettempdir(), "torch_seed": __import__("torch").initial_seed(),
            "random": __import__("random").random(), "hf_home": os.environ.get("HF_HOME")}
print("SEEN", __import__("json").dumps(seen()))
LEAK = 1
open("leak.txt", "w").write("x")
os.environ["LEAK"] = "1"
"""
TEST = "assert seen() is not None"


def _submission(tmp_path: Path) -> tuple[Path, Path]:
    meta = lambda gid, **kw: {"nbgrader": {"grade_id": gid, "schema_version": 3, "task": False, "locked": False,  # noqa: E731
                                           "solution": False, "grade": False, **kw}}
    src = nbformat.v4.new_notebook()
    src.cells = [nbformat.v4.new_code_cell("def seen():\n    ### BEGIN SOLUTION\n    return {}\n    ### END SOLUTION",
                                           metadata=meta("seen", solution=True)),
                 nbformat.v4.new_code_cell(TEST, metadata=meta("test_seen", grade=True, locked=True, points=1))]
    sub = nbformat.v4.new_notebook()
    sub.cells = [nbformat.v4.new_code_cell(SOLUTION, metadata=meta("seen", solution=True)),
                 nbformat.v4.new_code_cell(TEST, metadata=meta("test_seen", grade=True, locked=True, points=1))]
    nbformat.write(src, tmp_path / "source.ipynb")
    nbformat.write(sub, tmp_path / "sub.ipynb")
    return tmp_path / "source.ipynb", tmp_path / "sub.ipynb"


def _seen(result) -> dict:
    text = "".join(o.get("text", "") for outs in result.outputs.values() for o in outs)
    return json.loads(text.split("SEEN ", 1)[1].splitlines()[0])


def test_consecutive_warm_kernels_are_fresh_processes_that_see_nothing_of_the_last(tmp_path):
    source, sub = _submission(tmp_path)
    folder = Path(tempfile.mkdtemp(prefix="warmtest-"))
    os.chmod(folder, 0o711)
    try:
        with warm.template(folder) as template:
            assert template, "the template did not start"
            first, second = (grade_in_fresh_dir(source, sub, name, "tiny", LIMITS, warm=template)
                             for name in ("first", "second"))
    finally:
        subprocess.run(["rm", "-rf", str(folder)])
    a, b = _seen(first), _seen(second)
    assert a["warm"] and b["warm"], "the kernels were not forked from the template"
    assert first.score == second.score == 1
    assert a["start"] != b["start"] or a["random"] != b["random"]   # two processes (start time, fresh seed)
    assert not (b["global"] or b["file"] or b["env"]), b            # nothing of the first one's state
    assert a["pid"] == b["pid"] == 1                                # each the first process of its own namespace
    assert a["cwd"] != b["cwd"] and a["home"] == b["home"]          # own folder; the fixed path to it
    assert a["user"] != 0 and a["tmp"].startswith(a["home"]) and a["hf_home"].startswith(a["home"])
    assert a["torch_seed"] != b["torch_seed"] and a["random"] != b["random"]   # seeds drawn afresh, as at a start


@pytest.mark.parametrize("path", ["cold", "warm"])
def test_the_kernel_gets_none_of_the_graders_environment(tmp_path, monkeypatch, path):
    """Only kernel_env: jupyter_client would otherwise pass the grader's whole environment on (tokens, keys)."""
    monkeypatch.setenv("INSTRUCTOR_SECRET", "s3cret")
    source, sub = _submission(tmp_path)
    nb = nbformat.read(sub, as_version=4)
    nb.cells[0].source = SOLUTION.replace('"env": os.environ.get("LEAK")', '"env": os.environ.get("INSTRUCTOR_SECRET")')
    nbformat.write(nb, sub)
    result = grade_in_fresh_dir(source, sub, "s", "tiny", LIMITS, warm=path == "warm")
    seen = _seen(result)
    assert seen["warm"] == (path == "warm") and seen["env"] is None, seen


def test_without_a_template_the_launcher_starts_a_cold_kernel(tmp_path, monkeypatch):
    monkeypatch.delenv(warm.PATH_ENV, raising=False)   # not warm-only: a missing template means cold
    source, sub = _submission(tmp_path)
    result = grade_in_fresh_dir(source, sub, "s", "tiny", LIMITS, warm=(str(tmp_path / "no.sock"), str(tmp_path)))
    assert result.score == 1 and not result.needs_regrade
    assert not _seen(result)["warm"]
    monkeypatch.setenv(warm.PATH_ENV, "warm-only")      # warm-only: no cold kernel, the grader's failure
    result = grade_in_fresh_dir(source, sub, "s", "tiny", LIMITS, warm=(str(tmp_path / "no.sock"), str(tmp_path)))
    assert result.needs_regrade and "kernel" in result.needs_regrade, result


def test_the_warm_sandbox_hides_what_the_cold_one_hides(tmp_path):
    """sandbox.py's self-check, run in a kernel forked from the template."""
    probe = ("from autograder.grading import sandbox\n"
             "import json, sys\n"
             "def seen():\n    return 1\n"
             "print('SEEN', json.dumps({'problems': sandbox._self_check(HIDE, SHOW, WRITE), "
             "'warm': 'autograder.grading.warm' in sys.modules}))\n")
    folder = Path(tempfile.mkdtemp(prefix="warmtest-"))
    os.chmod(folder, 0o711)
    try:
        workdir_policy = __import__("autograder.grading.sandbox", fromlist=["policy"]).policy(folder / "x", LIMITS.hide)
        code = (f"import os\nHIDE, SHOW = {workdir_policy['hide']!r}, {workdir_policy['show']!r}\n"
                "WRITE = [os.getcwd(), os.environ['HOME']]   # its own folder, and the fixed path to it\n" + probe)
        source, sub = _submission(tmp_path)
        nb = nbformat.read(sub, as_version=4)
        nb.cells[0].source = code
        nbformat.write(nb, sub)
        with warm.template(folder) as template:
            result = grade_in_fresh_dir(source, sub, "probe", "tiny", LIMITS, warm=template)
    finally:
        subprocess.run(["rm", "-rf", str(folder)])
    seen = _seen(result)
    assert seen["warm"] and seen["problems"] == [], seen


def _looping(tmp_path: Path) -> tuple[Path, Path]:
    """The source, and a submission whose first cell loops (until its kernel is ended)."""
    source, sub = _submission(tmp_path)
    nb = nbformat.read(sub, as_version=4)
    nb.cells[0].source = "import time\nwhile True:\n    time.sleep(0.05)\n"
    nbformat.write(nb, sub)
    return source, sub


def _loop_running(kernel_template, seconds: float = 60) -> list:
    """The kernels forked from `kernel_template` (processes named ipykernel), once there is one (a looping
    submission's kernel: it runs until ended); [] after `seconds`."""
    import time

    import psutil
    deadline, kernel = time.monotonic() + seconds, []
    while not kernel and time.monotonic() < deadline:
        kernel = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "ipykernel"
                  and kernel_template in p.parents()]
        time.sleep(0.1)
    return kernel


@contextlib.contextmanager
def _folder():
    """A scratch folder with a short path (the kernels' sockets lie inside), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="warmtest-"))
    os.chmod(folder, 0o711)
    try:
        yield folder
    finally:
        subprocess.run(["rm", "-rf", str(folder)])


def _template_processes(flag: str = "--engines") -> list:
    """This test's templates of one kind (the engines' or, with --alias, the kernels')."""
    import psutil
    return [p for p in psutil.Process().children(recursive=True) if "serve" in p.cmdline() and flag in p.cmdline()]


def _worker(tmp_path: Path, sub: Path, source: Path, engines: str | None, warm_kernels=None):
    from autograder.grading.worker import _run_worker
    progress = tmp_path / "s.json"
    return _run_worker(source, sub, "s", "tiny", progress, LIMITS, warm_kernels, engines), progress


def test_a_warm_engine_grades_as_a_cold_one_and_each_is_a_fork_of_the_engines_template(tmp_path, monkeypatch):
    """Each submission's worker (engine.py) forked from the engines' template: graded alike; its process is the
    template's descendant while it runs, and gone after; with warm-only, a launcher that could not fork it fails."""
    import time

    import psutil
    monkeypatch.setenv(warm.PATH_ENV, "warm-only")   # the launcher fails rather than start a cold engine
    source, sub = _submission(tmp_path)
    folder = Path(tempfile.mkdtemp(prefix="warmtest-"))
    os.chmod(folder, 0o711)
    try:
        with warm.templates(folder) as (kernels, engines):
            assert kernels and engines, "a template did not start"
            [template] = _template_processes()
            results = []
            for _ in range(2):
                proc, progress = _worker(folder, sub, source, engines, kernels)
                forks = {}
                while proc.poll() is None:   # the engine (and the relay) below the template, while it grades
                    forks |= {p.pid: p for p in template.children(recursive=True)}
                    time.sleep(0.01)
                stderr = proc.stderr.read().decode()
                assert proc.returncode == 0, stderr
                _, alive = psutil.wait_procs(list(forks.values()), timeout=10)
                assert not alive, f"an engine outlived its submission: {alive}"
                results.append((json.loads(progress.read_text()), set(forks)))
                progress.unlink()
    finally:
        subprocess.run(["rm", "-rf", str(folder)])
    (first, forks1), (second, forks2) = results
    assert first["score"] == second["score"] == 1, (first, second)
    assert forks1 and forks2 and not forks1 & forks2   # two fresh processes, never one reused


def test_without_the_engines_template_the_launcher_starts_a_cold_engine(tmp_path, monkeypatch):
    source, sub = _submission(tmp_path)
    monkeypatch.delenv(warm.PATH_ENV, raising=False)
    proc, progress = _worker(tmp_path, sub, source, str(tmp_path / "no.sock"))
    proc.wait()
    assert proc.returncode == 0 and "a cold engine instead" in proc.stderr.read().decode()
    assert json.loads(progress.read_text())["score"] == 1
    progress.unlink()
    monkeypatch.setenv(warm.PATH_ENV, "warm-only")   # no cold engine: the grader's failure, marked for re-grade
    proc, progress = _worker(tmp_path, sub, source, str(tmp_path / "no.sock"))
    proc.wait()
    assert proc.returncode != 0 and "no cold engine" in proc.stderr.read().decode()
    assert not progress.exists()


def test_ending_a_warm_worker_ends_its_forked_engine_and_kernel(tmp_path, monkeypatch):
    """The batch ends a worker as it ends a cold one (its process group, SIGKILL): the forked engine and its kernel
    go with it."""
    import psutil
    from autograder.grading.worker import _end
    monkeypatch.setenv(warm.PATH_ENV, "warm-only")
    source, sub = _looping(tmp_path)
    with _folder() as folder:
        with warm.templates(folder) as (kernels, engines):
            [template], [kernel_template] = _template_processes(), _template_processes("--alias")
            proc, _ = _worker(folder, sub, source, engines, kernels)
            kernel = _loop_running(kernel_template)
            engine = template.children(recursive=True)
            assert kernel and engine, "the warm engine's kernel never started"
            _end(proc)
            gone, alive = psutil.wait_procs([*engine, *kernel], timeout=10)
            assert not alive, alive


def test_a_forked_engine_that_crashes_leaves_its_traceback_for_the_batch(tmp_path, monkeypatch):
    """The batch reports a failed worker by its last line of stderr: a forked engine prints it as Python would."""
    monkeypatch.setenv(warm.PATH_ENV, "warm-only")
    _, sub = _submission(tmp_path)
    with _folder() as folder, warm.templates(folder) as (_, engines):
        proc, _ = _worker(folder, sub, tmp_path / "no-such-source.ipynb", engines)
        proc.wait()
        err = proc.stderr.read().decode()
    assert proc.returncode == 1 and "Traceback" in err and "no-such-source.ipynb" in err.splitlines()[-1], err


def test_a_launcher_whose_started_engine_is_lost_fails_and_grades_nothing_twice(tmp_path, monkeypatch):
    """Once its engine started, a launcher that loses it (its relay killed) exits as the grader's failure: it
    never starts a cold engine to grade the submission a second time."""
    import psutil
    monkeypatch.delenv(warm.PATH_ENV, raising=False)   # not warm-only: the cold fallback is there to be refused
    source, sub = _looping(tmp_path)
    with _folder() as folder:
        with warm.templates(folder) as (kernels, engines):
            [template], [kernel_template] = _template_processes(), _template_processes("--alias")
            proc, _ = _worker(folder, sub, source, engines, kernels)
            _loop_running(kernel_template)   # the engine started, and its kernel runs the loop
            relays = template.children()
            assert relays, "the warm engine never started"
            for relay in relays:
                relay.kill()
            proc.wait(timeout=30)
            err = proc.stderr.read().decode()
            psutil.wait_procs(relays, timeout=10)
    assert proc.returncode == 1 and "lost the relay" in err and "a cold engine instead" not in err, err


def test_a_dask_workers_templates_start_again_when_the_code_changes(monkeypatch):
    """worker.warm_here keeps one pair of templates per worker process, and starts new ones (a new scratch
    folder, the old one removed) once the course's code changed there (a `git pull` on the worker)."""
    from autograder.grading import worker
    monkeypatch.setattr(worker, "_warm_here", {})
    version = [1]
    monkeypatch.setattr(worker, "_code_version", lambda: (version[0],))
    try:
        first = worker.warm_here()
        assert first[1] and first[2], "the templates did not start"
        assert worker.warm_here() == first                      # kept: the same templates for the next task
        version[0] = 2
        second = worker.warm_here()
        assert second[1] and second[2] and second[0] != first[0] and not first[0].exists()
    finally:
        worker._end_warm_here()
