"""An estimate, not a measurement: how long each solution notebook takes on a free Colab T4 in the full profile,
and what its training runs leave on Google Drive.

No GPU was lent to this project when it was written, so the time is computed, not timed. Every figure below is
a pair (low, high): the range's two ends. The code it models: every model on the GPU with fp32 weights (never
bf16 on a T4), and two precisions (shared/device.py):
  - fp16: training, under Accelerate's fp16 mixed precision; every forward pass inside shared.train.evaluating
    (the course's helpers: classify.predictions/evaluate_accuracy, generation._greedy/solve/judge/
    sample_continuations/text_scorer/decode_many/_logps, lm.zero_shot_sentiment/sample_texts, mlm.mlm_perplexity/
    fill_mask, multitask.generate_answers, qa.predict_logits) or under an explicit shared.device.autocast()
    (a3's perplexity ladder), all under fp16 autocast;
  - fp32: every other forward pass, a notebook's own calls of a model and the student functions its cells call:
    a3's benchmark_generation (HF generate and a prefill, no autocast), a4's label_word_logprobs through
    shared.prompting.icl_sweep (torch.no_grad only: every prompting run), a6's perplexity (before and after
    its fine-tuning) and its generate and beam_search (the decoding comparison). The visible and hidden checks'
    own calls of a model (a2-a6: a few short inputs each) are fp32 too and left out: seconds a notebook.
With Drive mounted (COURSE_CHECKPOINTS set), shared/train.py's checkpoint policy:
  - a run writes a checkpoint (weights + AdamW state) to Drive each time 10 minutes of training have passed
    since it started or since its last checkpoint, so a run that trains under 10 minutes writes none. It keeps
    up to two: from the third on, each is written over the older one in place (its files rewritten, nothing
    deleted through the mount), so a run of 20 minutes or more has two alive at once. A disconnect costs at
    most 10 minutes of a run's training.
  - at its end a run's final fp32 weights (no optimizer state) go to Drive only if it trained for at least
    3 minutes (or wrote a checkpoint); a shorter run keeps them on the session's local disk, where a disconnect
    loses them and re-running retrains them in under 3 minutes. What is cheaper to redo than to store is not
    stored. Once the final is written, the run's checkpoints are emptied in place (truncated, not deleted).
Both thresholds are applied to the HIGH end of each run's estimated training time (the 'training' part:
its steps, not the evaluation or loading around them), the same decision at both ends of the range: the
conservative choice for Drive's space and write time.

  work      the runs each solution notebook makes in the full profile, counted from its cells and settings
            (shared/profiles.py: Profile.settings and Profile.caps) and the hub data sets' published sizes;
            tokens per example are assumptions, stated below; padded lengths are upper bounds
  compute   training 6·N FLOPs per token, a forward pass 2·N (N = parameters; Kaplan et al. 2020), also for a
            run whose backbone is frozen (an upper bound)
  speed     fp16: 12.2 TFLOPS for the range's low end: a published T4 measurement (ModernBERT-base, 149M
            parameters, batch 32 x 128 tokens, fp16: 0.30 s per batch,
            https://earino.github.io/applied-deep-learning/site/blog/05_bf16_on_t4.html),
            6 x 149e6 x 4096 / 0.30 s = 12.2e12 FLOP/s; it holds only for large well-shaped batches.
            For the high end 2/3 of it, 8.1 TFLOPS: these eager Hugging Face models are less tuned than the
            measured one (an assumption).
            fp32: 6.0 TFLOPS at the low end, 4.0 at the high end, an assumption: the T4 datasheet's fp32 peak is
            8.1 TFLOPS (no tensor cores in fp32; https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/
            tesla-t4/t4-tensor-core-datasheet-951643.pdf), which eager models do not sustain; no public
            measurement of these models in fp32 on a T4 found
  floors    no step is faster than its fixed costs (kernel launches, Python, collating the batch): a training
            step 25-40 ms (fused AdamW over 60-135M parameters, loss scaling, gradient clipping, about 3 kernel
            launches per forward kernel), an evaluation batch 8-15 ms; assumptions, no public measurement found.
            They make SST-2's and CoNLL's small steps overhead-bound
  decoding  one new token per step: fp32 weights read at 300 GB/s (the T4 datasheet's 320 GB/s), 4 bytes a
            parameter, under fp16 autocast 8 at the high end (autocast casting them to fp16 again each step),
            in fp32 4 at both ends (nothing re-cast), and at least 2-5 ms plus 0.5-1 ms per layer a step
            (launch-bound: an assumption)
  Drive     written at 50 MB/s, 20 MB/s at the high end: an assumption (no public figure found; writes go to
            a local cache and upload in the background, https://github.com/googlecolab/colabtools/issues/287,
            so a sustained stream of checkpoints is bounded by the upload). A checkpoint is the fp32 weights
            and AdamW's two moments of the trained parameters: 4 bytes per parameter + 8 per trained one (12 for
            a whole model); the final weights 4 bytes per parameter. Checkpoints per run: one per 10 minutes
            of its high-end training time, strictly before its end (a 25-minute run: 2), each written in full
            (a new one or one written over in place), at most 2 alive at once; the final weights written only
            by runs of at least 3 minutes (high end) or that wrote a checkpoint. Final weights on local disk:
            not counted
  Drive at the end   the final weights of the runs that train for at least 3 minutes (high end), 4 bytes per
            parameter (a free Drive holds 15 GB); a run's checkpoints are emptied in place (truncated to 0
            bytes, not deleted) when its final weights are written, so none counts at the end. Not counted:
            Drive's trash, where files deleted through the mount go and count against the quota until emptied
            (reported: https://github.com/minimaxir/gpt-2-simple/issues/155); that files overwritten or
            truncated in place leave nothing there is an assumption, not measured
  overhead  3-5 minutes per notebook (downloads, tokenising, plots) and 5-15 s per training run (loading
            the model, mapping the data, scoring): assumptions

    python tools/t4_estimate.py            # a table: minutes per notebook, Drive at the end
    python tools/t4_estimate.py --parts    # each notebook's minutes by part
    python tools/t4_estimate.py --runs     # each training run: minutes, checkpoints, final weights' place
When a GPU is lent, time the notebooks instead and record the measurement in docs/benchmarks.md.
"""
from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared.models import REPO  # noqa: E402
from shared.profiles import ASSIGNMENTS, get_profile  # noqa: E402

ENDS = (0, 1)                                     # low, high
TFLOPS = (12.2e12, 8.1e12)                        # fp16 (autocast, mixed-precision training)
FP32_TFLOPS = (6.0e12, 4.0e12)                    # fp32 forward passes: sustained, assumed (peak 8.1)
BANDWIDTH = 300e9
TRAIN_FLOOR, EVAL_FLOOR = (0.025, 0.040), (0.008, 0.015)
DECODE_BYTES, FP32_DECODE_BYTES = (4, 8), (4, 4)   # bytes read per parameter a step: autocast, fp32
DECODE_FLOOR, LAYER_FLOOR = (0.002, 0.005), (0.0005, 0.0010)
DRIVE = (50e6, 20e6)                              # bytes per second
CHECKPOINT_EVERY, FINAL_ON_DRIVE = 600.0, 180.0   # seconds of training (a run's high end): shared/train.py's policy
KEEP_CHECKPOINTS = 2                              # alive at once a run (the older written over in place)
OVERHEAD, RUN_OVERHEAD = (180.0, 300.0), (5.0, 15.0)
LIMIT_MINUTES, DRIVE_GB = 45, 15
# the full profile's models (shared/profiles.py): the name printed, parameters, layers (t5-small: its decoder's,
# which decoding runs)
MODELS = {"distilbert/distilbert-base-uncased": ("distilbert", 66e6, 6),
          "google-bert/bert-base-uncased": ("bert-base", 110e6, 12),
          "openai-community/gpt2": ("gpt2", 124e6, 12), "openai-community/gpt2-medium": ("gpt2-medium", 355e6, 24),
          "openai-community/gpt2-large": ("gpt2-large", 774e6, 36), "google-t5/t5-small": ("t5-small", 60e6, 6),
          "HuggingFaceTB/SmolLM2-135M-Instruct": ("smollm2-135m", 135e6, 30)}
PARAMS = {name: n for name, n, _ in MODELS.values()}
LAYERS = {name: layers for name, _, layers in MODELS.values()}
# hub data sets' published sizes (examples) and assumed tokens per example (batch-padded: upper bounds)
SQUAD_TRAIN_WINDOWS = 88_524 / 87_599             # run_qa's features (windows) per question at 384/128
SQUAD_DEV_WINDOWS = 10_784 / 10_570
SST2_DEV, SST2_TOKENS = 872, 32
CONLL_TRAIN, CONLL_DEV, CONLL_TOKENS = 14_041, 3_250, 48
WIKITEXT2_TEST_TOKENS = 290_000                   # about 245k words at about 1.2 GPT-2 tokens a word
SCRATCH_TOKENS_PER_GPT2 = 1.6                     # a3's 2,000-token BPE splits finer than GPT-2's 50,257 (assumed)
GSM8K_TOKENS, GSM8K_TEST = 120, 1_319             # a problem and its chat template; the test split
GSM8K_WORKED = 260                                # a problem, its chat template and its worked solution (padded): an assumption
BENCH_PROMPT_TOKENS = 8                           # a3's PROMPT, "The town was founded in" (an upper bound)


def _source(path: str):
    return ast.parse((REPO / path).read_text())


def _model(p, role: str) -> str:
    """The name (MODELS) of the model the profile gives a role."""
    return MODELS[p.model(role)][0]


def _config(assignment: str) -> dict:
    """The Config cell of the assignment's solution notebook: each NAME = literal it sets (the notebook's knobs)."""
    import json
    path = next((REPO / "solutions").glob(f"{assignment}_*/{assignment}_*.ipynb"))
    cell = next("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                if c["cell_type"] == "code" and "".join(c["source"]).startswith("PROFILE ="))
    out = {}
    for node in ast.parse(cell).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def _default(path: str, function: str, argument: str):
    """A keyword's default in the repo's source, read without importing it (no torch needed here)."""
    fn = next(n for n in ast.walk(_source(path)) if isinstance(n, ast.FunctionDef) and n.name == function)
    positional = list(zip([a.arg for a in fn.args.args][len(fn.args.args) - len(fn.args.defaults):], fn.args.defaults))
    keywords = [(a.arg, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None]
    return ast.literal_eval(dict(positional + keywords)[argument])


def _scratch_models(vocab: int = 2_000, positions: int = 128) -> None:
    """a3's from-scratch GPT-2 shapes (shared/profiles.py, a3's block) into PARAMS and LAYERS; tied embeddings."""
    for size, shape in ASSIGNMENTS["a3"].shapes.items():          # "tiny": dict(n_embd=64, n_layer=2, ...)
        d, layers = shape["n_embd"], shape["n_layer"]
        PARAMS[f"scratch-{size}"] = (vocab + positions) * d + layers * (12 * d * d + 13 * d) + 2 * d
        LAYERS[f"scratch-{size}"] = layers


_scratch_models()


class Work:
    def __init__(self):
        self.parts = {part: [0.0, 0.0] for part in ("training", "evaluation", "Drive", "overhead")}
        self.add("overhead", OVERHEAD)
        self.drive_bytes = 0.0                    # what the runs leave on Drive
        self.drive_peak = 0.0                     # the most on Drive at once: finals so far + a run's live checkpoints
        self.runs = []                            # (model, steps, training seconds (low, high), checkpoints, final on Drive)

    def add(self, part: str, seconds) -> None:
        for end in ENDS:
            self.parts[part][end] += seconds[end]

    def train(self, model: str, steps: int, tokens_per_step: float, trained: float | None = None):
        """A shared.train run: its steps, its checkpoints and final weights on Drive (the policy, decided on the
        high end of its training time), its fixed costs."""
        n = PARAMS[model]
        trained = n if trained is None else trained
        seconds = [steps * max(6 * n * tokens_per_step / TFLOPS[e], TRAIN_FLOOR[e]) for e in ENDS]
        self.add("training", seconds)
        saves = max(math.ceil(seconds[1] / CHECKPOINT_EVERY) - 1, 0)   # every 10 minutes, before the end
        final = seconds[1] >= FINAL_ON_DRIVE or saves > 0
        checkpoint = 4 * n + 8 * trained
        written = saves * checkpoint + final * 4 * n      # each checkpoint written in full, new or over the older
        self.add("Drive", [written / DRIVE[e] for e in ENDS])
        self.add("overhead", RUN_OVERHEAD)
        self.drive_peak = max(self.drive_peak, self.drive_bytes + min(saves, KEEP_CHECKPOINTS) * checkpoint
                              + final * 4 * n)            # the final is written before the checkpoints are emptied
        self.drive_bytes += final * 4 * n
        self.runs.append((model, steps, seconds, saves, final))

    def forward(self, model: str, batches: float, tokens_per_batch: float, fp32: bool = False):
        """Forward passes under fp16 autocast, or in fp32 (a notebook's own calls: see the docstring)."""
        rate = FP32_TFLOPS if fp32 else TFLOPS
        self.add("evaluation", [batches * max(2 * PARAMS[model] * tokens_per_batch / rate[e], EVAL_FLOOR[e])
                                for e in ENDS])

    def decode(self, model: str, steps: float, fp32: bool = False):
        """Decoding steps of a batch of at most 64 rows: memory- or launch-bound (its FLOPs are negligible)."""
        read = FP32_DECODE_BYTES if fp32 else DECODE_BYTES
        self.add("evaluation", [steps * max(read[e] * PARAMS[model] / BANDWIDTH,
                                            DECODE_FLOOR[e] + LAYERS[model] * LAYER_FLOOR[e]) for e in ENDS])

    def minutes(self) -> tuple[float, float]:
        return tuple(sum(p[e] for p in self.parts.values()) / 60 for e in ENDS)


def a1(p) -> Work:
    s, w = p.settings("a1"), Work()
    n_train, n_eval = p.caps("qa")
    base = {"train examples": s["baseline_examples"], "epochs": 1, "learning rate": s["baseline_lr"],
            "batch size": 16, "scheduler": "linear"}                 # the notebook's baseline QARun
    runs = [base] * (1 + sum(seed != 0 for seed in s["noise_seeds"]))   # the baseline and its other seeds
    for lever, values in s["levers"].items():                       # each lever's values but the baseline's
        runs += [{**base, lever: v or n_train} for v in values if (v or n_train) != base[lever]]
    runs += [base, {**base, "train examples": 1000}]                # from scratch; the solution's improved run
    encoder, larger = _model(p, "encoder"), _model(p, "encoder_large")
    for model, run in [(encoder, r) for r in runs] + [(larger, base)]:   # + the larger encoder
        steps = run["epochs"] * math.ceil(run["train examples"] * SQUAD_TRAIN_WINDOWS / run["batch size"])
        w.train(model, steps, run["batch size"] * s["max_length"])
        w.forward(model, math.ceil(n_eval * SQUAD_DEV_WINDOWS / 64), 64 * s["max_length"])
    w.forward(encoder, math.ceil(n_eval * SQUAD_DEV_WINDOWS / 64), 64 * s["max_length"])   # untrained
    return w


def a2(p) -> Work:
    s, w, c, mlm = p.settings("a2"), Work(), _config("a2"), _model(p, "mlm")
    batch, ft_epochs = c["BATCH_SIZE"], c["FT_EPOCHS"]              # the solution's Config cell
    sst_steps = math.ceil(p.caps("sentiment")[0] / batch)           # an epoch of the capped SST-2 training split
    head = 768 * 768 + 3 * 768 + 30_522                             # the MLM head: transform, norm, vocabulary bias
    for trained in (head, None):                                    # head only, then the whole network
        w.train(mlm, s["mlm_steps"], batch * s["block_size"], trained)
    w.forward(mlm, 3 * math.ceil(s["eval_blocks"] / 32), 32 * s["block_size"])   # before, head, after
    for _start in ("original", "MLM-adapted"):                      # 5b: NER and sentiment (cls) per encoder
        w.train(mlm, ft_epochs * math.ceil(CONLL_TRAIN / batch), batch * CONLL_TOKENS)
        w.forward(mlm, math.ceil(CONLL_DEV / 32), 32 * CONLL_TOKENS)
        w.train(mlm, ft_epochs * sst_steps, batch * SST2_TOKENS)
        w.forward(mlm, math.ceil(SST2_DEV / 64), 64 * SST2_TOKENS)
    for _run in range(5 * 3):                                       # 5c, the solution's design: 5 seeds x 3 poolings
        w.train(mlm, sst_steps, batch * SST2_TOKENS)                # one epoch each
        w.forward(mlm, math.ceil(SST2_DEV / 64), 64 * SST2_TOKENS)
    return w


def a3(p) -> Work:
    s, w, c, test_model = p.settings("a3"), Work(), _config("a3"), _model(p, "causal_lm")
    flop_budget, block, prompts, repeats = c["FLOP_BUDGET"], c["SCRATCH_BLOCK"], len(c["GEN_PROMPTS"]), c["REPEATS"]
    scratch = [f"scratch-{size}" for size in s["scratch_sizes"]]
    for model in scratch:
        w.train(model, int(flop_budget / (6 * PARAMS[model] * 16 * block)), 16 * block)
        w.forward(model, SCRATCH_TOKENS_PER_GPT2 * WIKITEXT2_TEST_TOKENS / (block // 2), block)  # windows, stride/2
    pretrained = [MODELS[spec][0] for spec in s["pretrained"]]
    for model in pretrained:
        w.forward(model, WIKITEXT2_TEST_TOKENS / s["stride"], s["max_length"])
    for model in scratch + pretrained:
        w.forward(model, math.ceil(s["zero_shot_examples"] / 16), 16 * (SST2_TOKENS + 8))   # zero-shot prompts
        w.forward(model, repeats + 1, BENCH_PROMPT_TOKENS, fp32=True)   # benchmark_generation: its prefills, fp32
        w.decode(model, (repeats + 1) * s["new_tokens"], fp32=True)     # and its generate calls, fp32
        w.decode(model, 2 * prompts * s["gen_tokens"])                  # sample_texts: 2 decodings, one by one
    w.decode(scratch[-1], 3 * 2 * prompts * s["gen_tokens"])        # 6b's design: 3 settings x 2 seeds, one by one
    w.decode(test_model, 2 * 2 * prompts * s["gen_tokens"])         # and 2 settings on the test model
    return w


def a4(p) -> Work:
    s, w, lm = p.settings("a4"), Work(), _model(p, "causal_lm")
    dev = SST2_DEV if s["eval_examples"] is None else s["eval_examples"]
    draws = len(s["draws"])
    runs = [k for k in s["shots"] for _ in range(draws if k else 1)]   # icl_sweep: zero-shot once
    runs += [0, 0]                                                  # own attention; the solution's 6c (zero-shot)
    for shots in runs:                                              # single-token label words: one pass (the solution);
        batches = math.ceil(dev / s["batch_size"]) + 1              # + the content-free prompts; fp32: the student's
        w.forward(lm, batches, s["batch_size"] * (SST2_TOKENS + 8), fp32=True)   # label_word_logprobs, and the
        w.forward(lm, 1, shots * (SST2_TOKENS + 8), fp32=True)  # examples once a draw (SharedPrefix)
    for trained in (2 * 768, None, None):                           # head only, full, AutoModelForSequenceClassification
        w.train(lm, s["ft_steps"], s["ft_batch"] * SST2_TOKENS, trained)
        w.forward(lm, math.ceil(dev / 64), 64 * SST2_TOKENS)
    return w


def a5(p) -> Work:
    s, w, c = p.settings("a5"), Work(), _config("a5")
    tasks, batch, t2t_tokens, instr_tokens = len(s["tasks"]), s["batch_size"], 160, 200   # source + target: assumptions
    t2t, answer = _model(p, s["t2t_role"]), max(c["ANSWER_TOKENS"][t] for t in s["tasks"])
    instruct = MODELS["HuggingFaceTB/SmolLM2-135M-Instruct"][0]     # 5b and 5c tune the profile's causal_lm (gpt2):
    # counted as SmolLM2-135M, more parameters and layers (an upper bound)
    mixtures = len(s["k_values"]) + len(s["temperatures"])
    for steps, scored in [(s["steps"], tasks)] * mixtures + [(s["steps"], 1)] * tasks:   # + single-task
        w.train(t2t, steps, batch * t2t_tokens)
        batches = scored * math.ceil(max(s["eval_examples"].values()) / 16)   # generate_answers: up to `answer` new tokens
        w.forward(t2t, batches, 16 * t2t_tokens)
        w.decode(t2t, batches * answer)
    ie, evals, design_runs = s["instr_eval"], 2, 6                  # evals: before (chat template), after; the design:
    # 3 runs on sentiment alone and 3 more on sentiment and QA (5b's run is its fourth seed)
    for _run in range(1 + design_runs):                             # instruction tuning, then the design's new runs
        w.train(instruct, s["instr_steps"], s["instr_batch"] * instr_tokens)
    conditions = [ie["sentiment"]] * 2 + [ie["qa"]] * 2 + [ie["person"]]   # the person task: at most this many
    for scored in [conditions] * evals + [[ie["person"]]] * design_runs:   # the design scores the held-out task
        batches = sum(math.ceil(n / 8) for n in scored)
        w.forward(instruct, batches, 8 * instr_tokens)
        w.decode(instruct, batches * 16)
    return w


def a6(p) -> Work:
    s, w = p.settings("a6"), Work()
    lm, solver, encoder = _model(p, "causal_lm"), _model(p, "instruct_lm"), _model(p, "encoder")   # the judge's and
    # the reward model's encoder
    tokens, gen = 8 + s["new_tokens"], _default("shared/generation.py", "sample_continuations", "batch_size")
    w.train(lm, s["ft_steps"], s["ft_batch"] * s["max_length"])
    w.forward(lm, 5 * s["prompts"] * s["new_tokens"], 4 * tokens, fp32=True)   # the student's generate and
    # beam_search: five settings, no cache, a forward a step
    w.forward(lm, 2 * 2 * s["ppl_texts"], s["max_length"], fp32=True)   # the student's perplexity of each text,
    # before and after, 2 text sets (pooled from the same passes)
    w.decode(lm, 8 * math.ceil(s["decode_prompts"] / 32) * s["decode_tokens"])   # 2c's statistics: five settings,
    # batched, the 4-beam search counted as four
    w.train(solver, s["cot_steps"], s["cot_batch"] * GSM8K_WORKED)   # both answers taught by example
    batches = math.ceil(min(s["problems"], GSM8K_TEST) / 16)
    w.forward(solver, 2 * batches, 16 * GSM8K_TOKENS)
    w.decode(solver, batches * (12 + s["cot_tokens"]))           # direct, then the worked solution
    w.train(encoder, s["judge_steps"], 16 * SST2_TOKENS)            # the judge
    w.forward(encoder, math.ceil(SST2_DEV / 64), 64 * SST2_TOKENS)

    def sample_and_judge(rows: int):
        w.decode(lm, math.ceil(rows / gen) * s["new_tokens"])
        w.forward(encoder, math.ceil(rows / 64), 64 * tokens)
    pairs = s["pair_prompts"]                                        # an upper bound: close pairs are dropped
    sample_and_judge(2 * pairs)
    w.train(encoder, s["rm_steps"], 2 * s["rm_batch"] * tokens)  # the reward model: the profile's encoder
    w.forward(encoder, math.ceil(2 * pairs / 64) * 7, 64 * tokens)   # held-out accuracy: before, 5 times along, train
    w.forward(lm, math.ceil(2 * pairs / 16), 16 * tokens)        # reference log-probabilities
    betas, samples = 3, s["eval_samples"]
    sample_and_judge(samples * s["eval_prompts"])                    # the tuned model itself
    w.forward(lm, 2 * math.ceil(samples * s["eval_prompts"] / 16), 16 * tokens)
    for _beta in range(betas):                                       # each beta: trained, evaluated twice (a curve)
        w.train(lm, s["dpo_steps"], 2 * s["dpo_batch"] * tokens)
        for _point in range(2):
            sample_and_judge(samples * s["eval_prompts"])
            w.forward(lm, 2 * math.ceil(samples * s["eval_prompts"] / 16), 16 * tokens)   # policy and reference
    rows = max(s["best_of"]) * s["eval_prompts"]                     # best-of-n: the reward model and the judge pick
    sample_and_judge(rows)
    w.forward(encoder, math.ceil(rows / 64), 64 * tokens)
    return w


def main() -> None:
    p, parts, runs = get_profile("full"), "--parts" in sys.argv, "--runs" in sys.argv
    print("| assignment | estimated minutes on a Colab T4, full profile | Drive at the end, GB |\n|---|---|---|")
    total = 0.0
    for name in ASSIGNMENTS:                                         # each assignment's function below
        if name not in globals():
            raise SystemExit(f"tools/t4_estimate.py has no estimate of {name}: write {name}(p) -> Work, as the others.")
        w = globals()[name](p)
        low, high = w.minutes()
        flag = f" (over {LIMIT_MINUTES})" if high > LIMIT_MINUTES else ""
        total += w.drive_bytes
        print(f"| {name} | {low:.0f}-{high:.0f}{flag} | {w.drive_bytes / 1e9:.1f} |")
        if parts:
            print("|  | " + ", ".join(f"{k} {v[0] / 60:.0f}-{v[1] / 60:.0f}" for k, v in w.parts.items())
                  + f"; its runs' most on Drive at once {w.drive_peak / 1e9:.1f} GB |  |")
        if runs:
            for model, steps, seconds, saves, final in w.runs:
                alive = f" ({min(saves, KEEP_CHECKPOINTS)} alive at once)" if saves > 1 else ""
                print(f"|  | {model}, {steps} steps: training {seconds[0] / 60:.1f}-{seconds[1] / 60:.1f} min, "
                      f"{saves} checkpoint{'s' * (saves != 1)}{alive}, final weights on "
                      f"{'Drive' if final else 'local disk'} |  |")
    over = f", over the {DRIVE_GB} GB a free Drive holds" if total > DRIVE_GB * 1e9 else f" (a free Drive: {DRIVE_GB} GB)"
    print(f"| all | | {total / 1e9:.1f}{over} |")


if __name__ == "__main__":
    main()
