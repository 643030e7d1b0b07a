"""An estimate, not a measurement: how long each solution notebook takes on a free Colab T4 in the full profile.

No GPU was lent to this project when it was written, so the time is computed, not timed:

  work     the runs each solution notebook makes in the full profile, counted from its settings
           (shared/profiles.py, Profile.settings and Profile.caps) and the hub data sets' published sizes;
           tokens per example are assumptions, stated below, and padded lengths are upper bounds
  compute  training 6·N FLOPs per token, a forward pass 2·N (N = parameters; Kaplan et al. 2020)
  speed    12 TFLOPS sustained: a published T4 measurement (ModernBERT-base, 149M parameters, batch 32 x 128
           tokens, fp16: 0.30 s per batch, https://earino.github.io/applied-deep-learning/site/blog/05_bf16_on_t4.html),
           6 x 149e6 x 4096 / 0.30 s = 12.2e12 FLOP/s
  decoding one new token per step: fp32 weights read once per step at 300 GB/s (the T4 datasheet's 320 GB/s),
           and at least 10 ms a step (kernel launches: small models are launch-bound; an assumption)
  overhead 3 minutes per notebook: downloads, tokenisation, plots (an assumption)

    python tools/t4_estimate.py            # a table, minutes per notebook
When a GPU is lent, time the notebooks instead and record the measurement in docs/benchmarks.md.
"""
from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared.profiles import get_profile  # noqa: E402

TFLOPS = 12.2e12
BANDWIDTH = 300e9
MIN_DECODE_STEP = 0.010
OVERHEAD = 180.0
PARAMS = {"distilbert": 66e6, "bert-base": 110e6, "gpt2": 124e6, "gpt2-medium": 355e6, "gpt2-large": 774e6,
          "t5-small": 60e6, "smollm2-135m": 135e6}
# hub data sets' published sizes (examples) and assumed tokens per example (batch-padded: upper bounds)
SQUAD_FEATURES_PER_EXAMPLE = 88_524 / 87_599      # run_qa's features (windows) per question at 384/128
SQUAD_TOKENS = 384
SST2_TRAIN, SST2_DEV, SST2_TOKENS = 67_349, 872, 32
CONLL_TRAIN, CONLL_DEV, CONLL_TOKENS = 14_041, 3_250, 48
WIKITEXT2_TEST_TOKENS = 290_000                   # about 245k words at about 1.2 GPT-2 tokens a word


class Work:
    def __init__(self):
        self.seconds = OVERHEAD

    def train(self, model: str, tokens: float):
        self.seconds += 6 * PARAMS[model] * tokens / TFLOPS

    def forward(self, model: str, tokens: float):
        self.seconds += 2 * PARAMS[model] * tokens / TFLOPS

    def decode(self, model: str, steps: float):
        self.seconds += steps * max(4 * PARAMS[model] / BANDWIDTH, MIN_DECODE_STEP)


def a1(p) -> Work:
    s, w = p.settings("a1"), Work()
    n_train, n_eval = p.caps("qa")
    tokens = lambda examples: examples * SQUAD_FEATURES_PER_EXAMPLE * s["max_length"]
    levers = s["levers"]
    runs = [200] + [n or n_train for n in levers["train examples"]] + [200 * e for e in levers["epochs"]]
    runs += [200] * (len(levers["learning rate"]) + len(levers["batch size"]) + len(levers["scheduler"]) + 1)
    runs += [n_train * 3]        # the solution's improved configuration (its cell in a1: all data, 3 epochs)
    for examples in runs:
        w.train("distilbert", tokens(examples))
    w.train("distilbert", tokens(160))                              # the short timed run
    w.train("bert-base", tokens(200))                               # the larger encoder, baseline size
    w.forward("distilbert", tokens(n_eval) * len(runs))
    w.forward("bert-base", tokens(n_eval))
    return w


def a2(p) -> Work:
    s, w = p.settings("a2"), Work()
    ft_epochs, batch = 2, 16                                        # the solution's Config cell
    sst_train = p.caps("sentiment")[0] or SST2_TRAIN
    w.train("distilbert", s["mlm_steps"] * batch * s["block_size"])
    w.forward("distilbert", 2 * s["eval_blocks"] * s["block_size"])
    for _start in ("original", "MLM-adapted"):
        w.train("distilbert", ft_epochs * CONLL_TRAIN * CONLL_TOKENS)
        w.forward("distilbert", CONLL_DEV * CONLL_TOKENS)
        for _pool in ("cls", "mean", "max"):
            w.train("distilbert", ft_epochs * sst_train * SST2_TOKENS)
            w.forward("distilbert", SST2_DEV * SST2_TOKENS)
    return w


def a3(p) -> Work:
    s, w = p.settings("a3"), Work()
    for spec in s["pretrained"]:
        model = spec.split("/")[-1]
        w.forward(model, WIKITEXT2_TEST_TOKENS * s["max_length"] / s["stride"])   # overlapping windows
        w.forward(model, SST2_DEV * 2 * SST2_TOKENS)                                # zero-shot prompts
        w.decode(model, s["new_tokens"] * 4 + 5 * 2 * s["gen_tokens"])              # benchmark (3 + warm-up), samples
    return w


def a4(p) -> Work:
    s, w = p.settings("a4"), Work()
    dev = SST2_DEV if s["eval_examples"] is None else s["eval_examples"]
    for shots in s["shots"]:
        w.forward("gpt2", len(s["draws"]) * dev * SST2_TOKENS * (1 + shots))
    for _variant in range(3):                                       # head only (an upper bound), full, AutoModel
        w.train("gpt2", s["ft_steps"] * s["batch_size"] * SST2_TOKENS)
        w.forward("gpt2", dev * SST2_TOKENS)
    return w


def a5(p) -> Work:
    s, w = p.settings("a5"), Work()
    tasks, batch, t2t_tokens, gen_batch = 3, 16, 160, 16             # source + target tokens, an assumption
    mixtures = len(s["k_values"]) + len(s["temperatures"])
    w.train("t5-small", (mixtures * s["steps"] + tasks * (s["steps"] // tasks)) * batch * t2t_tokens)
    evaluations = mixtures * tasks + tasks                          # every mixture on 3 tasks; single-task models on 1
    w.decode("t5-small", evaluations * math.ceil(s["eval_examples"] / gen_batch) * 32)
    w.forward("t5-small", evaluations * s["eval_examples"] * t2t_tokens)
    w.train("smollm2-135m", s["instr_steps"] * s["instr_batch"] * 200)
    conditions = 5
    w.decode("smollm2-135m", 2 * conditions * math.ceil(s["instr_eval"] / 8) * 12)
    return w


IMDB_TOKENS, GSM8K_TOKENS, GSM8K_TEST = 128, 120, 1_319   # a review cut at max_length; a problem and its chat template


def _default(path: str, function: str, argument: str):
    """A keyword's default in the repo's source, read without importing it (no torch needed here)."""
    tree = ast.parse((Path(__file__).resolve().parents[1] / path).read_text())
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    names = [a.arg for a in fn.args.args][-len(fn.args.defaults):]
    return ast.literal_eval(dict(zip(names, fn.args.defaults))[argument])


def a6(p) -> Work:
    s, w = p.settings("a6"), Work()
    w.forward("gpt2", 2 * 2 * s["ppl_texts"] * s["max_length"])                    # perplexity before and after, 2 texts
    w.train("gpt2", s["ft_steps"] * s["ft_batch"] * s["max_length"])
    w.decode("gpt2", 5 * s["prompts"] * s["new_tokens"] * 4)                         # five settings; no cache: ~4x a step
    problems = min(s["problems"], GSM8K_TEST)
    w.decode("smollm2-135m", math.ceil(problems / 16) * (12 + s["cot_tokens"] + 12))  # direct, reasoning, answer
    w.forward("smollm2-135m", problems * GSM8K_TOKENS * 3)
    w.train("distilbert", s["judge_steps"] * 16 * SST2_TOKENS)                       # the judge
    tokens = 8 + s["new_tokens"]                                                     # an opening and its continuation
    w.decode("gpt2", math.ceil(2 * s["pair_prompts"] / 64) * s["new_tokens"])        # two samples a prompt, 64 rows a batch
    w.train("gpt2", s["rm_steps"] * 2 * s["dpo_batch"] * tokens)
    betas = 3                                                # 5b asks for at least three β: the fewest a student runs
    w.forward("gpt2", 2 * s["pair_prompts"] * tokens)                                # reference log-probabilities
    w.train("gpt2", betas * s["dpo_steps"] * 2 * s["dpo_batch"] * tokens)
    samples = _default("shared/generation.py", "reward_and_kl", "samples")  # per evaluation prompt
    w.decode("gpt2", (betas + 1) * math.ceil(samples * s["eval_prompts"] / 64) * s["new_tokens"])  # each policy
    w.forward("gpt2", (betas + 1) * 2 * samples * s["eval_prompts"] * tokens)
    w.decode("gpt2", math.ceil(max(s["best_of"]) * s["eval_prompts"] / 64) * s["new_tokens"])  # best-of-n
    w.forward("gpt2", s["eval_prompts"] * max(s["best_of"]) * tokens)
    return w


def main() -> None:
    p = get_profile("full")
    print("| assignment | estimated minutes on a Colab T4, full profile |\n|---|---|")
    for name, fn in [("a1", a1), ("a2", a2), ("a3", a3), ("a4", a4), ("a5", a5), ("a6", a6)]:
        print(f"| {name} | {fn(p).seconds / 60:.0f} |")


if __name__ == "__main__":
    main()
