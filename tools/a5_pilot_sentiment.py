"""a5 5b pilot (issue #30): why the instruction-tuned model answered every review with the same word, and which
change lets it learn sentiment. Runs tools/a5_pilot.py's pieces (the solution notebook's own functions); the
templates are those of the solution before commit 5d2eff0 unless a variant changes them.

    PADDED=1 python tools/a5_pilot_sentiment.py VARIANT STEPS BATCH LR      # PERSON=1: score the person task too

VARIANT: base (the old instructions, which list "positive or negative"), swap (two of them list "negative or
positive"), nolist (no instruction lists the answer words), nolist-held (the held-out one neither); a suffix -half
draws sentiment 3 to 1 against QA instead of in proportion to the data. QA passages of 3 sentences; 240 sentiment
items a condition, 80 QA items (held-out instruction), 108 person items. Run it alone for the seconds.
"""
import os
import random
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["PADDED"] = "1"
import a5_pilot as P  # noqa: E402
from datasets import Dataset  # noqa: E402
variant, steps, batch, lr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
T = P.ns["TRAIN_TEMPLATES"]
T["sentiment"] = ["Review: {sentence}\nIs this review positive or negative?",      # the instructions before 5d2eff0
                  "Classify the sentiment of this sentence as positive or negative: {sentence}",
                  "{sentence}\nDid the writer like it? Answer positive or negative."]
P.ns["HELD_OUT_TEMPLATES"]["sentiment"] = "Here is a movie review: \"{sentence}\" What is its sentiment, positive or negative?"
if variant == "swap":
    T["sentiment"] = ["Review: {sentence}\nIs this review positive or negative?",
                      "Classify the sentiment of this sentence as negative or positive: {sentence}",
                      "{sentence}\nDid the writer like it? Answer negative or positive."]
if variant.startswith("nolist"):
    T["sentiment"] = ["Review: {sentence}\nWhat is the sentiment of this review?",
                      "Classify the sentiment of this sentence: {sentence}",
                      "{sentence}\nHow did the writer feel about the film?"]
if "held" in variant:
    P.ns["HELD_OUT_TEMPLATES"]["sentiment"] = "Here is a movie review: \"{sentence}\" What is its sentiment?"
data = P.instr_data(3)
rng = random.Random(0)
feats = {t: Dataset.from_list([P.fmt_causal(p, a, P.tok, P.DELIM) for p, a in P.pairs(data, t, "train", rng=rng)])
         for t in ("sentiment", "qa")}
sizes = {t: len(f) for t, f in feats.items()}
rates = P.mixing_rates(sizes, 2 ** 21)
if variant.endswith("half"):
    rates = {"sentiment": 0.75, "qa": 0.25}
m = P.train(feats, rates, steps, lr, batch, f"sent-{variant}")
for cond, tpl in [("train", None), ("held", P.ns["HELD_OUT_TEMPLATES"]["sentiment"])]:
    dev = P.pairs(data, "sentiment", "validation", tpl, 240, rng=random.Random(1))
    items = P.evaluate(m, dev, "sentiment", 4)
qa = P.pairs(data, "qa", "validation", P.ns["HELD_OUT_TEMPLATES"]["qa"], 80)
P.evaluate(m, qa, "qa", 12)
if os.environ.get("PERSON"):
    P.evaluate(m, P.person(data, 108), "person", 12)
