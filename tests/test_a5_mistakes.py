"""a5: each classic mistake, planted in the solution, loses the points of the test meant for it
(and only those), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a5_multitask_instruction" / "a5_multitask_instruction.ipynb"
TESTS = ["test_mixing_rates", "test_mixture_sampler", "test_format_text_to_text", "test_format_causal_with_loss_mask"]

MISTAKES = {
    # mixing_rates / temperature_rates
    "K ignored (plain proportional rates)": (
        "mixing_rates", [("capped = {task: min(n, K) for task, n in sizes.items()}", "capped = dict(sizes)")],
        "test_mixing_rates"),
    "rates not normalised": (
        "mixing_rates", [("    return {task: c / total for task, c in capped.items()}",
                          "    return {task: c / max(sizes.values()) for task, c in capped.items()}")],
        "test_mixing_rates"),
    "temperature multiplies instead of exponentiating": (
        "mixing_rates", [("scaled = {task: r ** (1.0 / T) for task, r in base.items()}",
                          "scaled = {task: r / T for task, r in base.items()}")],
        "test_mixing_rates"),
    "temperature ignores K": (
        "mixing_rates", [("base = mixing_rates(sizes, K if K is not None else max(sizes.values()))",
                          "base = mixing_rates(sizes, max(sizes.values()))")],
        "test_mixing_rates"),
    # MixtureSampler
    "sampled with replacement": (
        "mixture_sampler", [("batch.append((task, orders[task][used[task]]))",
                             "batch.append((task, int(torch.randint(self.sizes[task], (1,), generator=g))))")],
        "test_mixture_sampler"),
    "one task per minibatch": (
        "mixture_sampler", [("torch.multinomial(probs, self.batch_size, replacement=True, generator=g).tolist()",
                             "torch.multinomial(probs, 1, generator=g).tolist() * self.batch_size")],
        "test_mixture_sampler"),
    "rates ignored (uniform tasks)": (
        "mixture_sampler", [("probs = torch.tensor([float(self.rates[t]) for t in tasks])",
                             "probs = torch.tensor([1.0 for t in tasks])")],
        "test_mixture_sampler"),
    "global RNG instead of a seeded generator": (
        "mixture_sampler", [("g = torch.Generator().manual_seed(self.seed)", "g = None")], "test_mixture_sampler"),
    # format_text_to_text
    "labels swapped (1 = negative)": (
        "format_text_to_text", [('("positive" if example["label"] == 1 else "negative")',
                                 '("negative" if example["label"] == 1 else "positive")')],
        "test_format_text_to_text"),
    "no task prefix on QA": (
        "format_text_to_text", [('f"question: {example[\'question\']} context: {example[\'context\']}"',
                                 'f"{example[\'question\']} {example[\'context\']}"')],
        "test_format_text_to_text"),
    "NER without entities gives an empty target": (
        "format_text_to_text", [(' or "none"', '')], "test_format_text_to_text"),
    # format_causal_with_loss_mask
    "loss on the prompt too": (
        "format_causal_with_loss_mask", [("labels = [-100] * len(prompt_ids) + answer_ids", "labels = prompt_ids + answer_ids")],
        "test_format_causal_with_loss_mask"),
    "no end token": (
        "format_causal_with_loss_mask", [(' + [tokenizer.eos_token_id]\n', '\n')], "test_format_causal_with_loss_mask"),
    "labels shifted by hand": (
        "format_causal_with_loss_mask", [("labels = [-100] * len(prompt_ids) + answer_ids",
                                          "labels = [-100] * (len(prompt_ids) - 1) + answer_ids + [-100]")],
        "test_format_causal_with_loss_mask"),
    "padding labelled with the pad id": (
        "format_causal_with_loss_mask", [("labels + [-100] * extra", "labels + [pad] * extra")],
        "test_format_causal_with_loss_mask"),
    "attention on padding": (
        "format_causal_with_loss_mask", [("attention + [0] * extra", "attention + [1] * extra")],
        "test_format_causal_with_loss_mask"),
    "delimiter ignored (hard-coded)": (
        "format_causal_with_loss_mask", [("tokenizer(prompt + delimiter)", 'tokenizer(prompt + "\\nAnswer:")')],
        "test_format_causal_with_loss_mask"),
    "the notebook's tokenizer, not the argument": (
        "format_causal_with_loss_mask", [("tokenizer(", "causal_tok("), ("tokenizer.", "causal_tok.")],
        "test_format_causal_with_loss_mask"),
    "K taken as a floor (max) instead of a cap": (
        "mixing_rates", [("capped = {task: min(n, K) for task, n in sizes.items()}",
                          "capped = {task: max(n, K) for task, n in sizes.items()}")], "test_mixing_rates"),
    "temperature rates not renormalised": (
        "mixing_rates", [("    return {task: s / total for task, s in scaled.items()}", "    return scaled")],
        "test_mixing_rates"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
