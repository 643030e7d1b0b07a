"""Accuracy, the share of predictions equal to their reference, as an offline `evaluate` module."""
import datasets
import evaluate


class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Accuracy = correct / total.", citation="", inputs_description="predictions, references: int labels",
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references):
        if not references:
            raise ValueError("accuracy of no examples is undefined")
        return {"accuracy": sum(int(p == r) for p, r in zip(predictions, references)) / len(references)}
