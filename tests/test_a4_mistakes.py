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
READ = "logp = logits[r, len(pid) - 1:len(pid) + len(fed)].float().log_softmax(-1).cpu()"
SUMMED = "logp[torch.arange(len(word_ids[j])), torch.tensor(word_ids[j])].sum()"
CE = "loss = F.cross_entropy(logits, labels) if labels is not None else None"

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
        "label_word_logprobs", [(READ, "logp = logits[r, len(pid):len(pid) + len(fed) + 1].float().log_softmax(-1).cpu()")],
        "test_label_word_logprobs"),
    "first token of the label word only": (
        "label_word_logprobs", [(SUMMED, "logp[0, word_ids[j][0]]")], "test_label_word_logprobs"),
    "mean over the label's tokens instead of the sum": (
        "label_word_logprobs", [(SUMMED, SUMMED.replace(".sum()", ".mean()"))], "test_label_word_logprobs"),
    "left padding without position ids": (
        "label_word_logprobs", [("ids[r, :len(seq)], mask[r, :len(seq)] = torch.tensor(seq), 1",
                                 "ids[r, width - len(seq):], mask[r, width - len(seq):] = torch.tensor(seq), 1"),
                                (READ, "logp = logits[r, width - len(fed) - 1:width].float().log_softmax(-1).cpu()")],
        "test_label_word_logprobs"),
    "probabilities instead of log-probabilities": (
        "label_word_logprobs", [(SUMMED, SUMMED + ".exp()")], "test_label_word_logprobs"),
    "the notebook's lm instead of the model passed in": (
        "label_word_logprobs", [("logits = model(input_ids=", "logits = lm(input_ids=")], "test_label_word_logprobs"),
    "batch_size ignored (every prompt in one pass)": (
        "label_word_logprobs", [("for start in range(0, len(prompts), batch_size):", "for start in range(0, len(prompts), len(prompts)):"),
                                ("prompt_ids[start:start + batch_size]]", "prompt_ids[start:start + len(prompts)]]"),
                                ("enumerate(prompt_ids[start:start + batch_size]):", "enumerate(prompt_ids[start:start + len(prompts)]):")],
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
    "logits detached before the loss (the loss trains nothing)": (
        "last_token_classifier", [(CE, CE.replace("cross_entropy(logits,", "cross_entropy(logits.detach(),"))],
        "test_last_token_classifier"),
    "backbone run without gradients (torch.no_grad)": (
        "last_token_classifier", [("        hidden = self.backbone(", "        with torch.no_grad():\n            hidden = self.backbone(")],
        "test_last_token_classifier"),
    "a zero loss without labels (None expected)": (
        "last_token_classifier", [(CE, CE.replace("else None", "else torch.zeros(())"))], "test_last_token_classifier"),
    "softmax before cross-entropy": (
        "last_token_classifier", [("        logits = self.head(last_token_pool(hidden, attention_mask))\n",
                                   "        logits = self.head(last_token_pool(hidden, attention_mask)).softmax(-1)\n")],
        "test_last_token_classifier"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
