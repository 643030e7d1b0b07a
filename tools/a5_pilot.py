"""a5's design pilots (issue #30): can the offline causal model (SmolLM2-135M) answer the mixing question
(5a), how long instruction tuning and its scoring take with short QA passages (5b), and how the 5c design's
arms spread over seeds. The notebook's solution functions are run from the solution notebook.

    python tools/a5_pilot.py mix   STEPS LR NER_CAP [ARMS]  # 5a on the causal model: sentiment + NER (capped)
    python tools/a5_pilot.py instr STEPS LR                 # 5b: before (chat template) and after, 5 conditions
                                                            # (NO_BEFORE=1: after only; QA_SENT: passage sentences)
    python tools/a5_pilot.py design STEPS LR SEEDS WORDINGS # 5c: held-out instruction scores per seed and arm

Each prints its seconds and per-item scores summaries; run it alone on the machine for the seconds.
"""
import json
import os
import random
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402

import shared  # noqa: E402
from shared.data import NER_TAGS, load_task, subset  # noqa: E402
from shared.models import load_model, load_tokenizer  # noqa: E402
from shared.multitask import (generate_answers, item_scores, mixture_dataset, ner_spans, pooled,  # noqa: E402
                              short_passages, train_in_order)
from shared.train import TrainConfig  # noqa: E402

NB = "solutions/a5_multitask_instruction/a5_multitask_instruction.ipynb"
cells = json.load(open(NB))["cells"]
ns = {"NER_TAGS": NER_TAGS, "ner_spans": ner_spans, "torch": torch}
for c in cells:
    src = "".join(c["source"])
    if c["cell_type"] == "code" and src.lstrip().startswith(("def ", "class ")):
        exec(src, ns)
    if c["cell_type"] == "code" and src.startswith("PROFILE = None"):
        exec(src, ns)
mixing_rates, temperature_rates, MixtureSampler = ns["mixing_rates"], ns["temperature_rates"], ns["MixtureSampler"]
fmt_t2t, fmt_causal = ns["format_text_to_text"], ns["format_causal_with_loss_mask"]
DELIM = ns["DELIMITER"]

from datasets import Dataset  # noqa: E402
from transformers import AutoModelForCausalLM, DataCollatorForSeq2Seq  # noqa: E402

profile = shared.setup("offline", seed=0)
MODEL = profile.model("causal_lm")
tok = load_tokenizer(MODEL)
tok.pad_token = tok.pad_token or tok.eos_token
tok.padding_side = "right"
collate = DataCollatorForSeq2Seq(tok, padding=True)


def train(feats, rates, steps, lr, batch, name, seed=0):
    n = {t: len(f) for t, f in feats.items()}
    sampler = MixtureSampler(n, rates, batch, steps, seed=seed)
    mix = mixture_dataset(feats, sampler)
    cfg = TrainConfig(output_dir=f"/tmp/a5pilot/{name}", max_steps=steps, lr=lr,
                      **(dict(batch_size=batch) if os.environ.get("PADDED") else dict(batch_size=1, grad_accum=batch)),
                      warmup_ratio=0.05, seed=seed, log_every=10, progress=False, shuffle=False, save_every=None)
    t0 = time.time()
    run = train_in_order(load_model(AutoModelForCausalLM, MODEL), mix, cfg, collate, profile)
    seen = {t: mix["task"].count(t) for t in feats}
    print(f"  train {name}: {time.time() - t0:.1f} s, seen {seen}, last loss {run.history['train'][-1]['loss']:.3f}",
          flush=True)
    return run.model


def evaluate(model, dev, task, new_tokens, wrap=lambda p: p + DELIM):
    t0 = time.time()
    preds = generate_answers(model, tok, [wrap(p) for p, _ in dev], max_new_tokens=new_tokens, batch_size=16, desc=task)
    items = item_scores(task, preds, [a for _, a in dev])
    print(f"    {task}: {pooled(task, items):.3f} on {len(dev)} ({time.time() - t0:.1f} s) e.g. {preds[:3]}", flush=True)
    return items


def mix(steps, lr, ner_cap, arms="nocap,K,T,single"):
    data = {t: load_task(t, profile, seed=0) for t in ("sentiment", "ner")}
    data["ner"]["train"] = subset(data["ner"]["train"], ner_cap, 0)
    feats = {}
    for t in data:
        enc = [fmt_causal(*fmt_t2t(r, t), tok, DELIM) for r in data[t]["train"]]
        feats[t] = Dataset.from_list(enc)
    sizes = {t: len(f) for t, f in feats.items()}
    dev = {t: [fmt_t2t(r, t) for r in data[t]["validation"]] for t in data}
    print("sizes", sizes, "dev", {t: len(d) for t, d in dev.items()})
    new = {"sentiment": 3, "ner": 24}
    out = {}
    plans = {"nocap": mixing_rates(sizes, 2 ** 21), "K": mixing_rates(sizes, ner_cap),
             "T": temperature_rates(sizes, 2)}
    for name in arms.split(","):
        if name == "single":
            for t in feats:
                m = train(feats, {u: float(u == t) for u in feats}, steps // 2, lr, 8, f"single-{t}")
                out[f"single {t}"] = evaluate(m, dev[t], t, new[t])
            continue
        print(name, {t: round(r, 3) for t, r in plans[name].items()})
        m = train(feats, plans[name], steps, lr, 8, name)
        for t in feats:
            out[f"{name} {t}"] = evaluate(m, dev[t], t, new[t])
    json.dump(out, open(f"/tmp/a5pilot_mix_{steps}_{lr}_{ner_cap}.json", "w"))


def instr_data(qa_sentences=int(os.environ.get("QA_SENT", 5))):
    data = {t: load_task(t, profile, seed=0) for t in ("sentiment", "qa", "ner")}
    for split in data["qa"]:
        data["qa"][split] = short_passages(data["qa"][split], qa_sentences, 0)
    return data


def pairs(data, task, split, template=None, n=None, rng=None, wordings=3):
    rows = subset(data[task][split], n, 0)
    out = []
    for r in rows:
        tpl = template or rng.choice(ns["TRAIN_TEMPLATES"][task][:wordings])
        out.append((tpl.format(**{k: r[k] for k in ("sentence", "question", "context") if k in r}), fmt_t2t(r, task)[1]))
    return out


def person(data, n):
    out = []
    for r in data["ner"]["validation"]:
        people = [t for t, k in ner_spans(r["tokens"], r["ner_tags"], NER_TAGS) if k == "PER"]
        if len(people) == 1:
            out.append((ns["HELD_OUT_TASK"][1].format(sentence=" ".join(r["tokens"])), people[0]))
    return out[:n]


def instr(steps, lr, n_eval=120):
    data = instr_data()
    rng = random.Random(0)
    feats = {t: Dataset.from_list([fmt_causal(p, a, tok, DELIM) for p, a in pairs(data, t, "train", rng=rng)])
             for t in ("sentiment", "qa")}
    conds = {}
    for t in ("sentiment", "qa"):
        conds[(t, "train")] = pairs(data, t, "validation", n=n_eval, rng=random.Random(1))
        conds[(t, "held")] = pairs(data, t, "validation", ns["HELD_OUT_TEMPLATES"][t], n_eval)
    conds[("person", "task")] = person(data, n_eval)
    print({k: len(v) for k, v in conds.items()})

    def chat(p):
        return tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
    if not os.environ.get("NO_BEFORE"):
        base = load_model(AutoModelForCausalLM, MODEL)
        print("before (chat)")
        for k, v in conds.items():
            evaluate(base, v, k[0], 12, chat)
    sizes = {t: len(f) for t, f in feats.items()}
    m = train(feats, mixing_rates(sizes, 2 ** 21), steps, lr, 4, "instr")
    print("after")
    for k, v in conds.items():
        evaluate(m, v, k[0], 12)


def design(steps, lr, seeds, wordings, n_eval=int(os.environ.get("N_EVAL", 120))):
    data = instr_data()
    held = {t: pairs(data, t, "validation", ns["HELD_OUT_TEMPLATES"][t], 240 if t == "sentiment" else n_eval)
            for t in ("sentiment", "qa")}
    out = {}
    for w in [int(x) for x in wordings.split(",")]:
        for seed in [int(x) for x in seeds.split(",")]:
            rng = random.Random(seed)
            feats = {t: Dataset.from_list([fmt_causal(p, a, tok, DELIM)
                                           for p, a in pairs(data, t, "train", rng=rng, wordings=w)])
                     for t in ("sentiment", "qa")}
            sizes = {t: len(f) for t, f in feats.items()}
            m = train(feats, mixing_rates(sizes, 2 ** 21), steps, lr, 4, f"design-{w}-{seed}", seed=seed)
            for t, v in held.items():
                out[f"{w} {seed} {t}"] = evaluate(m, v, t, 12)
    json.dump(out, open(f"/tmp/a5pilot_design_{steps}_{lr}_{wordings}_{seeds}.json", "w"))


if __name__ == "__main__":
    torch.set_num_threads(2)
    cmd, args = sys.argv[1], sys.argv[2:]
    t0 = time.time()
    if cmd == "mix":
        mix(int(args[0]), float(args[1]), int(args[2]), *(args[3:4]))
    elif cmd == "instr":
        instr(int(args[0]), float(args[1]))
    elif cmd == "design":
        design(int(args[0]), float(args[1]), args[2], args[3])
    print(f"total {time.time() - t0:.1f} s")
