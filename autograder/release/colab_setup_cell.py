# Setup. First: File > Save a copy in Drive, and work in that copy (work in an unsaved Colab tab is lost with it).
# On Colab this cell installs the course (its student release) once, about a minute; run it again any time: it
# says what it did. Anywhere else it does nothing slow.
COURSE_REPOSITORY = "[student] repository of course.toml"
COURSE_RELEASE = "[student] release of course.toml"
DRIVE = True     # keep long training runs' checkpoints on your Google Drive, so a disconnect costs little (False: this session's disk)
OFFLINE = False  # True: also install the offline profile's small models (no GPU, or no hub); then PROFILE = "offline"
import os, runpy, shutil, subprocess, sys
if "google.colab" in sys.modules or os.environ.get("COURSE_SETUP_AS_COLAB"):   # the course's own code does the rest
    _home = os.environ.get("COURSE_HOME", "/content/nlp-course")
    _stamp = os.path.join(_home, ".installed-release")
    _new = None if os.path.exists(_stamp) and open(_stamp).read().split(" ")[0] == COURSE_RELEASE else _home + ".incoming"
    if _new:   # not installed yet: clone the release beside the course's folder (a failed clone changes nothing)
        shutil.rmtree(_new, ignore_errors=True)
        _git = subprocess.run(["git", "clone", "-q", "--depth=1", "--branch", COURSE_RELEASE, COURSE_REPOSITORY, _new],
                              capture_output=True, text=True)
        _err = _git.stderr.lower()
        if _git.returncode and any(w in _err for w in ("could not resolve host", "failed to connect", "timed out", "network")):
            _why = (f"this runtime cannot reach {COURSE_REPOSITORY} (no network, or a typo in its host).", "check "
                    "COURSE_REPOSITORY against the course page; then Runtime > Disconnect and delete runtime, reconnect, "
                    "and run this cell again.")
        elif _git.returncode and ("remote branch" in _err or "not found in upstream" in _err):
            _why = (f"the course release {COURSE_RELEASE!r} is not published in {COURSE_REPOSITORY} (not yet, or a "
                    "typo).", "check COURSE_RELEASE against your instructor's announcement; if it matches, ask them "
                    "whether the release is published.")
        elif _git.returncode:
            _why = (f"the course repository {COURSE_REPOSITORY} cannot be cloned (not published yet, private, or a "
                    "typo).", "check COURSE_REPOSITORY against the course page, or ask your instructor.")
        if _git.returncode:
            raise SystemExit(f"COURSE SETUP FAILED: {_why[0]}\nWhat to do: {_why[1]}\n(details: "
                             + " | ".join(_git.stderr.strip().splitlines()[-3:]) + ")")
    runpy.run_path(os.path.join(_new or _home, "shared", "colab.py"))["setup"](
        COURSE_REPOSITORY, COURSE_RELEASE, _home, incoming=_new, drive=DRIVE, offline=OFFLINE)
