"""Causal language models for a3: a ladder of sizes, trained for equal compute, and measured.

    ids = corpus_ids(corpus["validation"], tokenizer)            # (1, N) token ids of a whole split
    model = build_gpt("small", tokenizer)                         # GPT-2 architecture from a config
    run = train_for_flops(model, corpus["train"], tokenizer, flops=2e12, n_params=n)  # steps = flops / (6 N tokens/step)
    zero_shot_sentiment(model, tokenizer, dev)                    # first-token label accuracy
    sample_texts(model, tokenizer, prompts, 40, do_sample=True, top_k=50)
    pareto_front(costs, qualities)                                # indices of the non-dominated models
"""
from __future__ import annotations

import math
import torch

from .profiles import ASSIGNMENTS
from .train import TrainConfig, train

SIZES = ASSIGNMENTS["a3"].shapes   # GPT-2 shapes in miniature, by name (shared/profiles.py: a3's block)


def corpus_text(split, text_column: str = "text", max_chars: int | None = None) -> str:
    """The split's lines joined as in the WikiText perplexity recipe, cut to its first max_chars characters.

    Cut by characters, not tokens, so that models with different tokenizers score the same text and their
    bits per character compare.
    """
    text = "\n\n".join(split[text_column])
    return text[:max_chars] if max_chars else text


def corpus_ids(split, tokenizer, text_column: str = "text", max_tokens: int | None = None) -> torch.Tensor:
    """The whole split as one (1, N) tensor of ids, lines joined as in the WikiText perplexity recipe."""
    ids = tokenizer(corpus_text(split, text_column), return_tensors="pt", verbose=False)["input_ids"]
    return ids[:, :max_tokens] if max_tokens else ids


def build_gpt(size: str, tokenizer, n_positions: int = 256, seed: int = 0):
    """A GPT-2-architecture model of one of SIZES, randomly initialised (seeded), with tied embeddings."""
    from transformers import GPT2Config, GPT2LMHeadModel
    if size not in SIZES:
        raise KeyError(f"Unknown size '{size}': choose one of {', '.join(SIZES)}.")
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(tokenizer), n_positions=n_positions, bos_token_id=tokenizer.bos_token_id,
                     eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **SIZES[size])
    from .device import place
    from .models import quiet_loss_type
    return place(quiet_loss_type(GPT2LMHeadModel(cfg)))


def lm_blocks(split, tokenizer, block_size: int, text_column: str = "text"):
    """Training blocks for a causal LM: the split's text concatenated and cut into block_size tokens."""
    from datasets import Dataset
    ids = corpus_ids(split, tokenizer, text_column)[0]
    n = (len(ids) // block_size) * block_size
    blocks = ids[:n].view(-1, block_size)
    return Dataset.from_dict({"input_ids": blocks.tolist(), "labels": blocks.tolist()})


def train_for_flops(model, split, tokenizer, *, flops: float, n_params: int, block_size: int = 128,
                    batch_size: int = 16, lr: float = 1e-3, seed: int = 0, output_dir: str = "runs/lm",
                    max_steps: int | None = None, progress: bool = True):
    """Train for a compute budget: steps = flops / (6 * n_params * tokens per step) (Kaplan et al.'s estimate).

    n_params is the caller's count (a3 passes the total from the student's count_parameters: embeddings
    included, because in these small models the tied embedding is also the output projection, which
    costs 2 FLOPs per parameter per token like any layer; Kaplan et al. leave embeddings out, which
    would give the smallest model several times more steps). Smaller models get more steps for the
    same budget. max_steps caps the steps (smoke profile). Returns (TrainResult, steps the budget allowed).
    """
    blocks = lm_blocks(split, tokenizer, block_size)
    tokens_per_step = batch_size * block_size
    steps = max(1, int(flops / (6 * n_params * tokens_per_step)))
    if max_steps:
        steps = min(steps, max_steps)
    cfg = TrainConfig(output_dir=output_dir, max_steps=steps, batch_size=batch_size, lr=lr, warmup_ratio=0.05,
                      scheduler="cosine", seed=seed, log_every=max(1, steps // 50), progress=progress)
    return train(model, blocks, cfg, collate_fn=_stack), steps


def _stack(examples):
    return {k: torch.tensor([e[k] for e in examples]) for k in ("input_ids", "labels")}


def zero_shot_sentiment(model, tokenizer, dev, *, template: str = "Review: {text}\nSentiment:",
                        label_words=(" negative", " positive"), batch_size: int = 16, per_item: bool = False):
    """Zero-shot accuracy from the next-token distribution after the prompt: the label whose word's
    *first* token is more probable wins (one forward pass per batch, prompts left-padded). a4 scores
    whole label words, however many tokens they have; this is the quick first-token version.
    per_item=True: a list of 0/1, one per sentence (right or wrong), for a paired comparison of two models."""
    from .classify import accuracy
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    first = [tokenizer(w, add_special_tokens=False)["input_ids"][0] for w in label_words]
    limit = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", 10 ** 9)
    rows = [{"ids": tokenizer(template.format(text=t))["input_ids"][-limit:], "labels": y}
            for t, y in zip(dev["sentence"], dev["label"])]

    def left_padded(batch):
        width = max(len(r["ids"]) for r in batch)
        mask = torch.tensor([[0] * (width - len(r["ids"])) + [1] * len(r["ids"]) for r in batch])
        return {"input_ids": torch.tensor([[pad] * (width - len(r["ids"])) + r["ids"] for r in batch]),
                "attention_mask": mask, "position_ids": (mask.cumsum(-1) - 1).clamp(min=0),
                "labels": torch.tensor([r["labels"] for r in batch])}

    def last_position(model, inputs):   # its logits only: a large vocabulary (Gemma's 262k) costs little then
        try:
            return model(**inputs, logits_to_keep=1)
        except TypeError:
            return model(**inputs)
    right = torch.tensor(accuracy(model, rows, left_padded, batch_size, forward=last_position,
                                  readout=lambda out: out.logits[:, -1, first].argmax(-1))["correct"])
    return right.tolist() if per_item else float(right.float().mean())


def sample_texts(model, tokenizer, prompts: list[str], new_tokens: int = 40, seed: int = 0, **generate_kwargs) -> list[str]:
    """Continuations of each prompt (prompt excluded), one prompt at a time (no padding), generated with the
    attention mask and pad token set."""
    from .generation import generate_batched
    ids = generate_batched(model, tokenizer, prompts, batch_size=1, seed=seed, add_special_tokens=True, desc=None,
                           max_new_tokens=new_tokens, min_new_tokens=new_tokens, **generate_kwargs)
    model.eval()   # as before: the model is left in eval mode
    return [tokenizer.decode(g, skip_special_tokens=True) for g in ids]


def bits_per_character(perplexity: float, scored_tokens: int, characters: int) -> float:
    """Token perplexity -> bits per character, comparable across tokenizers: log2(ppl) * tokens / characters."""
    return math.log2(perplexity) * scored_tokens / characters


def pareto_front(costs, qualities, higher_is_better: bool = True) -> list[int]:
    """Indices of the points no other point beats on both cost (lower) and quality."""
    pts = list(zip(costs, qualities))
    front = []
    for i, (c, q) in enumerate(pts):
        dominated = any((c2 <= c and (q2 >= q if higher_is_better else q2 <= q)) and (c2, q2) != (c, q)
                        for c2, q2 in pts)
        if not dominated:
            front.append(i)
    return front


def plot_tradeoff(frame, cost: str, quality: str, *, higher_is_better: bool = True, ax=None, label: str = "model"):
    """Quality against cost on log axes, each model named, the Pareto front drawn as a line."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    ax.scatter(frame[cost], frame[quality])
    for _, r in frame.iterrows():
        ax.annotate(str(r[label]), (r[cost], r[quality]), fontsize=8, xytext=(3, 3), textcoords="offset points")
    front = frame.iloc[pareto_front(frame[cost].tolist(), frame[quality].tolist(), higher_is_better)].sort_values(cost)
    ax.plot(front[cost], front[quality], "r--", label="Pareto front")
    ax.set_xscale("log")
    if (frame[quality] > 0).all() and not higher_is_better:
        ax.set_yscale("log")
    ax.set(xlabel=cost, ylabel=quality)
    ax.legend()
    return ax


def text_chunks(text: str, n: int) -> list[str]:
    """`text` cut into n consecutive chunks of about equal length, each cut after a line break where there
    is one: the items of a paired comparison of language models (every model scores the same chunks)."""
    chunks, start, size = [], 0, len(text) / n
    for k in range(1, n):
        end = text.find("\n", max(round(k * size), round(start + size / 2)))
        if end == -1:
            break
        while end < len(text) and text[end] == "\n":   # the breaks stay with the chunk they end
            end += 1
        chunks.append(text[start:end])
        start = end
    if start < len(text):
        chunks.append(text[start:])
    return chunks


def ngram_bits_per_character(train_text: str, eval_text: str, tokenizer, tune_text: str | None = None,
                             lambdas=(0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)) -> dict:
    """What counting gives: bits per character of `eval_text` under an add-one unigram model and an
    interpolated bigram, P(w | v) = l * c(v, w) / c(v) + (1 - l) * P_unigram(w), both counted on
    `train_text` in `tokenizer`'s tokens. l is chosen on `tune_text` (another split), never on `eval_text`.
    A language model that does not beat these has learned less than word counts: the floor of a3's ladder.
    """
    from collections import Counter
    ids = lambda t: tokenizer(t, verbose=False)["input_ids"]   # noqa: E731
    train = ids(train_text)
    vocab = len(tokenizer)
    uni, bi = Counter(train), Counter(zip(train, train[1:]))
    total = len(train)
    p_uni = lambda w: (uni[w] + 1) / (total + vocab)   # noqa: E731

    def bits(text, lam):
        t = ids(text)
        s = 0.0
        for v, w in zip(t, t[1:]):
            p = (lam * bi[(v, w)] / uni[v] if uni[v] else 0.0) + (1 - lam) * p_uni(w)
            s -= math.log2(p)
        return s / len(text), -sum(math.log2(p_uni(w)) for w in t[1:]) / len(text)

    best = min(lambdas, key=lambda lam: bits(tune_text, lam)[0]) if tune_text else 0.8
    bigram, unigram = bits(eval_text, best)
    return {"unigram": unigram, "bigram": bigram, "lambda": best}
