"""The environment, in one place: what autograder reads from it, and what it gives the processes it starts.

Read here, and nowhere else in autograder: PATH, LANG, LC_ALL, PYTHONPATH and COURSE_CACHE (passed on to a
grading kernel), and the whole environment when it is handed to nbgrader or a grading worker. shared/ reads
its own (COURSE_PROFILE, COURSE_CACHE, HF_HUB_OFFLINE ...); the Colab setup cell, the text of a notebook
cell, reads COURSE_SETUP_AS_COLAB and COURSE_HOME itself.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

BIN = str(Path(sys.executable).parent)   # nbgrader shells out to alembic and jupyter, installed beside this Python
KERNEL_KEEPS = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "COURSE_CACHE")   # what a grading kernel keeps of ours


def put_tools_on_path() -> None:
    """Put BIN on this process's PATH if it is not there (for what this process starts without an env)."""
    if BIN not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")


def nbgrader_env() -> dict:
    """nbgrader's: this environment with BIN first on PATH."""
    return dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))


def worker_env(tmpdir: Path) -> dict:
    """A grading worker's: this environment, its temporary files (its working folder) in `tmpdir`."""
    return dict(os.environ, TMPDIR=str(tmpdir))


def kernel_env(workdir: Path, cache: Path) -> dict:
    """A grading kernel's: KERNEL_KEEPS of this environment, the smoke profile, offline, every cache inside
    its working folder but the course's model cache `cache`, one thread."""
    keep = {k: v for k, v in os.environ.items() if k in KERNEL_KEEPS}
    keep.update({"NBGRADER_EXECUTION": "autograde", "COURSE_PROFILE": "smoke", "HF_HUB_OFFLINE": "1",
                 "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(workdir / "hf"), "MPLBACKEND": "Agg",
                 "MPLCONFIGDIR": str(workdir / "mpl"), "IPYTHONDIR": str(workdir / "ipython"),
                 "HOME": str(workdir), "TMPDIR": str(workdir / "tmp"),
                 "TORCHINDUCTOR_CACHE_DIR": str(workdir / "tmp" / "torchinductor"), "COURSE_CACHE": str(cache),
                 "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
                 "TQDM_DISABLE": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return keep
