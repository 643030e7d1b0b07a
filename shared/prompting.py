"""In-context classification and decoder classifiers for a4, around the notebook's own functions.

    icl_sweep(model, tokenizer, train, dev, build_prompt, label_word_logprobs,
              contextual_calibration, template, label_words, shots=(0, 1, 4, 8), seeds=(0, 1, 2))
        -> one row per (shots, seed): accuracy with and without calibration, and the
           mean probability of each label before and after calibration
    finetune_classifier(model, data, tokenizer, config, profile)   # train, then dev accuracy
"""
from __future__ import annotations

import random
import time
from dataclasses import replace

import torch
from tqdm.auto import tqdm

from .train import TrainConfig, train

CONTENT_FREE = ("N/A", "[MASK]", "")


def sample_examples(train, k: int, seed: int, label_words: list[str]) -> list[tuple[str, str]]:
    """k (sentence, label word) pairs drawn at random (seeded) from the training split, in random order."""
    rng = random.Random(seed)
    idx = rng.sample(range(len(train)), k) if k else []
    return [(train[i]["sentence"], label_words[train[i]["label"]].strip()) for i in idx]


@torch.no_grad()
def icl_sweep(model, tokenizer, train, dev, build_prompt_fn, logprob_fn, calibrate_fn, template: dict,
              label_words: list[str], shots=(0, 1, 4, 8), seeds=(0, 1, 2), content_free=CONTENT_FREE,
              batch_size: int = 8) -> list[dict]:
    """Option 1 (label words from the LM head) at several shot counts and random example draws.

    Zero-shot prompts have no examples, so they are scored once (seed 0) whatever `seeds` says.
    """
    labels = torch.tensor(dev["label"])
    rows = []
    runs = [(k, s) for k in shots for s in (seeds if k else seeds[:1])]
    for k, seed in tqdm(runs, desc="prompting runs"):
        t0 = time.perf_counter()
        examples = sample_examples(train, k, seed, label_words)
        prompts = [build_prompt_fn(x, examples, template) for x in dev["sentence"]]
        lp = logprob_fn(model, tokenizer, prompts, label_words, batch_size=batch_size)
        probs = lp.float().softmax(-1)             # renormalised over the label words
        cf = logprob_fn(model, tokenizer, [build_prompt_fn(c, examples, template) for c in content_free],
                        label_words, batch_size=batch_size).float().softmax(-1)
        cal = calibrate_fn(probs, cf)
        rows.append({"shots": k, "seed": seed, "accuracy": float((probs.argmax(-1) == labels).float().mean()),
                     "calibrated_accuracy": float((cal.argmax(-1) == labels).float().mean()),
                     **{f"p_{w.strip()}": float(probs[:, i].mean()) for i, w in enumerate(label_words)},
                     **{f"p_{w.strip()}_calibrated": float(cal[:, i].mean()) for i, w in enumerate(label_words)},
                     **{f"p_cf_{w.strip()}": float(cf.mean(0)[i]) for i, w in enumerate(label_words)},
                     "seconds": round(time.perf_counter() - t0, 1)})
    return rows


def tokenize_sentences(split, tokenizer, max_length: int = 128):
    def prep(batch):
        enc = tokenizer(batch["sentence"], truncation=True, max_length=max_length)
        enc["labels"] = batch["label"]
        return enc
    return split.map(prep, batched=True, remove_columns=split.column_names)


def count_trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def finetune_classifier(model, data, tokenizer, config: TrainConfig, profile=None, max_length: int = 128) -> dict:
    """Train a sequence classifier (any module whose forward returns .loss and .logits) and score dev accuracy."""
    from transformers import DataCollatorWithPadding
    from .mlm import evaluate_accuracy
    if profile is not None and profile.max_steps:
        config = replace(config, max_steps=profile.max_steps)
    train_set = tokenize_sentences(data["train"], tokenizer, max_length)
    dev_set = tokenize_sentences(data["validation"], tokenizer, max_length)
    t0 = time.perf_counter()
    res = train(model, train_set, config, collate_fn=DataCollatorWithPadding(tokenizer))
    scores = evaluate_accuracy(res.model, dev_set, tokenizer)
    return {**scores, "trainable_parameters": count_trainable(model), "steps": res.steps,
            "seconds": round(time.perf_counter() - t0, 1), "history": res.history}
