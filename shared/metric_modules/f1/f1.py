"""F1 for classification, as an offline `evaluate` module.

average="binary" scores the class `pos_label`; "macro" averages the per-class F1
over the classes present in predictions or references; "micro" pools counts
(equal to accuracy for single-label tasks). A class never predicted nor present
has no F1; a class with no true positives scores 0.
"""
import datasets
import evaluate


def _f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


class F1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="F1 = 2 TP / (2 TP + FP + FN).", citation="", inputs_description=__doc__,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, average="binary", pos_label=1):
        pairs = list(zip(predictions, references))
        def counts(c):
            tp = sum(p == c and r == c for p, r in pairs)
            fp = sum(p == c and r != c for p, r in pairs)
            fn = sum(p != c and r == c for p, r in pairs)
            return tp, fp, fn
        if average == "binary":
            return {"f1": _f1(*counts(pos_label))}
        classes = sorted(set(predictions) | set(references))
        if average == "macro":
            return {"f1": sum(_f1(*counts(c)) for c in classes) / len(classes)}
        if average == "micro":
            tp, fp, fn = map(sum, zip(*(counts(c) for c in classes)))
            return {"f1": _f1(tp, fp, fn)}
        raise ValueError(f"average must be binary, macro or micro, not {average!r}")
