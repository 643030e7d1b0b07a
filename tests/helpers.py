"""Small models and data for the training tests: fast, deterministic, no dropout."""
import torch
from datasets import Dataset
from transformers import BertConfig, BertForSequenceClassification


def tiny_classifier(seed: int = 0, hidden: int = 16, dropout: float = 0.0):
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=50, hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=32, num_labels=2,
                     hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    return BertForSequenceClassification(cfg)


def toy_dataset(n: int = 64, seed: int = 0) -> Dataset:
    """Label = whether token 7 occurs: learnable in a few dozen steps."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n):
        length = int(torch.randint(4, 12, (1,), generator=g))
        ids = torch.randint(10, 50, (length,), generator=g).tolist()
        label = i % 2
        if label:
            ids[int(torch.randint(0, length, (1,), generator=g))] = 7
        rows.append({"input_ids": ids, "attention_mask": [1] * length, "labels": label})
    return Dataset.from_list(rows)


def collate(batch):
    """Pad to the longest example in the batch (what DataCollatorWithPadding does)."""
    width = max(len(b["input_ids"]) for b in batch)
    pad = lambda xs: xs + [0] * (width - len(xs))  # noqa: E731
    return {"input_ids": torch.tensor([pad(b["input_ids"]) for b in batch]),
            "attention_mask": torch.tensor([pad(b["attention_mask"]) for b in batch]),
            "labels": torch.tensor([b["labels"] for b in batch])}


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a, b, atol=1e-6):
    return all(torch.allclose(a[k], b[k], atol=atol) for k in a)
