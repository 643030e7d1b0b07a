"""Multi-task and instruction fine-tuning for a5, around the notebook's own functions.

    ner_spans(tokens, tags, names)                 # [(entity text, type), ...] from IOB2 tags
    mixture_dataset(features, sampler)             # the sampler's batches, in order, as one Dataset
    train_in_order(model, dataset, config, collate)  # shared.train without shuffling
    generate_answers(model, tokenizer, sources)    # greedy answers, batched (seq2seq or causal)
    score(task, predictions, references)           # accuracy / SQuAD F1 / entity F1, one number per task
    item_scores(task, predictions, references)     # the same, item by item (for paired comparisons)
    short_passages(dataset, sentences)             # QA passages cut to a window of sentences around the answer
"""
from __future__ import annotations

from dataclasses import replace

from .metrics import squad_pair
from .train import TrainConfig, cap_steps, train

SCORES = {"sentiment": "accuracy", "qa": "F1", "ner": "entity F1", "person": "exact match"}


def ner_spans(tokens: list[str], tags: list[int], names: list[str]) -> list[tuple[str, str]]:
    """Entities of an IOB2-tagged sentence as (text, type) pairs, in order."""
    spans, current = [], None
    for word, tag in zip(tokens, tags):
        name = names[tag]
        if name.startswith("B-") or (name.startswith("I-") and (current is None or current[1] != name[2:])):
            current = ([word], name[2:])
            spans.append(current)
        elif name.startswith("I-"):
            current[0].append(word)
        else:
            current = None
    return [(" ".join(words), kind) for words, kind in spans]


def mixture_dataset(features: dict, sampler):
    """Lay the sampler's batches out in order: batch i is rows [i*B, (i+1)*B) of the returned Dataset.

    features: task -> datasets.Dataset of model inputs; sampler yields lists of (task, index).
    Each row keeps its task name in a "task" column (drop it before training).
    """
    from datasets import Dataset
    rows = []
    for batch in sampler:
        for task, i in batch:
            rows.append({**features[task][int(i)], "task": task})
    if not rows:
        raise ValueError("The sampler yielded no batch: check num_batches.")
    return Dataset.from_list(rows)


def train_in_order(model, dataset, config: TrainConfig, collate_fn, profile=None):
    """shared.train over `dataset` in its order (shuffle off), so that each minibatch is one sampler batch."""
    config = replace(cap_steps(config, profile), shuffle=False)
    cols = [c for c in dataset.column_names if c != "task"]
    return train(model, dataset.select_columns(cols), config, collate_fn=collate_fn)


def generate_answers(model, tokenizer, sources: list[str], *, max_new_tokens: int = 16, batch_size: int = 16,
                     desc: str = "generating") -> list[str]:
    """Greedy answers to each source. Causal models get left padding (the answer follows the prompt)
    and keep only the first line of what they generate. A source longer than the model's positions
    allow is cut: a causal prompt from the left (its question and "Answer:" come last), an
    encoder-decoder's from the right."""
    from .generation import generate_batched
    causal = not model.config.is_encoder_decoder
    positions = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", None)
    max_length = min(512, positions - max_new_tokens) if causal and positions else 512
    ids = generate_batched(model, tokenizer, sources, batch_size=batch_size, side="left" if causal else "right",
                           add_special_tokens=True, max_length=max_length, desc=desc, max_new_tokens=max_new_tokens,
                           do_sample=False)
    return [text.strip().split("\n")[0].strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]


def _norm(s: str) -> str:
    """SQuAD's official normalisation, as torchmetrics implements it (lower case, no punctuation or
    articles, single spaces): for label words, entity strings and person names."""
    from torchmetrics.functional.text.squad import _normalize_text
    return _normalize_text(s)


def _f1(pred: str, gold: str) -> float:
    return squad_pair(pred, gold)[1]


def _entities(text: str) -> set[str]:
    return {_norm(e) for e in text.split(";") if _norm(e) and _norm(e) != "none"}


def item_scores(task: str, predictions: list[str], references: list[str]) -> list:
    """`score`, item by item: 0/1 for sentiment and person, token F1 for QA, and for NER a
    (true positives, predicted, gold) triple per sentence (entity F1 pools them: `score` does)."""
    if len(predictions) != len(references):
        raise ValueError("One prediction per reference.")
    if task == "sentiment":
        return [float((_norm(p).split() or [""])[0] == _norm(r)) for p, r in zip(predictions, references)]
    if task == "qa":
        return [_f1(p, r) for p, r in zip(predictions, references)]
    if task == "person":
        return [squad_pair(p, r)[0] for p, r in zip(predictions, references)]
    if task == "ner":
        return [(len(_entities(p) & _entities(r)), len(_entities(p)), len(_entities(r)))
                for p, r in zip(predictions, references)]
    raise KeyError(f"Unknown task '{task}': one of {', '.join(SCORES)}.")


def pooled(task: str, items: list) -> float:
    """The task's one number from `item_scores`: the mean, or for NER the entity F1 of the pooled counts."""
    if not items:
        return 0.0
    if task == "ner":
        from .tracking import f1_from_counts
        return f1_from_counts(items)
    return sum(items) / len(items)


def short_passages(dataset, sentences: int = 5, seed: int = 0):
    """QA rows with each passage cut to `sentences` consecutive sentences that hold the answer (the
    window's place around the answer drawn with `seed`), answer_start moved to match. Offline this makes
    a QA example about a third as long, so instruction tuning can afford it on a CPU."""
    import random
    import re
    rng = random.Random(seed)

    def cut(row):
        ctx, start = row["context"], row["answers"]["answer_start"][0]
        end = start + len(row["answers"]["text"][0])
        bounds = [0] + [m.end() for m in re.finditer(r"(?<=\.)\s+(?=[A-Z0-9])", ctx)] + [len(ctx) + 1]
        first = max(i for i in range(len(bounds) - 1) if bounds[i] <= start)
        last = min(i for i in range(len(bounds) - 1) if bounds[i + 1] - 1 >= end)
        room = max(0, sentences - (last - first + 1))
        lo = max(0, first - rng.randint(0, room))
        hi = min(len(bounds) - 1, max(last + 1, lo + sentences))
        lo = max(0, min(lo, hi - sentences))
        raw = ctx[bounds[lo]:bounds[hi] - (1 if hi == len(bounds) - 1 else 0)]
        shift = bounds[lo] + len(raw) - len(raw.lstrip())
        text = raw.strip()
        kept = [(a, s - shift) for a, s in zip(row["answers"]["text"], row["answers"]["answer_start"])
                if 0 <= s - shift and s - shift + len(a) <= len(text)]   # the first answer always; others if inside
        return {"context": text, "answers": {"text": [a for a, _ in kept], "answer_start": [s for _, s in kept]}}
    return dataset.map(cut)


def score(task: str, predictions: list[str], references: list[str]) -> float:
    """One number per task, in [0, 1]: sentiment accuracy (first word), QA token F1 and person exact
    match (SQuAD's official scoring, torchmetrics), NER entity F1 over the "TYPE: text" items: the
    pooled `item_scores`."""
    return pooled(task, item_scores(task, predictions, references))
