import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); sys.path.insert(0, ".")
import numpy as np, torch
if os.environ.get("FLUSH"): torch.set_flush_denormal(True)   # FLUSH=1: denormals to zero before any torch work (since then shared.setup() does it)
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
tok = load_tokenizer(profile.model("causal_lm")); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
lm = load_model(AutoModelForCausalLM, "/tmp/a6p/lm").eval()
judge, _ = gen.train_judge(profile, steps=S["judge_steps"], lr=S["judge_lr"], output_dir="/tmp/a6p/judge", seed=0)
samples = json.load(open("/tmp/a6p/samples.json"))
pairs = []
for i in range(0, len(samples), 2):
    a, b = samples[i], samples[i + 1]
    if abs(a["score"] - b["score"]) < 0.1: continue
    c, r = (a, b) if a["score"] > b["score"] else (b, a)
    pairs.append({"prompt": c["prompt"], "prompt_ids": c["prompt_ids"], "chosen_ids": c["response_ids"], "rejected_ids": r["response_ids"], "chosen": c["text"], "rejected": r["text"], "gap": abs(a["score"] - b["score"])})
trn = pairs[len(pairs) // 4:]
if os.environ.get("SORT") == "gap":   # the widest judge gaps first (added in a later session)
    trn = sorted(trn, key=lambda p: -p["gap"])
trn = trn[:int(os.environ.get("NPAIRS", 10 ** 9))]   # NPAIRS: the first N training pairs only (added after the first runs)
reviews = load_task("reviews", profile, seed=0)
EVAL = gen.prompts_from(gen.review_texts(reviews["test"]), 4)[:int(os.environ.get("EP", 80))]
SP = int(os.environ.get("SP", 4))
ev = lambda pol: gen.reward_and_kl(pol, lm, tok, EVAL, judge=judge, seq_logps_fn=ns["sequence_logprobs"], new_tokens=S["new_tokens"], samples=SP)
t0 = time.time(); ref = ev(lm); print("tuned", round(ref["reward"], 3), round(ref["reward_se"], 3), "eval s", round(time.time() - t0), flush=True)
t0 = time.time(); pr = gen.reference_logprobs(lm, trn, ns["sequence_logprobs"], tok.pad_token_id); print("ref logps", round(time.time() - t0), flush=True)
STEPS = int(os.environ.get("STEPS", 24)); LR = float(os.environ.get("LR", 4e-5)); BS = int(os.environ.get("BS", 6))
res = {"tuned": ref}
secs = {}   # each beta's run: training and its evaluations (added in a later session)
for beta in [float(x) for x in os.environ.get("BETAS", "0.03,0.3,3").split(",")]:
    cfg = TrainConfig(output_dir=f"/tmp/a6p/dpo{beta}", max_steps=STEPS, batch_size=BS, lr=LR, seed=0, save_every=0, progress=False, eval_every=int(os.environ.get("EVERY", STEPS // 2)), resume=False)
    t0 = time.time()
    run = gen.train_dpo(lm, pr, tok, seq_logps_fn=ns["sequence_logprobs"], loss_fn=ns["dpo_loss"], beta=beta, config=cfg, profile=profile, evaluate_fn=ev)
    pts = [(e["step"], round(e["reward"], 3), round(e["reward_se"], 3), round(e["kl"], 2), round(e["kl_se"], 2), e["seconds"]) for e in run.history["eval"]]
    res[beta] = run.history["eval"]
    secs[str(beta)] = round(time.time() - t0, 1)
    print("beta", beta, "total s", round(time.time() - t0), pts, flush=True)
    del run
json.dump({**{str(k): v for k, v in res.items()}, "run seconds": secs}, open(os.environ.get("OUT", "/tmp/a6p/dpo_res.json"), "w"))
from shared.tracking import paired_bootstrap
b = [k for k in res if k != "tuned"]
fin = {k: np.array(res[k][-1]["reward_items"]) for k in b}
for k in b:
    print(k, "vs tuned", paired_bootstrap(fin[k], np.array(ref["reward_items"]))["ci95"])
for x, y in zip(b, b[1:]):
    print(x, "vs", y, "reward", paired_bootstrap(fin[x], fin[y])["ci95"], "kl", paired_bootstrap(np.array(res[x][-1]["kl_items"]), np.array(res[y][-1]["kl_items"]))["ci95"])
