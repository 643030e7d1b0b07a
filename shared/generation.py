"""Generation, domain fine-tuning, chain of thought and preference tuning for a6, around the notebook's own
functions (the decoding functions, `lm_batch`, `perplexity`, `extract_answer`, `RewardModel`,
`bradley_terry_loss`, `sequence_logprobs` and `dpo_loss` are the student's; this module only runs them).

    ToyLM(table), toy_lm()                       a model worked by hand (the next token depends on the last only)
    review_texts(split, n)                       a domain's texts (IMDb's <br /> tags removed)
    general_texts(split, n)                      general text (a corpus split in pieces of 60 words)
    generate_batched(model, tokenizer, prompts, batch_size=...)  the course's one batched-generation loop (a3's
                                                 sample_texts and a5's generate_answers use it too): new tokens' ids
    finetune_lm(model, tokenizer, texts, batch_fn=, config=)    causal-LM training through shared.train
    decode_many(model, tokenizer, prompts, setting, ...)        one decoding setting over many prompts (batched)
    repeated_bigrams(text)                       the share of a text's word bigrams that repeat
    worked_examples(split, tokenizer, direct, cot, ...)         word problems as training texts, each twice: the
                                                 direct prompt -> its answer, the step-by-step prompt -> its worked solution
    solve(model, tokenizer, questions, instruction=, ...)       greedy answers and the numbers read from them
    train_judge(profile, steps=, lr=)            the course's sentiment classifier: the "true" reward
    sample_continuations(model, tokenizer, prompts, n=, ...)    token ids and texts of sampled continuations
    preference_pairs(...)                        pairs of the policy's own samples, ordered by the judge
    train_reward_model(...), pairwise_accuracy(...)             a reward model with the student's loss, on the
                                                 pairs' texts in its own tokenizer; text_scorer: it as a function of texts
    reference_logprobs(...), train_dpo(...)      DPO with the student's sequence_logprobs and dpo_loss
    reward_and_kl(...), best_of_n(...)           where a policy lands: the judge's reward against KL (best-of-n:
                                                 an upper bound on it)
"""
from __future__ import annotations

import copy
import math
import random
import re
import time
from types import SimpleNamespace

import torch
from torch import nn
from tqdm.auto import tqdm

from .train import TrainConfig, cap_steps, evaluating, train

__all__ = ["generate_batched", "ToyLM", "TOY_TABLE", "toy_lm", "review_texts", "general_texts", "prompts_from",
           "finetune_lm", "repeated_bigrams", "decode_many",
           "chat_prompt", "worked_examples", "solve", "train_judge",
           "sample_continuations", "preference_pairs", "collate_pairs", "collate_texts", "train_reward_model",
           "text_scorer", "pairwise_correct", "pairwise_accuracy",
           "reference_logprobs", "train_dpo", "reward_and_kl", "best_of_n"]


@torch.no_grad()
def generate_batched(model, tokenizer, prompts: list[str], *, batch_size: int, seed: int | None = None,
                     side: str = "left", add_special_tokens: bool = False, max_length: int | None = None,
                     desc: str | None = "generating", **generate_kwargs) -> list[list[int]]:
    """The token ids `model.generate(**generate_kwargs)` gives each prompt, in batches of `batch_size` prompts
    padded (and, with max_length, cut) on `side`, the tokenizer's own sides restored after. A causal model's
    ids are the new tokens only (its continuation follows the prompt: left padding); an encoder-decoder's are
    all it generates. seed: torch's random state seeded once, before the first batch (None: left as it is; greedy
    decoding draws nothing). A batch of one prompt is not padded (a tokenizer without a pad token serves it).
    pad_token_id: the tokenizer's, or its end token where it has none. desc: the progress bar's (None: none)."""
    if seed is not None:
        torch.manual_seed(seed)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    causal = not getattr(model.config, "is_encoder_decoder", False)
    sides = tokenizer.padding_side, tokenizer.truncation_side
    tokenizer.padding_side = tokenizer.truncation_side = side
    starts = range(0, len(prompts), batch_size)
    out = []
    try:
        with evaluating(model) as device:
            for s in (tqdm(starts, desc=desc, leave=False) if desc else starts):
                chunk = prompts[s:s + batch_size]
                enc = tokenizer(chunk, return_tensors="pt", padding=len(chunk) > 1, add_special_tokens=add_special_tokens,
                                **({"truncation": True, "max_length": max_length} if max_length else {})).to(device)
                ids = model.generate(**enc, pad_token_id=pad, **generate_kwargs)
                out += (ids[:, enc["input_ids"].shape[1]:] if causal else ids).tolist()
    finally:
        tokenizer.padding_side, tokenizer.truncation_side = sides
    return out


class ToyLM(nn.Module):
    """A language model you can work by hand: the next token's probabilities depend only on the last token,
    table[last][next]. a6's visible checks use it (toy_lm()); model(input_ids=...).logits works as for a real model."""

    def __init__(self, table):
        super().__init__()
        self.log_table = nn.Parameter(torch.tensor(table).clamp(min=1e-9).log(), requires_grad=False)

    def forward(self, input_ids, attention_mask=None):
        return SimpleNamespace(logits=self.log_table[input_ids])


# a6's toy model: tokens 0 = EOS, 1 = <start>, 2 = "a", 3 = "b"; row: the last token, column: the next
TOY_TABLE = [[0.25, 0.25, 0.25, 0.25],    # after EOS (never used)
             [0.40, 0.00, 0.50, 0.10],    # after <start>: EOS 0.4, "a" 0.5, "b" 0.1
             [0.05, 0.00, 0.35, 0.60],    # after "a"
             [0.90, 0.00, 0.05, 0.05]]    # after "b"


def toy_lm() -> ToyLM:
    """a6's toy model (TOY_TABLE), a new copy each call."""
    return ToyLM(TOY_TABLE)


def review_texts(split, n: int | None = None) -> list[str]:
    """The first n texts of a review split, as plain text (IMDb's '<br />' line breaks become spaces)."""
    texts = split["text"] if n is None else split.select(range(min(n, len(split))))["text"]
    return [" ".join(t.replace("<br />", " ").split()) for t in texts]


def general_texts(split, n: int | None = None, words: int = 60) -> list[str]:
    """General text to measure forgetting on: a corpus split (WikiText style, one line per row) cut into
    pieces of `words` words; the first n of them."""
    flat = " ".join(t.strip() for t in split["text"] if t.strip()).split()
    pieces = [" ".join(flat[i:i + words]) for i in range(0, len(flat), words)]
    return pieces if n is None else pieces[:n]


def prompts_from(texts: list[str], words: int = 4) -> list[str]:
    """The first `words` words of each text: the prompts a policy continues (as in the DPO paper's IMDb task)."""
    return [" ".join(t.split()[:words]) for t in texts]


def finetune_lm(model, tokenizer, texts: list[str], *, batch_fn, config: TrainConfig, max_length: int = 128,
                profile=None):
    """Causal-LM fine-tuning on `texts` through shared.train; each batch is the student's lm_batch."""
    rows = [{"text": t} for t in texts]
    return train(model, rows, cap_steps(config, profile),
                 collate_fn=lambda examples: batch_fn([e["text"] for e in examples], tokenizer, max_length))


def repeated_bigrams(text: str) -> float:
    """The share of a text's word bigrams that repeat an earlier one (0: none; a loop approaches 1)."""
    words = text.split()
    bigrams = list(zip(words, words[1:]))
    return 1 - len(set(bigrams)) / len(bigrams) if bigrams else 0.0


@torch.no_grad()
def decode_many(model, tokenizer, prompts: list[str], setting: dict, *, new_tokens: int, seed: int = 0,
                batch_size: int = 32, desc: str = "decoding") -> list[str]:
    """Continuations of many prompts with one decoding setting (the keyword arguments of the notebook's
    generate, or of its beam_search with num_beams), by transformers' batched generate with its cache: the
    same decoding as the notebook's functions (Part 1 checks them against it), fast enough for statistics.
    A sampled or greedy continuation is exactly new_tokens long (no early end), so settings compare at equal length;
    a beam search ends at EOS as the notebook's beam_search does, so its length_penalty counts."""
    allowed = {"do_sample", "temperature", "top_k", "top_p", "repetition_penalty", "num_beams", "length_penalty"}
    unknown = set(setting) - allowed
    if unknown:
        raise ValueError(f"Unknown decoding argument(s) {sorted(unknown)}: use {sorted(allowed)}.")
    if "num_beams" in setting and set(setting) - {"num_beams", "length_penalty"}:
        raise ValueError(f"A beam-search setting takes num_beams and length_penalty only (the notebook's beam_search), "
                         f"not {sorted(set(setting) - {'num_beams', 'length_penalty'})}.")
    kw = {"do_sample": False, "temperature": None, "top_k": None, "top_p": None, **setting}
    if kw["do_sample"]:
        kw = {"temperature": 1.0, "top_k": 0, "top_p": 1.0, **setting}
    length = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens}
    if "num_beams" in kw:
        kw.update(early_stopping=True)
        length.pop("min_new_tokens")
    ids = generate_batched(model, tokenizer, prompts, batch_size=batch_size, seed=seed, desc=desc, **length, **kw)
    return tokenizer.batch_decode(ids, skip_special_tokens=True)


def chat_prompt(tokenizer, user: str) -> str:
    """The prompt an instruction-tuned model expects (its chat template), or the text itself for a base model."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([{"role": "user", "content": user}], tokenize=False,
                                             add_generation_prompt=True)
    return user + "\n"


def worked_examples(split, tokenizer, direct: str, cot: str, seed: int = 0) -> list[str]:
    """Chain of thought taught by example, as in GSM8K (Cobbe et al. 2021) and scratchpads (Nye et al. 2021):
    each word problem of `split` (GSM8K's schema) twice, in the model's chat template: `direct` (a template with
    {question}) answered by the solution's last line alone ("#### 5"), and `cot` answered by the whole worked
    solution, its calculator marks (<<3*4=12>>) removed. Shuffled (seed): any prefix of the list mixes the two."""
    texts = []
    for question, answer in zip(split["question"], split["answer"]):
        worked = re.sub(r"<<[^>]*>>", "", answer).strip()
        texts.append(chat_prompt(tokenizer, direct.format(question=question)) + worked.split("\n")[-1])
        texts.append(chat_prompt(tokenizer, cot.format(question=question)) + worked)
    random.Random(seed).shuffle(texts)
    return texts


def _greedy(model, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int, desc: str) -> list[str]:
    """Greedy continuations of the prompts (left-padded batches), as text."""
    ids = generate_batched(model, tokenizer, prompts, batch_size=batch_size, desc=desc, max_new_tokens=max_new_tokens,
                           do_sample=False, top_p=None, top_k=None, temperature=None)
    return tokenizer.batch_decode(ids, skip_special_tokens=True)


def solve(model, tokenizer, questions: list[str], *, instruction: str, extract_fn, max_new_tokens: int = 64,
          batch_size: int = 16) -> list[dict]:
    """Greedy answers to word problems: the user message is `instruction.format(question=q)` in the model's chat
    template. Returns one row per question: the generated text and extract_fn's answer."""
    prompts = [chat_prompt(tokenizer, instruction.format(question=q)) for q in questions]
    outputs = _greedy(model, tokenizer, prompts, max_new_tokens, batch_size, "answering")
    return [{"question": q, "output": o, "prediction": extract_fn(o)} for q, o in zip(questions, outputs)]


def train_judge(profile, *, steps: int, lr: float, batch_size: int = 16, output_dir: str = "runs/a6/judge",
                seed: int = 0):
    """The course's sentiment classifier (the profile's encoder fine-tuned on its sentiment data, as in a2):
    the reward that preference tuning optimises and that nobody trains against. Returns (judge, accuracy):
    judge(texts) -> tensor of p(positive). Its steps and learning rate are the profile's (judge_steps,
    judge_lr): an under-trained judge scores every continuation near 0.5, and its pairs are noise."""
    from transformers import AutoModelForSequenceClassification

    from .classify import finetune_classifier
    from .data import load_task
    from .models import load_model, load_tokenizer
    spec = profile.model("encoder")
    tokenizer = load_tokenizer(spec)
    torch.manual_seed(seed)   # the new head's initial weights: the same judge whatever ran before this call
    model = load_model(AutoModelForSequenceClassification, spec, num_labels=2)
    config = TrainConfig(output_dir=output_dir, max_steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                         tag=f"judge:{spec}")
    res = finetune_classifier(model, load_task("sentiment", profile, seed=seed), tokenizer, config, profile=profile)
    clf = res["model"].eval()
    p_positive = text_scorer(clf, tokenizer, readout=lambda out: out.logits.float().softmax(-1)[:, 1])

    def judge(texts: list[str]) -> torch.Tensor:
        return p_positive([t.lower() for t in texts])
    return judge, res["accuracy"]


@torch.no_grad()
def sample_continuations(model, tokenizer, prompts: list[str], *, n: int = 2, new_tokens: int = 24, seed: int = 0,
                         batch_size: int = 64, desc: str = "sampling") -> list[dict]:
    """n samples per prompt from the model's own distribution (temperature 1, no top-k or top-p), each exactly
    new_tokens long, in batches of prompts (left-padded). One row per sample, a prompt's n samples together:
    prompt, prompt_ids, response_ids and text (prompt + response)."""
    each = [p for p in prompts for _ in range(n)]   # a batch: max(1, batch_size // n) prompts, n rows each
    ids = generate_batched(model, tokenizer, each, batch_size=max(1, batch_size // n) * n, seed=seed, desc=desc,
                           do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=new_tokens,
                           min_new_tokens=new_tokens)
    return [{"prompt": p, "prompt_ids": tokenizer(p, add_special_tokens=False)["input_ids"], "response_ids": g,
             "text": p + tokenizer.decode(g, skip_special_tokens=True)} for p, g in zip(each, ids)]


def preference_pairs(model, tokenizer, prompts: list[str], judge, *, new_tokens: int = 24, seed: int = 0,
                     min_gap: float = 0.1) -> list[dict]:
    """Two samples of the model per prompt, the one the judge finds more positive `chosen`. Pairs whose
    judge scores differ by less than min_gap are dropped (a coin toss teaches nothing)."""
    samples = sample_continuations(model, tokenizer, prompts, n=2, new_tokens=new_tokens, seed=seed,
                                   desc="sampling pairs")
    scores = judge([s["text"] for s in samples]).tolist()
    pairs = []
    for i in range(0, len(samples), 2):
        a, b = (samples[i], scores[i]), (samples[i + 1], scores[i + 1])
        if abs(a[1] - b[1]) < min_gap:
            continue
        (c, sc), (r, sr) = (a, b) if a[1] > b[1] else (b, a)
        pairs.append({"prompt": c["prompt"], "prompt_ids": c["prompt_ids"], "chosen_ids": c["response_ids"],
                      "rejected_ids": r["response_ids"], "chosen": c["text"], "rejected": r["text"],
                      "chosen_score": sc, "rejected_score": sr})
    return pairs


def collate_pairs(pairs: list[dict], pad_id: int) -> dict:
    """A batch of 2B right-padded rows: the B chosen sequences (prompt + response), then the B rejected ones.
    response_mask is 1 on response tokens only; ref_logps is carried when the pairs have it."""
    seqs = [(p["prompt_ids"], p["chosen_ids"]) for p in pairs] + [(p["prompt_ids"], p["rejected_ids"]) for p in pairs]
    width = max(len(a) + len(b) for a, b in seqs)
    ids = torch.full((len(seqs), width), pad_id)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    response = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, (a, b) in enumerate(seqs):
        ids[r, :len(a) + len(b)] = torch.tensor(a + b)
        mask[r, :len(a) + len(b)] = 1
        response[r, len(a):len(a) + len(b)] = 1
    batch = {"input_ids": ids, "attention_mask": mask, "response_mask": response}
    if "ref_chosen" in pairs[0]:
        batch["ref_logps"] = torch.tensor([p["ref_chosen"] for p in pairs] + [p["ref_rejected"] for p in pairs])
    return batch


def collate_texts(pairs: list[dict], tokenizer, max_length: int = 128) -> dict:
    """A batch of 2B rows for a reward model with its own tokenizer: the B chosen texts (prompt + response), then
    the B rejected ones, right-padded."""
    enc = tokenizer([p["chosen"] for p in pairs] + [p["rejected"] for p in pairs], padding=True, truncation=True,
                    max_length=max_length, return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


class _PairLoss(nn.Module):
    """Wraps a reward model so that shared.train can train it: forward returns the student's Bradley-Terry loss."""

    def __init__(self, reward_model, loss_fn):
        super().__init__()
        self.reward_model, self.loss_fn = reward_model, loss_fn

    def forward(self, input_ids, attention_mask):
        r = self.reward_model(input_ids=input_ids, attention_mask=attention_mask)
        half = len(r) // 2
        return SimpleNamespace(loss=self.loss_fn(r[:half], r[half:]))


def text_scorer(model, tokenizer, max_length: int = 128, batch_size: int = 64, readout=None):
    """A model as a function of texts, in batches: scorer(texts) -> tensor of scores. A reward model's output is
    its score; `readout(output)` turns another model's output into one (the judge: p(positive) from its logits)."""
    @torch.no_grad()
    def score(texts: list[str]) -> torch.Tensor:
        out = []
        with evaluating(model) as device:
            for s in range(0, len(texts), batch_size):
                enc = tokenizer(list(texts[s:s + batch_size]), padding=True, truncation=True, max_length=max_length,
                                return_tensors="pt").to(device)
                o = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
                out.append((readout(o) if readout else o).float().cpu())
        return torch.cat(out) if out else torch.zeros(0)
    return score


def pairwise_correct(scorer, pairs: list[dict]) -> list[bool]:
    """For each pair: does `scorer` (a function of texts: the judge, or text_scorer(reward model)) score the
    chosen text above the rejected one? A tie counts as wrong: a reward model that scores everything alike ranks
    nothing (0, not a coin's 0.5)."""
    if not pairs:
        return []
    chosen, rejected = scorer([p["chosen"] for p in pairs]), scorer([p["rejected"] for p in pairs])
    return (chosen > rejected).tolist()


def pairwise_accuracy(reward_model, pairs: list[dict], tokenizer) -> float:
    """The share of pairs whose chosen text the reward model scores higher."""
    correct = pairwise_correct(text_scorer(reward_model, tokenizer), pairs)
    return sum(correct) / len(correct) if correct else float("nan")


def train_reward_model(reward_model, pairs: list[dict], tokenizer, *, loss_fn, config: TrainConfig, profile=None,
                       held_out: list[dict] | None = None):
    """Train the reward model on preference pairs (their texts, in the reward model's own tokenizer) with the
    student's loss, through shared.train (checkpoints, resume). With `held_out` pairs, their pairwise accuracy
    is measured at every evaluation (config.eval_every steps) and at the end: history["eval"]."""
    evaluate = (lambda wrapped: {"held_out_accuracy": pairwise_accuracy(wrapped.reward_model, held_out, tokenizer)}
                if held_out else None)
    res = train(_PairLoss(reward_model, loss_fn), pairs, cap_steps(config, profile),
                collate_fn=lambda b: collate_texts(b, tokenizer), evaluate_fn=evaluate)
    res.model = res.model.reward_model
    return res


@torch.no_grad()
def _logps(model, rows: list[dict], seq_logps_fn, pad_id: int, batch_size: int = 16) -> torch.Tensor:
    """The student's sequence_logprobs of each row's response given its prompt."""
    out = []
    with evaluating(model) as device:
        for s in range(0, len(rows), batch_size):
            chunk = [{"prompt_ids": r["prompt_ids"], "chosen_ids": r["response_ids"], "rejected_ids": []}
                     for r in rows[s:s + batch_size]]
            b = collate_pairs(chunk, pad_id)
            n = len(chunk)
            out.append(seq_logps_fn(model, b["input_ids"][:n].to(device), b["attention_mask"][:n].to(device),
                                    b["response_mask"][:n].to(device)).float().cpu())
    return torch.cat(out) if out else torch.zeros(0)


def reference_logprobs(reference, pairs: list[dict], seq_logps_fn, pad_id: int) -> list[dict]:
    """The pairs with the frozen reference's log-probabilities of both responses (computed once, not every step)."""
    chosen = _logps(reference, [{"prompt_ids": p["prompt_ids"], "response_ids": p["chosen_ids"]} for p in pairs],
                    seq_logps_fn, pad_id)
    rejected = _logps(reference, [{"prompt_ids": p["prompt_ids"], "response_ids": p["rejected_ids"]} for p in pairs],
                      seq_logps_fn, pad_id)
    return [{**p, "ref_chosen": float(c), "ref_rejected": float(r)} for p, c, r in zip(pairs, chosen, rejected)]


class _DPO(nn.Module):
    """Wraps a policy so that shared.train can train it: forward returns the student's DPO loss."""

    def __init__(self, policy, seq_logps_fn, loss_fn, beta: float):
        super().__init__()
        self.policy, self.seq_logps_fn, self.loss_fn, self.beta = policy, seq_logps_fn, loss_fn, beta

    def forward(self, input_ids, attention_mask, response_mask, ref_logps):
        logps = self.seq_logps_fn(self.policy, input_ids, attention_mask, response_mask)
        half = len(logps) // 2
        loss = self.loss_fn(logps[:half], logps[half:], ref_logps[:half], ref_logps[half:], self.beta)
        return SimpleNamespace(loss=loss[0] if isinstance(loss, tuple) else loss)


def _forked(fn, *args):
    """fn(*args) with the random state saved and restored around it: an evaluation that samples (and seeds) inside
    a training run leaves the run's own random draws (dropout, order) as they would be without it."""
    with torch.random.fork_rng(devices=range(torch.cuda.device_count()) if torch.cuda.is_available() else []):
        return fn(*args)


def train_dpo(start, pairs: list[dict], tokenizer, *, seq_logps_fn, loss_fn, beta: float, config: TrainConfig,
              profile=None, evaluate_fn=None):
    """A copy of `start` trained with DPO at this beta on pairs that carry reference log-probabilities.
    evaluate_fn(policy) -> dict, if given, runs every config.eval_every steps and at the end (history["eval"]):
    e.g. reward_and_kl, so that each beta traces a curve."""
    if "ref_chosen" not in pairs[0]:
        raise ValueError("The pairs have no reference log-probabilities: pass them through reference_logprobs first.")
    policy = copy.deepcopy(start)
    config = cap_steps(config.but(tag=f"{config.tag} beta={beta}"), profile)
    res = train(_DPO(policy, seq_logps_fn, loss_fn, beta), pairs, config,
                collate_fn=lambda b: collate_pairs(b, tokenizer.pad_token_id),
                evaluate_fn=(lambda wrapped: _forked(evaluate_fn, wrapped.policy)) if evaluate_fn else None)
    res.model = res.model.policy
    return res


def _mean_se(values: torch.Tensor) -> tuple[float, float]:
    n = len(values)
    return float(values.mean()), float(values.std() / math.sqrt(n)) if n > 1 else float("nan")


def reward_and_kl(policy, reference, tokenizer, prompts: list[str], *, judge, seq_logps_fn, new_tokens: int = 24,
                  samples: int = 4, seed: int = 1) -> dict:
    """Where a policy lands: the judge's mean reward of its samples, and its KL from the reference estimated
    from the same samples, KL ~ mean over samples y ~ policy of log policy(y|x) - log reference(y|x) (the
    student's sequence_logprobs, response tokens only), each with its standard error over prompts (a prompt's
    `samples` samples averaged first). `reward_items` and `kl_items` are the per-prompt means: policies scored
    on the same prompts compare prompt by prompt."""
    t0 = time.perf_counter()
    rows = sample_continuations(policy, tokenizer, prompts, n=samples, new_tokens=new_tokens, seed=seed)
    reward = judge([r["text"] for r in rows]).view(len(prompts), samples).mean(1)
    log_ratio = (_logps(policy, rows, seq_logps_fn, tokenizer.pad_token_id)
                 - _logps(reference, rows, seq_logps_fn, tokenizer.pad_token_id)).view(len(prompts), samples).mean(1)
    (r, r_se), (kl, kl_se) = _mean_se(reward), _mean_se(log_ratio)
    return {"reward": r, "reward_se": r_se, "kl": kl, "kl_se": kl_se, "samples": len(rows),
            "reward_items": reward.tolist(), "kl_items": log_ratio.tolist(),
            "example": rows[0]["text"], "seconds": round(time.perf_counter() - t0, 1)}


def best_of_n(reference, tokenizer, prompts: list[str], *, judge, pickers: dict, ns=(1, 2, 4, 8),
              new_tokens: int = 24, seed: int = 2) -> list[dict]:
    """Best-of-n: n samples of the reference per prompt; each picker (name -> a function of texts, e.g.
    text_scorer(reward model), or the judge itself: the best a perfect reward model could do) picks one, and the
    judge scores it. The same samples for every picker and n. One row per picker and n, with the per-prompt
    rewards (`items`). Its KL from the reference is not measured: `kl_bound` is log n - (n - 1) / n (the formula
    of Stiennon et al. 2020), an upper bound on KL(best-of-n || reference), not its value: close to it when the n
    samples are all different, looser when they repeat (Beirami et al. 2024, "Theoretical guarantees on the
    best-of-n alignment policy")."""
    n_max = max(ns)
    rows = sample_continuations(reference, tokenizer, prompts, n=n_max, new_tokens=new_tokens, seed=seed,
                                desc="best-of-n samples")
    texts = [r["text"] for r in rows]
    truth = judge(texts).view(len(prompts), n_max)
    out = []
    for name, pick in pickers.items():
        scores = truth if pick is judge else pick(texts).view(len(prompts), n_max)
        for n in ns:
            reward = truth[torch.arange(len(prompts)), scores[:, :n].argmax(1)]
            r, se = _mean_se(reward)
            out.append({"picked by": name, "n": n, "reward": r, "reward_se": se,
                        "kl_bound": math.log(n) - (n - 1) / n, "items": reward.tolist()})
    return out
