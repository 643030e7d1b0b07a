"""Test settings: offline, no caches in the home folder, a non-interactive plot backend."""
import os
import sys
import tempfile
from pathlib import Path

import pytest

from shared.models import REPO   # light: imports no torch, transformers or datasets

_TMP = Path(tempfile.mkdtemp(prefix="nlp-course-tests-"))

# Set before anything imports transformers, datasets or matplotlib.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", str(_TMP / "hf"))
# Smoke models and the dequantised SmolLM2 are kept between runs in the repo's ignored .cache/.
os.environ.setdefault("COURSE_CACHE", str(REPO / ".cache" / "course"))
os.environ["MPLBACKEND"] = "Agg"
os.environ["MPLCONFIGDIR"] = str(_TMP / "mpl")
os.environ["IPYTHONDIR"] = str(_TMP / "ipython")
os.environ["JUPYTER_CONFIG_DIR"] = str(_TMP / "jupyter_config")
os.environ["JUPYTER_DATA_DIR"] = str(_TMP / "jupyter_data")
os.environ["JUPYTER_RUNTIME_DIR"] = str(_TMP / "jupyter_runtime")
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.pop("COURSE_PROFILE", None)
os.environ.pop("NBGRADER_EXECUTION", None)
# Tools the tests shell out to (nbgrader -> alembic, jupyter, torchrun) live beside this python.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture
def smoke_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    from shared.profiles import get_profile
    return get_profile()
