"""Metrics that work offline.

`evaluate.load("squad")` fetches its script from the hub, which fails without
internet, so the course ships its metric modules in shared/metric_modules/ and
loads them by path. Entity-level NER F1 is seqeval's, the CoNLL standard.

    load_metric("squad_v1").compute(predictions=..., references=...)  # exact_match, f1 (percent)
    squad_reference().f1_score(prediction, gold)                     # the same scoring, one pair
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


@lru_cache(maxsize=None)
def squad_reference():
    """The shipped SQuAD scoring functions as a plain module (no Arrow tables: fast for many small checks).

    ref = squad_reference(); ref.max_over_ground_truths(ref.f1_score, prediction, golds)  # 0.0-1.0
    """
    import importlib.util
    spec = importlib.util.spec_from_file_location("course_squad_v1", MODULES / "squad_v1" / "squad_v1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ner_f1(y_true: list[list[str]], y_pred: list[list[str]]) -> dict:
    """Entity-level precision, recall and F1 (seqeval, IOB2 as in CoNLL-2003)."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    if len(y_true) != len(y_pred) or any(len(t) != len(p) for t, p in zip(y_true, y_pred)):
        raise ValueError("ner_f1 needs one predicted tag per gold tag, sentence by sentence.")
    return {"precision": float(precision_score(y_true, y_pred)), "recall": float(recall_score(y_true, y_pred)),
            "f1": float(f1_score(y_true, y_pred))}
