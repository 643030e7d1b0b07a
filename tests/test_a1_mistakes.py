"""a1: each classic mistake, planted in the solution, loses the points of the test meant for it
(and only those), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a1_qa_finetuning" / "a1_qa_finetuning.ipynb"
TESTS = ["test_prepare_train_features", "test_postprocess_predictions", "test_squad_metric"]

MISTAKES = {
    # prepare_train_features
    "end position off by one (exclusive end)": (
        "prepare_train_features", [('enc["end_positions"].append(end + 1)', 'enc["end_positions"].append(end + 2)')],
        "test_prepare_train_features"),
    "answer searched in question tokens too": (
        "prepare_train_features", [("ctx_start = seq_ids.index(1)", "ctx_start = 1")], "test_prepare_train_features"),
    "partial answer labelled as inside the window": (
        "prepare_train_features",
        [("if offsets[ctx_start][0] > start_char or offsets[ctx_end][1] < end_char:",
          "if offsets[ctx_start][0] > end_char or offsets[ctx_end][1] < start_char:")],
        "test_prepare_train_features"),
    "window labelled with another example's answer": (
        "prepare_train_features",
        [("answers = examples[\"answers\"][sample_map[i]]",
          "answers = examples[\"answers\"][min(i, len(examples[\"answers\"]) - 1)]")],
        "test_prepare_train_features"),
    # postprocess_predictions
    "best span per window instead of per example": (
        "postprocess_predictions",
        [("        best_score, best_text = -np.inf, \"\"\n        for i in by_example[ex[\"id\"]]:\n",
          "        for i in by_example[ex[\"id\"]]:\n            best_score, best_text = -np.inf, \"\"\n")],
        "test_postprocess_predictions"),
    "spans that start or end in question tokens": (
        "postprocess_predictions",
        [("if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:",
          "if s >= len(offsets) or e >= len(offsets):"),
         ("best_text = score, ex[\"context\"][offsets[s][0]:offsets[e][1]]",
          "best_text = score, ex[\"context\"][(offsets[s] or (0, 0))[0]:(offsets[e] or (0, 0))[1]]")],
        "test_postprocess_predictions"),
    "off-by-one text slice": (
        "postprocess_predictions", [("ex[\"context\"][offsets[s][0]:offsets[e][1]]", "ex[\"context\"][offsets[s][0]:offsets[e][0]]")],
        "test_postprocess_predictions"),
    "end before start not skipped": (
        "postprocess_predictions", [("if e < s or e - s + 1 > max_answer_length:", "if e - s + 1 > max_answer_length:")],
        "test_postprocess_predictions"),
    "max_answer_length ignored": (
        "postprocess_predictions", [("if e < s or e - s + 1 > max_answer_length:", "if e < s:")],
        "test_postprocess_predictions"),
    # the SQuAD metric
    "articles removed inside words": (
        "squad_metric", [(r're.sub(r"\b(a|an|the)\b", " ", s)', r're.sub(r"(a|an|the)", " ", s)')], "test_squad_metric"),
    "no lower-casing": ("squad_metric", [("    s = s.lower()\n", "")], "test_squad_metric"),
    "F1 over token sets instead of multisets": (
        "squad_metric",
        [("common = sum((collections.Counter(p) & collections.Counter(g)).values())", "common = len(set(p) & set(g))")],
        "test_squad_metric"),
    "first gold answer only (no max over answers)": (
        "squad_metric", [("return max(one(g) for g in ground_truths)", "return one(ground_truths[0])")],
        "test_squad_metric"),
    "punctuation kept": ("squad_metric", [('    s = "".join(ch for ch in s if ch not in set(string.punctuation))\n', "")],
                         "test_squad_metric"),
    "exact match on raw strings (not normalised)": (
        "squad_metric", [("normalize_answer(prediction) == normalize_answer(g)", "prediction == g")], "test_squad_metric"),
    "exact match as a substring test": (
        "squad_metric", [("normalize_answer(prediction) == normalize_answer(g)",
                          "normalize_answer(prediction) in normalize_answer(g)")], "test_squad_metric"),
    "exact match against the first gold answer only": (
        "squad_metric", [("for g in ground_truths)\n    ### END SOLUTION\n\n\ndef f1", "for g in ground_truths[:1])\n    ### END SOLUTION\n\n\ndef f1")],
        "test_squad_metric"),
    "F1 on raw tokens (not normalised)": (
        "squad_metric", [("p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()",
                          "p, g = prediction.split(), gold.split()")], "test_squad_metric"),
    "recall used as precision": (
        "squad_metric", [("precision, recall = common / len(p), common / len(g)",
                          "precision, recall = common / len(g), common / len(g)")], "test_squad_metric"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
