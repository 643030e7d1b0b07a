"""a3: each classic mistake, planted in the solution, loses the points of the test meant for it
(and only those), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a3_slm_vs_llm" / "a3_slm_vs_llm.ipynb"
TESTS = ["test_count_parameters", "test_memory_footprint", "test_perplexity", "test_benchmark_generation",
         "test_distinct_n"]

MISTAKES = {
    # count_parameters
    "tied weights counted twice (state_dict)": (
        "count_parameters", [("        if id(p) in seen:\n            continue\n", "")], "test_count_parameters"),
    "trainable = total (requires_grad ignored)": (
        "count_parameters", [("        if p.requires_grad:\n", "        if True:\n")], "test_count_parameters"),
    # memory_footprint
    "Adam counted with one state (4 bytes)": (
        "memory_footprint", [('"adamw": 8, "adam": 8', '"adamw": 4, "adam": 4')], "test_memory_footprint"),
    "gradients counted at inference": (
        "memory_footprint", [('return {"weights": weights, "gradients": 0, "optimizer": 0, "total": weights}',
                              'return {"weights": weights, "gradients": weights, "optimizer": 0, "total": 2 * weights}')],
        "test_memory_footprint"),
    "mixed precision without the fp32 master weights": (
        "memory_footprint", [('weights = n_params * 4 + (n_params * 2 if dtype in ("float16", "bfloat16") else 0)',
                              'weights = n_params * (2 if dtype in ("float16", "bfloat16") else 4)')],
        "test_memory_footprint"),
    "bfloat16 taken as 4 bytes": (
        "memory_footprint", [('"bfloat16": 2,', '"bfloat16": 4,')], "test_memory_footprint"),
    # perplexity
    "overlapping tokens counted twice (every token of every window a target)": (
        "perplexity", [("        labels[:, :-target_len] = -100\n", "")], "test_perplexity"),
    "averaged per window instead of per token": (
        "perplexity", [("        nll_sum += loss.float().item() * scored\n        count += scored\n",
                        "        nll_sum += loss.float().item()\n        count += 1\n")],
        "test_perplexity"),
    "labels shifted by hand (the model shifts them again)": (
        "perplexity", [("        labels = ids.clone()\n", "        labels = torch.roll(ids, -1, dims=1)\n")],
        "test_perplexity"),
    "target length from the stride (wrong for the first and last windows)": (
        "perplexity", [("        target_len = end - previous_end\n", "        target_len = min(stride, end - begin)\n")],
        "test_perplexity"),
    # benchmark_generation
    "no warm-up": (
        "benchmark_generation", [("    prefill()\n    generate()\n", "")], "test_benchmark_generation"),
    "mean instead of median": (
        "benchmark_generation", [("gen = statistics.median(timed(generate) for _ in range(repeats))",
                                  "gen = statistics.mean(timed(generate) for _ in range(repeats))")],
        "test_benchmark_generation"),
    "generate without attention mask or pad token": (
        "benchmark_generation", [("model.generate(**enc, max_new_tokens", "model.generate(enc['input_ids'], max_new_tokens"),
                                 (", do_sample=False, pad_token_id=pad)", ", do_sample=False)")],
        "test_benchmark_generation"),
    "decode speed from the whole generate time": (
        "benchmark_generation", [('"decode_tokens_per_s": (new_tokens - 1) / max(gen - pre, 1e-9)',
                                  '"decode_tokens_per_s": new_tokens / gen')],
        "test_benchmark_generation"),
    # distinct_n
    "n-grams across text boundaries": (
        "distinct_n", [("    for text in texts:\n        words = text.split()\n",
                        "    for text in [' '.join(texts)]:\n        words = text.split()\n")],
        "test_distinct_n"),
    "distinct words instead of n-grams": (
        "distinct_n", [("tuple(words[i:i + n])", "words[i]")], "test_distinct_n"),
    "averaged per text instead of pooled": (
        "distinct_n", [("    return len(set(grams)) / len(grams) if grams else 0.0",
                        "    per = [len(set(g)) / len(g) for g in ([tuple(t.split()[i:i + n]) for i in range(len(t.split()) - n + 1)]"
                        " for t in texts) if g]\n    return sum(per) / len(per) if per else 0.0")],
        "test_distinct_n"),
    "tensors counted instead of their elements": (
        "count_parameters", [("        total += p.numel()\n", "        total += 1\n"),
                             ("            trainable += p.numel()\n", "            trainable += 1\n")], "test_count_parameters"),
    "trainable counts the frozen parameters": (
        "count_parameters", [("        if p.requires_grad:\n", "        if not p.requires_grad:\n")], "test_count_parameters"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES)
