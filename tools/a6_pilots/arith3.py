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
sets = {}
for lo, hi in [(1, 9), (10, 40)]:
    for op in "+-*":
        ex, wd = [], []
        for i in range(20):
            a, b = rng.randint(lo, hi), rng.randint(1, 9)
            if op == "-" and b > a: a, b = b, a
            ans = eval(f"{a}{op}{b}")
            ex.append((f"{a} {op} {b} =", ans))
            name = rng.choice(FIRST_NAMES); thing = plural(rng.choice(PRODUCTS))
            q = {"+": f"{name} has {a} {thing} and buys {b} more. How many {thing} does {name} have now?",
                 "-": f"{name} has {a} {thing} and sells {b} of them. How many {thing} are left?",
                 "*": f"{name} buys {a} bags with {b} {thing} in each. How many {thing} is that?"}[op]
            wd.append((q, ans))
        sets[f"expr {lo}-{hi} {op}"] = ex; sets[f"word {lo}-{hi} {op}"] = wd
spec = profile.model("instruct_lm")
m = load_model(AutoModelForCausalLM, spec).eval(); tok = load_tokenizer(spec)
tok.pad_token = tok.pad_token or tok.eos_token
for name, items in sets.items():
    if name.startswith("expr"):
        prompts = [p for p, _ in items]
    else:
        prompts = [gen.chat_prompt(tok, f"{q}\nReply with the final number only.") for q, _ in items]
    outs = gen._greedy(m, tok, prompts, 6, 20, "x")
    right = [first_num(o) == a for o, (_, a) in zip(outs, items)]
    print(name, f"{sum(right)}/{len(right)}", repr(outs[0]), repr(outs[1]), flush=True)
