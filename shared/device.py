"""One device rule for every model a notebook uses, decided once.

    device()     the GPU when there is one (CUDA; this process's GPU under `accelerate launch`), else the CPU
    precision()  what the device computes fast: "fp16" on a GPU without bf16 units (a T4: compute capability
                 below 8), "bf16" on Ampere or newer, "no" (fp32) on the CPU. Training (shared.train, through
                 Accelerate) and the course's evaluation and generation helpers (shared.train.evaluating) run
                 under that autocast; a notebook's own calls of a model run in fp32, so that a student's check
                 with a tight tolerance holds on a GPU as on a laptop.
    place(model) the model on device() with fp32 weights. Weights are always fp32, whatever the checkpoint
                 stores (SmolLM2 is stored in bf16, which a T4 cannot compute fast): training keeps fp32 master
                 weights anyway, and autocast runs the matrix products in half precision. On a GPU, tensors
                 given to the model from the CPU are moved to it and its outputs back (for calls of the model
                 itself: a submodule called directly, such as T5's encoder inside generate, gets no such help),
                 and outputs computed under autocast are returned in fp32.

`shared.models.load_model` places every model it loads, `shared.train.train` and the evaluation helpers place
the model they are given (a student's wrapper with a new head included), so nothing a notebook uses is left
on the CPU of a GPU runtime. On the CPU, placing only makes the weights fp32: the offline and smoke profiles
compute exactly as before.

COURSE_DEVICE_CHECK=1 (tests only) also marks every parameter placed, so that a test can fail any forward
pass of a module whose parameters no placement reached (tests/test_rehearsal.py).
"""
from __future__ import annotations

import contextlib

import torch

from . import env

WEIGHTS_DTYPE = torch.float32
CHECK_ENV = env.DEVICE_CHECK
CHECK_MARK = "_course_placed"   # the attribute COURSE_DEVICE_CHECK=1 sets on every placed parameter
_HOOKED = "_course_device_hooks"


def device() -> torch.device:
    """The device of this process: its GPU if CUDA is available, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(env.text(env.LOCAL_RANK, "0")))
    return torch.device("cpu")


def precision(dev: torch.device | None = None) -> str:
    """"bf16" on Ampere or newer, "fp16" on older GPUs (a T4), "no" (fp32) on the CPU."""
    dev = dev or device()
    if dev.type != "cuda":
        return "no"
    major, _ = torch.cuda.get_device_capability(dev)
    return "bf16" if major >= 8 else "fp16"


def autocast_dtype(dev: torch.device | None = None) -> torch.dtype | None:
    """The dtype the course's helpers compute in on this device (None: no autocast, fp32)."""
    return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision(dev))


def autocast(dev: torch.device | None = None):
    """The device's autocast (a context manager), or one that does nothing on the CPU."""
    dev = dev or device()
    dtype = autocast_dtype(dev)
    return torch.autocast(device_type=dev.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def describe() -> str:
    """One line: the device and its precision, for shared.setup()."""
    dev = device()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    return f"device: {name} | precision: {'fp32' if precision(dev) == 'no' else precision(dev) + ' autocast'}"


def place(model, dev: torch.device | None = None, hooks: bool | None = None):
    """`model` on the course's device with fp32 weights (see the module docstring); returns it.

    Placing again is cheap and harmless: a model already there is not copied, and its hooks are added once.
    `dev` and `hooks` are for tests (default: device(), and the hooks on a GPU only)."""
    if not isinstance(model, torch.nn.Module):   # a plain function standing in for a model: nothing to place
        return model
    dev = dev or device()
    model.to(device=dev, dtype=WEIGHTS_DTYPE)
    if env.flag(CHECK_ENV):
        for p in model.parameters():
            setattr(p, CHECK_MARK, True)
    if (dev.type != "cpu" if hooks is None else hooks) and not getattr(model, _HOOKED, False):
        _hook(model, dev)
    return model


def _hook(model, dev: torch.device) -> None:
    """Inputs from another device moved to `dev` and the outputs back; outputs computed under autocast in fp32."""
    from accelerate.utils import convert_to_fp32, send_to_device
    skip = getattr(model, "_skip_keys_device_placement", None)   # the KV cache stays where the model is
    stack = []   # per call (calls can nest): where the inputs came from, if not from `dev`

    def before(module, args, kwargs):
        first = next((t for t in [*args, *kwargs.values()] if isinstance(t, torch.Tensor)), None)
        came_from = first.device if first is not None and first.device != dev else None
        stack.append(came_from)
        if came_from is None:
            return None
        return send_to_device(args, dev), send_to_device(kwargs, dev, skip_keys=skip)

    def after(module, args, kwargs, output):
        came_from = stack.pop() if stack else None
        if torch.is_autocast_enabled(dev.type):
            output = convert_to_fp32(output)
        if came_from is not None:
            output = send_to_device(output, came_from, skip_keys=skip)
        return output

    model.register_forward_pre_hook(before, with_kwargs=True)
    model.register_forward_hook(after, with_kwargs=True, always_call=True)
    setattr(model, _HOOKED, True)
