"""SQuAD v1.1 exact match and F1, the official script's scoring: the reference for a1's metric.

Not in shared/ (students could read it there, and a1 asks them to write it), and not in autograder/
(the grading kernel can read that): tests/ is hidden from the kernel. a1's hidden test holds a digest
of this module's scores on its 300 random cases (tests/test_metrics.py checks the digest).

The scoring is the official v1.1 script's: answers are normalised (lower case,
punctuation removed, the articles a/an/the removed, whitespace collapsed), then
exact match and token-overlap F1 are taken, each the maximum over the gold
answers, and averaged over questions as percentages.

    compute(predictions=[{"id": ..., "prediction_text": ...}],
            references=[{"id": ..., "answers": {"text": [...], "answer_start": [...]}}])
"""
import re
import string
from collections import Counter



def normalize_answer(s: str) -> str:
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def f1_score(prediction: str, ground_truth: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(ground_truth).split()
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def max_over_ground_truths(metric_fn, prediction: str, ground_truths) -> float:
    return max(metric_fn(prediction, gt) for gt in ground_truths)


def compute(predictions: list[dict], references: list[dict]) -> dict:
    """exact_match and f1 in percent, averaged over questions (the official script's evaluate())."""
    golds = {r["id"]: r["answers"]["text"] for r in references}
    em = [max_over_ground_truths(exact_match_score, p["prediction_text"], golds[p["id"]]) for p in predictions]
    f1 = [max_over_ground_truths(f1_score, p["prediction_text"], golds[p["id"]]) for p in predictions]
    return {"exact_match": 100 * sum(em) / len(em), "f1": 100 * sum(f1) / len(f1)}
