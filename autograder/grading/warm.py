"""Warm grading kernels: a batch's template process pays the imports once, and each submission's kernel is a
fresh fork of it that no other submission touched.

    python -m autograder.grading.warm serve --socket S --alias DIR --parent-pid BATCH      (the template)
    python -m autograder.grading.warm launch --socket S --alias DIR [--warm-only] SANDBOX-ARGS -- -f CONN  (kernelspec)
    python -m autograder.grading.warm serve --engines --socket S --parent-pid BATCH        (the engines' template)
    python -m autograder.grading.warm engine --socket S [--warm-only] -- ENGINE-ARGS       (a submission's worker)

* The **template** (one per batch, started by `template()`) imports ipykernel, torch, transformers, numpy,
  matplotlib and `shared` (WARM_IMPORTS) with the environment a grading kernel gets, every per-kernel folder
  (HOME, HF_HOME, TMPDIR ...) set to one fixed path, `--alias` (inside the batch's hidden scratch folder). It
  starts no thread (checked before every fork: a fork with threads is refused), touches no GPU and runs no
  submitted code; it listens on a unix socket (root only, in the scratch folder) and dies with the batch.
* The **launcher** is what jupyter_client starts as "the kernel". It sends its arguments, its environment and
  its stdin/stdout/stderr to the template, which forks a relay (X); the relay forks the kernel's process (Y),
  which applies exactly sandbox.py's limits (`apply_limits`: memory cap, network/mount/PID namespaces, hidden
  folders, its own /proc, user nobody, death with its parent) and, inside its new mount namespace, binds its
  working folder at the fixed path too, so the paths the template's libraries computed at import lead to this
  kernel's own folder. Then, as PID 1 of its namespace (Z), it takes the launcher's environment, working
  folder, fresh seeds, and runs ipykernel's IPKernelApp in-process on the connection file.
* The launcher forwards SIGINT (jupyter's interrupt on a cell timeout) and SIGTERM to the kernel's process group
  and exits with the kernel's status; when it dies (jupyter's kill, its worker's death: --parent-pid), the relay
  kills the kernel (the launcher dies with its worker, the worker with the batch; the template dies with the
  batch, but a template lost mid-batch leaves the kernels already forked grading).
* Whatever stops a warm start before the kernel runs (no template, a refused fork, an environment that differs
  from the template's in what libraries read at import) makes the launcher exec today's cold sandbox instead,
  with the same arguments: a failure of the warm path is never a student's zero.

* The **engines' template** does the same for each submission's worker process (engine.py, which grades the
  submission and starts its kernel): it imports the engine's libraries (ENGINE_IMPORTS: nbformat, nbclient,
  jupyter_client; about a second) once per batch, with the workers' environment, and forks each submission's
  engine on a request of the `engine` launcher, a small process that stands in for it (its exit status, its
  process group, its stderr). The engine is not sandboxed (it runs the sandbox); it runs no submitted code.
  A launcher that cannot start a forked engine execs today's `python -m autograder.grading.engine` instead.

Not the same as cold: the kernel shares the template's hash seed (PYTHONHASHSEED is fixed at interpreter
start), and pyarrow's jemalloc runs without its background thread (it would be a thread in the template).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

WARM_IMPORTS = ("ipykernel.kernelapp", "ipykernel.ipkernel", "numpy", "torch", "transformers", "matplotlib.pyplot",
                "shared", "shared.data", "shared.models", "shared.qa", "shared.tracking", "shared.metrics",
                "shared.train", "transformers.models.auto.modeling_auto",   # what `from transformers import
                "transformers.models.auto.tokenization_auto")                # AutoModel..., AutoTokenizer` loads
# what a library may read at import: a launcher whose environment differs from the template's here goes cold
IMPORT_READ = ("HF_", "HUGGINGFACE", "TRANSFORMERS", "TORCH", "OMP_", "MKL_", "OPENBLAS", "TOKENIZERS", "COURSE_",
               "MPL", "PYTHON", "NBGRADER", "TQDM", "CUDA", "HOME", "TMPDIR", "IPYTHONDIR", "JE_ARROW", "ARROW")
ENGINE_IMPORTS = ("autograder.grading.engine", "autograder.grading.execution", "autograder.grading.sandbox",
                  "autograder.grading.warm", "nbformat", "nbclient", "nbclient.exceptions", "jupyter_client.manager",
                  "jupyter_client.kernelspec", "autograder.grading.kernels", "zmq.asyncio", "shared.models")
TEMPLATE_ONLY = {"JE_ARROW_MALLOC_CONF": "background_thread:false"}   # no jemalloc thread in the template
# an engine's temporary folder is its own (a Dask task's): the engines' libraries read TMPDIR when used, not at
# import, and the fork forgets the template's (tempfile.tempdir = None)
ENGINE_UNREAD = ("TMPDIR",)
FRESH_EXIT = 75   # the relay's code for "no kernel ran": the launcher goes cold


# ---------------------------------------------------------------- the batch's side

PATH_ENV = "AUTOGRADER_KERNELS"   # "cold" or "warm": the default path of grade() (warm when unset); "warm-only"
# (for tests): warm, and a launcher that cannot start a warm kernel fails instead of going cold


def default() -> bool:
    """Whether a batch is warm unless told (`grade --cold` / `--warm` decide for one batch)."""
    return os.environ.get(PATH_ENV, "warm") != "cold"


def forced() -> bool:
    """Whether a lone grading (grade_in_fresh_dir, no batch) is warm too: only when PATH_ENV asks (for tests;
    a template of its own costs one submission more than it saves)."""
    return os.environ.get(PATH_ENV) in ("warm", "warm-only")



def template_env(alias: Path) -> dict:
    """The template's environment: what a kernel gets (kernel_env, nothing else of the grader's) with its folders
    at `alias`."""
    from shared.models import course_cache
    from ..environment import kernel_env
    return dict(kernel_env(alias, course_cache()), **TEMPLATE_ONLY)


@contextlib.contextmanager
def template(folder: Path, timeout: float = 180):
    """A template process for the kernels of one batch, its socket and fixed folder in `folder` (the batch's
    scratch folder, hidden from kernels); yields (socket, alias), or None where it could not start (cold
    kernels then). It dies with this process and is ended on leaving."""
    with templates(folder, engines=False, timeout=timeout) as (kernels, _):
        yield kernels


@contextlib.contextmanager
def templates(folder: Path, engines: bool = True, timeout: float = 180):
    """The kernels' template (as template()) and, with `engines`, the engines' template of one batch, started
    together, their sockets in `folder` (the batch's scratch folder: the workers' environment is
    worker_env(folder)); yields ((socket, alias) or None, the engines' socket or None): None where that template
    could not start (cold kernels, cold engines then). They die with this process and are ended on leaving."""
    from ..environment import worker_env
    folder = Path(folder)
    sock, alias = folder / "warm.sock", folder / "warm" / "work"
    for sub in ["hf", "mpl", "ipython", "tmp"]:
        (alias / sub).mkdir(parents=True, exist_ok=True)
    specs = [(["--socket", str(sock), "--alias", str(alias)], template_env(alias), "kernels")]
    if engines:
        specs.append((["--engines", "--socket", str(folder / "engines.sock")], worker_env(folder), "engines"))
    procs = []
    try:
        for args, env, what in specs:
            cmd = [sys.executable, "-m", "autograder.grading.warm", "serve", *args, "--parent-pid", str(os.getpid())]
            with open(folder / f"warm-{what}.log", "wb") as log:   # a file, not a pipe nobody reads: it never fills
                procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                                              env=env))
        up = [_ready(proc, timeout, what, folder / f"warm-{what}.log") for proc, (_, _, what) in zip(procs, specs)]
        if not all(up) and os.environ.get(PATH_ENV) == "warm-only":
            raise RuntimeError(f"[warm] a template did not start ({PATH_ENV}=warm-only: no cold grading)")
        yield ((str(sock), str(alias)) if up[0] else None,
               str(folder / "engines.sock") if engines and up[1] else None)
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()


def _ready(proc, timeout: float, what: str, log: Path) -> bool:
    """Whether the template `proc` said it is ready within `timeout` seconds (if not, the end of its `log`)."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
    if line != "ready":
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        print(f"[warm] the template did not start ({line or proc.poll()}{': ' + tail[0] if tail else ''}): "
              f"cold {what}", file=sys.stderr)
    return line == "ready"


def _strict() -> list[str]:
    return ["--warm-only"] if os.environ.get(PATH_ENV) == "warm-only" else []   # the kernel's env has not PATH_ENV


def launcher_argv(warm: tuple[str, str], sandbox_args: list[str]) -> list[str]:
    sock, alias = warm
    return [sys.executable, "-m", "autograder.grading.warm", "launch", "--socket", sock, "--alias", alias,
            *_strict(), *sandbox_args]


def engine_argv(sock: str, engine_args: list[str]) -> list[str]:
    """The command of a submission's worker whose engine is forked from the engines' template at `sock`."""
    return [sys.executable, "-m", "autograder.grading.warm", "engine", "--socket", sock, *_strict(), "--",
            *engine_args]


# ---------------------------------------------------------------- the template


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def serve(sock_path: str, alias: str | None, parent_pid: int | None) -> None:
    """The template: kernels' (alias: their fixed folder) or, with alias None, the engines'."""
    from .sandbox import die_with_parent
    if parent_pid:
        die_with_parent(lambda: os.getppid() == parent_pid)
    import importlib
    import warnings
    sys.modules.setdefault("autograder.grading.warm", sys.modules["__main__"])   # one module, not two
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in WARM_IMPORTS if alias else ENGINE_IMPORTS:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    import_env = dict(os.environ)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    listener.bind(sock_path)   # root only (0600): the kernels cannot even see the scratch folder
    os.umask(old)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # the relays are reaped by the system
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError, struct.error):
            conn.close()
            continue
        refusal = _refusal(request, import_env, alias)
        pid = os.fork() if not refusal else -1
        if pid == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 1
            try:
                code = _relay(conn, fds, request, alias)
            finally:
                os._exit(code)
        if refusal:
            with contextlib.suppress(OSError):
                conn.sendall(f"R {refusal}\n".encode())
        conn.close()
        for fd in fds:
            os.close(fd)


def _receive(conn) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    try:
        size = struct.unpack("!I", data[:4])[0]
        data = data[4:]
        while len(data) < size:
            more = conn.recv(size - len(data))
            if not more:
                raise ValueError("short request")
            data += more
        return json.loads(data), list(fds)
    except BaseException:
        for fd in fds:   # the launcher's stdin/stdout/stderr: held here, its reader would never see them close
            os.close(fd)
        raise


def _refusal(request: dict, import_env: dict, alias: str | None) -> str:
    """Why this launcher's kernel (engine) must not be forked from this template ('' when it may)."""
    if _threads() != 1:
        return f"the template runs {_threads()} threads"
    if (alias is None) != ("argv" in request):
        return "a kernel asked of the engines' template, or an engine of a kernels' one"
    env = _aliased(request["env"], request["workdir"], alias) if alias else request["env"]
    unread = TEMPLATE_ONLY if alias else ENGINE_UNREAD
    for key in sorted(set(env) | set(import_env)):
        if key.startswith(IMPORT_READ) and key not in unread and env.get(key) != import_env.get(key):
            return f"the kernel's {key} differs from the template's"
    return ""


def _aliased(env: dict, workdir: str, alias: str) -> dict:
    return {k: v.replace(workdir, alias) for k, v in env.items()}


def _relay(conn, fds: list[int], request: dict, alias: str | None) -> int:
    """The relay (X): fork the kernel, pass on the launcher's signals, report its start and exit status."""
    # No death with the template: a template lost mid-batch must not kill the kernels grading; the relay ends
    # with its launcher (below), which ends with its worker, which ends with the batch.
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        conn.close()
        try:
            if alias is None:
                _engine(fds, request, ready_w, os.getppid())
            else:
                _kernel(fds, request, alias, ready_w, os.getppid())
        except BaseException as err:  # noqa: BLE001
            print(f"[warm] the {'engine' if alias is None else 'kernel'} did not start: {type(err).__name__}: "
                  f"{err}", file=sys.stderr)
        os._exit(1)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    os.close(ready_w)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    started, buf = False, b""
    watch = [conn, ready_r, pidfd]
    while True:
        readable, _, _ = select.select(watch, [], [])
        if ready_r in readable:
            if os.read(ready_r, 1) == b"S" and not started:
                started = True
                conn.sendall(b"S\n")
            watch.remove(ready_r)
        if conn in readable:
            data = conn.recv(64)
            if not data:   # the launcher is gone: so is its kernel
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return 1
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                sig = {b"INT": signal.SIGINT, b"TERM": signal.SIGTERM}.get(line)
                if sig:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, sig)
        if pidfd in readable:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status) & 0xFF
            with contextlib.suppress(OSError):
                conn.sendall(f"E {code if started else FRESH_EXIT}\n".encode())
            return 0


def _kernel(fds: list[int], request: dict, alias: str, ready_w: int, relay_pid: int) -> None:
    """The kernel's process (Y, then Z as PID 1 of its namespaces): the sandbox, a fresh state, ipykernel."""
    os.setpgid(0, 0)
    from .sandbox import apply_limits, die_with_parent
    die_with_parent(lambda: os.getppid() == relay_pid)
    a = request["sandbox"]
    workdir = request["workdir"]
    notes = apply_limits(workdir, a["mem_mb"], a["hide"], a["show"], a["write"] or [workdir],
                         lambda: os.getppid() == relay_pid, alias={alias: workdir})
    if not _same(alias, workdir):
        raise RuntimeError(f"could not bind the working folder at {alias}: {notes}")
    for note in notes:
        print(f"[sandbox] {note}", file=sys.stderr)
    import ctypes
    ctypes.CDLL(None).prctl(15, b"ipykernel", 0, 0, 0)   # PR_SET_NAME: `ps -o comm` names it as a cold kernel
    env = _aliased(request["env"], workdir, alias)
    env["HOME"] = alias if os.environ.get("HOME") == workdir else env.get("HOME", alias)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(workdir)
    _fresh_state(workdir)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.write(ready_w, b"S")
    os.close(ready_w)
    from ipykernel.kernelapp import IPKernelApp
    sys.argv = [sys.argv[0], *request["kernel_args"]]
    # traits whose defaults ipykernel read from the environment at import (the template's): this kernel's
    IPKernelApp.launch_instance(request["kernel_args"], parent_handle=int(env.get("JPY_PARENT_PID") or 0),
                                interrupt=int(env.get("JPY_INTERRUPT_EVENT") or 0))
    os._exit(0)


def _engine(fds: list[int], request: dict, ready_w: int, relay_pid: int) -> None:
    """A submission's engine, forked from the engines' template: the launcher's environment, working folder,
    stdin/stdout/stderr and arguments, fresh seeds; it dies with the relay (which ends with the launcher)."""
    os.setpgid(0, 0)
    from .sandbox import die_with_parent
    die_with_parent(lambda: os.getppid() == relay_pid)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    import random
    import tempfile
    random.seed()
    tempfile.tempdir = None
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.write(ready_w, b"S")
    os.close(ready_w)
    argv = list(request["argv"])
    if "--parent-pid" in argv:   # the launcher's parent is the batch; this process's, the relay
        argv[argv.index("--parent-pid") + 1] = str(relay_pid)
    import runpy
    sys.argv = [sys.argv[0], *argv]
    code = 1
    try:   # as `python -m autograder.grading.engine ARGS` would (its libraries imported already)
        runpy.run_module("autograder.grading.engine", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001  (as Python would: its traceback, for the batch's "worker failed")
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _fresh_state(workdir: str) -> None:
    """What a process started today would have fresh: seeds, the temporary folder, the import path."""
    import random
    import tempfile
    random.seed()
    tempfile.tempdir = None
    sys.path[0] = workdir   # `python -m ipykernel_launcher` puts its working folder first
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()   # a fresh process draws its torch seed at random: so does this one


# ---------------------------------------------------------------- the launcher (jupyter's "kernel")


def launch(sock_path: str, alias: str, rest: list[str], warm_only: bool = False) -> None:
    from .sandbox import die_with_parent, parser
    args = parser().parse_args(rest)
    if args.parent_pid:
        die_with_parent(lambda: os.getppid() == args.parent_pid)
    kernel_args = [a for a in args.kernel_args if a != "--"]
    request = {"workdir": args.workdir, "env": dict(os.environ), "kernel_args": kernel_args,
               "sandbox": {"mem_mb": args.mem_mb, "hide": args.hide, "show": args.show, "write": args.write}}
    why = _run_warm(sock_path, request)
    if warm_only:
        raise SystemExit(f"[warm] {why} ({PATH_ENV}=warm-only: no cold kernel)")
    print(f"[warm] {why}: a cold kernel instead", file=sys.stderr)
    os.execv(sys.executable, [sys.executable, "-m", "autograder.grading.sandbox", *rest])


def launch_engine(sock_path: str, engine_args: list[str], warm_only: bool = False) -> None:
    """A submission's worker: its engine forked from the engines' template (this process waits on it, passes on
    signals and exits with its status), or, where that cannot start, today's engine process in its place."""
    from .sandbox import die_with_parent
    if "--parent-pid" in engine_args:
        batch = int(engine_args[engine_args.index("--parent-pid") + 1])
        die_with_parent(lambda: os.getppid() == batch)
    why = _run_warm(sock_path, {"argv": engine_args, "env": dict(os.environ), "cwd": os.getcwd()})
    if warm_only:
        raise SystemExit(f"[warm] {why} ({PATH_ENV}=warm-only: no cold engine)")
    print(f"[warm] {why}: a cold engine instead", file=sys.stderr)
    os.execv(sys.executable, [sys.executable, "-m", "autograder.grading.engine", *engine_args])


def _run_warm(sock_path: str, request: dict) -> str:
    """Run the kernel forked from the template and exit with its status; or return why it did not start."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(sock_path)
        data = json.dumps(request).encode()
        socket.send_fds(conn, [struct.pack("!I", len(data)) + data], [0, 1, 2])
    except OSError as err:
        return f"no template ({err})"

    def forward(signum, frame):
        with contextlib.suppress(OSError):
            conn.sendall(b"INT\n" if signum == signal.SIGINT else b"TERM\n")

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    buf, started = b"", False
    while True:
        try:
            data = conn.recv(256)
        except OSError as err:
            data = b""
            if not buf and not started:
                return f"lost the template ({err})"
        if not data:
            if started:   # it ran (a kernel, or an engine that may have graded): never a second, cold one
                print("[warm] lost the relay of a started process: the grader's failure", file=sys.stderr)
                os._exit(1)
            return "the template closed the connection"
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            kind, _, rest = line.decode(errors="replace").partition(" ")
            started = started or kind == "S"
            if kind == "R":
                return f"the template refused ({rest})"
            if kind == "E":
                code = int(rest)
                if code == FRESH_EXIT:
                    return "the warm process did not start"
                os._exit(code)


def main() -> None:
    if sys.argv[1:2] == ["launch"]:   # launch --socket S --alias DIR, then the sandbox's arguments untouched
        argv = sys.argv[2:]
        if argv[:1] != ["--socket"] or argv[2:3] != ["--alias"]:
            raise SystemExit("usage: python -m autograder.grading.warm launch --socket S --alias DIR SANDBOX-ARGS")
        strict = argv[4:5] == ["--warm-only"]
        launch(argv[1], argv[3], argv[5:] if strict else argv[4:], strict)
        return
    if sys.argv[1:2] == ["engine"]:   # engine --socket S [--warm-only] -- ENGINE-ARGS
        argv = sys.argv[2:]
        strict = argv[2:3] == ["--warm-only"]
        rest = argv[3:] if strict else argv[2:]
        if argv[:1] != ["--socket"] or rest[:1] != ["--"]:
            raise SystemExit("usage: python -m autograder.grading.warm engine --socket S [--warm-only] -- ENGINE-ARGS")
        launch_engine(argv[1], rest[1:], strict)
        return
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--socket", required=True)
    s.add_argument("--alias", default=None, help="the kernels' fixed folder (a kernels' template)")
    s.add_argument("--engines", action="store_true", help="the engines' template")
    s.add_argument("--parent-pid", type=int, default=None)
    a = p.parse_args()
    if a.engines == bool(a.alias):
        raise SystemExit("serve: either --alias DIR (kernels) or --engines")
    serve(a.socket, a.alias, a.parent_pid)


if __name__ == "__main__":
    main()
