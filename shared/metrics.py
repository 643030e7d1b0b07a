"""Metrics that work offline.

`evaluate.load(...)` fetches its scripts from the hub, which fails without internet, so the course
ships accuracy and F1 as metric modules in shared/metric_modules/ and loads them by path. SQuAD's
EM/F1 is a1's graded work, so it is not here: a1 scores its models with the students' own functions,
a5 with torchmetrics' implementation of the official script (`squad_pair`). Entity-level NER F1 is
seqeval's, the CoNLL standard.

    squad_pair(prediction, gold)                                      # (exact match, F1) in [0, 1]
    load_metric("accuracy") / load_metric("f1")
    ner_f1(true_tag_sequences, predicted_tag_sequences)               # precision, recall, f1
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MODULES = Path(__file__).resolve().parent / "metric_modules"


@lru_cache(maxsize=None)
def load_metric(name: str):
    import evaluate
    path = MODULES / name
    if not (path / f"{name}.py").exists():
        known = sorted(p.name for p in MODULES.iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise ValueError(f"No shipped metric '{name}'. Shipped metrics: {', '.join(known)}.")
    return evaluate.load(str(path))


def squad_pair(prediction: str, gold: str) -> tuple[float, float]:
    """SQuAD v1.1 exact match and F1 of one prediction against one gold answer (torchmetrics), in [0, 1]."""
    from torchmetrics.functional.text import squad
    out = squad([{"prediction_text": prediction, "id": "0"}], [{"answers": {"text": [gold], "answer_start": [0]},
                                                                 "id": "0"}])
    return float(out["exact_match"]) / 100, float(out["f1"]) / 100


def ner_f1(y_true: list[list[str]], y_pred: list[list[str]]) -> dict:
    """Entity-level precision, recall and F1 (seqeval, IOB2 as in CoNLL-2003)."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    if len(y_true) != len(y_pred) or any(len(t) != len(p) for t, p in zip(y_true, y_pred)):
        raise ValueError("ner_f1 needs one predicted tag per gold tag, sentence by sentence.")
    return {"precision": float(precision_score(y_true, y_pred)), "recall": float(recall_score(y_true, y_pred)),
            "f1": float(f1_score(y_true, y_pred))}


def ner_counts(y_true: list[list[str]], y_pred: list[list[str]]) -> list[tuple[int, int, int]]:
    """Per sentence: (entities predicted exactly right, entities predicted, gold entities), as seqeval counts
    them; summed, 2 * right / (predicted + gold) is ner_f1's F1. The items of a paired comparison of two taggers."""
    from seqeval.metrics.sequence_labeling import get_entities
    out = []
    for t, p in zip(y_true, y_pred):
        gold, pred = set(get_entities(t)), set(get_entities(p))
        out.append((len(gold & pred), len(pred), len(gold)))
    return out
