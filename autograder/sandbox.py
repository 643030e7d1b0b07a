"""Kernel launcher for grading: limits first, then an ordinary IPython kernel.

    python -m autograder.sandbox --workdir DIR --mem-mb 4096 -- -f CONNECTION_FILE

Before exec'ing ipykernel it
  * caps the address space (RLIMIT_AS), file size (RLIMIT_FSIZE) and processes,
    so a memory bomb gets a MemoryError or kills only this kernel;
  * when running as root: moves into a new network namespace (no network at all;
    the kernel talks to the grader over IPC sockets in DIR, which still work)
    and a new mount namespace in which the course folder (gradebook, every
    student's files) is hidden under an empty tmpfs and the repository is
    read-only; then it drops to the user `nobody` where nobody can run this
    Python, and otherwise drops the capability to undo those mounts;
  * elsewhere (an instructor's own account) it keeps the limits it can set and
    says which protections it could not apply on stderr.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import pwd
import resource
import sys

CLONE_NEWNET = 0x40000000


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, hard if hard != resource.RLIM_INFINITY else value))


def _nobody_can_run(nobody, workdir: str) -> bool:
    """Whether `nobody` can read this interpreter, the course package and the working folder."""
    import shared  # noqa: F401  (its path is what the kernel will import)
    paths = [sys.executable, os.path.dirname(sys.modules["shared"].__file__), workdir]
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            ok = all(os.access(os.path.realpath(p), os.R_OK) for p in paths[:2])
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return status == 0


MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
CLONE_NEWNS = 0x00020000
CAP_SYS_ADMIN = 21


def _private_mounts(libc, hide: list[str], readonly: list[str]) -> list[str]:
    """In a new mount namespace: hide folders under an empty tmpfs, make others read-only."""
    if not hide and not readonly:
        return []
    if libc.unshare(CLONE_NEWNS) != 0:
        return [f"course folder left visible (unshare(CLONE_NEWNS) failed: errno {ctypes.get_errno()})"]
    libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    notes = []
    for path in readonly:
        p = os.path.realpath(path).encode()
        if libc.mount(p, p, None, MS_BIND | MS_REC, None) != 0 or \
                libc.mount(None, p, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None) != 0:
            notes.append(f"{path} left writable (errno {ctypes.get_errno()})")
    for path in hide:
        p = os.path.realpath(path).encode()
        if os.path.isdir(p) and libc.mount(b"tmpfs", p, b"tmpfs", MS_RDONLY, b"size=64k") != 0:
            notes.append(f"{path} left visible (errno {ctypes.get_errno()})")
    return notes


def _drop_capability(libc, cap: int) -> bool:
    """Remove one capability from the bounding, effective, permitted and inheritable sets."""
    PR_CAPBSET_DROP = 24

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


def apply_limits(workdir: str, mem_mb: int, hide: list[str] = (), readonly: list[str] = ()) -> list[str]:
    notes = []
    _limit(resource.RLIMIT_AS, mem_mb * 2**20)
    _limit(resource.RLIMIT_FSIZE, 512 * 2**20)
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) != 0:
            notes.append(f"network left on (unshare failed: errno {ctypes.get_errno()})")
        notes += _private_mounts(libc, hide, readonly)
        nobody = pwd.getpwnam("nobody")
        if not _nobody_can_run(nobody, workdir):
            # root stays root here (this Python lives where nobody cannot read), but without
            # CAP_SYS_ADMIN it cannot unmount the tmpfs that hides the course folder.
            if not _drop_capability(libc, CAP_SYS_ADMIN):
                notes.append("could not drop CAP_SYS_ADMIN")
            _limit(resource.RLIMIT_NPROC, 4096)
            return notes
        for root, dirs, files in os.walk(workdir):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, nobody.pw_uid, nobody.pw_gid)
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
        os.environ["HOME"] = workdir
    else:
        notes.append("not root: network on, and the kernel runs as the grading user")
    _limit(resource.RLIMIT_NPROC, 4096)
    return notes


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--workdir", required=True)
    p.add_argument("--mem-mb", type=int, default=4096)
    p.add_argument("--hide", action="append", default=[], help="folder to hide (the course folder)")
    p.add_argument("--readonly", action="append", default=[], help="folder to make read-only (the repository)")
    p.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = p.parse_args()
    for note in apply_limits(args.workdir, args.mem_mb, args.hide, args.readonly):
        print(f"[sandbox] {note}", file=sys.stderr)
    os.chdir(args.workdir)
    kernel_args = [a for a in args.kernel_args if a != "--"]
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *kernel_args])


if __name__ == "__main__":
    main()
