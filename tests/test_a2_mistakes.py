"""a2: each classic mistake, planted in the solution, loses the points of the test meant for it
(and only those), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a2_mlm_objective" / "a2_mlm_objective.ipynb"
TESTS = ["test_mask_tokens", "test_mlm_loss", "test_align_labels_with_tokens", "test_pool"]

MISTAKES = {
    # mask_tokens
    "special tokens can be masked": (
        "mask_tokens", [("excluded = special_tokens_mask.bool()", "excluded = torch.zeros_like(special_tokens_mask).bool()")],
        "test_mask_tokens"),
    "padding can be masked (only special_tokens_mask consulted)": (
        "mask_tokens", [("        excluded = excluded | (input_ids == tokenizer.pad_token_id)\n", "        pass\n")],
        "test_mask_tokens"),
    "labels kept at positions that were not chosen": (
        "mask_tokens", [("    labels[~chosen] = -100\n", "    labels[excluded] = -100\n")], "test_mask_tokens"),
    "80/10/10 split wrong (random drawn at 10% of the remaining 20%)": (
        "mask_tokens", [("torch.full(input_ids.shape, 0.5)", "torch.full(input_ids.shape, 0.1)")], "test_mask_tokens"),
    "every chosen token becomes [MASK]": (
        "mask_tokens", [("torch.full(input_ids.shape, 0.8)", "torch.full(input_ids.shape, 1.0)")], "test_mask_tokens"),
    "mlm_probability ignored (15% hard-coded)": (
        "mask_tokens", [("float(mlm_probability)", "0.15")], "test_mask_tokens"),
    "input tensor changed in place": (
        "mask_tokens", [("    inputs = input_ids.clone()\n", "    inputs = input_ids\n")], "test_mask_tokens"),
    "global RNG instead of the generator": (
        "mask_tokens", [("chosen = torch.bernoulli(probability, generator=generator)", "chosen = torch.bernoulli(probability)")],
        "test_mask_tokens"),
    # mlm_loss
    "averaged over all positions": (
        "mlm_loss",
        [("    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100)",
          "    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100,"
          " reduction='sum')\n    return nll / labels.numel()")],
        "test_mlm_loss"),
    "mean per sequence, then over the batch": (
        "mlm_loss",
        [("    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100)",
          "    return torch.stack([F.cross_entropy(l, y, ignore_index=-100) for l, y in zip(logits.float(), labels)"
          " if (y != -100).any()]).mean()")],
        "test_mlm_loss"),
    "causal shift applied to an MLM": (
        "mlm_loss",
        [("logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1)",
          "logits[:, :-1].reshape(-1, logits.size(-1)).float(), labels[:, 1:].reshape(-1)")],
        "test_mlm_loss"),
    "-100 not ignored (treated as a class by clamping)": (
        "mlm_loss",
        [("labels.reshape(-1), ignore_index=-100)", "labels.reshape(-1).clamp(min=0))")], "test_mlm_loss"),
    # align_labels_with_tokens
    "every sub-token labelled by default": (
        "align_labels_with_tokens", [("        elif all_subtokens:", "        elif True:")], "test_align_labels_with_tokens"),
    "special tokens labelled O instead of -100": (
        "align_labels_with_tokens", [("        if w is None:\n            labels.append(-100)",
                                      "        if w is None:\n            labels.append(0)")],
        "test_align_labels_with_tokens"),
    "B- kept on continuation sub-tokens": (
        "align_labels_with_tokens", [('            if name.startswith("B-"):', '            if False:')],
        "test_align_labels_with_tokens"),
    "label looked up by token position": (
        "align_labels_with_tokens",
        [("    for w in word_ids:", "    for i, w in enumerate(word_ids):"),
         ("            labels.append(word_labels[w])", "            labels.append(word_labels[min(i - 1, len(word_labels) - 1)])")],
        "test_align_labels_with_tokens"),
    # pool
    "mean over padding too": (
        "pool", [("(hidden_states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)", "hidden_states.mean(1)")], "test_pool"),
    "max over padding too": (
        "pool", [("hidden_states.masked_fill(mask == 0, torch.finfo(hidden_states.dtype).min).max(1).values",
                  "hidden_states.max(1).values")], "test_pool"),
    "CLS taken from the last position": ("pool", [("return hidden_states[:, 0]", "return hidden_states[:, -1]")], "test_pool"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
