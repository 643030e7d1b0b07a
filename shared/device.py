"""One device rule for every model a notebook uses, decided once.

    device()     the GPU when there is one (CUDA; this process's GPU under `accelerate launch`), else the CPU
    precision()  what the device computes fast: "fp16" on a GPU without bf16 units (a T4: compute capability
                 below 8), "bf16" on Ampere or newer, "no" (fp32) on the CPU. Training (shared.train, through
                 Accelerate) and every forward pass of a placed model use it.
    place(model) the model on device() with fp32 weights. Weights are always fp32, whatever the checkpoint
                 stores (SmolLM2 is stored in bf16, which a T4 cannot compute fast): training keeps fp32 master
                 weights anyway, and autocast runs the matrix products in half precision. On a GPU, the model's
                 forward then runs under autocast with fp32 outputs (as Accelerate does in training), and
                 tensors given to it from another device are moved to it and its outputs back, so that a quick
                 check on CPU tensors works as it does on a laptop.

`shared.models.load_model` places every model it loads, `shared.train.train` and the evaluation helpers place
the model they are given (a student's wrapper with a new head included), so nothing a notebook uses is left
on the CPU of a GPU runtime. On the CPU, placing only makes the weights fp32: the offline and smoke profiles
compute exactly as before.

COURSE_DEVICE_CHECK=1 (tests only) also marks every parameter placed, so that a test can fail any forward
pass of a module whose parameters no placement reached (tests/test_rehearsal.py).
"""
from __future__ import annotations

import os

import torch

WEIGHTS_DTYPE = torch.float32
CHECK_ENV = "COURSE_DEVICE_CHECK"
CHECK_MARK = "_course_placed"   # the attribute COURSE_DEVICE_CHECK=1 sets on every placed parameter
_HOOKED = "_course_device_hooks"


def device() -> torch.device:
    """The device of this process: its GPU if CUDA is available, else the CPU."""
    if torch.cuda.is_available() and os.environ.get("COURSE_DEVICE", "") != "cpu":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def precision(dev: torch.device | None = None) -> str:
    """"bf16" on Ampere or newer, "fp16" on older GPUs (a T4), "no" (fp32) on the CPU."""
    dev = dev or device()
    if dev.type != "cuda":
        return "no"
    major, _ = torch.cuda.get_device_capability(dev)
    return "bf16" if major >= 8 else "fp16"


def autocast_dtype(dev: torch.device | None = None) -> torch.dtype | None:
    """The dtype a placed model's forward computes in on this device (None: no autocast, fp32)."""
    return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision(dev))


def describe() -> str:
    """One line: the device and its precision, for shared.setup()."""
    dev = device()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    return f"device: {name} | precision: {'fp32' if precision(dev) == 'no' else precision(dev) + ' autocast'}"


def place(model, dev: torch.device | None = None, compute_dtype: torch.dtype | None = None):
    """`model` on the course's device with fp32 weights (see the module docstring); returns it.

    Placing again is cheap and harmless: a model already there is not copied, and its hooks are added once.
    `dev` and `compute_dtype` are for tests (default: device() and autocast_dtype())."""
    if not isinstance(model, torch.nn.Module):   # a plain function standing in for a model: nothing to place
        return model
    dev = dev or device()
    compute_dtype = compute_dtype if compute_dtype is not None else autocast_dtype(dev)
    model.to(device=dev, dtype=WEIGHTS_DTYPE)
    if os.environ.get(CHECK_ENV) == "1":
        for p in model.parameters():
            setattr(p, CHECK_MARK, True)
    if (dev.type != "cpu" or compute_dtype is not None) and not getattr(model, _HOOKED, False):
        _hook(model, dev, compute_dtype)
    return model


def _hook(model, dev: torch.device, compute_dtype: torch.dtype | None) -> None:
    """Inputs to `dev`, the forward under autocast, outputs in fp32 and back where the inputs came from."""
    from accelerate.utils import convert_to_fp32, send_to_device
    skip = getattr(model, "_skip_keys_device_placement", None)   # the KV cache stays where the model is
    stack = []

    def before(module, args, kwargs):
        first = next((t for t in [*args, *kwargs.values()] if isinstance(t, torch.Tensor)), None)
        came_from = first.device if first is not None and first.device != dev else None
        ctx = torch.autocast(device_type=dev.type, dtype=compute_dtype) if compute_dtype is not None else None
        if ctx is not None:
            ctx.__enter__()
        stack.append((came_from, ctx))
        if came_from is None:
            return None
        return send_to_device(args, dev), send_to_device(kwargs, dev, skip_keys=skip)

    def after(module, args, kwargs, output):
        came_from, ctx = stack.pop()
        if ctx is not None:
            ctx.__exit__(None, None, None)
            output = convert_to_fp32(output)
        if came_from is not None:
            output = send_to_device(output, came_from, skip_keys=skip)
        return output

    model.register_forward_pre_hook(before, with_kwargs=True)
    model.register_forward_hook(after, with_kwargs=True, always_call=True)
    setattr(model, _HOOKED, True)
