"""What shared/'s generation and accuracy helpers give on the smoke models, for tests/test_generation.py to compare
with the snapshot taken before their loops became one (tests/fixtures/snapshots/generation.json): the texts,
token ids and scores, and a draw of the random state after each call (a helper that seeds, or draws, leaves it
elsewhere than one that does not).

    python tests/snapshot_generation.py      # writes the snapshot again (only when an output changes on purpose)
"""
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "snapshots" / "generation.json"
PROMPTS = ["the film", "a", "i expected more from the plot and the", "it was"]


def _after(out):
    """The output and the next draw of torch's random state (seeded to 123 before the call)."""
    import torch
    return {"out": out, "next_draw": torch.rand(1).item()}


def snapshot(tmp: str) -> dict:
    import torch
    from transformers import (AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification)

    from shared import generation as gen
    from shared.classify import evaluate_accuracy, tokenize_sentences
    from shared.data import load_local
    from shared.lm import sample_texts, zero_shot_sentiment
    from shared.models import load_model, load_tokenizer
    from shared.multitask import generate_answers

    tok = load_tokenizer("smoke:gpt2")
    tok.pad_token = tok.eos_token
    lm = load_model(AutoModelForCausalLM, "smoke:gpt2").eval()
    out = {}

    def run(name, fn):
        torch.manual_seed(123)
        out[name] = _after(fn())

    run("solve", lambda: gen.solve(lm, tok, ["What is 2 + 3?", "Tom has 4 apples."], instruction="{question}\nAnswer:",
                                   extract_fn=lambda text: text[:3], max_new_tokens=5, batch_size=1))
    run("greedy", lambda: gen._greedy(lm, tok, PROMPTS, 6, 3, "x"))
    for key, setting in {"greedy": {}, "sampled": {"do_sample": True, "temperature": 2.0, "top_k": 20},
                         "top_p": {"do_sample": True, "top_p": 0.9}, "penalty": {"repetition_penalty": 1.5},
                         "beams": {"num_beams": 3, "length_penalty": 0.5}}.items():
        run(f"decode_many {key}", lambda setting=setting: gen.decode_many(lm, tok, PROMPTS, setting, new_tokens=5,
                                                                           seed=4, batch_size=3))
    run("sample_continuations", lambda: gen.sample_continuations(lm, tok, PROMPTS, n=3, new_tokens=4, seed=2,
                                                                 batch_size=7))
    run("generate_answers causal", lambda: generate_answers(lm, tok, PROMPTS + [" ".join(["word"] * 300)],
                                                            max_new_tokens=4, batch_size=2))
    t5_tok = load_tokenizer("smoke:t5")
    t5 = load_model(AutoModelForSeq2SeqLM, "smoke:t5").eval()
    run("generate_answers seq2seq", lambda: generate_answers(t5, t5_tok, PROMPTS + [" ".join(["word"] * 600)],
                                                             max_new_tokens=4, batch_size=3))
    raw = load_tokenizer("smoke:gpt2")   # no pad token, as a3's tokenizers
    run("sample_texts sampled", lambda: sample_texts(lm, raw, PROMPTS, 5, seed=3, do_sample=True, top_k=50))
    run("sample_texts greedy", lambda: sample_texts(lm, raw, PROMPTS[:2], 4, do_sample=False))

    dev = load_local("sentiment")["validation"].select(range(23))
    run("zero_shot_sentiment", lambda: zero_shot_sentiment(lm, raw, dev, batch_size=5))
    run("zero_shot_sentiment items", lambda: zero_shot_sentiment(lm, raw, dev, batch_size=4, per_item=True))
    bert_tok = load_tokenizer("smoke:bert")
    torch.manual_seed(0)
    clf = load_model(AutoModelForSequenceClassification, "smoke:bert", num_labels=2)
    run("evaluate_accuracy", lambda: evaluate_accuracy(clf, tokenize_sentences(dev, bert_tok), bert_tok, batch_size=6))

    from shared.__main__ import main
    main(["--profile", "smoke", "--out", tmp])
    row = json.loads((Path(tmp) / "runs.jsonl").read_text().splitlines()[-1])
    out["python -m shared"] = {k: row[k] for k in ("accuracy_before", "accuracy", "steps")}
    return json.loads(json.dumps(out))   # tuples as lists, as the snapshot file holds them


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("COURSE_CACHE", str(Path(__file__).resolve().parent.parent / ".cache" / "course"))  # the tests'
    SNAPSHOT.write_text(json.dumps(snapshot(tempfile.mkdtemp()), indent=1) + "\n")
    print(f"wrote {SNAPSHOT}")
