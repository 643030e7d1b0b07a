"""3b redesign pilot: fine-tune the instruct model on the train split's word problems, each in two formats (the
direct prompt -> "#### answer"; the step-by-step prompt -> the worked solution, calculator marks removed), in one
run; then both prompts on the same test problems, greedy. Env: STEPS, LR, BS, N (test problems), ML (max length)."""
import os, sys, json, re, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); sys.path.insert(0, ".")
import random
import torch
import shared
from shared import generation as gen
from shared.data import load_task
from shared.models import load_model, load_tokenizer
from shared.train import TrainConfig
from shared.tracking import mcnemar
from transformers import AutoModelForCausalLM
cells = json.load(open("solutions/a6_generation_preference/a6_generation_preference.ipynb"))["cells"]
ns = {}
exec("import torch, math, re\nimport torch.nn.functional as F\nfrom torch import nn\n", ns)
for c in cells:
    s = "".join(c["source"])
    if c["cell_type"] == "code" and s.lstrip().startswith(("def ", "class ", "@torch")):
        exec(s.split("### BEGIN HIDDEN")[0], ns)
DIRECT = "{question}\nReply with the final number only."
COT = "{question}\nLet's think step by step."
profile = shared.setup("offline", seed=0)
spec = profile.model("instruct_lm")
tok = load_tokenizer(spec); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
model = load_model(AutoModelForCausalLM, spec)
data = load_task("arithmetic", profile, seed=0)
strip = lambda a: re.sub(r"<<[^>]*>>", "", a)
final = lambda a: a.strip().split("\n")[-1]
texts = []
for q, a in zip(data["train"]["question"], data["train"]["answer"]):
    texts.append(gen.chat_prompt(tok, DIRECT.format(question=q)) + final(a))
    texts.append(gen.chat_prompt(tok, COT.format(question=q)) + strip(a))
random.Random(0).shuffle(texts)
ML = int(os.environ.get("ML", 192))
lens = [len(tok(t)["input_ids"]) for t in texts]
print("texts", len(texts), "tokens max", max(lens), "mean", sum(lens) / len(lens), flush=True)
print(texts[0]); print(texts[1])
STEPS, LR, BS, N = int(os.environ.get("STEPS", 100)), float(os.environ.get("LR", 2e-4)), int(os.environ.get("BS", 8)), int(os.environ.get("N", 100))
test = data["test"].select(range(N))
gold = [ns["extract_answer"](a) for a in test["answer"]]
t0 = time.time()
cfg = TrainConfig(output_dir="/tmp/p7/arith", max_steps=STEPS, batch_size=BS, lr=LR, seed=0, save_every=0, progress=False, resume=False, log_every=10)
run = gen.finetune_lm(model, tok, texts, batch_fn=ns["lm_batch"], config=cfg, max_length=ML, profile=profile)
print("train s", round(time.time() - t0), "history", str(run.history)[:600], flush=True)
m = run.model.eval()
right = {}
for style, instr, mt in [("direct", DIRECT, 12), ("cot", COT, int(os.environ.get("COT_TOKENS", 80)))]:
    t0 = time.time()
    rows = gen.solve(m, tok, test["question"], instruction=instr, extract_fn=ns["extract_answer"], max_new_tokens=mt)
    right[style] = [r["prediction"] is not None and abs(r["prediction"] - g) < 1e-6 for r, g in zip(rows, gold)]
    print(style, "acc", sum(right[style]) / N, "s", round(time.time() - t0), flush=True)
    for r in rows[:3]:
        print("   ", repr(r["output"][:200]), r["prediction"])
print("mcnemar", mcnemar([int(x) for x in right["cot"]], [int(x) for x in right["direct"]]))
