import os, sys, json, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); sys.path.insert(0, ".")
import numpy as np, torch
import shared
from shared.models import load_model, load_tokenizer
from transformers import AutoModel
from sklearn.linear_model import LogisticRegression
from sklearn.feature_extraction.text import CountVectorizer
profile = shared.setup("offline", seed=0)
samples = json.load(open("/tmp/a6p/samples.json"))
texts = [s["text"] for s in samples]
sc = np.array([s["score"] for s in samples]); a, b = sc[0::2], sc[1::2]; y = (a > b).astype(int)
spec = profile.model("encoder"); etok = load_tokenizer(spec); enc = load_model(AutoModel, spec).eval()
t0 = time.time(); E = []
with torch.no_grad():
    for s in range(0, len(texts), 64):
        e = etok([t.lower() for t in texts[s:s+64]], padding=True, truncation=True, max_length=128, return_tensors="pt")
        h = enc(**e).last_hidden_state; m = e["attention_mask"].unsqueeze(-1).float()
        E.append(((h * m).sum(1) / m.sum(1)))
E = torch.cat(E).numpy(); print("minilm feats", round(time.time()-t0), flush=True)
bow = CountVectorizer(min_df=2, binary=True).fit(texts); W = bow.transform(texts).toarray().astype(float)
for gap in [0.1, 0.3]:
    idx = np.where(np.abs(a - b) >= gap)[0]; held = idx[:len(idx)//4]; train = idx[len(idx)//4:]
    for name, X in {"bow": W, "minilm mean": E}.items():
        Xa, Xb = X[0::2], X[1::2]
        for C in [0.03, 0.3, 3.0]:
            D = np.concatenate([Xa[train]-Xb[train], Xb[train]-Xa[train]]); Y = np.concatenate([y[train], 1-y[train]])
            clf = LogisticRegression(C=C, max_iter=3000, fit_intercept=False).fit(D, Y)
            acc = ((clf.decision_function(Xa[held]-Xb[held]) > 0).astype(int) == y[held]).mean()
            print(f"gap {gap} {name} C {C}: train {len(train)} held {len(held)} acc {acc:.3f}", flush=True)
