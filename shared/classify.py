"""Sentence classifiers, whatever their architecture: tokenise, fine-tune with shared.train, score.

Used by a2 (pooled heads on an MLM encoder) and a4 (decoder-only classifiers):
    finetune_classifier(model, data, tokenizer, config, profile=profile)   # train, then dev accuracy
    count_trainable(model)                                         # parameters that get gradients
    accuracy(model, rows, collate)                                 # the one accuracy loop (a3's zero-shot scorer too)
"""
from __future__ import annotations

import time

from .train import TrainConfig, cap_steps, evaluating, train


def predictions(model, rows, collate, batch_size: int, *, forward=None, readout=None):
    """(labels, predictions) batch by batch, in eval mode without gradients (shared.train.evaluating): each batch
    of `rows` collated, its "labels" taken out, the rest run through the model (or `forward(model, inputs)`) and
    read out by `readout(output)` (default: the logits' argmax over the last axis)."""
    with evaluating(model) as device:
        for start in range(0, len(rows), batch_size):
            batch = collate([rows[i] for i in range(start, min(start + batch_size, len(rows)))])
            labels = batch.pop("labels")
            inputs = {k: v.to(device) for k, v in batch.items()}
            out = forward(model, inputs) if forward else model(**inputs)
            yield labels, (readout(out) if readout else out.logits.argmax(-1)).cpu()


def accuracy(model, rows, collate, batch_size: int = 64, **how) -> dict:
    """The course's one accuracy loop: the share of `rows` whose prediction (`predictions`, with its `forward`
    and `readout`) is its label, and "correct": 0/1 per row in order (the items of a paired comparison)."""
    correct = [int(x) for labels, pred in predictions(model, rows, collate, batch_size, **how)
               for x in (pred == labels).tolist()]
    return {"accuracy": sum(correct) / max(len(rows), 1), "correct": correct}


def evaluate_accuracy(model, tokenized, tokenizer, batch_size: int = 64) -> dict:
    """Dev accuracy of a sentence classifier, and "correct": 0/1 per sentence in order."""
    from transformers import DataCollatorWithPadding
    return accuracy(model, tokenized, DataCollatorWithPadding(tokenizer), batch_size)


def tokenize_sentences(split, tokenizer, max_length: int = 128):
    """A sentence-classification split ("sentence", "label") as model inputs with "labels"."""
    def prep(batch):
        enc = tokenizer(batch["sentence"], truncation=True, max_length=max_length)
        enc["labels"] = batch["label"]
        return enc
    return split.map(prep, batched=True, remove_columns=split.column_names)


def count_trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def finetune_classifier(model, data, tokenizer, config: TrainConfig, *, profile=None, max_length: int = 128) -> dict:
    """Train a sentence classifier (any module whose forward returns .loss and .logits) on data["train"];
    accuracy on data["validation"], and how many sentences that was (`dev_examples`: compare options on
    the same sentences)."""
    from transformers import DataCollatorWithPadding
    train_set = tokenize_sentences(data["train"], tokenizer, max_length)
    dev_set = tokenize_sentences(data["validation"], tokenizer, max_length)
    t0 = time.perf_counter()
    res = train(model, train_set, cap_steps(config, profile), collate_fn=DataCollatorWithPadding(tokenizer))
    scores = evaluate_accuracy(res.model, dev_set, tokenizer)
    return {**scores, "dev_examples": len(dev_set), "trainable_parameters": count_trainable(model), "steps": res.steps,
            "seconds": round(time.perf_counter() - t0, 1), "history": res.history, "model": res.model}
