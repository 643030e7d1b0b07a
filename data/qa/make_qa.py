"""Write the course's SQuAD v1.1-style QA set: data/qa/{train,validation}.jsonl.

Passages describe invented towns, people and companies (see data/world.py).
Each fact is written in one of several phrasings, and each question in one of
several paraphrases ("founded" / "established" / "came into existence"), so a
model must read the passage rather than match a keyword. Every passage holds
several names and several years, so picking "the year in the passage" fails.
Train and validation use different worlds (different names) so the dev score
measures reading, not memorised names.

    python data/qa/make_qa.py          # rewrites the two files, deterministically
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import (DIRECTIONS, FEMALE_NAMES, FIELDS, INDUSTRIES, OCCUPATIONS, PRIZES, PRODUCTS,  # noqa: E402
                   REGIONS, SIZES, TOPICS, World, make_world, with_article)

SLOT = re.compile(r"\{(\w+)\}")


class Passage:
    """Builds a context sentence by sentence and remembers where each slot value starts."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: dict[str, int] = {}

    def add(self, template: str, values: dict[str, str]) -> None:
        if self.text:
            self.text += " "
        pos = 0
        for m in SLOT.finditer(template):
            self.text += template[pos:m.start()]
            key = m.group(1)
            self.spans.setdefault(key, len(self.text))
            self.text += values[key]
            pos = m.end()
        self.text += template[pos:]


def town_passage(rng: random.Random, w: World, town: str):
    v = {
        "town": town, "size": rng.choice(SIZES), "region": rng.choice(REGIONS),
        "country": rng.choice(w.countries), "year": str(rng.randint(1200, 1890)),
        "founder": w.person(rng), "occupation": rng.choice(OCCUPATIONS),
        "origin": rng.choice([t for t in w.towns if t != town]),
        "river": rng.choice(w.rivers), "distance": f"{rng.randint(3, 90)} kilometres",
        "direction": rng.choice(DIRECTIONS), "city": rng.choice([t for t in w.towns if t != town]),
        "industry": rng.choice(INDUSTRIES), "year2": str(rng.randint(1950, 2015)),
        "population": f"{rng.randint(800, 60000):,}", "census": str(rng.choice([2001, 2011, 2021])),
        "byear": str(rng.randint(1500, 1800)), "lyear": str(rng.randint(1850, 1990)),
    }
    v["aocc"] = with_article(v["occupation"])
    v["industry2"] = rng.choice([i for i in INDUSTRIES if i != v["industry"]])
    p = Passage()
    p.add(rng.choice(["{town} is a {size} town in the {region} part of {country}.",
                      "{town}, a {size} town, lies in the {region} part of {country}."]), v)
    sentences = [
        rng.choice(["It was founded in {year} by {founder}, {aocc} from {origin}.",
                    "{founder}, {aocc} who had moved from {origin}, founded the town in {year}.",
                    "The town dates from {year}, when {founder}, {aocc} from {origin}, built the first houses there."]),
        rng.choice(["The town lies on the {river} River, {distance} {direction} of {city}.",
                    "It stands on the banks of the {river} River, about {distance} {direction} of {city}."]),
        rng.choice(["Its economy depends mainly on {industry}, although {industry2} has grown since {year2}.",
                    "Most jobs in the town are in {industry}; {industry2} has expanded since {year2}."]),
        rng.choice(["The population was {population} at the {census} census.",
                    "At the {census} census, {population} people lived there."]),
        rng.choice(["A stone bridge was built in {byear} and the library opened in {lyear}.",
                    "The library opened in {lyear}, long after the stone bridge of {byear}."]),
    ]
    rng.shuffle(sentences[1:])
    for s in sentences:
        p.add(s, v)
    questions = {
        "founder": ["Who founded {town}?", "Who established the town of {town}?",
                    "Which {occupation} founded {town}?"],
        "year": ["In what year was {town} founded?", "When was {town} established?",
                 "When did {town} come into existence?"],
        "origin": ["Where did the founder of {town} come from?", "From which town did {founder} come?"],
        "river": ["On which river does {town} stand?", "Which river flows past {town}?"],
        "distance": ["How far is {town} from {city}?"],
        "industry": ["What is the main industry of {town}?", "What does the economy of {town} mostly rely on?"],
        "industry2": ["Which sector has grown in {town} since {year2}?"],
        "population": ["How many people lived in {town} at the {census} census?",
                       "What was the population of {town} in {census}?"],
        "lyear": ["When did the library in {town} open?"],
        "byear": ["In which year was the stone bridge in {town} built?"],
    }
    return town, p, v, questions


def person_passage(rng: random.Random, w: World, name: str):
    she = name.split()[0] in FEMALE_NAMES
    country = rng.choice(w.countries)
    v = {
        "name": name, "byear": str(rng.randint(1900, 1995)), "btown": rng.choice(w.towns),
        "nat": w.nationality[country], "occupation": rng.choice(OCCUPATIONS),
        "field": rng.choice(FIELDS), "utown": rng.choice(w.towns), "company": rng.choice(w.companies),
        "prize": f"{rng.choice(w.surnames)} {rng.choice(PRIZES)}", "pyear": str(rng.randint(1960, 2023)),
        "topic": rng.choice(TOPICS), "ltown": rng.choice(w.towns), "lyear": str(rng.randint(1960, 2020)),
        "pron": "She" if she else "He", "pron_l": "she" if she else "he", "poss": "her" if she else "his",
    }
    v["anat"] = with_article(v["nat"])
    p = Passage()
    p.add(rng.choice(["{name} (born {byear} in {btown}) is {anat} {occupation}.",
                      "Born in {btown} in {byear}, {name} is {anat} {occupation}."]), v)
    sentences = [
        rng.choice(["{pron} studied {field} at the University of {utown} and later worked for {company}.",
                    "After studying {field} at the University of {utown}, {pron_l} joined {company}."]),
        rng.choice(["In {pyear}, {pron_l} received the {prize} for {poss} work on {topic}.",
                    "The {prize} was given to {poss} in {pyear} for research on {topic}."]
                   if she else
                   ["In {pyear}, {pron_l} received the {prize} for {poss} work on {topic}.",
                    "The {prize} was given to him in {pyear} for research on {topic}."]),
        rng.choice(["{pron} has lived in {ltown} since {lyear}.",
                    "Since {lyear}, {poss} home has been in {ltown}."]),
    ]
    rng.shuffle(sentences)
    for s in sentences:
        p.add(s, v)
    questions = {
        "btown": ["Where was {name} born?", "In which town was {name} born?"],
        "byear": ["When was {name} born?", "In what year was {name} born?"],
        "field": ["What did {name} study?", "Which subject did {name} study at university?"],
        "utown": ["In which town did {name} go to university?"],
        "company": ["Which company did {name} work for?", "Who employed {name} after university?"],
        "prize": ["Which award did {name} receive in {pyear}?"],
        "topic": ["For what research was {name} given the {prize}?"],
        "pyear": ["When did {name} win the {prize}?"],
        "ltown": ["Where has {name} lived since {lyear}?", "Where does {name} live now?"],
    }
    return name, p, v, questions


def company_passage(rng: random.Random, w: World, company: str):
    v = {
        "company": company, "industry": rng.choice(INDUSTRIES), "hq": rng.choice(w.towns),
        "year": str(rng.randint(1850, 2010)), "f1": w.person(rng), "f2": w.person(rng),
        "product": f"{rng.choice(w.surnames)} {rng.choice(PRODUCTS)}", "pyear": str(rng.randint(1900, 2020)),
        "buyer": rng.choice([c for c in w.companies if c != company]),
        "byear": str(rng.randint(1990, 2024)), "price": f"{rng.randint(2, 900)} million crowns",
        "emp": f"{rng.randint(40, 9000):,}",
    }
    p = Passage()
    p.add(rng.choice(["{company} is a {industry} company based in {hq}.",
                      "Based in {hq}, {company} is a company that works in {industry}."]), v)
    sentences = [
        rng.choice(["It was set up in {year} by {f1} and {f2}.",
                    "{f1} and {f2} started the company in {year}."]),
        rng.choice(["Its best-known product is the {product}, first sold in {pyear}.",
                    "The {product}, on sale since {pyear}, made it famous."]),
        rng.choice(["In {byear}, {buyer} bought the company for {price}.",
                    "{buyer} acquired it in {byear}, paying {price}."]),
        rng.choice(["It employs about {emp} people.", "Its staff numbers roughly {emp}."]),
    ]
    rng.shuffle(sentences)
    for s in sentences:
        p.add(s, v)
    questions = {
        "hq": ["Where is {company} headquartered?", "In which town is {company} based?"],
        "year": ["When was {company} founded?", "In what year did {company} start?"],
        "f1": ["Who started {company} together with {f2}?"],
        "product": ["What is the best-known product of {company}?", "Which product made {company} famous?"],
        "buyer": ["Which company bought {company}?", "Who acquired {company} in {byear}?"],
        "price": ["How much was paid for {company} in {byear}?"],
        "emp": ["How many people work for {company}?", "How large is the staff of {company}?"],
        "industry": ["In which industry does {company} work?"],
    }
    return company, p, v, questions


def make_split(seed: int, n_passages: int, q_per_passage: int, split: str) -> list[dict]:
    rng = random.Random(seed)
    w = make_world(seed)
    kinds = [town_passage, person_passage, company_passage]
    rows = []
    people = set()
    for i in range(n_passages):
        kind = kinds[i % 3]
        if kind is town_passage:
            subject = w.towns[i // 3 % len(w.towns)]
        elif kind is company_passage:
            subject = w.companies[i // 3 % len(w.companies)]
        else:
            subject = w.person(rng)
            while subject in people:
                subject = w.person(rng)
            people.add(subject)
        title, p, v, questions = kind(rng, w, subject)
        keys = rng.sample(sorted(questions), min(q_per_passage, len(questions)))
        for key in keys:
            question = rng.choice(questions[key]).format(**v)
            start = p.spans[key]
            answer = v[key]
            assert p.text[start:start + len(answer)] == answer
            qid = hashlib.sha1(f"{split}-{i}-{key}".encode()).hexdigest()[:24]
            rows.append({"id": qid, "title": title.replace(" ", "_"), "context": p.text,
                         "question": question, "answers": {"text": [answer], "answer_start": [start]}})
    return rows


def main() -> None:
    splits = {"train": make_split(101, 330, 4, "train"), "validation": make_split(202, 66, 4, "validation")}
    for name, rows in splits.items():
        with open(HERE / f"{name}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        print(f"{name}: {len(rows)} questions over {len({r['context'] for r in rows})} passages")


if __name__ == "__main__":
    main()
