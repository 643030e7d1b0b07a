"""In-context classification and decoder classifiers for a4, around the notebook's own functions.

    icl_sweep(model, tokenizer, train, dev, build_prompt_fn=build_prompt, logprob_fn=label_word_logprobs,
              calibrate_fn=contextual_calibration, template=template, label_words=label_words,
              shots=(0, 1, 4, 8), seeds=(0, 1, 2))
        -> one row per (shots, seed): accuracy with and without calibration (and each sentence's 0/1,
           "correct" and "calibrated_correct", for paired tests), and the mean probability of each
           label before and after calibration

    with own_attention(model, causal_self_attention): ...   # the model's attention is the student's function

    SharedPrefix(model)   # the same logits, the keys and values of what a batch's prompts share computed once

icl_sweep scores through SharedPrefix: a few-shot prompt's examples are the same for every dev sentence, so
only each sentence's own tokens cost a forward pass (a4's offline recording, 480 sentences on 2 cores: 34 s a
zero-shot run, 39-46 s an 8-shot one; docs/benchmarks.md).

Its fine-tuning half (option 2) uses shared.classify: finetune_classifier, count_trainable.
"""
from __future__ import annotations

import contextlib
import copy
import math
import random
import time

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["CONTENT_FREE", "sample_examples", "icl_sweep", "own_attention", "SharedPrefix"]
CONTENT_FREE = ("N/A", "[MASK]", "")
OWN_ATTENTION = "course_own_attention"   # the attention implementation own_attention registers


def sample_examples(train, k: int, seed: int, label_words: list[str]) -> list[tuple[str, str]]:
    """k (sentence, label word) pairs drawn at random (seeded) from the training split, balanced over the labels
    (k // L of each; the labels of the k % L left over drawn at random), in random order. A draw then varies which
    examples and their order, not how many of each label: a prompt of 3 negatives and 1 positive would tilt the
    model towards "negative" (the majority-label bias of "Calibrate Before Use") by the luck of the draw."""
    if not k:
        return []
    rng = random.Random(seed)
    by_label: dict[int, list[int]] = {}
    for i, y in enumerate(train["label"]):
        by_label.setdefault(y, []).append(i)
    labels = sorted(by_label)
    counts = {y: k // len(labels) for y in labels}
    for y in rng.sample(labels, k % len(labels)):
        counts[y] += 1
    idx = [i for y in labels for i in rng.sample(by_label[y], counts[y])]
    rng.shuffle(idx)
    return [(train[i]["sentence"], label_words[train[i]["label"]].strip()) for i in idx]


class SharedPrefix(nn.Module):
    """A causal LM that runs the tokens every row of a batch shares (a few-shot prompt's examples) once, keeps their
    keys and values (past_key_values), and runs each row's own tokens on top: the same logits as the model, up to
    float rounding, at every real position. Right padding only (a4's convention); any other call (left padding,
    extra arguments, fewer than `min_shared` shared tokens, a model in training mode or running the student's own
    attention, which knows no cache) goes to the model unchanged. The shared part is remembered between calls, so
    consecutive batches of one few-shot draw reuse it: one wrapper per frozen model. Anything else (dtype,
    get_input_embeddings, ...) is the model's."""

    def __init__(self, model, min_shared: int = 8):
        import inspect
        super().__init__()
        self.model, self.min_shared = model, min_shared
        self._prefix = None            # (token ids, past_key_values, logits) of the shared tokens
        # transformers >= 5.2x names the forward's cache argument `cache`, earlier versions `past_key_values`
        self._cache_argument = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)          # parameters, buffers, submodules (the model itself)
        except AttributeError:
            if name == "model":
                raise
            return getattr(self.model, name)

    def _shared_length(self, input_ids, lengths) -> int:
        """How many leading tokens every row shares, leaving each row at least one token of its own."""
        most = int(lengths.min()) - 1
        rows = input_ids[:, :max(most, 0)]
        same = (rows == rows[:1]).all(0)
        n = int(same.long().cumprod(0).sum()) if len(same) else 0
        if self._prefix is not None:   # the remembered prefix, if every row starts with it
            known = self._prefix[0]
            if len(known) <= n and torch.equal(rows[0, :len(known)].cpu(), known):
                return len(known)
        return n

    def forward(self, input_ids, attention_mask=None, **kwargs):
        own_attention_on = getattr(self.model.config, "_attn_implementation", None) == OWN_ATTENTION
        if kwargs or attention_mask is None or input_ids.size(0) < 2 or self.model.training or own_attention_on:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        lengths = attention_mask.sum(1)
        positions = torch.arange(attention_mask.size(1), device=attention_mask.device)
        if not torch.equal(attention_mask.bool(), positions < lengths[:, None]):   # not right-padded
            return self.model(input_ids=input_ids, attention_mask=attention_mask)
        n = self._shared_length(input_ids, lengths)
        if n < self.min_shared:
            return self.model(input_ids=input_ids, attention_mask=attention_mask)
        ids = input_ids[0, :n].detach().cpu()
        if self._prefix is None or not torch.equal(self._prefix[0], ids):
            with torch.no_grad():
                out = self.model(input_ids=input_ids[:1, :n], use_cache=True)
            kept = out.get("cache")   # the output field, named as the argument is
            self._prefix = (ids, kept if kept is not None else out.get("past_key_values"), out.logits.detach())
        cache = copy.deepcopy(self._prefix[1])
        cache.batch_repeat_interleave(input_ids.size(0))
        out = self.model(input_ids=input_ids[:, n:], attention_mask=attention_mask, use_cache=True,
                         **{self._cache_argument: cache})
        from transformers.modeling_outputs import CausalLMOutput
        shared = self._prefix[2].to(out.logits.dtype).expand(input_ids.size(0), -1, -1)
        return CausalLMOutput(logits=torch.cat([shared, out.logits], dim=1))


@torch.no_grad()
def icl_sweep(model, tokenizer, train, dev, *, build_prompt_fn, logprob_fn, calibrate_fn, template: dict,
              label_words: list[str], shots=(0, 1, 4, 8), seeds=(0, 1, 2), content_free=CONTENT_FREE,
              batch_size: int = 8) -> list[dict]:
    """Option 1 (label words from the LM head) at several shot counts and random example draws.

    Zero-shot prompts have no examples, so they are scored once (seed 0) whatever `seeds` says.
    """
    labels = torch.tensor(dev["label"])
    scorer = SharedPrefix(model)   # the examples' keys and values once per draw: the same scores, far fewer passes
    rows = []
    runs = [(k, s) for k in shots for s in (seeds if k else seeds[:1])]
    for k, seed in tqdm(runs, desc="prompting runs"):
        t0 = time.perf_counter()
        examples = sample_examples(train, k, seed, label_words)
        prompts = [build_prompt_fn(x, examples, template) for x in dev["sentence"]]
        lp = logprob_fn(scorer, tokenizer, prompts, label_words, batch_size=batch_size)
        probs = lp.float().softmax(-1)             # renormalised over the label words
        cf = logprob_fn(scorer, tokenizer, [build_prompt_fn(c, examples, template) for c in content_free],
                        label_words, batch_size=batch_size).float().softmax(-1)
        cal = calibrate_fn(probs, cf)
        right, cal_right = (probs.argmax(-1) == labels).long(), (cal.argmax(-1) == labels).long()
        rows.append({"shots": k, "seed": seed, "accuracy": float(right.float().mean()),
                     "calibrated_accuracy": float(cal_right.float().mean()),
                     "correct": right.tolist(), "calibrated_correct": cal_right.tolist(),   # per sentence: paired tests
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
def own_attention(model, fn, name: str = OWN_ATTENTION):
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

