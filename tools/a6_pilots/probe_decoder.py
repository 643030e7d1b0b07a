import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); sys.path.insert(0, ".")
import numpy as np, torch
import shared
from shared.models import load_model, load_tokenizer
from transformers import AutoModel
from shared import generation as gen
from sklearn.linear_model import LogisticRegression
profile = shared.setup("offline", seed=0)
tok = load_tokenizer(profile.model("causal_lm")); tok.pad_token = tok.pad_token or tok.eos_token; tok.padding_side = "right"
samples = json.load(open("/tmp/a6p/samples.json"))
bb = load_model(AutoModel, "/tmp/a6p/lm").eval()
t0 = time.time()
feats_last, feats_mean = [], []
with torch.no_grad():
    for s in range(0, len(samples), 32):
        rows = samples[s:s + 32]
        b = gen.collate_pairs([{"prompt_ids": r["prompt_ids"], "chosen_ids": r["response_ids"], "rejected_ids": []} for r in rows], tok.pad_token_id)
        n = len(rows)
        h = bb(input_ids=b["input_ids"][:n], attention_mask=b["attention_mask"][:n]).last_hidden_state
        m = b["attention_mask"][:n]
        last = (torch.arange(m.size(1)) * m).argmax(1)
        feats_last.append(h[torch.arange(n), last]); rm = b["response_mask"][:n].unsqueeze(-1).float()
        feats_mean.append((h * rm).sum(1) / rm.sum(1))
print("features", round(time.time() - t0), flush=True)
F = {"last": torch.cat(feats_last).numpy(), "mean": torch.cat(feats_mean).numpy()}
sc = np.array([s["score"] for s in samples])
a, b = sc[0::2], sc[1::2]
for gap in [0.1, 0.3]:
    idx = np.where(np.abs(a - b) >= gap)[0]
    held = idx[:len(idx) // 4]; train = idx[len(idx) // 4:]
    for name, X in F.items():
        Xa, Xb = X[0::2], X[1::2]
        y = (a > b).astype(int)
        for ntr in [150, 300, len(train)]:
            tr = train[:ntr]
            D = np.concatenate([Xa[tr] - Xb[tr], Xb[tr] - Xa[tr]]); Y = np.concatenate([y[tr], 1 - y[tr]])
            for C in [0.01, 0.1, 1.0]:
                clf = LogisticRegression(C=C, max_iter=2000, fit_intercept=False).fit(D, Y)
                acc = ((clf.decision_function(Xa[held] - Xb[held]) > 0).astype(int) == y[held]).mean()
                print(f"gap {gap} {name} train {len(tr)} held {len(held)} C {C}: held-out {acc:.3f}", flush=True)
