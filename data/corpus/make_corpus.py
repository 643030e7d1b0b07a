"""Write the course's WikiText-style corpus: data/corpus/{train,validation,test}.jsonl.

Short encyclopedia articles about the invented towns, people and companies of
data/world.py, written with the QA set's sentence grammar (data/qa/make_qa.py)
and laid out as wikitext-2-raw-v1 lays out its rows: one row per line, a
heading row " = Title = ", section headings " = = History = = ", empty rows
between blocks, and spaces around punctuation. Each split uses its own worlds,
and the dev and test splits use only the phrasings that train never uses, so a
dev sentence is not a train sentence with other names.

    python data/corpus/make_corpus.py
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "qa"))
from make_qa import Style, company_passage, person_passage, town_passage  # noqa: E402
from world import make_world, write_jsonl  # noqa: E402

SECTIONS = {town_passage: ["History", "Geography"], person_passage: ["Life", "Career"],
            company_passage: ["History", "Operations"]}


def wikify(text: str) -> str:
    """WikiText spacing: ' , ' and ' . ', hyphens as ' @-@ ', thousands as ' @,@ '."""
    text = re.sub(r"([,.;:()])(?!\d)", r" \1 ", text)  # not the comma of 44,424
    text = re.sub(r"(\d),(\d)", r"\1 @,@ \2", text)
    text = re.sub(r"(\w)-(\w)", r"\1 @-@ \2", text)
    return " " + re.sub(r"\s+", " ", text).strip() + " \n"


def article(rng: random.Random, worlds, i: int, style: Style) -> list[str]:
    w = worlds[i % len(worlds)]
    kind = [town_passage, person_passage, company_passage][i % 3]
    subject = {town_passage: lambda: rng.choice(w.towns),
               person_passage: lambda: w.person(rng),
               company_passage: lambda: rng.choice(w.companies)}[kind]()
    title, passage, _, _ = kind(rng, w, subject, style)
    # The first sentence is the lead; the rest goes under a section heading.
    lead, rest = passage.text.split(". ", 1)
    return [f" = {title} = \n", "", wikify(lead + "."), "",
            f" = = {rng.choice(SECTIONS[kind])} = = \n", "", wikify(rest), ""]


def main() -> None:
    for name, seeds, n in [("train", [501, 502, 503, 504], 1500), ("validation", [601], 110),
                           ("test", [701], 110)]:
        rng = random.Random(seeds[0])
        # train never uses the held-out phrasing of a sentence; dev and test use only it where there is one
        style = Style(rng, "train" if name == "train" else "heldout")
        worlds = [make_world(s) for s in seeds]
        rows = [""]
        for i in range(n):
            rows.extend(article(rng, worlds, i, style))
        write_jsonl(HERE / f"{name}.jsonl", ({"text": r} for r in rows))
        words = sum(len(r.split()) for r in rows)
        print(f"{name}: {len(rows)} rows, {n} articles, {words} words")


if __name__ == "__main__":
    main()
