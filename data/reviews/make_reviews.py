"""Write the course's IMDb-style review set: data/reviews/{train,test}.jsonl (text, label).

Each review is 3 to 6 sentences from the sentiment set's grammar (data/sentiment/make_sentiment.py:
negation, contrast, intensifiers, mixed verdicts), lower-cased as SST-2 is. A review's label is the
majority of its sentences' verdicts, and one review in four has one sentence that disagrees, as real
reviews praise one thing and pan another. a6 fine-tunes a causal LM on the train reviews (its
"domain"), measures perplexity on the test reviews, and starts preference tuning from prefixes of them.

    python data/reviews/make_reviews.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "sentiment"))
from make_sentiment import NEGATIVE, POSITIVE, build  # noqa: E402
from world import write_jsonl  # noqa: E402

OPENINGS = ["i saw this one last weekend .", "i went in knowing nothing about it .", "my friends talked me into it .",
            "i watched it twice .", "i had high hopes .", "it opened here last month .", "", "", "", ""]


def review(rng: random.Random, label: int) -> str:
    n = rng.randint(3, 6)
    against = 1 if rng.random() < 0.25 else 0
    want = [label] * (n - against) + [1 - label] * against
    rng.shuffle(want)
    sentences = []
    for y in want:
        while True:
            s, got = build(rng, POSITIVE, NEGATIVE)
            if got == y and s not in sentences:
                break
        sentences.append(s)
    return " ".join([rng.choice(OPENINGS), *sentences]).strip()


def make_split(seed: int, n: int, exclude: set[str]) -> list[dict]:
    rng = random.Random(seed)
    rows, seen = [], set(exclude)
    while len(rows) < n:
        label = len(rows) % 2
        text = review(rng, label)
        if text not in seen:
            seen.add(text)
            rows.append({"text": text, "label": label})
    rng.shuffle(rows)
    return rows


def main() -> None:
    train = make_split(31, 1200, set())
    test = make_split(32, 300, {r["text"] for r in train})
    train_sentences = {s for r in train for s in r["text"].split(" . ")}
    for name, rows in {"train": train, "test": test}.items():
        write_jsonl(HERE / f"{name}.jsonl", rows)
        words = sum(len(r["text"].split()) for r in rows)
        print(f"{name}: {len(rows)} reviews, {words:,} words, {sum(r['label'] for r in rows) / len(rows):.0%} positive")
    test_sentences = [s for r in test for s in r["text"].split(" . ")]
    print(f"test sentences also in train: {sum(s in train_sentences for s in test_sentences) / len(test_sentences):.1%}")


if __name__ == "__main__":
    main()
