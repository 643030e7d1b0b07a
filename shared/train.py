"""The course's training loop: one readable function, `train`, on top of Accelerate.

Accelerate picks the device and precision and handles several processes
(`accelerate launch` or `torchrun`), so the loop below is the whole algorithm
and nothing else:

    for each optimizer step:
        for each of `grad_accum` micro-batches:  loss = model(**batch).loss; backward
        clip gradients; optimizer step; LR scheduler step; zero gradients
        every `eval_every` steps: evaluate; every `save_every` steps: checkpoint

The loop knows nothing about any one model: anything that returns `.loss`
from `model(**batch)` (every Hugging Face `*For*` model does) can be trained.

Checkpoints are written to a temporary folder and renamed when complete, so a
Colab disconnect costs at most `save_every` steps and a half-written
checkpoint is never resumed from. A checkpoint records which model and which
settings wrote it; resuming with another one stops with a clear message.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from accelerate import Accelerator, DataLoaderConfiguration
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_scheduler

STATE_FILE = "trainer_state.json"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be resumed from: corrupt, or written by another model or config."""


@dataclass
class TrainConfig:
    """Every knob of a run. The effective batch is batch_size * grad_accum * processes."""

    output_dir: str = "runs/run"
    epochs: float = 1.0
    max_steps: int | None = None        # optimizer steps; overrides epochs when set
    batch_size: int = 16                # micro-batch per process
    shuffle: bool = True                # False: keep the dataset's order (e.g. a pre-drawn task mixture)
    grad_accum: int = 1                 # micro-batches per optimizer step
    lr: float = 5e-5
    weight_decay: float = 0.01
    scheduler: str = "linear"           # any name transformers.get_scheduler knows
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    eval_every: int = 0                 # steps; 0 = at the end of each epoch
    log_every: int = 10                 # steps between loss entries in the history
    save_every: int = 0                 # steps; 0 = no checkpoints
    keep_checkpoints: int = 2
    checkpoint_dir: str | None = None   # default output_dir/checkpoints; a Drive folder works
    resume: bool = True                 # continue from the newest checkpoint if there is one
    seed: int = 42
    mixed_precision: str = "auto"       # auto | no | fp16 | bf16
    progress: bool = True

    def fingerprint(self) -> str:
        """The settings a resumed run must share with the run that wrote the checkpoint."""
        keys = ["epochs", "max_steps", "lr", "weight_decay", "scheduler", "warmup_ratio",
                "max_grad_norm", "seed", "shuffle"]
        effective = self.batch_size * self.grad_accum  # OOM halving keeps this constant
        blob = json.dumps({k: getattr(self, k) for k in keys} | {"effective_batch": effective})
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


@dataclass
class TrainResult:
    model: torch.nn.Module
    history: dict[str, list[dict]] = field(default_factory=lambda: {"train": [], "eval": []})
    steps: int = 0
    seconds: float = 0.0
    resumed_from: str | None = None
    batch_size: int = 0                 # the micro-batch that fitted (after any OOM halving)

    @property
    def final_eval(self) -> dict:
        return self.history["eval"][-1] if self.history["eval"] else {}


def auto_precision() -> str:
    """bf16 on Ampere or newer, fp16 (with loss scaling) on older GPUs such as the T4, fp32 on CPU."""
    if not torch.cuda.is_available():
        return "no"
    major, _ = torch.cuda.get_device_capability()
    return "bf16" if major >= 8 else "fp16"


def model_fingerprint(model: torch.nn.Module) -> str:
    shapes = [(n, tuple(p.shape)) for n, p in model.state_dict().items()]
    blob = type(model).__name__ + json.dumps(shapes)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in str(err).lower()


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """No weight decay on biases and normalisation weights, as BERT and GPT-2 were trained."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first (temporary folders are ignored)."""
    if not folder.is_dir():
        return []
    done = [p for p in folder.glob("step-*") if p.is_dir() and not p.name.endswith(".tmp")
            and (p / STATE_FILE).exists()]
    return sorted(done, key=lambda p: int(p.name.split("-")[1]))


def cap_steps(config: TrainConfig, profile) -> TrainConfig:
    """The config with its steps capped by the profile's max_steps (the smoke profile: a few steps)."""
    if profile is None or not profile.max_steps:
        return config
    return dataclasses.replace(config, max_steps=min(config.max_steps or profile.max_steps, profile.max_steps))


@contextlib.contextmanager
def evaluating(model: torch.nn.Module):
    """Eval mode and no gradients inside the block; the model's train/eval mode restored after it."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield next(model.parameters()).device
    finally:
        model.train(was_training)


def train(model: torch.nn.Module, train_dataset, config: TrainConfig | None = None, *,
          eval_dataset=None, collate_fn: Callable | None = None,
          evaluate_fn: Callable[[torch.nn.Module], dict] | None = None,
          stop_after: int | None = None) -> TrainResult:
    """Train `model` on `train_dataset` and return the model with its metric history.

    collate_fn:  turns a list of examples into a batch dict (e.g. DataCollatorWithPadding).
    evaluate_fn: optional task metrics, called on the unwrapped model at each evaluation;
                 its dict is merged with the eval loss into history["eval"].
    stop_after:  stop (as a disconnect would) after this many optimizer steps, for tests.
    """
    config = config or TrainConfig()
    if len(train_dataset) == 0:
        raise ValueError("train_dataset is empty: check the split name and any subset size in the Config cell.")
    start_bs, start_accum = config.batch_size, config.grad_accum
    # On a GPU keep the starting weights on the CPU, so that a retry after out-of-memory starts
    # from them (or from the newest checkpoint), not from weights a failed attempt already changed.
    initial = ({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
               if torch.cuda.is_available() else None)
    while True:
        try:
            return _train(model, train_dataset, config, eval_dataset, collate_fn, evaluate_fn, stop_after)
        except RuntimeError as err:
            # On CUDA out-of-memory: halve the micro-batch, double accumulation, same effective batch.
            if not _is_oom(err) or config.batch_size == 1:
                raise
            if initial is not None:
                model.load_state_dict(initial)
            torch.cuda.empty_cache()
            config = dataclasses.replace(config, batch_size=config.batch_size // 2,
                                         grad_accum=config.grad_accum * 2)
            print(f"CUDA out of memory at batch_size={config.batch_size * 2}: retrying with "
                  f"batch_size={config.batch_size}, grad_accum={config.grad_accum} "
                  f"(effective batch {start_bs * start_accum} unchanged).")


def _train(model, train_dataset, config: TrainConfig, eval_dataset, collate_fn, evaluate_fn,
           stop_after) -> TrainResult:
    precision = auto_precision() if config.mixed_precision == "auto" else config.mixed_precision
    # Several processes without a GPU (torchrun on a CPU machine): Accelerate needs cpu=True to use gloo.
    multi_cpu = not torch.cuda.is_available() and int(os.environ.get("WORLD_SIZE", "1")) > 1
    acc = Accelerator(mixed_precision=precision, gradient_accumulation_steps=config.grad_accum, cpu=multi_cpu,
                      step_scheduler_with_optimizer=False,
                      dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True,
                                                                data_seed=config.seed))
    set_seed(config.seed)
    ckpt_root = Path(config.checkpoint_dir or Path(config.output_dir) / "checkpoints")

    train_dl = DataLoader(train_dataset, batch_size=config.batch_size, shuffle=config.shuffle,
                          collate_fn=collate_fn, generator=torch.Generator().manual_seed(config.seed))
    eval_dl = (DataLoader(eval_dataset, batch_size=config.batch_size, collate_fn=collate_fn)
               if eval_dataset is not None else None)
    # fused AdamW: one kernel for all parameters (what Trainer uses by default on torch >= 2.8)
    optimizer = torch.optim.AdamW(_param_groups(model, config.weight_decay), lr=config.lr, fused=True)

    model, optimizer, train_dl = acc.prepare(model, optimizer, train_dl)
    # After prepare, len(train_dl) is this process's share: 1/N of the batches.
    batches_per_epoch = len(train_dl)
    steps_per_epoch = max(1, math.ceil(batches_per_epoch / config.grad_accum))
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    scheduler = acc.prepare(get_scheduler(config.scheduler, optimizer, num_training_steps=total,
                                          num_warmup_steps=int(config.warmup_ratio * total)))
    if eval_dl is not None:
        eval_dl = acc.prepare(eval_dl)

    result = TrainResult(model=model, batch_size=config.batch_size)
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0}
    fingerprint = {"model": model_fingerprint(acc.unwrap_model(model)), "config": config.fingerprint()}
    if config.resume and (found := _checkpoints(ckpt_root)):
        latest = found[-1]
        state, result.history = _load_checkpoint(acc, latest, fingerprint)
        result.resumed_from = str(latest)
        acc.print(f"Resumed from {latest} (step {state['step']} of {total}).")

    bar = tqdm(total=total, initial=state["step"], desc="train", unit="step",
               disable=not (config.progress and acc.is_local_main_process))
    t0, running, n_running = time.perf_counter(), 0.0, 0
    model.train()
    while state["step"] < total:
        train_dl.set_epoch(state["epoch"])
        batches = train_dl
        if state["batch_in_epoch"]:  # a resumed epoch: skip the batches already trained on
            batches = acc.skip_first_batches(train_dl, state["batch_in_epoch"])
            # accelerate < 1.15 builds the skipping loader at epoch 0: give it this epoch's order
            batches.set_epoch(state["epoch"])
        for batch in batches:
            with acc.accumulate(model):
                loss = model(**batch).loss
                acc.backward(loss)
                if acc.sync_gradients:
                    if config.max_grad_norm:
                        acc.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad()
            running += loss.detach().float().item()
            n_running += 1
            state["batch_in_epoch"] += 1
            if not acc.sync_gradients:
                continue
            state["step"] += 1
            bar.update(1)
            step = state["step"]
            if step % config.log_every == 0 or step == total:
                entry = {"step": step, "epoch": round(state["epoch"] + state["batch_in_epoch"] / batches_per_epoch, 3),
                         "loss": running / n_running, "lr": scheduler.get_last_lr()[0]}
                result.history["train"].append(entry)
                bar.set_postfix(loss=f"{entry['loss']:.4f}")
                running, n_running = 0.0, 0
            end_of_epoch = state["batch_in_epoch"] >= batches_per_epoch
            if (config.eval_every and step % config.eval_every == 0) or \
                    (not config.eval_every and end_of_epoch) or step == total:
                result.history["eval"].append({"step": step, **_evaluate(acc, model, eval_dl, evaluate_fn)})
            if config.save_every and (step % config.save_every == 0) and step < total:
                _save_checkpoint(acc, ckpt_root, state, result.history, fingerprint, config.keep_checkpoints)
            if step >= total or (stop_after is not None and step >= stop_after):
                break
        else:  # the epoch ran out before the step budget
            state["epoch"] += 1
            state["batch_in_epoch"] = 0
            continue
        break
    bar.close()
    acc.wait_for_everyone()
    result.model = acc.unwrap_model(model)
    result.steps = state["step"]
    result.seconds = time.perf_counter() - t0
    acc.free_memory()
    return result


@torch.no_grad()
def _evaluate(acc: Accelerator, model, eval_dl, evaluate_fn) -> dict:
    out = {}
    model.eval()
    if eval_dl is not None:
        total, count = 0.0, 0
        for batch in eval_dl:
            loss = model(**batch).loss
            n = len(next(iter(batch.values())))
            losses = acc.gather_for_metrics(loss.detach().float().repeat(n))
            total += losses.sum().item()
            count += losses.numel()
        out["eval_loss"] = total / max(count, 1)
    if evaluate_fn is not None:
        out.update(evaluate_fn(acc.unwrap_model(model)))
    model.train()
    return out


def _save_checkpoint(acc: Accelerator, root: Path, state: dict, history: dict, fingerprint: dict,
                     keep: int) -> Path:
    """Write to step-N.tmp, then rename: a checkpoint folder without .tmp is always complete."""
    final = root / f"step-{state['step']:07d}"
    tmp = root / f"step-{state['step']:07d}.tmp"
    if acc.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    acc.wait_for_everyone()
    acc.save_state(str(tmp), safe_serialization=False)
    if acc.is_main_process:
        with open(tmp / STATE_FILE, "w") as f:
            json.dump({"state": state, "history": history, "fingerprint": fingerprint}, f)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        for old in _checkpoints(root)[:-keep] if keep else []:
            shutil.rmtree(old, ignore_errors=True)
    acc.wait_for_everyone()
    return final


def _load_checkpoint(acc: Accelerator, path: Path, fingerprint: dict) -> tuple[dict, dict]:
    try:
        meta = json.loads((path / STATE_FILE).read_text())
        state, history, saved = meta["state"], meta["history"], meta["fingerprint"]
    except (OSError, ValueError, KeyError) as err:
        raise CheckpointError(f"Checkpoint {path} is unreadable ({err}). Delete that folder to resume "
                              f"from the one before, or set resume=False to start over.") from err
    if saved.get("model") != fingerprint["model"]:
        raise CheckpointError(f"Checkpoint {path} was written by a different model (another class or "
                              f"other layer shapes). Use a new output_dir for this model, or resume=False.")
    if saved.get("config") != fingerprint["config"]:
        raise CheckpointError(f"Checkpoint {path} was written with different training settings (lr, steps, "
                              f"batch, scheduler or seed). Use the same TrainConfig, a new output_dir, "
                              f"or resume=False.")
    try:
        acc.load_state(str(path))
    except Exception as err:  # torch/pickle errors of many kinds all mean the same here
        first_line = (str(err).strip().splitlines() or [""])[0][:160]
        raise CheckpointError(f"Checkpoint {path} is corrupt ({type(err).__name__}: {first_line}). Delete that "
                              f"folder to resume from the one before, or set resume=False.") from err
    return state, history
