# Setup. On Colab this installs the course (its student release) once, about a minute; run it again
# any time: it says what it did. Anywhere else it does nothing slow.
COURSE_REPOSITORY = "https://github.com/nlp-course/nlp-course-student"
COURSE_RELEASE = "2026-fall"
DRIVE = True   # keep training checkpoints on your Google Drive, so a disconnect loses nothing (False: this session's disk)
import importlib.metadata as _md, os, shutil, subprocess, sys
if "google.colab" in sys.modules or os.environ.get("COURSE_SETUP_AS_COLAB"):
    _home = os.environ.get("COURSE_HOME", "/content/nlp-course")
    _stamp = os.path.join(_home, ".installed-release")
    if os.path.exists(_stamp) and open(_stamp).read() == COURSE_RELEASE:
        print(f"course release {COURSE_RELEASE} is installed in {_home}: nothing to do")
    else:
        shutil.rmtree(_home, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--depth=1", "--branch", COURSE_RELEASE, COURSE_REPOSITORY, _home],
                       check=True)
        _dists = _md.packages_distributions()
        _loaded = {d for m in list(sys.modules) for d in _dists.get(m.split(".")[0], [])}
        _before = {d: _md.version(d) for d in _loaded}
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=_home, check=True)
        _changed = sorted(d for d, v in _before.items() if _md.version(d) != v)
        open(_stamp, "w").write(COURSE_RELEASE)
        print(f"installed course release {COURSE_RELEASE} from {COURSE_REPOSITORY} into {_home}")
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
            print(f"checkpoints: {os.environ['COURSE_CHECKPOINTS']} (re-run the notebook after a disconnect: "
                  f"each training run continues where it stopped)")
        except Exception as _err:  # declined, or no Drive: training still works, checkpoints stay in this session
            print(f"Drive not mounted ({type(_err).__name__}: {_err}): checkpoints stay on this session's disk, "
                  f"and a disconnect loses them. Set DRIVE = False to stop asking.")
    _gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True) if shutil.which("nvidia-smi") else None
    print(f"GPU: {_gpu.stdout.strip()}" if _gpu and _gpu.returncode == 0 else
          "no GPU in this runtime: Runtime > Change runtime type > T4 GPU (or choose PROFILE = 'offline' on purpose)")
