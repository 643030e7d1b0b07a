"""`grade --scheduler`: a batch on a real Dask cluster on loopback (a `dask scheduler` and two `dask worker`
processes importing this checkout), one worker killed (SIGKILL) while it grades; every submission gets exactly
one result, in the gradebook and the resume cache, with the scores of a local `grade` of the same submissions.

The workers are real separate processes: they read the submissions' bytes from their tasks, not the course
folder, and grade them warm (AUTOGRADER_KERNELS=warm-only there: a cold fallback would be a re-grade), with
templates each worker process keeps, as on other machines."""
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, CourseFolder
from autograder.demo import samples
from autograder.grading.limits import Limits

A1 = samples.A1
LIMITS = Limits(cell_timeout=10, notebook_timeout=120, mem_mb=6144)
# infiniteloop loops until its cell's time limit: the long task, the one whose worker is killed
STUDENTS = ["complete", "infiniteloop", "partial", "setsnotcounts", "sysexit"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _course(top: Path, notebooks: dict[str, Path]) -> Path:
    from autograder.review.gradebook import ensure_gradebook
    course = top / "course"
    for student in STUDENTS:
        path = course / "submitted" / student / A1 / f"{A1}.ipynb"
        path.parent.mkdir(parents=True)
        shutil.copy(notebooks[student], path)
    ensure_gradebook(course, A1)
    return course


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers on loopback, each in its own session; all ended after."""
    distributed = pytest.importorskip("distributed")
    env = dict(os.environ, HF_HUB_OFFLINE="1", AUTOGRADER_KERNELS="warm-only",   # a cold fallback: a re-grade
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = {}

    def start(name, *args):
        with open(tmp_path / f"{name}.log", "w") as log:
            procs[name] = subprocess.Popen([sys.executable, "-m", *args], cwd=tmp_path, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)

    def kill(name):
        """The worker's whole session (nanny and worker process): a machine lost."""
        os.killpg(procs[name].pid, signal.SIGKILL)
        procs[name].wait()

    client = None
    try:
        start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
              "--port", address.rsplit(":", 1)[1], "--no-dashboard")
        for name in ("w0", "w1"):
            start(name, "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                  "--name", name, "--host", "127.0.0.1", "--no-dashboard")
        client = distributed.Client(address, timeout="60s", set_as_default=False)
        client.wait_for_workers(2, timeout=120)
        yield address, client, kill
    finally:
        if client is not None:
            client.close()
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _executing(client) -> dict[str, list[str]]:
    """Each worker's name and the keys of the tasks it is running now."""
    def running(dask_worker):
        return [str(ts.key) for ts in dask_worker.state.executing]
    names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
    return {str(names.get(a, a)): keys for a, keys in client.run(running).items()}


@pytest.mark.slow   # a real cluster, kernels
def test_a_batch_on_a_dask_cluster_loses_a_worker_and_grades_each_submission_once(cluster, monkeypatch):
    from nbgrader.api import Gradebook

    from autograder.grading import batch
    address, watch, kill = cluster
    assert watch.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) >= 1  # a lost task retried
    # short paths: the kernels' sockets lie in their working folders (107 bytes at most)
    top = Path(tempfile.mkdtemp(prefix="dask-"))
    os.chmod(top, 0o711)
    try:
        notebooks = samples.build(top / "export", top / "local" / "course")
        local = _course(top / "local", notebooks)
        on_cluster = _course(top / "cluster", notebooks)
        expected = batch.grade(local, A1, workers=2, limits=LIMITS, progress_bar=False)

        saved = collections.Counter()
        real_record = batch.record
        monkeypatch.setattr(batch, "record", lambda course, result, lms=None: (
            saved.update([result.student]), real_record(course, result, lms))[1])
        out = {}

        def grading():
            try:
                out["results"] = batch.grade(on_cluster, A1, limits=LIMITS, progress_bar=False, scheduler=address)
            except BaseException as err:  # noqa: BLE001
                import traceback
                out["error"] = "".join(traceback.format_exception(err))
        thread = threading.Thread(target=grading)
        thread.start()
        deadline, victim = time.monotonic() + 300, None
        while victim is None and thread.is_alive() and time.monotonic() < deadline:
            victim = next((name for name, keys in _executing(watch).items()
                           if any(k.startswith("grade-infiniteloop-") for k in keys)), None)
            time.sleep(0.5)
        assert victim, f"infiniteloop never ran on a worker: {out.get('error')}"
        time.sleep(5)   # its engine and kernel are running
        kill(victim)
        killed_at = time.monotonic()
        thread.join(timeout=600)
        assert not thread.is_alive() and "error" not in out, out.get("error")
        results = out["results"]
        assert time.monotonic() - killed_at > 5, "the batch ended before the lost task could be graded again"

        assert sorted(results) == STUDENTS
        for student in STUDENTS:
            assert not results[student].needs_regrade, (student, results[student].needs_regrade)
            assert results[student].score == expected[student].score, (student, results[student].reasons)
        assert saved == collections.Counter(STUDENTS), f"each submission saved exactly once: {saved}"
        files = {p.stem: json.loads(p.read_text()) for p in CourseFolder(on_cluster).grades(A1).glob("*.json")}
        assert sorted(files) == STUDENTS
        assert all(f["complete"] and f["score"] == expected[s].score for s, f in files.items())
        with Gradebook(f"sqlite:///{on_cluster / 'gradebook.db'}") as gb:
            subs = gb.find_assignment(A1).submissions
            assert sorted(s.student.id for s in subs) == STUDENTS
            for sub in subs:
                assert sub.score == expected[sub.student.id].score
        assert (on_cluster / "autograded" / "complete" / A1 / f"{A1}.ipynb").exists()

        def templates(dask_worker=None):   # the worker process's warm templates (worker.warm_here), kept, and
            from autograder.grading import worker   # nothing left of its tasks in its scratch folder
            kept = bool(worker._warm_here.get("kernels")) and bool(worker._warm_here.get("engines"))
            return kept, sorted(p.name for p in worker._warm_here["scratch"].iterdir() if not p.name.startswith(
                ("warm", "engines.sock", "owner")))
        assert list(watch.run(templates).values()) == [(True, [])], "no warm templates kept, or tasks' files left"
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.slow   # waits the connection's time limit out
def test_an_unreachable_scheduler_is_one_message_and_writes_nothing(tmp_path):
    pytest.importorskip("distributed")
    course = tmp_path / "course"
    path = course / "submitted" / "ada" / A1 / f"{A1}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(samples.completed(), path)
    before = sorted(course.rglob("*"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", A1, "--course", str(course),
                          "--scheduler", address], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot reach a Dask scheduler at {address}" in lines[0], run.stderr
    assert sorted(course.rglob("*")) == before


def test_a_worker_with_another_course_repository_refuses_and_the_batch_marks_a_regrade(tmp_path):
    """The worker checks the source notebook's sha256 before grading; its error becomes "needs re-grade"."""
    from autograder.course import source_path
    from autograder.grading import cluster, worker
    nb = nbformat.writes(samples.completed()).encode()
    with pytest.raises(worker.WrongCourse, match="instructor's commit"):
        worker.grade_submission(A1, "ada", nb, "0" * 64, LIMITS)
    with pytest.raises(worker.WrongCourse, match="no source notebook of nosuch"):
        worker.grade_submission("nosuch", "ada", nb, "0" * 64, LIMITS)
    pytest.importorskip("distributed")

    class Failed:   # a Dask future whose task raised on the worker
        def result(self):
            raise worker.WrongCourse("the Dask worker on h has another a1.ipynb")
    result = cluster._outcome(Failed(), source_path(A1), "ada", A1)
    assert "another a1.ipynb" in result.needs_regrade and result.score == 0 and result.cells


@pytest.mark.slow   # a real cluster, a kernel
def test_a_stopped_cluster_batch_ends_the_workers_engines_and_says_how_to_resume(cluster):
    address, watch, _ = cluster
    top = Path(tempfile.mkdtemp(prefix="dask-"))
    os.chmod(top, 0o711)

    def engines(dask_worker=None):   # the grading engines this worker process started (cold, or warm launchers)
        import psutil
        return sum("autograder.grading.engine" in c.cmdline() or c.cmdline()[2:4] == ["autograder.grading.warm", "engine"]
                   for c in psutil.Process().children())
    try:
        course = top / "course"
        for student, nb in [("ada", nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("not a1")])),
                            ("bo", samples.completed())]:
            path = course / "submitted" / student / A1 / f"{A1}.ipynb"
            path.parent.mkdir(parents=True)
            if student == "bo":   # sleeps in its first cell
                nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
            nbformat.write(nb, path)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
        proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A1, "--course", str(course), "--scheduler",
                                 address, "--cell-timeout", "300", "--notebook-timeout", "600"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not (
                    (course / "grades" / A1 / "ada.json").exists() and sum(watch.run(engines).values())):
                time.sleep(0.5)
            assert sum(watch.run(engines).values()) == 1, "bo's engine never started"
            time.sleep(3)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130, err
        assert "stopped by SIGINT: 1 of 2 submissions graded and saved" in err and f"--scheduler {address}" in err, err
        deadline = time.monotonic() + 30
        while sum(watch.run(engines).values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert sum(watch.run(engines).values()) == 0, "a worker kept grading a stopped batch"
        assert sorted(p.stem for p in (course / "grades" / A1).glob("*.json")) == ["ada"]
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_worker_whose_sandbox_cannot_hide_the_answers_refuses(monkeypatch):
    from autograder.grading import sandbox, worker
    monkeypatch.setattr(sandbox, "probe", lambda hide=(): ["not root: solutions/ stays readable"])
    monkeypatch.setattr(worker, "smoke_models", lambda: None)
    monkeypatch.setattr(worker, "_prepared", {})
    refusal = worker.prepare(LIMITS)
    assert "REFUSING TO GRADE" in refusal and "on the Dask worker at" in refusal
    assert worker.prepare(Limits(allow_unsandboxed=True)) == ""   # told: grades (and warns in the worker's log)


def test_a_worker_that_cannot_prepare_is_one_message_before_anything_is_written():
    from autograder.grading import cluster

    class Client:   # a cluster whose one worker has no autograder to unpickle the task with
        def scheduler_info(self):
            return {"workers": {"tcp://10.0.0.9:40000": {}}}

        def submit(self, *args, **kwargs):
            return None

        def gather(self, futures):
            raise ModuleNotFoundError("No module named 'autograder'")
    with pytest.raises(SystemExit, match="could not prepare to grade .*No module named 'autograder'.*repository"):
        cluster.ready(Client(), LIMITS)
