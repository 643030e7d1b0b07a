"""Stage 1: tuned lm, judge, 2 samples per prompt for N prompts, judge-scored; cached in /tmp/a6p."""
import os, sys, time, json, copy
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, ".")
import torch
import shared
from shared import generation as gen
from shared.data import load_task
from shared.models import load_model, load_tokenizer
from shared.train import TrainConfig
from transformers import AutoModelForCausalLM
cells = json.load(open("solutions/a6_generation_preference/a6_generation_preference.ipynb"))["cells"]
ns = {}
exec("import torch, math, re\nimport torch.nn.functional as F\nfrom torch import nn\n", ns)
for c in cells:
    s = "".join(c["source"])
    if c["cell_type"] == "code" and s.lstrip().startswith(("def ", "class ", "@torch")):
        exec(s.split("### BEGIN HIDDEN")[0], ns)
profile = shared.setup("offline", seed=0)
S = profile.settings("a6")
MODEL = profile.model("causal_lm")
tok = load_tokenizer(MODEL); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
t0 = time.time()
reviews = load_task("reviews", profile, seed=0)
if not os.path.exists("/tmp/a6p/lm"):
    lm = load_model(AutoModelForCausalLM, MODEL)
    cfg = TrainConfig(output_dir="/tmp/a6p/domain", max_steps=S["ft_steps"], batch_size=S["ft_batch"], lr=S["ft_lr"], seed=0, save_every=0, progress=False)
    ft = gen.finetune_lm(lm, tok, gen.review_texts(reviews["train"], S["ft_texts"]), batch_fn=ns["lm_batch"], config=cfg, max_length=S["max_length"], profile=profile)
    ft.model.save_pretrained("/tmp/a6p/lm"); print("ft", round(time.time() - t0), flush=True)
lm = load_model(AutoModelForCausalLM, "/tmp/a6p/lm").eval()
t1 = time.time()
judge, acc = gen.train_judge(profile, steps=int(os.environ.get("JSTEPS", S["judge_steps"])), lr=S["judge_lr"], output_dir="/tmp/a6p/judge", seed=0)
print("judge", acc, round(time.time() - t1), flush=True)
N = int(os.environ.get("N", 800))
prompts = gen.prompts_from(gen.review_texts(reviews["train"]), 4)[-N:]
t1 = time.time()
samples = gen.sample_continuations(lm, tok, prompts, n=2, new_tokens=S["new_tokens"], seed=0)
print("sample", len(samples), round(time.time() - t1), flush=True)
t1 = time.time()
scores = judge([s["text"] for s in samples]).tolist()
print("judge scoring", round(time.time() - t1), flush=True)
for s, sc in zip(samples, scores): s["score"] = sc
json.dump(samples, open("/tmp/a6p/samples.json", "w"))
import numpy as np
gaps = np.abs(np.array(scores[0::2]) - np.array(scores[1::2]))
print("gap quantiles", np.quantile(gaps, [0.25, 0.5, 0.75]).round(3), ">0.1", (gaps > 0.1).mean(), ">0.3", (gaps > 0.3).mean(), flush=True)
