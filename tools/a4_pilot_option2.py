"""a4's option-2 pilot (issue #30): learning rates and steps that train the head alone and the whole model, scored on
the first 300 sentences (seeded shuffle) of the dev split. A spec is kind:lr:steps:batch, kind head (the frozen
backbone), full (the whole model) or lib (AutoModelForSequenceClassification).

    python tools/a4_pilot_option2.py head:1e-2:300:16 lib:1e-4:150:8 full:1e-4:150:8
"""
import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
import torch.nn.functional as F
from torch import nn
import shared
from shared.data import load_task, subset
from shared.models import load_model, load_tokenizer
from shared.classify import finetune_classifier
from shared.train import TrainConfig
from transformers import AutoModel, AutoModelForSequenceClassification
from transformers.modeling_outputs import SequenceClassifierOutput
profile = shared.setup("offline", seed=0)
MODEL = profile.model("causal_lm")
tok = load_tokenizer(MODEL); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
data = load_task("sentiment", profile, seed=0)
dev = subset(data["validation"], int(os.environ.get("N", "300")), seed=0)

def last_token_pool(h, m):
    pos = torch.arange(m.size(1), device=m.device)
    return h[torch.arange(h.size(0), device=h.device), (pos * m).argmax(1)]

class LTC(nn.Module):
    def __init__(self, backbone, n, freeze=False):
        super().__init__()
        self.backbone = backbone; self.head = nn.Linear(backbone.config.hidden_size, n)
        if freeze:
            for p in self.backbone.parameters(): p.requires_grad_(False)
    def forward(self, input_ids, attention_mask, labels=None):
        h = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        lg = self.head(last_token_pool(h, attention_mask))
        return SequenceClassifierOutput(loss=F.cross_entropy(lg, labels) if labels is not None else None, logits=lg)

for spec in sys.argv[1:]:
    kind, lr, steps, bs = spec.split(":")
    lr, steps, bs = float(lr), int(steps), int(bs)
    torch.manual_seed(0)
    m = {"head": lambda: LTC(load_model(AutoModel, MODEL), 2, freeze=True),
         "full": lambda: LTC(load_model(AutoModel, MODEL), 2),
         "lib": lambda: load_model(AutoModelForSequenceClassification, MODEL, num_labels=2, pad_token_id=tok.pad_token_id)}[kind]()
    cfg = TrainConfig(output_dir=f"/tmp/a4p/o2-{kind}", max_steps=steps, batch_size=bs, lr=lr, seed=0, log_every=10, progress=False)
    t0 = time.time()
    r = finetune_classifier(m, {"train": data["train"], "validation": dev}, tok, cfg, profile=profile)
    losses = [round(e["loss"], 3) for e in r["history"]["train"]]
    print(spec, "acc", round(r["accuracy"], 3), "s", round(time.time() - t0), "loss", losses[:2], losses[-3:], flush=True)
