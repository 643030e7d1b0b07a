"""SQuAD v1.1 exact match and F1, as an `evaluate` module that needs no internet.

The scoring is the official v1.1 script's: answers are normalised (lower case,
punctuation removed, the articles a/an/the removed, whitespace collapsed), then
exact match and token-overlap F1 are taken, each the maximum over the gold
answers, and averaged over questions as percentages.

    evaluate.load("shared/metric_modules/squad_v1")  # or shared.metrics.load_metric("squad_v1")
    predictions=[{"id": ..., "prediction_text": ...}], references=[{"id": ..., "answers": {"text": [...], "answer_start": [...]}}]
"""
import re
import string
from collections import Counter

import datasets
import evaluate


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


class SquadV1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="SQuAD v1.1 exact match and F1 (offline copy of the official script's scoring).",
            citation="Rajpurkar et al., 2016. SQuAD: 100,000+ Questions for Machine Comprehension of Text.",
            inputs_description=__doc__,
            features=datasets.Features({
                "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
                "references": {"id": datasets.Value("string"),
                               "answers": datasets.Sequence({"text": datasets.Value("string"),
                                                             "answer_start": datasets.Value("int32")})},
            }),
        )

    def _compute(self, predictions, references):
        gold = {r["id"]: r["answers"]["text"] for r in references}
        em = f1 = 0.0
        for p in predictions:
            if p["id"] not in gold:
                raise ValueError(f"Prediction for id {p['id']!r} has no reference.")
            em += max_over_ground_truths(exact_match_score, p["prediction_text"], gold[p["id"]])
            f1 += max_over_ground_truths(f1_score, p["prediction_text"], gold[p["id"]])
        n = max(len(predictions), 1)
        return {"exact_match": 100.0 * em / n, "f1": 100.0 * f1 / n}
