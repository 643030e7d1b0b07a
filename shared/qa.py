"""Extractive QA plumbing for a1: evaluation features, prediction, and one-line experiment runs.

Students write the functions that carry the ideas (turning answers into token labels, logits
back into answer text, and the SQuAD metric that scores the result); this module does the rest:

    prepare_validation_features(examples, tok, max_length, doc_stride)
        windows of each dev example, keeping its id and the context offsets
        (None for question and special tokens) for postprocessing
    predict_logits(model, features, collate)      -> (start_logits, end_logits) arrays
    evaluate_qa(model, tok, dev, postprocess_fn=, metric_fns=(exact_match, f1), ...)  -> {"exact_match", "f1"}
    QARun + run_qa(run, data, prepare_train_fn=, ...)    one training run, evaluated and logged
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np
import torch

from .data import DataCollatorWithPadding, subset
from .models import load_model, load_tokenizer
from .tracking import ExperimentLog
from .train import TrainConfig, evaluating, train


def prepare_validation_features(examples, tokenizer, max_length: int, doc_stride: int):
    """Tokenize question + context in overlapping windows; keep example ids and context offsets."""
    enc = tokenizer([q.lstrip() for q in examples["question"]], examples["context"], truncation="only_second",
                    max_length=max_length, stride=doc_stride, return_overflowing_tokens=True,
                    return_offsets_mapping=True)
    sample_map = enc.pop("overflow_to_sample_mapping")
    enc["example_id"] = []
    for i in range(len(enc["input_ids"])):
        seq_ids = enc.sequence_ids(i)
        enc["example_id"].append(examples["id"][sample_map[i]])
        # Only context tokens keep an offset: postprocessing can then never pick a question token.
        enc["offset_mapping"][i] = [o if seq_ids[k] == 1 else None for k, o in enumerate(enc["offset_mapping"][i])]
    return enc


@torch.no_grad()
def predict_logits(model, features, tokenizer, batch_size: int = 64):
    """Start and end logits for every feature, as float32 arrays of shape (n_features, max_len) padded with -inf."""
    cols = [c for c in ("input_ids", "attention_mask", "token_type_ids") if c in features.column_names]
    collate = DataCollatorWithPadding(tokenizer)
    starts, ends = [], []
    with evaluating(model) as device:
        for i in range(0, len(features), batch_size):
            rows = features.select(range(i, min(i + batch_size, len(features))))
            batch = collate([{c: r[c] for c in cols} for r in rows])
            out = model(**{k: v.to(device) for k, v in batch.items()})
            starts += [s for s in out.start_logits.float().cpu().numpy()]
            ends += [e for e in out.end_logits.float().cpu().numpy()]
    model.eval()   # as before: the model is left in eval mode
    width = max(len(s) for s in starts)
    pad = lambda xs: np.stack([np.pad(x, (0, width - len(x)), constant_values=-np.inf) for x in xs])  # noqa: E731
    return pad(starts), pad(ends)


def evaluate_qa(model, tokenizer, dev, *, postprocess_fn: Callable, metric_fns: tuple[Callable, Callable],
                max_length: int, doc_stride: int, n_best: int = 20, max_answer_length: int = 30) -> dict:
    """EM/F1 (percent) of `model` on the examples `dev`, decoding with the student's postprocess_fn and
    scoring with the student's metric: metric_fns = (exact_match, f1), each (prediction, gold answers) -> [0, 1]."""
    features = dev.map(prepare_validation_features, batched=True, remove_columns=dev.column_names,
                       fn_kwargs=dict(tokenizer=tokenizer, max_length=max_length, doc_stride=doc_stride))
    start, end = predict_logits(model, features, tokenizer)
    answers = postprocess_fn(dev, features, start, end, n_best=n_best, max_answer_length=max_answer_length)
    exact_match, f1 = metric_fns
    pairs = [(answers.get(ex["id"], ""), ex["answers"]["text"]) for ex in dev]
    f1_items = [float(f1(p, g)) for p, g in pairs]   # per question, in dev order: the items of a paired comparison
    return {"exact_match": 100 * sum(exact_match(p, g) for p, g in pairs) / len(pairs),
            "f1": 100 * sum(f1_items) / len(pairs), "f1_items": f1_items}


@dataclass
class QARun:
    """One experiment of a1: which model, how much data, and how it is trained."""
    name: str
    model: str                         # a model spec (see shared.profiles)
    train_examples: int | None = None  # None = the whole training split
    epochs: float = 1.0                # 0: no training at all (the pretrained encoder with its new, random head)
    lr: float = 3e-5
    batch_size: int = 16
    scheduler: str = "linear"
    warmup_ratio: float = 0.1
    max_length: int = 384
    doc_stride: int = 128
    from_scratch: bool = False         # same architecture, random weights: what pretraining is worth
    dropout: float | None = None       # every dropout rate of the model; None: the checkpoint's own (0.1)
    seed: int = 0                      # the new head's initial weights and the order of the batches
    data_seed: int | None = None       # which questions a subset of train_examples draws; None: `seed`'s draw
    extra: dict = field(default_factory=dict)

    def but(self, **changes) -> "QARun":
        return replace(self, **changes)


# The most windows one forward and backward pass takes (a larger batch_size that it divides is accumulated):
# a process that runs all-MiniLM-L6-v2 forward and backward on 128 windows of 192 tokens peaks at 4.13 GiB on a
# CPU, on 32 at 1.43 GiB (`python tools/bench_step.py --memory 16 32 128`, docs/benchmarks.md): a laptop's share.
MICRO_BATCH = 32


def micro_batches(batch_size: int) -> int:
    """Into how many equal micro-batches of at most MICRO_BATCH windows a batch is split (fewest that divide it; 1,
    one pass, where that would leave micro-batches of under 8, as for a prime size). The same step for a full
    batch; an epoch's last, partial batch is not an exact mean over its windows (Accelerate divides each
    micro-batch's loss by the micro-batches a full step has)."""
    accum = -(-batch_size // MICRO_BATCH)
    while batch_size % accum:
        accum += 1
    return accum if batch_size // accum >= 8 else 1


def _tag(run: QARun) -> dict:
    """What makes the run itself, for its checkpoints' folder: dropout and data_seed only when set, so that
    runs from before those fields existed keep their checkpoints."""
    tag = {**asdict(run), "name": None, "extra": None}
    for optional in ("dropout", "data_seed"):
        if tag[optional] is None:
            del tag[optional]
    return tag


def run_qa(run: QARun, data, *, prepare_train_fn: Callable, postprocess_fn: Callable,
           metric_fns: tuple[Callable, Callable], profile,
           log: ExperimentLog | None = None, output_dir: str = "runs/a1", time_only: bool = False) -> dict:
    """Train `run` on data["train"], evaluate EM/F1 on data["validation"], log and return the row.

    In the smoke profile (tests, grading) steps are capped by the profile, so it takes seconds.
    """
    from transformers import AutoConfig, AutoModelForQuestionAnswering
    tok = load_tokenizer(run.model)
    max_length = min(run.max_length, profile.max_length)
    stride = min(run.doc_stride, max_length // 2)
    train_ex = subset(data["train"], run.train_examples, seed=run.seed if run.data_seed is None else run.data_seed)
    feats = train_ex.map(prepare_train_fn, batched=True, remove_columns=train_ex.column_names,
                         fn_kwargs=dict(tokenizer=tok, max_length=max_length, doc_stride=stride))
    from accelerate.utils import set_seed
    set_seed(run.seed)  # the new QA head's initial weights: identical configs give identical runs
    if run.from_scratch:
        from .models import resolve
        model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(resolve(run.model)))
    else:
        model = load_model(AutoModelForQuestionAnswering, run.model)
    accum = micro_batches(run.batch_size)   # a large batch: the same step, accumulated in a bounded memory
    cfg = TrainConfig(output_dir=f"{output_dir}/{run.name}", epochs=run.epochs, lr=run.lr,
                      batch_size=run.batch_size // accum, grad_accum=accum,
                      scheduler=run.scheduler, warmup_ratio=run.warmup_ratio,
                      seed=run.seed, max_steps=profile.max_steps, log_every=5, dropout=run.dropout,
                      tag=json.dumps(_tag(run), sort_keys=True, default=str))
    if time_only:  # a short timed run to extrapolate the time per epoch on this device
        steps = min(10, profile.max_steps or 10)
        res = train(model, feats, cfg.but(max_steps=steps, progress=False, resume=False, save_every=0),
                    collate_fn=DataCollatorWithPadding(tok))
        per_step = res.seconds / res.steps
        steps_per_epoch = -(-len(feats) // run.batch_size)
        return {"seconds_per_step": per_step, "steps_per_epoch": steps_per_epoch,
                "seconds_per_epoch": per_step * steps_per_epoch}
    t0 = time.perf_counter()
    if run.epochs == 0:   # the untrained model: what the head scores before any step (a floor)
        steps, seconds, history = 0, 0.0, {"train": [], "eval": []}
    else:
        res = train(model, feats, cfg, collate_fn=DataCollatorWithPadding(tok))
        model, steps, seconds, history = res.model, res.steps, res.seconds, res.history
    scores = evaluate_qa(model, tok, data["validation"], postprocess_fn=postprocess_fn, metric_fns=metric_fns,
                         max_length=max_length, doc_stride=stride)
    row = {"run": run.name, **scores, "train_examples": len(train_ex) if steps else 0, "train_features": len(feats),
           "steps": steps, "train_seconds": round(seconds, 1),
           "total_seconds": round(time.perf_counter() - t0, 1), "history": history}
    if log is not None:
        log.add(run.name, run, {k: v for k, v in row.items() if k not in ("run", "history", "f1_items")},
                profile=profile.name)
    return row
