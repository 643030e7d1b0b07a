"""The environment variables the course's code reads, each read here and parsed one way.

    NBGRADER_EXECUTION         set by nbgrader while it grades: the smoke profile, always (shared.profiles)
    COURSE_PROFILE             full | offline | smoke, over the notebook's Config cell (shared.profiles)
    HF_HUB_OFFLINE             a flag: the offline profile when none is named (shared.profiles), and no hub
                               look-ups for models (shared.models)
    HF_ENDPOINT                the hub's address, to check whether it can be reached (shared.models)
    COURSE_REHEARSAL           a flag (CI): the full profile at smoke sizes (shared.profiles.rehearsal)
    COURSE_CACHE               where smoke models and dequantised GGUF models are kept (shared.models)
    COURSE_CHECKPOINTS         a folder (Drive, on Colab) for every run's checkpoints (shared.train)
    COURSE_CHECKPOINT_MINUTES  minutes of training between checkpoints there (shared.train; default 10)
    COURSE_KEEP_FINAL_MINUTES  a run's final weights go there once it trained this long (shared.train; default 3)
    COURSE_DEVICE_CHECK        a flag (tests): mark every placed parameter (shared.device)
    LOCAL_RANK, WORLD_SIZE     set by torchrun: this process's GPU, and how many processes (shared.device, .train)

A flag is on for 1, true, yes or on (any case), as huggingface_hub reads its own; an empty value is unset.
"""
from __future__ import annotations

import os

GRADING = "NBGRADER_EXECUTION"
PROFILE = "COURSE_PROFILE"
HUB_OFFLINE = "HF_HUB_OFFLINE"
HUB_ENDPOINT = "HF_ENDPOINT"
REHEARSAL = "COURSE_REHEARSAL"
CACHE = "COURSE_CACHE"
CHECKPOINTS = "COURSE_CHECKPOINTS"
CHECKPOINT_MINUTES = "COURSE_CHECKPOINT_MINUTES"
KEEP_FINAL_MINUTES = "COURSE_KEEP_FINAL_MINUTES"
DEVICE_CHECK = "COURSE_DEVICE_CHECK"
LOCAL_RANK = "LOCAL_RANK"
WORLD_SIZE = "WORLD_SIZE"

_ON = {"1", "TRUE", "YES", "ON"}


def text(name: str, default: str | None = None) -> str | None:
    """The variable's value; `default` where it is unset or empty."""
    return os.environ.get(name) or default


def flag(name: str) -> bool:
    """Whether the variable is on: 1, true, yes or on, in any case."""
    return (os.environ.get(name) or "").strip().upper() in _ON


def number(name: str, default: float, unit: str = "a number") -> float:
    """The variable as a number; `default` where it is unset or empty. A value that is not a number says so."""
    value = os.environ.get(name) or default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be {unit}, not {value!r}.") from None


def hub_offline() -> bool:
    """HF_HUB_OFFLINE is on: no look-ups on the Hugging Face hub."""
    return flag(HUB_OFFLINE)
