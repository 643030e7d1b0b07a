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
half-written checkpoint is never resumed from. Each run keeps them in a folder
named by its model, settings and data size (`<checkpoint_dir>/<fingerprint>/step-N`),
so running a cell again resumes exactly that run, and a changed run starts
fresh beside it. A finished run leaves its final weights (`.../final`, without
the optimizer's state): running it again loads them instead of training again.

Where they go: `checkpoint_dir`, else `$COURSE_CHECKPOINTS/<output_dir>` when
that variable names a folder (the Colab setup cell sets it to a Drive folder),
else `<output_dir>/checkpoints`. With COURSE_CHECKPOINTS set and `save_every=None`
(the default), the policy keeps a free Google Drive (15 GB) far from full:
  - a run checkpoints each `save_minutes` (10) of training: a disconnect costs at most that much of a run,
    and a run shorter than that writes no checkpoint at all;
  - it keeps two checkpoints (`keep_checkpoints`), the older rewritten in place by the next, so the newest
    is whole while the next is written; nothing is deleted, because a file deleted through the Drive mount
    goes to Drive's trash and still counts (an assumption from users' reports: not measured here);
  - its final weights stay on Drive if it trained at least `keep_final_minutes` (3) or wrote a checkpoint;
    a shorter run keeps them in `<output_dir>/checkpoints` on the session's disk (lost with the session,
    and retrained in minutes). Once the final is written, the run's checkpoint files are emptied in place,
    so no optimizer state is left.
COURSE_CHECKPOINT_MINUTES and COURSE_KEEP_FINAL_MINUTES change the two defaults. Without COURSE_CHECKPOINTS a
run checkpoints only when asked (`save_every` steps) and keeps its final weights only then.
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
from accelerate.utils import broadcast_object_list, set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_scheduler

from . import env
from .device import autocast, device, place, precision

STATE_FILE = "trainer_state.json"
WEIGHTS_FILE = "model.pt"
CHECKPOINTS_ENV = env.CHECKPOINTS   # a folder (e.g. on Google Drive) for every run's checkpoints


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
    save_every: int | None = None       # steps; 0 = no checkpoints; None = by training time if COURSE_CHECKPOINTS is set
    save_minutes: float | None = None   # with save_every=None: minutes of training between checkpoints (None: 10)
    keep_final_minutes: float | None = None  # a run's final weights go to COURSE_CHECKPOINTS if it trained this long (None: 3)
    keep_checkpoints: int = 2           # checkpoints kept; the oldest is rewritten in place by the next (nothing deleted)
    checkpoint_dir: str | None = None   # default $COURSE_CHECKPOINTS/<output_dir>, else <output_dir>/checkpoints
    resume: bool = True                 # continue from the newest checkpoint if there is one
    seed: int = 42
    mixed_precision: str = "auto"       # auto | no | fp16 | bf16
    dropout: float | None = None        # every dropout rate of the model for this run; None: the model's own
    progress: bool = True
    tag: str = ""                       # what else makes the run itself (model spec, data choices): its checkpoints are its own

    def but(self, **changes) -> "TrainConfig":
        """A copy with some settings changed, e.g. cfg.but(output_dir="runs/a2/ft/ner")."""
        return dataclasses.replace(self, **changes)

    def checkpoint_root(self) -> Path:
        """The folder holding this run's checkpoint folders (see the module docstring)."""
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir)
        if env.text(CHECKPOINTS_ENV):
            return Path(env.text(CHECKPOINTS_ENV)) / Path(self.output_dir).as_posix().lstrip("/")
        return Path(self.output_dir) / "checkpoints"

    def save_seconds(self) -> float | None:
        """Seconds of training between checkpoints when they go by time (save_every=None and COURSE_CHECKPOINTS set)."""
        if self.save_every is not None or not env.text(CHECKPOINTS_ENV):
            return None
        return 60 * _minutes(self.save_minutes, env.CHECKPOINT_MINUTES, 10.0)

    def final_seconds(self) -> float:
        """Training seconds from which a run's final weights go to COURSE_CHECKPOINTS (Drive), not the local disk."""
        return 60 * _minutes(self.keep_final_minutes, env.KEEP_FINAL_MINUTES, 3.0)

    def local_root(self) -> Path:
        """Where a short run's final weights stay when COURSE_CHECKPOINTS holds the checkpoints."""
        return Path(self.output_dir) / "checkpoints"

    def fingerprint(self) -> str:
        """The settings a resumed run must share with the run that wrote the checkpoint."""
        keys = ["epochs", "max_steps", "lr", "weight_decay", "scheduler", "warmup_ratio",
                "max_grad_norm", "seed", "shuffle", "tag"]
        effective = self.batch_size * self.grad_accum  # OOM halving keeps this constant
        if self.dropout is not None:   # only when set, so that runs without it keep their checkpoints
            keys.append("dropout")
        blob = json.dumps({k: getattr(self, k) for k in keys} | {"effective_batch": effective})
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _under_checkpoints_env(root: Path) -> bool:
    """Whether `root` lies in the COURSE_CHECKPOINTS folder (Drive, on Colab)."""
    folder = env.text(CHECKPOINTS_ENV)
    return bool(folder) and Path(folder).resolve() in [root.resolve(), *root.resolve().parents]


def _minutes(value: float | None, variable: str, default: float) -> float:
    return float(value) if value is not None else env.number(variable, default, "a number of minutes")


@dataclass
class TrainResult:
    model: torch.nn.Module
    history: dict[str, list[dict]] = field(default_factory=lambda: {"train": [], "eval": []})
    steps: int = 0
    seconds: float = 0.0
    resumed_from: str | None = None
    resumed_from_final: bool = False
    batch_size: int = 0                 # the micro-batch that fitted (after any OOM halving)
    checkpoints: str | None = None      # this run's checkpoint folder

    @property
    def final_eval(self) -> dict:
        return self.history["eval"][-1] if self.history["eval"] else {}


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
    """The model placed on the course's device (shared.device), eval mode, no gradients and the device's autocast
    (fp16 on a T4; none on the CPU) inside the block; yields that device, for the inputs. The model's train/eval mode is restored after it."""
    place(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), autocast():
            yield device()
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


@dataclass
class _Loop:
    """What one attempt at a run works with, once Accelerate has prepared it."""
    acc: Accelerator
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    train_dl: DataLoader
    eval_dl: DataLoader | None
    total: int                  # optimizer steps of the whole run
    batches_per_epoch: int      # this process's share
    folder: Path                # this run's checkpoints: <checkpoint root>/<fingerprint>
    fingerprint: dict
    save_every: int             # steps between checkpoints (0: none by steps)
    save_seconds: float | None  # training seconds between checkpoints (None: none by time)
    local_folder: Path          # where a short run's final weights stay (the session's disk)
    final_seconds: float        # a run that trained this long keeps its final weights in `folder`
    keep: int                   # checkpoints kept (the oldest is rewritten in place by the next)
    on_drive: bool              # the checkpoints are under COURSE_CHECKPOINTS (Drive on Colab): nothing is deleted

    @property
    def checkpointing(self) -> bool:
        return bool(self.save_every) or self.save_seconds is not None


def _prepare(model, train_dataset, config: TrainConfig, eval_dataset, collate_fn) -> _Loop:
    mixed = precision() if config.mixed_precision == "auto" else config.mixed_precision
    # Several processes without a GPU (torchrun on a CPU machine): Accelerate needs cpu=True to use gloo.
    multi_cpu = not torch.cuda.is_available() and int(env.text(env.WORLD_SIZE, "1")) > 1
    acc = Accelerator(mixed_precision=mixed, gradient_accumulation_steps=config.grad_accum, cpu=multi_cpu,
                      step_scheduler_with_optimizer=False,
                      dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True,
                                                                data_seed=config.seed))
    set_seed(config.seed)
    place(model)   # Accelerate would move it too; placing it here also gives it fp32 weights and the device's hooks
    if config.dropout is not None:
        from .models import set_dropout
        set_dropout(model, config.dropout)
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
    fingerprint = {"model": model_fingerprint(acc.unwrap_model(model)), "config": config.fingerprint(),
                   "examples": len(train_dataset)}
    name = hashlib.sha1(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]
    return _Loop(acc, model, optimizer, scheduler, train_dl, acc.prepare(eval_dl) if eval_dl is not None else None,
                 total, batches_per_epoch, config.checkpoint_root() / name, fingerprint, config.save_every or 0,
                 config.save_seconds(), config.local_root() / name, config.final_seconds(), config.keep_checkpoints,
                 _under_checkpoints_env(config.checkpoint_root()))


def _train(model, train_dataset, config: TrainConfig, eval_dataset, collate_fn, evaluate_fn,
           stop_after) -> TrainResult:
    loop = _prepare(model, train_dataset, config, eval_dataset, collate_fn)
    acc = loop.acc
    result = TrainResult(model=loop.model, batch_size=config.batch_size, checkpoints=str(loop.folder))
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "seconds": 0.0}
    if config.resume:
        state = _resume(loop, result, state)
    t0 = time.perf_counter()
    if state["step"] < loop.total:
        _steps(loop, config, state, result, evaluate_fn, stop_after, t0)
    elif result.resumed_from_final and result.history["eval"] and (evaluate_fn or loop.eval_dl):
        # the history came back with the weights, measured by the evaluate_fn and data of that time (other openings,
        # other samples, perhaps): the end point, the one a notebook compares, is measured again now
        result.history["eval"][-1] = {"step": state["step"], **_evaluate(acc, loop.model, loop.eval_dl, evaluate_fn)}
        acc.print("Its end point is measured again now; the earlier evaluations in its history are the first run's "
                  f"(delete {result.resumed_from} to measure them again).")
    acc.wait_for_everyone()
    result.model = acc.unwrap_model(loop.model)
    result.steps = state["step"]
    result.seconds = state["seconds"] + time.perf_counter() - t0
    if loop.checkpointing and state["step"] >= loop.total and not result.resumed_from_final:
        _save_final(loop, {**state, "seconds": result.seconds}, result.history)
    acc.free_memory()
    return result


def _resume(loop: _Loop, result: TrainResult, state: dict) -> dict:
    """Continue from this run's final weights or newest checkpoint, if there is one."""
    finals = [f for f in (loop.folder / "final", loop.local_folder / "final") if (f / STATE_FILE).exists()]
    if finals:
        final = finals[0]
        state, result.history = _load_final(loop, final)
        result.resumed_from, result.resumed_from_final = str(final), True
        loop.acc.print(f"Already trained: loaded its final weights from {final} (delete that folder to train again).")
    elif found := _checkpoints(loop.folder):
        usable = [p for p in reversed(found) if _complete(p)] or found[-1:]   # the newest whole one
        if usable[0] != found[-1]:
            loop.acc.print(f"{found[-1]} is incomplete (its files are not the sizes written: an upload cut off?); "
                           f"resuming from {usable[0]}.")
        state, result.history = _load_checkpoint(loop.acc, usable[0], loop.fingerprint)
        result.resumed_from = str(usable[0])
        loop.acc.print(f"Resumed from {usable[0]} (step {state['step']} of {loop.total}).")
    state.setdefault("seconds", 0.0)   # checkpoints written before seconds were recorded
    return state


def _steps(loop: _Loop, config: TrainConfig, state: dict, result: TrainResult, evaluate_fn, stop_after,
           t0: float) -> None:
    """The loop itself: optimizer steps until the run's total (or `stop_after`), updating `state` and history."""
    acc, model, total = loop.acc, loop.model, loop.total
    bar = tqdm(total=total, initial=state["step"], desc="train", unit="step",
               disable=not (config.progress and acc.is_local_main_process))
    # the loss since the last history entry: kept in the checkpoint, so a resumed run logs what a straight one does
    running, n_running = state.get("running", 0.0), state.get("n_running", 0)
    model.train()
    while state["step"] < total:
        loop.train_dl.set_epoch(state["epoch"])
        batches = loop.train_dl
        if state["batch_in_epoch"]:  # a resumed epoch: skip the batches already trained on
            batches = acc.skip_first_batches(loop.train_dl, state["batch_in_epoch"])
            # accelerate < 1.15 builds the skipping loader at epoch 0: give it this epoch's order
            batches.set_epoch(state["epoch"])
        for batch in batches:
            loss = _micro_step(loop, config, batch)
            running, n_running = running + loss, n_running + 1
            state["batch_in_epoch"] += 1
            if not acc.sync_gradients:
                continue
            state["step"] += 1
            bar.update(1)
            step = state["step"]
            if step % config.log_every == 0 or step == total:
                entry = {"step": step, "epoch": round(state["epoch"] + state["batch_in_epoch"] / loop.batches_per_epoch, 3),
                         "loss": running / n_running, "lr": loop.scheduler.get_last_lr()[0]}
                result.history["train"].append(entry)
                bar.set_postfix(loss=f"{entry['loss']:.4f}")
                running, n_running = 0.0, 0
            end_of_epoch = state["batch_in_epoch"] >= loop.batches_per_epoch
            if (config.eval_every and step % config.eval_every == 0) or \
                    (not config.eval_every and end_of_epoch) or step == total:
                result.history["eval"].append({"step": step, **_evaluate(acc, model, loop.eval_dl, evaluate_fn)})
            trained = state["seconds"] + time.perf_counter() - t0
            due = bool((loop.save_every and step % loop.save_every == 0) or
                       (loop.save_seconds is not None and trained - state.get("saved_at", 0.0) >= loop.save_seconds))
            if loop.save_seconds is not None and acc.num_processes > 1:   # by the main process's clock, for all
                due = broadcast_object_list([due], from_process=0)[0]
            if due and step < total:
                state["saved_at"] = trained
                _save_checkpoint(acc, loop.folder, {**state, "seconds": trained, "running": running,
                                                    "n_running": n_running},
                                 result.history, loop.fingerprint, loop.keep)
            if step >= total or (stop_after is not None and step >= stop_after):
                break
        else:  # the epoch ran out before the step budget
            state["epoch"] += 1
            state["batch_in_epoch"] = 0
            continue
        break
    bar.close()


def _micro_step(loop: _Loop, config: TrainConfig, batch) -> float:
    """Forward and backward one micro-batch; at the end of an accumulation, clip and step. Returns the loss."""
    with loop.acc.accumulate(loop.model):
        loss = loop.model(**batch).loss
        loop.acc.backward(loss)
        if loop.acc.sync_gradients:
            if config.max_grad_norm:
                loop.acc.clip_grad_norm_(loop.model.parameters(), config.max_grad_norm)
            loop.optimizer.step()
            loop.scheduler.step()
            loop.optimizer.zero_grad()
    return loss.detach().float().item()


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
    """Write to step-N.tmp, then rename: a checkpoint folder without .tmp is always complete, and the state file,
    written last, records the size of every file, which resuming checks (Drive uploads in the background: a
    session that dies mid-upload can leave a mixed folder). Nothing is deleted (a file deleted through the Drive
    mount goes to Drive's trash and still counts): once `keep` checkpoints exist, the oldest is renamed to the
    new .tmp and its files overwritten in place (a leftover .tmp of an interrupted write is reused first), so the
    newest complete checkpoint stays intact while the next is written."""
    final = root / f"step-{state['step']:07d}"
    tmp = root / f"step-{state['step']:07d}.tmp"
    if acc.is_main_process:
        previous, stale = _checkpoints(root), sorted(root.glob("step-*.tmp")) if root.is_dir() else []
        if tmp.exists():
            pass                                   # a leftover of this very step: written over below
        elif final.exists():
            os.replace(final, tmp)                 # this step written before (a resumed run): written over
        elif stale:
            os.replace(stale[0], tmp)
        elif len(previous) >= max(keep, 1):
            os.replace(previous[0], tmp)           # the oldest: incomplete (never resumed) until renamed back
        else:
            tmp.mkdir(parents=True)
    acc.wait_for_everyone()
    acc.save_state(str(tmp), safe_serialization=False)
    if acc.is_main_process:
        sizes = {str(f.relative_to(tmp)): f.stat().st_size for f in sorted(tmp.rglob("*"))
                 if f.is_file() and f.name != STATE_FILE}
        with open(tmp / STATE_FILE, "w") as f:
            json.dump({"state": state, "history": history, "fingerprint": fingerprint, "sizes": sizes}, f)
        os.replace(tmp, final)
    acc.wait_for_everyone()
    return final


def _complete(path: Path) -> bool:
    """Whether a checkpoint's files are the sizes its state file recorded (older checkpoints recorded none)."""
    try:
        sizes = json.loads((path / STATE_FILE).read_text()).get("sizes")
    except (OSError, ValueError):
        return False
    return sizes is None or all((path / name).is_file() and (path / name).stat().st_size == size
                                for name, size in sizes.items())


def _empty(folder: Path) -> None:
    """Every file of `folder` truncated to nothing in place (not deleted: see _save_checkpoint)."""
    for f in folder.rglob("*"):
        if f.is_file():
            open(f, "wb").close()


def _save_final(loop: _Loop, state: dict, history: dict) -> None:
    """A finished run's weights (no optimizer state: a third of the size) and history, written to a fresh folder
    and renamed `final`; only then do the run's checkpoints go (on Drive: emptied in place, their files truncated
    and their folders renamed .tmp), so a disconnect at any moment leaves a complete final or a checkpoint.
    With the checkpoints on Drive, a run that trained less than loop.final_seconds and wrote no checkpoint keeps
    its final on the local disk. A final that is there already (a run again with resume=False) is written over."""
    acc = loop.acc
    weights = acc.get_state_dict(loop.model)
    previous = _checkpoints(loop.folder)
    short = loop.save_seconds is not None and loop.on_drive and state["seconds"] < loop.final_seconds and not previous
    folder = loop.local_folder if short else loop.folder
    if acc.is_main_process:
        final, tmp = folder / "final", folder / "final.tmp"
        target = final if final.is_dir() else tmp   # written over in place, or a fresh folder renamed when complete
        target.mkdir(parents=True, exist_ok=True)
        if target == final:
            open(target / STATE_FILE, "wb").close()   # unreadable until rewritten below: never half-trusted
        torch.save(weights, target / WEIGHTS_FILE)
        with open(target / STATE_FILE, "w") as f:
            json.dump({"state": state, "history": history, "fingerprint": loop.fingerprint}, f)
        if target == tmp:
            os.replace(tmp, final)
        for old in previous:
            if loop.on_drive:   # emptied in place and set aside for reuse: deleted, it would sit in Drive's trash
                _empty(old)
                aside = old.with_name(old.name + ".tmp")
                n = 1
                while aside.exists():   # a leftover .tmp of the same step: a name of its own
                    aside, n = old.with_name(f"{old.name}.{n}.tmp"), n + 1
                os.replace(old, aside)
            else:
                shutil.rmtree(old, ignore_errors=True)
    acc.wait_for_everyone()


def _load_final(loop: _Loop, path: Path) -> tuple[dict, dict]:
    try:
        meta = json.loads((path / STATE_FILE).read_text())
        weights = torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        loop.acc.unwrap_model(loop.model).load_state_dict(weights)
    except Exception as err:  # unreadable json, torch/pickle errors, mismatched keys: all one thing here
        first_line = (str(err).strip().splitlines() or [""])[0][:160]
        raise CheckpointError(f"The final weights in {path} are unreadable ({type(err).__name__}: {first_line}). "
                              f"Delete that folder to train the run again.") from err
    return meta["state"], meta["history"]


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
    if saved.get("config") != fingerprint["config"] or saved.get("examples", fingerprint["examples"]) != fingerprint["examples"]:
        raise CheckpointError(f"Checkpoint {path} was written with different training settings (lr, steps, "
                              f"batch, scheduler, seed or number of examples). Use the same TrainConfig, a new "
                              f"output_dir, or resume=False.")
    try:
        acc.load_state(str(path))
    except Exception as err:  # torch/pickle errors of many kinds all mean the same here
        first_line = (str(err).strip().splitlines() or [""])[0][:160]
        raise CheckpointError(f"Checkpoint {path} is corrupt ({type(err).__name__}: {first_line}). Delete that "
                              f"folder to resume from the one before, or set resume=False.") from err
    return state, history
