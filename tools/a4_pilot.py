"""a4's design pilots (issue #30): which prompt format and label words let SmolLM2-135M beat the majority class on
the whole dev split, and how few-shot draws spread. Accuracies only (the seconds were taken with other jobs running).

    python tools/a4_pilot.py zs                                             # formats x label words, zero-shot
    python tools/a4_pilot.py fs rev '[" negative", " positive"]' '[0,4,1,8]' '[0,1,2]' 1   # balanced draws (1) or not (0)

Its scorer reads the last position's logits (single-token label words) through shared.prompting.SharedPrefix.
N=240 in the environment scores the first 240 dev sentences only.
"""
import os, sys, time, random, json
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
torch.set_num_threads(2)
import shared
from shared.data import load_task
from shared.models import load_model, load_tokenizer
from transformers import AutoModelForCausalLM
profile = shared.setup("offline", seed=0)
MODEL = profile.model("causal_lm")
tok = load_tokenizer(MODEL); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
lm = load_model(AutoModelForCausalLM, MODEL).eval()
from shared.prompting import SharedPrefix
sp = SharedPrefix(lm)
data = load_task("sentiment", profile, seed=0)
dev = data["validation"]; train = data["train"]
print(len(dev), len(train), sum(dev["label"]) / len(dev))

@torch.no_grad()
def lastlogp(prompts, words, bs=16):
    wid = [tok(w, add_special_tokens=False)["input_ids"] for w in words]
    assert all(len(w) == 1 for w in wid), wid
    wid = [w[0] for w in wid]
    out = []
    ids_all = [tok(p)["input_ids"] for p in prompts]
    order = list(range(len(prompts)))
    res = torch.zeros(len(prompts), len(words))
    for s in range(0, len(order), bs):
        idx = order[s:s + bs]
        rows = [ids_all[i] for i in idx]
        W = max(map(len, rows))
        ids = torch.full((len(rows), W), tok.pad_token_id); m = torch.zeros(len(rows), W, dtype=torch.long)
        for r, seq in enumerate(rows):
            ids[r, :len(seq)] = torch.tensor(seq); m[r, :len(seq)] = 1
        lg = sp(input_ids=ids, attention_mask=m).logits
        last = m.sum(1) - 1
        res[idx] = lg[torch.arange(len(rows)), last].float().log_softmax(-1)[:, wid]
    return res

CF = ["N/A", "[MASK]", ""]
def draw(k, seed, words, balanced):
    rng = random.Random(seed)
    if not k: return []
    if balanced:
        pos = [i for i in range(len(train)) if train[i]["label"] == 1]
        neg = [i for i in range(len(train)) if train[i]["label"] == 0]
        idx = rng.sample(pos, k // 2 + (k % 2) * rng.randint(0, 1)) 
        idx = idx + rng.sample(neg, k - len(idx)); rng.shuffle(idx)
    else:
        idx = rng.sample(range(len(train)), k)
    return [(train[i]["sentence"], words[train[i]["label"]].strip()) for i in idx]

def build(text, ex, T):
    if not ex: return T["zero_shot"].format(text=text)
    return T["separator"].join([T["example"].format(text=t, label=l) for t, l in ex] + [T["query"].format(text=text)])

labels = torch.tensor(dev["label"])
def run(T, words, k, seed, balanced=False, n=None):
    d = dev if n is None else dev.select(range(n))
    lab = labels[:len(d)]
    ex = draw(k, seed, words, balanced)
    t0 = time.time()
    p = lastlogp([build(x, ex, T) for x in d["sentence"]], words).softmax(-1)
    cf = lastlogp([build(c, ex, T) for c in CF], words).softmax(-1).mean(0)
    q = p / cf; q = q / q.sum(-1, keepdim=True)
    acc = (p.argmax(-1) == lab).float().mean().item(); cacc = (q.argmax(-1) == lab).float().mean().item()
    return dict(k=k, seed=seed, acc=round(acc, 3), cal=round(cacc, 3), ppos=round(p[:, 1].mean().item(), 3), s=round(time.time() - t0, 1))

TUT = {"zero_shot": "Sentiment analysis: '{text}' Sentiment:", "example": "Input: '{text}' Sentiment: {label}",
       "query": "Input: '{text}' Sentiment:", "separator": "\n\n"}
REV = {"zero_shot": "Review: {text}\nSentiment:", "example": "Review: {text}\nSentiment: {label}",
       "query": "Review: {text}\nSentiment:", "separator": "\n\n"}
Q = {"zero_shot": "Review: {text}\nWas this review positive or negative? Answer:", "example": "Review: {text}\nAnswer: {label}",
     "query": "Review: {text}\nAnswer:", "separator": "\n\n"}
CHAT = {"zero_shot": "<|im_start|>user\nIs this movie review positive or negative?\n{text}<|im_end|>\n<|im_start|>assistant\nThe review is",
        "example": "Review: {text}\nThe review is {label}.", "query": "Review: {text}\nThe review is", "separator": "\n"}
which = sys.argv[1] if len(sys.argv) > 1 else "zs"
if which == "zs":
    for name, T in [("tut", TUT), ("rev", REV), ("q", Q), ("chat", CHAT)]:
        for words in ([" negative", " positive"], [" bad", " good"], [" No", " Yes"] if name == "q" else [" terrible", " great"]):
            try:
                print(name, words, run(T, words, 0, 0), flush=True)
            except AssertionError as e:
                print(name, words, "multi-token", e)
else:
    name, words, ks, seeds, bal = sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6] == "1"
    T = {"tut": TUT, "rev": REV, "q": Q, "chat": CHAT}[name]
    for k in ks:
        for s in seeds:
            print(name, words, "bal" if bal else "rand", run(T, words, k, s, bal, n=int(os.environ.get("N","480"))), flush=True)
