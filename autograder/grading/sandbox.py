"""Kernel launcher for grading: limits first, then an ordinary IPython kernel.

    python -m autograder.grading.sandbox --workdir DIR [--hide FOLDER ...] [--show FOLDER ...] -- -f CONNECTION_FILE
    python -m autograder.grading.sandbox --probe --workdir DIR ...     (apply everything, check it, print JSON)

Before exec'ing ipykernel it
  * asks Linux to kill it when the process that launched it (--parent-pid: the grading worker)
    ends, whatever ends that one (PR_SET_PDEATHSIG), and the kernel when it ends, so no kernel
    outlives its worker;
  * caps the address space (RLIMIT_AS), file size (RLIMIT_FSIZE) and processes,
    so a memory bomb gets a MemoryError or kills only this kernel;
  * when running as root, moves into new network, mount and PID namespaces:
    - no network at all (the kernel talks to the grader over IPC sockets in DIR);
    - the folders of `policy()` are hidden under empty read-only tmpfs mounts: the
      repository (solutions/, tests/, .git/ and anything else an instructor keeps
      there), other copies of it (clones beside it, its git worktrees), the home folder, the temporary folder (other students' working copies,
      the grader's progress files) and the course folder (gradebook, submissions,
      its copy of solutions/); only what the kernel needs is bound back, read-only:
      the interpreter and its packages, shared/, data/, autograder/, the model cache,
      and its own working folder (writable);
    - a fresh /proc that shows only the kernel's own processes, so
      /proc/<grader>/root, /proc/<grader>/mem and command lines are out of reach;
    then it drops CAP_SYS_ADMIN (so nothing can be unmounted) and, where the user
    `nobody` can run this Python, becomes `nobody`;
  * elsewhere (an instructor's own account) it keeps the limits it can set and
    reports what it could not apply; the pipeline refuses to grade then unless told
    otherwise (`--unsafe-allow-unsandboxed`).
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import pwd
import resource
import signal
import site
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ..cells import REPO, SOURCE
from .limits import DEFAULT

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
CAP_SYS_ADMIN, PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 21, 1, 24


def other_checkouts(repo: Path = REPO) -> list[Path]:
    """Other copies of the course beside this one (clones, git worktrees): folders next to it holding a solutions/
    folder, and this repository's worktrees wherever they are. Their answers are as secret as this one's."""
    found = []
    with contextlib.suppress(OSError):
        found = [p for p in repo.parent.iterdir() if p != repo and (p / SOURCE).is_dir()]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        listing = subprocess.run(["git", "-C", str(repo), "worktree", "list", "--porcelain"], capture_output=True,
                                 text=True, timeout=10).stdout
        found += [Path(line[len("worktree "):]) for line in listing.splitlines() if line.startswith("worktree ")]
    return sorted({p for p in found if os.path.realpath(p) != os.path.realpath(repo)})


def policy(workdir: Path, hide: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """What the grading kernel may not see, and what it needs back inside those folders."""
    from shared.models import course_cache
    hidden = [REPO, *other_checkouts(), Path.home(), Path(tempfile.gettempdir()), *map(Path, hide)]
    needed = [REPO / "shared", REPO / "data", REPO / "autograder", Path(sys.prefix), Path(sys.base_prefix),
              *map(Path, site.getsitepackages()), course_cache()]
    real = lambda ps: sorted({os.path.realpath(p) for p in ps})  # noqa: E731
    return {"hide": real(hidden), "show": real(p for p in needed if Path(p).exists()),
            "write": real([workdir])}


def policy_args(workdir: Path, hide: tuple[str, ...] = ()) -> list[str]:
    args = []
    for flag, paths in policy(workdir, hide).items():
        args += [x for p in paths for x in (f"--{flag}", p)]
    return args


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, hard if hard != resource.RLIM_INFINITY else value))


def _under(path: str, folders) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _mount(libc, src, target: str, fstype, flags: int, data=None) -> int:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    return 0 if libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)) == 0 else ctypes.get_errno()


def _hide_and_show(libc, hide: list[str], show: list[str], write: list[str], alias: dict | None = None) -> list[str]:
    """Cover `hide` with empty tmpfs mounts, then bind `show` (read-only) and `write` back inside them, and each
    folder of `alias` (a value) at its key too (inside a covered folder: the warm kernels' fixed folder)."""
    notes = []
    keep = {p: os.open(p, os.O_PATH) for p in sorted(set(show) | set(write), key=len) if os.path.exists(p)}
    covered = []
    for path in sorted(hide, key=len):  # parents first; a child of a covered folder no longer exists
        if os.path.isdir(path) and not _under(path, covered):
            err = _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            (notes.append(f"{path} left visible (errno {err})") if err else covered.append(path))
    for path, fd in keep.items():
        if not _under(path, covered):
            continue
        os.makedirs(path, exist_ok=True)
        err = _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if not err and path not in write:
            err = _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        if err:
            notes.append(f"{path} could not be bound back (errno {err})")
    for target, source in (alias or {}).items():
        if not _under(target, covered) or source not in keep:
            notes.append(f"{source} not bound at {target} (outside a covered folder)")
            continue
        os.makedirs(target, exist_ok=True)
        err = _mount(libc, f"/proc/self/fd/{keep[source]}", target, None, MS_BIND | MS_REC)
        if err:
            notes.append(f"{source} could not be bound at {target} (errno {err})")
    for path in sorted(hide, key=len):  # a hidden folder inside one that was bound back: hide it again
        if _under(path, keep) and os.path.isdir(path):
            err = _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            (notes.append(f"{path} left visible (errno {err})") if err else covered.append(path))
    for path in covered:
        err = _mount(libc, None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        if err:
            notes.append(f"{path}: its cover stayed writable (errno {err})")
    for fd in keep.values():
        os.close(fd)
    return notes


def _drop_capability(libc, cap: int) -> bool:
    """Remove one capability from the bounding, effective, permitted and inheritable sets."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
        return False
    header, data = Header(0x20080522, 0), (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        return False
    word, bit = divmod(cap, 32)
    mask = ~(1 << bit) & 0xFFFFFFFF
    data[word].effective &= mask
    data[word].permitted &= mask
    data[word].inheritable &= mask
    return libc.capset(ctypes.byref(header), data) == 0


def _readable(path: str, depth: int = 3) -> bool:
    """Whether this user can read `path` and what lies up to `depth` levels below it."""
    if not os.access(path, os.R_OK | (os.X_OK if os.path.isdir(path) else 0)):
        return False
    if depth and os.path.isdir(path):
        return all(_readable(e.path, depth - 1) for e in os.scandir(path) if not e.is_symlink())
    return True


def _nobody_can_run(nobody, shown: list[str]) -> bool:
    """Whether `nobody` can read this interpreter, the course package and every folder bound back."""
    paths = [os.path.realpath(sys.executable), *shown]
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os._exit(0 if all(_readable(p, depth=0 if p == paths[0] else 3) for p in paths) else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return status == 0


def die_with_parent(parent_alive) -> None:
    """Have Linux kill this process (SIGKILL) when its parent ends (PR_SET_PDEATHSIG); end it now if the parent
    already has. `parent_alive()` is asked after the request, so an ending in between is not missed."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not parent_alive():
        os._exit(1)


def _writer_open(fd: int) -> bool:
    """Whether the write end of the pipe `fd` reads from is still open (the process holding it lives)."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1) != b""
    except BlockingIOError:
        return True


def _become_init_of_new_namespaces(libc, parent_alive) -> tuple[list[str], object]:
    """unshare net, mount and PID namespaces and fork; the parent only waits, the child goes on (PID 1).

    Returns the notes and how the process that goes on tells that its parent lives (in a new PID
    namespace the parent is outside it: getppid() says 0, so a pipe tells instead)."""
    if libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) != 0:
        return [f"no private namespaces (unshare failed: errno {ctypes.get_errno()}): network on, "
                f"folders and other processes visible"], parent_alive
    alive_r, alive_w = os.pipe()
    child = os.fork()
    if child:
        # Interrupts reach the kernel through its process group; this process only passes on the exit status.
        # It dies with the process that launched it (main: --parent-pid), and the kernel with it (below).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.close(alive_r)
        _, status = os.waitpid(child, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    os.close(alive_w)
    alive = lambda: _writer_open(alive_r)  # noqa: E731  (closed at exec: os.pipe() is close-on-exec)
    die_with_parent(alive)
    return [], alive


def apply_limits(workdir: str, mem_mb: int, hide: list[str], show: list[str], write: list[str],
                 parent_alive=lambda: True, alias: dict | None = None) -> list[str]:
    _limit(resource.RLIMIT_AS, mem_mb * 2**20)
    _limit(resource.RLIMIT_FSIZE, 512 * 2**20)
    if os.geteuid() != 0:
        _limit(resource.RLIMIT_NPROC, 4096)
        return ["not root: the network stays on, solutions/ and the course folder stay readable, "
                "and the kernel runs as the grading user"]
    libc = ctypes.CDLL(None, use_errno=True)
    notes, parent_alive = _become_init_of_new_namespaces(libc, parent_alive)
    if not notes:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        notes += _hide_and_show(libc, hide, show, write, alias)
        err = _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if err:
            notes.append(f"other processes stay visible in /proc (mount failed: errno {err})")
    nobody = pwd.getpwnam("nobody")
    if not _nobody_can_run(nobody, list(show)):
        # root stays root here (this Python lives where nobody cannot read), but without
        # CAP_SYS_ADMIN it cannot unmount the tmpfs covers.
        if not _drop_capability(libc, CAP_SYS_ADMIN):
            notes.append("could not drop CAP_SYS_ADMIN")
    else:
        for root, dirs, files in os.walk(workdir):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, nobody.pw_uid, nobody.pw_gid)
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
        os.environ["HOME"] = workdir
        die_with_parent(parent_alive)  # a change of user clears it: set it again
    _limit(resource.RLIMIT_NPROC, 4096)
    return notes


def _self_check(hide: list[str], show: list[str], write: list[str]) -> list[str]:
    """Run inside the sandbox: what a kernel here could still see."""
    problems = []
    if os.geteuid() == 0 and os.getpid() != 1:
        problems.append("the grader's processes are visible (no PID namespace)")
    if {name for _, name in socket.if_nameindex()} - {"lo"}:
        problems.append("the network is reachable")
    kept = set(show) | set(write)
    for folder in hide:
        if not os.path.isdir(folder):
            continue
        allowed = {os.path.relpath(k, folder).split(os.sep)[0] for k in kept if _under(k, [folder]) and k != folder}
        seen = set(os.listdir(folder)) - allowed
        if seen:
            problems.append(f"{folder} is visible ({', '.join(sorted(seen)[:5])} ...)")
    for answers in (REPO / SOURCE, REPO / "tests" / "reference_squad_v1.py"):   # the answers, a1's reference
        if answers.exists():
            problems.append(f"{answers} is readable")
    return problems


def probe(hide: tuple[str, ...] = ()) -> list[str]:
    """Start a sandbox the way grading does and return what it could not hide or block (empty: all good)."""
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        os.chmod(tmp, 0o711)
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        cmd = [sys.executable, "-m", "autograder.grading.sandbox", "--probe", "--workdir", str(workdir),
               *policy_args(workdir, hide)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return [f"the sandbox probe failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1][:300]}"]


def parser() -> argparse.ArgumentParser:
    """The sandbox's options (shared with warm.py's launcher, which takes the same)."""
    p = argparse.ArgumentParser()
    p.add_argument("--workdir", required=True)
    p.add_argument("--mem-mb", type=int, default=DEFAULT.mem_mb)
    p.add_argument("--hide", action="append", default=[], help="folder to hide")
    p.add_argument("--show", action="append", default=[], help="folder inside a hidden one to bind back, read-only")
    p.add_argument("--write", action="append", default=[], help="folder inside a hidden one to bind back, writable")
    p.add_argument("--probe", action="store_true", help="check the sandbox and print its problems as JSON")
    p.add_argument("--parent-pid", type=int, default=None,
                   help="the process that launches the kernel: the kernel dies with it, whatever kills it")
    p.add_argument("kernel_args", nargs=argparse.REMAINDER)
    return p


def main() -> None:
    args = parser().parse_args()
    parent_alive = (lambda: os.getppid() == args.parent_pid) if args.parent_pid else (lambda: True)
    if args.parent_pid:
        die_with_parent(parent_alive)
    write = args.write or [args.workdir]
    notes = apply_limits(args.workdir, args.mem_mb, args.hide, args.show, write, parent_alive)
    if args.probe:
        print(json.dumps(notes + _self_check(args.hide, args.show, write)), flush=True)
        os._exit(0)
    for note in notes:
        print(f"[sandbox] {note}", file=sys.stderr)
    os.chdir(args.workdir)
    kernel_args = [a for a in args.kernel_args if a != "--"]
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *kernel_args])


if __name__ == "__main__":
    main()
