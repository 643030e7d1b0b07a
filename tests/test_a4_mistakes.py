"""a4: each classic mistake, planted in the solution, loses the points of the test meant for it
(and only those), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a4_decoder_classification" / "a4_decoder_classification.ipynb"
TESTS = ["test_causal_self_attention", "test_build_prompt", "test_label_word_logprobs", "test_contextual_calibration",
         "test_last_token_classifier"]
SOFTMAX = 'weights = scores.masked_fill(future, float("-inf")).softmax(-1)'
LP_CALL = "logp = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float().log_softmax(-1).cpu()"

MISTAKES = {
    # causal_self_attention
    "mask applied after the softmax": (
        "causal_self_attention", [(SOFTMAX, "weights = scores.softmax(-1).masked_fill(future, 0.0)")],
        "test_causal_self_attention"),
    "diagonal masked too": (
        "causal_self_attention", [("diagonal=1)", "diagonal=0)")], "test_causal_self_attention"),
    "transposed mask (attends to the future)": (
        "causal_self_attention", [("future = torch.triu(", "future = torch.tril(")], "test_causal_self_attention"),
    "no 1/sqrt(d_k) scaling": (
        "causal_self_attention", [(" / math.sqrt(k.size(-1))", "")], "test_causal_self_attention"),
    # build_prompt
    "trailing space after the prompt": (
        "build_prompt", [('template["zero_shot"].format(text=text)', 'template["zero_shot"].format(text=text) + " "'),
                         ('template["query"].format(text=text)]', 'template["query"].format(text=text) + " "]')],
        "test_build_prompt"),
    "examples in reverse order": (
        "build_prompt", [("for t, label in examples]", "for t, label in reversed(examples)]")], "test_build_prompt"),
    "few-shot format used for zero-shot": (
        "build_prompt", [("    if not examples:\n", "    if examples is None:\n")], "test_build_prompt"),
    # label_word_logprobs
    "scored at the label's own position (no shift)": (
        "label_word_logprobs", [("torch.arange(len(pid) - 1, len(pid) - 1 + len(wid))",
                                 "torch.arange(len(pid), len(pid) + len(wid))")],
        "test_label_word_logprobs"),
    "first token of the label word only": (
        "label_word_logprobs", [("logp[r, positions, torch.tensor(wid)].sum()", "logp[r, positions[0], wid[0]]")],
        "test_label_word_logprobs"),
    "mean over the label's tokens instead of the sum": (
        "label_word_logprobs", [("logp[r, positions, torch.tensor(wid)].sum()", "logp[r, positions, torch.tensor(wid)].mean()")],
        "test_label_word_logprobs"),
    "left padding without position ids": (
        "label_word_logprobs", [("ids[r, :len(seq)], mask[r, :len(seq)] = torch.tensor(seq), 1",
                                 "ids[r, width - len(seq):], mask[r, width - len(seq):] = torch.tensor(seq), 1"),
                                ("positions = torch.arange(len(pid) - 1, len(pid) - 1 + len(wid))",
                                 "positions = torch.arange(len(pid) - 1, len(pid) - 1 + len(wid)) + width - len(pid) - len(wid)")],
        "test_label_word_logprobs"),
    "probabilities instead of log-probabilities": (
        "label_word_logprobs", [("logp[r, positions, torch.tensor(wid)].sum()", "logp[r, positions, torch.tensor(wid)].sum().exp()")],
        "test_label_word_logprobs"),
    # contextual_calibration
    "first content-free input only": (
        "contextual_calibration", [("p_cf = content_free_probs.mean(0)", "p_cf = content_free_probs[0]")],
        "test_contextual_calibration"),
    "multiplied by p_cf instead of divided": (
        "contextual_calibration", [("torch.diag(1.0 / p_cf)", "torch.diag(p_cf)")], "test_contextual_calibration"),
    "not renormalised": (
        "contextual_calibration", [("    return calibrated / calibrated.sum(-1, keepdim=True)", "    return calibrated")],
        "test_contextual_calibration"),
    # last_token_pool / LastTokenClassifier
    "position -1 with right padding": (
        "last_token_classifier", [("    last = (positions * attention_mask).argmax(1)\n",
                                   "    last = torch.full_like(attention_mask[:, 0], attention_mask.size(1) - 1)\n")],
        "test_last_token_classifier"),
    "length - 1 (wrong with left padding)": (
        "last_token_classifier", [("    last = (positions * attention_mask).argmax(1)\n", "    last = attention_mask.sum(1) - 1\n")],
        "test_last_token_classifier"),
    "first pad token taken": (
        "last_token_classifier", [("    last = (positions * attention_mask).argmax(1)\n",
                                   "    last = attention_mask.sum(1).clamp(max=attention_mask.size(1) - 1)\n")],
        "test_last_token_classifier"),
    "freeze_backbone ignored": (
        "last_token_classifier", [("        if freeze_backbone:\n", "        if False:\n")], "test_last_token_classifier"),
    "freezing the head with the backbone (self.parameters())": (
        "last_token_classifier", [("            for p in self.backbone.parameters():\n", "            for p in self.parameters():\n")],
        "test_last_token_classifier"),
    "softmax before cross-entropy": (
        "last_token_classifier", [("        logits = self.head(last_token_pool(hidden, attention_mask))\n",
                                   "        logits = self.head(last_token_pool(hidden, attention_mask)).softmax(-1)\n")],
        "test_last_token_classifier"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
