"""Write the course's SST-2-style sentiment set: data/sentiment/{train,validation}.jsonl.

Sentences are short film reviews, lower-cased with spaces around punctuation as
SST-2's sentences are. They are built so that counting words is not enough:

- most reviews are mixed: one clause praises and one pans, and the grammar says
  which clause is the verdict ("the plot is dull , but the cast is superb ." is
  positive; "the cast is superb , although the plot is dull ." is positive too,
  with the verdict first; "although the cast is superb , the plot is dull ." is
  negative). Each construction appears with the verdict first and last, so the
  position of a word says nothing on its own;
- negation reaches over intensifiers and across the sentence ("not very good",
  "i expected it to be dull , and it was not");
- 40% of the adjectives occur only in validation, so a model that only memorised
  training words meets unknown words there, while a pretrained one knows them;
- about 5% of the labels disagree with the grammar, in both splits, as human
  labels of mixed reviews do: no model should reach 100.

    python data/sentiment/make_sentiment.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import write_jsonl  # noqa: E402

POSITIVE = ["wonderful", "brilliant", "moving", "charming", "gripping", "delightful", "clever",
            "beautiful", "funny", "thoughtful", "superb", "engaging", "heartfelt", "solid", "fresh",
            "memorable", "touching", "sharp", "inventive", "stunning", "witty", "gorgeous",
            "compelling", "lovely", "smart", "joyful", "elegant", "tender", "riveting", "warm",
            "good", "great", "excellent", "terrific", "marvellous", "exhilarating", "poignant",
            "masterful", "affecting", "luminous", "assured", "graceful", "playful", "haunting",
            "exquisite", "rousing", "nimble", "vivid"]
NEGATIVE = ["dull", "tedious", "clumsy", "boring", "predictable", "lifeless", "messy", "awful",
            "shallow", "bland", "forgettable", "painful", "incoherent", "flat", "tiresome", "lazy",
            "weak", "confusing", "stale", "irritating", "sloppy", "dreary", "hollow", "pointless",
            "silly", "ugly", "bloated", "cheap", "grating", "listless", "bad", "terrible",
            "mediocre", "dreadful", "plodding", "insipid", "leaden", "turgid", "muddled", "vapid",
            "overlong", "contrived", "wooden", "sluggish", "laboured", "trite", "garish", "limp"]
ASPECTS = ["the acting", "the plot", "the soundtrack", "the dialogue", "the cinematography",
           "the pacing", "the ending", "the cast", "the script", "the direction", "the visuals",
           "the humor", "the characters", "the story", "the editing", "the score", "the lead performance",
           "the second half", "the opening", "the premise", "the set design", "the final act"]
SUBJECTS = ["the movie", "the film", "this picture", "the sequel", "this comedy", "the drama",
            "this thriller", "the documentary", "the whole thing", "the remake"]
INTENSIFIERS = ["", "", "", "very ", "truly ", "remarkably ", "rather ", "surprisingly ", "utterly ",
                "quite ", "so ", "really ", "mostly ", "almost always "]
NEGATORS = ["not", "never", "hardly", "far from", "anything but", "by no means", "not at all", "in no way"]
LABEL_NOISE = 0.05


def be(who: str, rng: random.Random) -> str:
    """The verb that agrees with the aspect: 'the plot is', 'the characters are'."""
    plural = who.endswith("s") and who not in {"the humor", "the acting"}
    return rng.choice(["are", "are", "were", "feel", "seem"] if plural else ["is", "is", "was", "feels", "seems"])


def clause(rng: random.Random, adj: str, subject: bool = False, avoid: str = "") -> str:
    """'the plot is very dull' or 'the film is dull'; `avoid` keeps two clauses on different aspects."""
    who = rng.choice([w for w in (SUBJECTS if subject else ASPECTS) if w not in avoid])
    return f"{who} {be(who, rng)} {rng.choice(INTENSIFIERS)}{adj}"


def build(rng: random.Random, pos: list[str], neg: list[str]) -> tuple[str, int]:
    """One (sentence, label) pair; label 1 = positive, 0 = negative, as in SST-2."""
    label = rng.randint(0, 1)
    win = (lambda: rng.choice(pos)) if label else (lambda: rng.choice(neg))  # noqa: E731
    lose = (lambda: rng.choice(neg)) if label else (lambda: rng.choice(pos))  # noqa: E731
    kind = rng.choices(["plain", "negated", "contrast", "negated_contrast", "expectation", "majority",
                        "recommend"], weights=[10, 18, 36, 10, 10, 8, 8])[0]
    if kind == "plain":
        s = rng.choice([f"{clause(rng, win(), True)} .", f"a {rng.choice(INTENSIFIERS)}{win()} film .",
                        f"it is hard to imagine a more {win()} film ."])
    elif kind == "negated":  # the negated adjective has the other polarity
        s = f"{rng.choice(SUBJECTS)} is {rng.choice(NEGATORS)} {rng.choice(INTENSIFIERS)}{lose()} ."
    elif kind == "contrast":  # the grammar picks the verdict; half the constructions put it first
        other = clause(rng, lose())
        verdict = clause(rng, win(), rng.random() < 0.5, avoid=other)
        s = rng.choice([f"{other} , but {verdict} .", f"although {other} , {verdict} .",
                        f"{other} ; still , {verdict} .", f"{verdict} , although {other} .",
                        f"{verdict} , even if {other} .", f"{verdict} , even though {other} ."])
    elif kind == "negated_contrast":  # "the cast is superb , but the plot is not clever ." is negative
        other = clause(rng, lose())
        who = rng.choice([a for a in ASPECTS if a not in other])
        verdict = f"{who} {be(who, rng)} {rng.choice(NEGATORS)} {lose()}"
        s = rng.choice([f"{other} , but {verdict} .", f"{verdict} , although {other} ."])
    elif kind == "expectation":  # the same words, the other label, once "not" is added
        if rng.random() < 0.5:
            s = f"i expected {rng.choice(SUBJECTS)} to be {win()} , and it was ."
        else:
            s = f"i expected {rng.choice(SUBJECTS)} to be {lose()} , but it was not ."
    elif kind == "majority":  # two clauses against one, no connective decides
        parts = [clause(rng, win())]
        parts.append(clause(rng, win(), avoid=parts[0]))
        parts.append(clause(rng, lose(), avoid=" ".join(parts)))
        rng.shuffle(parts)
        s = f"{parts[0]} , {parts[1]} and {parts[2]} ."
    else:  # praise or blame, then the verdict
        if label:
            s = f"{clause(rng, lose())} , but i would {rng.choice(['still ', 'happily ', ''])}watch it again ."
        else:
            s = f"{clause(rng, lose())} , but i would {rng.choice(['not ', 'never ', 'hardly '])}watch it again ."
    return " ".join(s.split()), label


def make_split(seed: int, n: int, pos: list[str], neg: list[str], exclude: set[str]) -> list[dict]:
    rng = random.Random(seed)
    rows, seen = [], set(exclude)
    while len(rows) < n:
        s, y = build(rng, pos, neg)
        if s in seen:
            continue
        seen.add(s)
        flipped = rng.random() < LABEL_NOISE
        rows.append({"sentence": s, "label": 1 - y if flipped else y, "idx": len(rows), "_flipped": flipped})
    return rows


def main() -> None:
    rng = random.Random(7)
    held_pos = set(rng.sample(POSITIVE, round(0.4 * len(POSITIVE))))
    held_neg = set(rng.sample(NEGATIVE, round(0.4 * len(NEGATIVE))))
    train = make_split(11, 2400, [w for w in POSITIVE if w not in held_pos],
                       [w for w in NEGATIVE if w not in held_neg], set())
    val = make_split(22, 480, POSITIVE, NEGATIVE, {r["sentence"] for r in train})
    for name, rows in {"train": train, "validation": val}.items():
        flipped = sum(r.pop("_flipped") for r in rows)
        write_jsonl(HERE / f"{name}.jsonl", rows)
        share = sum(r["label"] for r in rows) / len(rows)
        print(f"{name}: {len(rows)} sentences, {share:.1%} positive; {flipped} labels disagree with the grammar "
              f"(a model that follows the grammar scores {1 - flipped / len(rows):.1%})")
    train_words = {w for r in train for w in r["sentence"].split()}
    val_words = {w for r in val for w in r["sentence"].split()}
    print(f"validation word types not in train: {len(val_words - train_words)} of {len(val_words)}")


if __name__ == "__main__":
    main()
