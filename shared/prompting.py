"""In-context classification and decoder classifiers for a4, around the notebook's own functions.

    icl_sweep(model, tokenizer, train, dev, build_prompt, label_word_logprobs,
              contextual_calibration, template, label_words, shots=(0, 1, 4, 8), seeds=(0, 1, 2))
        -> one row per (shots, seed): accuracy with and without calibration, and the
           mean probability of each label before and after calibration

    with own_attention(model, causal_self_attention): ...   # the model's attention is the student's function

Its fine-tuning half (option 2) uses shared.classify: finetune_classifier, count_trainable.
"""
from __future__ import annotations

import contextlib
import math
import random
import time

import torch
from tqdm.auto import tqdm

__all__ = ["CONTENT_FREE", "sample_examples", "icl_sweep", "own_attention"]
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


def _attention_from(fn):
    """transformers' attention interface around fn(x, W_q, W_k, W_v) -> (output, weights).

    The model has already projected and rotated q, k, v per head; fn projects its one input x three ways,
    so x = [q | k | v] and each W picks one third (identity blocks). The model's scaling is folded into q,
    so fn's 1/sqrt(d_k) gives the model's scale. Only fn's causal mask is applied: right padding only
    (pad tokens come after every real token, so no real token sees them)."""
    def forward(module, query, key, value, attention_mask=None, scaling=None, dropout=0.0, **kwargs):
        groups = getattr(module, "num_key_value_groups", 1)   # grouped-query attention: share k, v heads
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
        d = query.size(-1)
        if scaling is not None:
            query = query * (scaling * math.sqrt(d))
        x = torch.cat([query, key, value], dim=-1)
        eye, zero = torch.eye(d, dtype=x.dtype, device=x.device), torch.zeros(d, d, dtype=x.dtype, device=x.device)
        w_q, w_k, w_v = (torch.cat(blocks, dim=0) for blocks in ([eye, zero, zero], [zero, eye, zero], [zero, zero, eye]))
        out, weights = fn(x, w_q, w_k, w_v)
        return out.transpose(1, 2).contiguous(), weights
    return forward


@contextlib.contextmanager
def own_attention(model, fn, name: str = "course_own_attention"):
    """Inside the block every attention layer of `model` runs fn (a4: the student's causal_self_attention)."""
    from transformers import AttentionInterface
    AttentionInterface.register(name, _attention_from(fn))
    configs = [m.config for m in model.modules() if hasattr(m, "config") and hasattr(m.config, "_attn_implementation")]
    before = [c._attn_implementation for c in configs]
    for c in configs:
        c._attn_implementation = name
    try:
        yield model
    finally:
        for c, impl in zip(configs, before):
            c._attn_implementation = impl

