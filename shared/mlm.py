"""Masked-language modelling and encoder fine-tuning helpers for a2.

The notebook implements the ideas (masking, the loss, label alignment, pooling);
this module does the plumbing around them, one call each:

    blocks = mlm_blocks(corpus["validation"], tokenizer, block_size=128)
    mlm_perplexity(model, blocks, tokenizer, mask_fn=mask_fn, loss_fn=loss_fn)  # exp(mean masked-token NLL), fixed masks
    fill_mask(model, tokenizer, ["The capital of X is [MASK] ."])
    train_mlm(model, blocks, tokenizer, mask_fn=mask_fn, loss_fn=loss_fn, config=config)  # domain-adaptive MLM
    finetune_ner(spec, data, tokenizer, align_fn=align_fn, config=config)      # token classification, seqeval F1
    finetune_sentiment(spec, data, tokenizer, pool_fn=pool_fn, method="cls", config=config)   # pooled head, accuracy
"""
from __future__ import annotations

import math
import time

import torch
from torch import nn

from .classify import finetune_classifier, predictions
from .models import load_model
from .train import TrainConfig, cap_steps, evaluating, train


# ---------------------------------------------------------------- MLM data

def mlm_blocks(split, tokenizer, block_size: int = 128, text_column: str = "text", max_blocks: int | None = None):
    """Concatenate the non-empty lines of a corpus split and cut it into blocks of block_size tokens.

    Each block is [CLS] ... [SEP] (the tokenizer's own special tokens) with a special_tokens_mask,
    as BERT saw its pretraining text. Returns a datasets.Dataset.
    """
    from datasets import Dataset
    lines = [t.strip() for t in split[text_column] if t.strip()]
    ids = []
    for start in range(0, len(lines), 1000):
        for seq in tokenizer(lines[start:start + 1000], add_special_tokens=False)["input_ids"]:
            ids.extend(seq)
    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ValueError("mlm_blocks needs a BERT-style tokenizer with [CLS] and [SEP] tokens.")
    body = block_size - 2
    rows = {"input_ids": [], "attention_mask": [], "special_tokens_mask": []}

    def add(chunk):
        seq = [tokenizer.cls_token_id] + chunk + [tokenizer.sep_token_id]
        rows["input_ids"].append(seq)
        rows["attention_mask"].append([1] * len(seq))
        rows["special_tokens_mask"].append([1] + [0] * len(chunk) + [1])
    for start in range(0, len(ids) - body + 1, body):
        add(ids[start:start + body])
        if max_blocks and len(rows["input_ids"]) >= max_blocks:
            break
    if not rows["input_ids"] and ids:  # a tiny corpus (smoke profile): one short block
        add(ids[:body])
    if not rows["input_ids"]:
        raise ValueError("The corpus split has no text: check the split name.")
    return Dataset.from_dict(rows)


class MaskingCollator:
    """Pads a list of blocks, then masks them with `mask_fn` (the notebook's mask_tokens).

    mask_fn(input_ids, special_tokens_mask, tokenizer, mlm_probability, generator) -> (inputs, labels)
    The collator owns a seeded torch.Generator, so a run's masks are reproducible.
    """

    def __init__(self, tokenizer, mask_fn, mlm_probability: float = 0.15, seed: int = 0):
        self.tokenizer, self.mask_fn, self.p = tokenizer, mask_fn, mlm_probability
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, examples):
        batch = self.tokenizer.pad([{k: e[k] for k in ("input_ids", "attention_mask", "special_tokens_mask")}
                                    for e in examples], return_tensors="pt")
        special = batch.pop("special_tokens_mask")
        inputs, labels = self.mask_fn(batch["input_ids"], special, self.tokenizer, self.p, self.generator)
        return {"input_ids": inputs, "attention_mask": batch["attention_mask"], "labels": labels}


def _mlm_head(model):
    """The prediction head of a BERT- or DistilBERT-style MLM, as a function of hidden states (None: unknown)."""
    if hasattr(model, "cls") and hasattr(model, "bert"):
        return model.cls
    if hasattr(model, "vocab_projector") and hasattr(model, "vocab_transform"):
        return lambda h: model.vocab_projector(model.vocab_layer_norm(model.activation(model.vocab_transform(h))))
    return None


class MaskedOnlyMLM(nn.Module):
    """Wraps an MLM so that the vocabulary projection runs at the masked positions only.

    The loss is `loss_fn(logits, labels)` (a2: the student's mlm_loss; by default the model's own,
    mean cross-entropy over labels != -100), called with the masked positions only, as a batch of
    one sequence: logits (1, n_masked, vocab), labels (1, n_masked). The projection onto ~30k words,
    the most expensive part of BERT's MLM step on a CPU, is so computed for ~15% of the positions.
    """

    def __init__(self, model, loss_fn=None):
        super().__init__()
        self.model, self.head = model, _mlm_head(model)
        self.loss_fn = loss_fn or (lambda logits, labels: nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100))

    def forward(self, input_ids, attention_mask, labels, **kwargs):
        from transformers.modeling_outputs import MaskedLMOutput
        if self.head is None:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            return MaskedLMOutput(loss=self.loss_fn(out.logits, labels), logits=out.logits)
        hidden = self.model.base_model(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        where = labels != -100
        logits = self.head(hidden[where])
        return MaskedLMOutput(loss=self.loss_fn(logits[None], labels[where][None]), logits=logits)


def mlm_perplexity(model, blocks, tokenizer, *, mask_fn, loss_fn=None, mlm_probability: float = 0.15,
                   batch_size: int = 32, seed: int = 0) -> dict:
    """exp(mean negative log-likelihood of the masked tokens), with the same masks every call (seed).

    This is the "perplexity" that BERT-style models report: it scores only the masked
    positions, each predicted from both sides, so it is not comparable to a causal LM's.
    Also returns "block_nll", each block's mean NLL of its masked tokens (the items of a paired
    comparison of two models on the same masks), and "masked_ids", the masked tokens' ids in order.
    """
    collate = MaskingCollator(tokenizer, mask_fn, mlm_probability, seed)
    total, count, block_nll, masked_ids = 0.0, 0, [], []
    scorer = MaskedOnlyMLM(model, loss_fn)
    with evaluating(model) as device:
        for start in range(0, len(blocks), batch_size):
            batch = collate([blocks[i] for i in range(start, min(start + batch_size, len(blocks)))])
            batch = {k: v.to(device) for k, v in batch.items()}
            for r in range(len(batch["input_ids"])):    # block by block: each block's NLL is an item
                row = {k: v[r:r + 1] for k, v in batch.items()}
                n = int((row["labels"] != -100).sum())
                if n == 0:
                    continue
                nll = scorer(**row).loss.float().item()
                block_nll.append(nll)
                masked_ids += row["labels"][row["labels"] != -100].tolist()
                total += nll * n
                count += n
    nll = total / max(count, 1)
    return {"perplexity": math.exp(nll), "nll": nll, "masked_tokens": count, "block_nll": block_nll,
            "masked_ids": masked_ids}


def unigram_nll(blocks, token_ids: list[int], vocab_size: int) -> float:
    """Mean NLL (nats) of `token_ids` under the add-one token frequencies of `blocks`: what predicting every
    masked token from counts alone gives, the floor of a masked LM's perplexity."""
    counts = torch.zeros(vocab_size)
    for ids in blocks["input_ids"]:
        counts += torch.bincount(torch.tensor(ids), minlength=vocab_size)[:vocab_size].float()
    logp = torch.log((counts + 1) / (counts.sum() + vocab_size))
    return float(-logp[torch.tensor(token_ids)].mean())


def fill_mask(model, tokenizer, sentences: list[str], k: int = 5) -> list[list[tuple[str, float]]]:
    """Top-k predictions (token, probability) for the first [MASK] of each sentence.

    Write the mask as "[MASK]" whatever the tokenizer's own mask token is.
    """
    out = []
    with evaluating(model) as device:
        for s in sentences:
            enc = tokenizer(s.replace("[MASK]", tokenizer.mask_token), return_tensors="pt").to(device)
            where = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()
            if len(where) == 0:
                raise ValueError(f"No [MASK] in {s!r}.")
            top = model(**enc).logits[0, where[0, 0]].softmax(-1).topk(k)
            out.append([(tokenizer.convert_ids_to_tokens(int(i)), float(p)) for p, i in zip(top.values, top.indices)])
    return out


def train_mlm(model, blocks, tokenizer, *, mask_fn, loss_fn, config: TrainConfig, mlm_probability: float = 0.15):
    """Domain-adaptive MLM: continue the MLM objective on the course corpus with shared.train, masking with
    `mask_fn` and minimising `loss_fn` (a2: the student's mask_tokens and mlm_loss).

    Trains through MaskedOnlyMLM (the vocabulary projection at masked positions only); the returned
    result's .model is the MLM itself.
    """
    result = train(MaskedOnlyMLM(model, loss_fn), blocks, config,
                   collate_fn=MaskingCollator(tokenizer, mask_fn, mlm_probability, config.seed))
    result.model = result.model.model
    return result


# ---------------------------------------------------------------- fine-tuning

def tokenize_ner(split, tokenizer, align_fn, max_length: int = 128, **align_kwargs):
    """Tokenize pre-split words and align the word labels with align_fn (the notebook's function)."""
    def prep(batch):
        enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
        enc["labels"] = [align_fn(enc.word_ids(i), tags, **align_kwargs) for i, tags in enumerate(batch["ner_tags"])]
        return enc
    return split.map(prep, batched=True, remove_columns=split.column_names)


def evaluate_ner(model, tokenized, tokenizer, label_names: list[str], batch_size: int = 32) -> dict:
    """Entity-level F1 (seqeval) scored at the positions whose label is not -100."""
    from transformers import DataCollatorForTokenClassification
    from .metrics import ner_f1
    collate = DataCollatorForTokenClassification(tokenizer)
    y_true, y_pred = [], []
    for labels, pred in predictions(model, tokenized, collate, batch_size):
        for p_row, l_row in zip(pred, labels):
            keep = l_row != -100
            y_true.append([label_names[i] for i in l_row[keep].tolist()])
            y_pred.append([label_names[i] for i in p_row[keep].tolist()])
    from .metrics import ner_counts
    return {**{f"ner_{k}": v for k, v in ner_f1(y_true, y_pred).items()}, "ner_counts": ner_counts(y_true, y_pred)}


class PooledClassifier(nn.Module):
    """An encoder, a pooling of its last hidden layer, dropout and one linear layer: y = W pool(H) + b.

    pool_fn(hidden_states, attention_mask, method) is the notebook's pooling function.
    forward() returns an object with .loss (when labels are given) and .logits, like a
    transformers model, so shared.train can train it.
    """

    def __init__(self, encoder, num_labels: int, pool_fn, method: str = "cls", dropout: float = 0.1):
        super().__init__()
        self.encoder, self.pool_fn, self.method = encoder, pool_fn, method
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, labels=None, **kwargs):
        from transformers.modeling_outputs import SequenceClassifierOutput
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        logits = self.head(self.dropout(self.pool_fn(hidden, attention_mask, self.method)))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def finetune_ner(spec: str, data, tokenizer, *, align_fn, config: TrainConfig, profile=None, max_length: int = 128,
                 **align_kwargs) -> dict:
    """Replace the MLM head with a token-classification head (one logit per tag) and fine-tune.

    spec: a model spec or a folder (e.g. the domain-adapted encoder). Returns a result row.
    """
    from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification
    from accelerate.utils import set_seed
    names = data["train"].features["ner_tags"].feature.names
    train_set = tokenize_ner(data["train"], tokenizer, align_fn, max_length, **align_kwargs)
    dev_set = tokenize_ner(data["validation"], tokenizer, align_fn, max_length)
    set_seed(config.seed)
    model = load_model(AutoModelForTokenClassification, spec, num_labels=len(names),
                       id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})
    t0 = time.perf_counter()
    res = train(model, train_set, cap_steps(config, profile), collate_fn=DataCollatorForTokenClassification(tokenizer))
    scores = evaluate_ner(res.model, dev_set, tokenizer, names)
    return {**scores, "steps": res.steps, "seconds": round(time.perf_counter() - t0, 1), "history": res.history,
            "model": res.model}


def finetune_sentiment(spec: str, data, tokenizer, *, pool_fn, method: str, config: TrainConfig, profile=None,
                       max_length: int = 128) -> dict:
    """A pooled classification head on the encoder (its MLM head dropped), fine-tuned; dev accuracy."""
    from accelerate.utils import set_seed
    from transformers import AutoConfig, AutoModel
    from .models import resolve
    set_seed(config.seed)
    # BERT-like encoders carry a pooler (a dense layer on [CLS]) that MLM checkpoints never trained: leave it out.
    no_pooler = AutoConfig.from_pretrained(resolve(spec)).model_type in {"bert", "roberta", "xlm-roberta"}
    encoder = load_model(AutoModel, spec, **({"add_pooling_layer": False} if no_pooler else {}))
    num_labels = data["train"].features["label"].num_classes
    model = PooledClassifier(encoder, num_labels, pool_fn, method)
    return finetune_classifier(model, data, tokenizer, config, profile=profile, max_length=max_length)
