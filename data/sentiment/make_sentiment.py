"""Write the course's SST-2-style sentiment set: data/sentiment/{train,validation}.jsonl.

Sentences are short film reviews built from a grammar of aspects, adjectives,
intensifiers, negation ("not bad" is positive) and contrast ("good , but the
ending is a mess" takes the polarity of the clause after "but"). They are
lower-cased with spaces around punctuation, as SST-2's sentences are. About a
fifth of the adjectives occur only in validation, so a model that only
memorised training words does worse there than one that knows English.

    python data/sentiment/make_sentiment.py
"""
from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

POSITIVE = ["wonderful", "brilliant", "moving", "charming", "gripping", "delightful", "clever",
            "beautiful", "funny", "thoughtful", "superb", "engaging", "heartfelt", "solid", "fresh",
            "memorable", "touching", "sharp", "inventive", "stunning", "witty", "gorgeous",
            "compelling", "lovely", "smart", "joyful", "elegant", "tender", "riveting", "warm"]
NEGATIVE = ["dull", "tedious", "clumsy", "boring", "predictable", "lifeless", "messy", "awful",
            "shallow", "bland", "forgettable", "painful", "incoherent", "flat", "tiresome", "lazy",
            "weak", "confusing", "stale", "irritating", "sloppy", "dreary", "hollow", "pointless",
            "silly", "ugly", "bloated", "cheap", "grating", "listless"]
# Mild words that negation turns around ("not bad" -> positive, "not great" -> negative).
NEGATABLE_POS = ["good", "great", "funny", "interesting", "smart", "fun", "clever", "worth it"]
NEGATABLE_NEG = ["bad", "terrible", "boring", "awful", "dull", "a waste of time", "a mess"]
ASPECTS = ["the acting", "the plot", "the soundtrack", "the dialogue", "the cinematography",
           "the pacing", "the ending", "the cast", "the script", "the direction", "the visuals",
           "the humor", "the characters", "the story", "the editing", "the score", "the lead performance"]
SUBJECTS = ["the movie", "the film", "this picture", "the sequel", "this comedy", "the drama",
            "this thriller", "the documentary", "it", "the whole thing"]
NOUNS = ["movie", "film", "comedy", "drama", "thriller", "story", "debut", "picture"]
INTENSIFIERS = ["", "", "very ", "truly ", "remarkably ", "rather ", "surprisingly ", "utterly ",
                "quite ", "so ", "really "]
NEGATORS = ["not", "never", "hardly", "far from", "anything but", "by no means"]


def build(rng: random.Random, pos: list[str], neg: list[str]) -> tuple[str, int]:
    """One (sentence, label) pair; label 1 = positive, 0 = negative, as in SST-2."""
    label = rng.randint(0, 1)
    good = lambda: rng.choice(pos)  # noqa: E731
    bad = lambda: rng.choice(neg)  # noqa: E731
    adj = good if label else bad
    other = bad if label else good
    subj, asp, asp2 = rng.choice(SUBJECTS), rng.choice(ASPECTS), rng.choice(ASPECTS)
    noun, intens = rng.choice(NOUNS), rng.choice(INTENSIFIERS)
    kind = rng.randrange(12)
    if kind == 0:
        s = f"{subj} is {intens}{adj()} ."
    elif kind == 1:  # negation flips a mild word: "not bad" is positive
        word = rng.choice(NEGATABLE_NEG if label else NEGATABLE_POS)
        s = f"{subj} is {rng.choice(NEGATORS)} {word} ."
    elif kind == 2:  # contrast: the clause after "but" decides
        s = f"{asp} is {other()} , but {asp2} is {intens}{adj()} ."
    elif kind == 3:
        s = f"although {asp} is {other()} , {subj} is {adj()} overall ."
    elif kind == 4:
        s = f"a {intens}{adj()} {noun} with {adj()} {asp.replace('the ', '')} ."
    elif kind == 5:
        s = f"i expected something {other()} , but it was {intens}{adj()} ."
    elif kind == 6:
        s = f"it is hard to imagine a more {adj()} {noun} ."
    elif kind == 7:  # "nothing about it is dull" is positive
        s = f"nothing about {asp} is {other()} ."
    elif kind == 8:
        s = (f"{subj} starts {bad()} but ends up {intens}{good()} ." if label
             else f"{subj} tries to be {good()} but ends up {intens}{bad()} .")
    elif kind == 9:
        s = f"{adj()} , {adj()} and {intens}{adj()} ."
    elif kind == 10:
        s = (f"i would watch it again : {asp} alone is {adj()} ." if label
             else f"i would not watch it again : {asp} is {adj()} .")
    else:
        s = f"{asp} is {other()} and {asp2} is {other()} , yet {subj} is somehow {adj()} ."
    return s.replace("  ", " "), label


def make_split(seed: int, n: int, pos: list[str], neg: list[str]) -> list[dict]:
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        s, y = build(rng, pos, neg)
        if s in seen:
            continue
        seen.add(s)
        rows.append({"sentence": s, "label": y, "idx": len(rows)})
    return rows


def main() -> None:
    rng = random.Random(7)
    held_pos = set(rng.sample(POSITIVE, 6))
    held_neg = set(rng.sample(NEGATIVE, 6))
    train = make_split(11, 2400, [w for w in POSITIVE if w not in held_pos],
                       [w for w in NEGATIVE if w not in held_neg])
    train_set = {r["sentence"] for r in train}
    val = [r for r in make_split(22, 700, POSITIVE, NEGATIVE) if r["sentence"] not in train_set][:480]
    for i, r in enumerate(val):
        r["idx"] = i
    for name, rows in {"train": train, "validation": val}.items():
        with open(HERE / f"{name}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        share = sum(r["label"] for r in rows) / len(rows)
        print(f"{name}: {len(rows)} sentences, {share:.1%} positive")


if __name__ == "__main__":
    main()
