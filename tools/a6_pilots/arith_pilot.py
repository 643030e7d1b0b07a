import os, sys, time, random, json
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, "data"); sys.path.insert(0, ".")
import torch
import shared
from shared import generation as gen
from shared.models import load_model, load_tokenizer
from transformers import AutoModelForCausalLM
from world import FEMALE_NAMES, FIRST_NAMES, PRODUCTS
torch.set_num_threads(2)
profile = shared.setup("offline", seed=0)
spec = profile.model("instruct_lm")
m = load_model(AutoModelForCausalLM, spec).eval(); tok = load_tokenizer(spec)
tok.pad_token = tok.pad_token or tok.eos_token
import re, math
def extract(text):
    marks = [mm.end() for mm in re.finditer(r"####|answer is", text, flags=re.IGNORECASE)]
    nums = re.findall(r"-?\$?\d[\d,]*(?:\.\d+)?", text[marks[-1]:] if marks else text)
    if not nums: return None
    pick = nums[0] if marks else nums[-1]
    return float(pick.replace("$", "").replace(",", ""))
def plural(n): return n + ("es" if n.endswith(("s","x","ch","sh")) else "s")
rng = random.Random(7)
probs = []
for i in range(int(os.environ.get("N", 60))):
    name, other = rng.sample(FIRST_NAMES, 2); she = "She" if name in FEMALE_NAMES else "He"
    thing = plural(rng.choice(PRODUCTS)); kind = ["add", "sub", "mul"][i % 3]
    if kind == "add":
        a, b = rng.randint(5, 30), rng.randint(2, 20)
        q, ans = f"{name} has {a} {thing}. {she} buys {b} more. How many {thing} does {name} have now?", a + b
    elif kind == "sub":
        a, b = rng.randint(10, 40), rng.randint(2, 9)
        q, ans = f"{name} has {a} {thing} and gives {b} of them to {other}. How many {thing} does {name} have left?", a - b
    else:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        q, ans = f"{name} buys {a} boxes of {thing}, with {b} {thing} in each box. How many {thing} does {name} buy?", a * b
    probs.append((kind, q, ans))
test = [json.loads(l) for l in open("data/arithmetic/test.jsonl")][:40]
sets = {"one-step": probs, "two-step": [("x", r["question"], extract(r["answer"])) for r in test]}
DIRECT = "{question}\nReply with the final number only."
COT = "{question}\nLet's think step by step."
for sname, ps in sets.items():
    qs = [q for _, q, _ in ps]
    for style, kw in [("direct", dict(instruction=DIRECT, max_new_tokens=12)),
                      ("cot", dict(instruction=COT, max_new_tokens=int(os.environ.get("COT_TOK", 96)), answer_prompt="\nTherefore, the answer is"))]:
        t0 = time.time()
        rows = gen.solve(m, tok, qs, extract_fn=extract, **kw)
        right = [r["prediction"] is not None and abs(r["prediction"] - a) < 1e-6 for r, (_, _, a) in zip(rows, ps)]
        bykind = {}
        for (k, _, _), r in zip(ps, right): bykind.setdefault(k, []).append(r)
        print(sname, style, f"acc {sum(right)/len(right):.3f}", {k: f"{sum(v)}/{len(v)}" for k, v in bykind.items()}, f"{time.time()-t0:.0f}s", flush=True)
        print("   e.g.", repr(rows[0]["output"][:200]), rows[0].get("final"), "->", rows[0]["prediction"], "gold", ps[0][2], flush=True)
        if style == "cot": print("   e.g.", repr(rows[1]["output"][:300]), rows[1].get("final"), flush=True)
