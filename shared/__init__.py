"""The course's shared utilities. Every notebook starts with:

    import shared
    profile = shared.setup(PROFILE, seed=SEED)   # prints profile, device, precision

Modules (each small, each opening with what it is for):
    shared.profiles  which models, data and sizes: full / offline / smoke, one block per assignment
    shared.env       the environment variables the course reads, each read and parsed in one place
    shared.device    the one device rule: every model on the GPU if there is one, fp32 weights, autocast
    shared.models    load_model / load_tokenizer, the same code in every profile
    shared.data      load_task (hub schema everywhere), collators, column checks
    shared.train     TrainConfig and train(): Accelerate loop, checkpoints, resume
    shared.metrics   offline SQuAD EM/F1, accuracy, F1, seqeval NER F1
    shared.tracking  experiment log (JSON lines), plots, statistics (paired tests, seeds) and results files
"""
from __future__ import annotations

import importlib
import pkgutil

from .profiles import Profile, get_profile, profile_name  # noqa: F401  (light: no torch import)

# the package's modules, found (a new one, e.g. an assignment's plumbing, is listed by being there)
MODULES = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
__all__ = ["setup", "get_profile", "profile_name", "Profile", *MODULES]


class NoGPU(RuntimeError):
    """A profile that needs a GPU, on a machine without CUDA."""


def setup(profile: str | None = None, seed: int = 42, quiet: bool = False) -> Profile:
    """Resolve the profile, seed every RNG, and say what this run will use."""
    import torch
    from accelerate.utils import set_seed

    from .device import describe
    p = get_profile(profile)
    if p.needs_gpu and not torch.cuda.is_available():
        raise NoGPU(f"The '{p.name}' profile needs a GPU and this runtime has none. On Colab: Runtime > Change "
                    f"runtime type > T4 GPU, then run the notebook again from the top. To work without a GPU on "
                    f"purpose: on Colab set OFFLINE = True in the setup cell (the first) and run it again (it installs "
                    f"the offline profile's models); then set PROFILE = \"offline\" in the Config cell (small models "
                    f"and the course's data).")
    # Denormal floats to zero on the CPU: a saturated loss (a DPO run at a large beta) leaves gradients there,
    # which the CPU handles many times slower. Set here, before any torch work, so that every CPU thread has it
    # whatever thread pool torch uses. GPU kernels are not affected.
    torch.set_flush_denormal(True)
    set_seed(seed)
    if not quiet:
        print(f"profile: {p.name} | {describe()} | seed: {seed}")
    return p


def __getattr__(name: str):  # `shared.train` etc. import on first use, keeping `import shared` fast
    if name in MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'shared' has no attribute {name!r}")
