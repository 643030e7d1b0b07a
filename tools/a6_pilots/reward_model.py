import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); sys.path.insert(0, ".")
import numpy as np, torch
import shared
from shared.models import load_model, load_tokenizer
from shared.train import TrainConfig, train
from shared.generation import _PairLoss
from transformers import AutoModel
cells = json.load(open("solutions/a6_generation_preference/a6_generation_preference.ipynb"))["cells"]
ns = {}
exec("import torch, math, re\nimport torch.nn.functional as F\nfrom torch import nn\n", ns)
for c in cells:
    s = "".join(c["source"])
    if c["cell_type"] == "code" and s.lstrip().startswith(("def ", "class ", "@torch")):
        exec(s.split("### BEGIN HIDDEN")[0], ns)
profile = shared.setup("offline", seed=0)
samples = json.load(open("/tmp/a6p/samples.json"))
GAP = float(os.environ.get("GAP", 0.1))
pairs = []
for i in range(0, len(samples), 2):
    a, b = samples[i], samples[i + 1]
    if abs(a["score"] - b["score"]) < GAP: continue
    c, r = (a, b) if a["score"] > b["score"] else (b, a)
    pairs.append((c["text"], r["text"]))
held = len(pairs) // 4; test, trn = pairs[:held], pairs[held:]
print(len(trn), "train", len(test), "held", flush=True)
spec = os.environ.get("SPEC", profile.model("encoder"))
tok = load_tokenizer(spec); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
low = spec == profile.model("encoder")
def enc(texts):
    return tok([t.lower() if low else t for t in texts], padding=True, truncation=True, max_length=64, return_tensors="pt")
def collate(batch):
    e = enc([c for c, _ in batch] + [r for _, r in batch]); return {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
@torch.no_grad()
def acc(rm, ps):
    rm.eval(); out = []
    for s in range(0, len(ps), 32):
        b = collate(ps[s:s+32]); r = rm(**b); n = len(r)//2; out += (r[:n] > r[n:]).tolist()
    return float(np.mean(out))
for lr in [float(x) for x in os.environ.get("LRS", "5e-5,1e-4").split(",")]:
    torch.manual_seed(0)
    rm = ns["RewardModel"](load_model(AutoModel, spec))
    steps = int(os.environ.get("STEPS", 150)); bs = int(os.environ.get("BS", 8))
    cfg = TrainConfig(output_dir=f"/tmp/a6p/rm{lr}", max_steps=steps, batch_size=bs, lr=lr, seed=0, save_every=0, progress=False, eval_every=steps // 3, resume=False)
    t0 = time.time()
    res = train(_PairLoss(rm, ns["bradley_terry_loss"]), trn, cfg, collate_fn=collate, evaluate_fn=lambda m: {"held": acc(m.reward_model, test), "train": acc(m.reward_model, trn[:200])})
    print(spec, "lr", lr, "steps", steps, "bs", bs, round(time.time() - t0), "s", [(e["step"], round(e["held"], 3), round(e["train"], 3)) for e in res.history["eval"]], flush=True)
