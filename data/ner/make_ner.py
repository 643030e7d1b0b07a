"""Write the course's CoNLL-2003-style NER set: data/ner/{train,validation}.jsonl.

News-wire-like sentences about the invented world of data/world.py, with the
CoNLL-2003 columns (id, tokens, pos_tags, chunk_tags, ner_tags) and the same
tag names and ids. Entity spans are exact; POS tags come from the templates'
own annotation and chunk tags are derived from them by simple rules, so treat
those two columns as approximate. Hard cases are built in: names that are a
person in one sentence and a place in another, organisations that contain a
place name ("Bank of Varno" is one ORG), sentence-initial capitals that are not
entities, and multi-token entities. Validation uses a different world.

    python data/ner/make_ner.py
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import FIRST_NAMES, World, make_world  # noqa: E402

# the CoNLL-2003 tag names, in the hub's order: one copy, which shared.data reads too
_TAGS = json.loads((HERE / "tags.json").read_text())
NER_TAGS, POS_TAGS, CHUNK_TAGS = _TAGS["ner_tags"], _TAGS["pos_tags"], _TAGS["chunk_tags"]

# Fixed words carry their POS after a slash; {SLOTS} are entities or numbers.
TEMPLATES = [
    "{PER} ,/, who/WP works/VBZ for/IN {ORG} ,/, arrived/VBD in/IN {LOC} on/IN Monday/NNP ./.",
    "{ORG} said/VBD on/IN Tuesday/NNP that/IN its/PRP$ profits/NNS rose/VBD {NUM} percent/NN ./.",
    "{PER} scored/VBD twice/RB as/IN {ORG} beat/VBD {ORG} {NUM}-{NUM}/CD in/IN {LOC} ./.",
    "The/DT {MISCADJ} government/NN in/IN {LOC} rejected/VBD the/DT plan/NN ./.",
    "{PER} won/VBD the/DT {EVENT} in/IN {LOC} last/JJ year/NN ./.",
    "Shares/NNS in/IN {ORG} fell/VBD sharply/RB in/IN {LOC} trading/NN ./.",
    "{LOC} police/NNS arrested/VBD {NUM} people/NNS after/IN the/DT match/NN ./.",
    "Officials/NNS from/IN {LOC} and/CC {LOC} met/VBD {PER} on/IN Friday/NNP ./.",
    "{PER} told/VBD reporters/NNS that/IN {ORG} would/MD open/VB a/DT plant/NN near/IN {LOC} ./.",
    "The/DT {MISCADJ} striker/NN {PER} joined/VBD {ORG} for/IN {NUM} million/CD crowns/NNS ./.",
    "{ORG} ,/, based/VBN in/IN {LOC} ,/, makes/VBZ {MISCADJ} cheese/NN ./.",
    "Heavy/JJ rain/NN closed/VBD roads/NNS between/IN {LOC} and/CC {LOC} ./.",
    "{PER} ,/, a/DT {MISCADJ} diplomat/NN ,/, will/MD visit/VB {LOC} next/JJ week/NN ./.",
    "Results/NNS of/IN the/DT {EVENT} :/:",
    "{LOC} {NUM} {LOC} {NUM}",
    "{ORG} chairman/NN {PER} resigned/VBD on/IN Wednesday/NNP ./.",
    "Talks/NNS between/IN {ORG} and/CC the/DT {MISCADJ} union/NN broke/VBD down/RP ./.",
    "{PER} finished/VBD second/JJ behind/IN {PER} at/IN the/DT {EVENT} ./.",
    "Prices/NNS rose/VBD in/IN {LOC} ,/, the/DT {ORG} said/VBD ./.",
    "The/DT {ORG} cut/VBD interest/NN rates/NNS ./.",
    "{PER} was/VBD born/VBN in/IN {LOC} in/IN {YEAR} ./.",
    "Thousands/NNS of/IN {MISCADJ} fans/NNS travelled/VBD to/TO {LOC} ./.",
    "It/PRP was/VBD the/DT first/JJ {EVENT} held/VBN in/IN {LOC} since/IN {YEAR} ./.",
    "Monday/NNP 's/POS meeting/NN in/IN {LOC} ended/VBD without/IN a/DT deal/NN ./.",
]
ORG_SUFFIXES = [("Group", "NNP"), ("Bank", "NNP"), ("United", "NNP"), ("Motors", "NNPS"), ("Airlines", "NNPS")]
EVENT_KINDS = ["Cup", "Open", "Games", "Marathon", "Festival"]


def entity(rng: random.Random, w: World, kind: str, shared_names: list[str]) -> list[tuple[str, str, str]]:
    """Tokens of one entity as (token, pos, ner)."""
    def tag(tokens, label, pos="NNP"):
        return [(t, pos, ("B-" if i == 0 else "I-") + label) for i, t in enumerate(tokens)]
    if kind == "PER":
        r = rng.random()
        if r < 0.15:  # a surname alone, sometimes one that is also a town name
            return tag([rng.choice(shared_names)], "PER")
        return tag([rng.choice(FIRST_NAMES), rng.choice(w.surnames + shared_names)], "PER")
    if kind == "LOC":
        r = rng.random()
        if r < 0.15:
            return tag([rng.choice(shared_names)], "LOC")
        if r < 0.3:
            return tag(["North", rng.choice(w.countries)], "LOC") if rng.random() < 0.5 else \
                tag(["Port", rng.choice(w.towns)], "LOC")
        return tag([rng.choice(w.towns + w.countries)], "LOC")
    if kind == "ORG":
        r = rng.random()
        if r < 0.25:  # the place name inside stays part of the ORG
            return tag(["Bank", "of", rng.choice(w.towns)], "ORG")
        if r < 0.45:
            return tag([rng.choice(w.towns), "United"], "ORG")
        if r < 0.6:
            suffix, _ = rng.choice(ORG_SUFFIXES)
            return tag([rng.choice(w.companies), suffix], "ORG")
        return tag([rng.choice(w.companies)], "ORG")
    if kind == "MISCADJ":
        return tag([w.nationality[rng.choice(w.countries)]], "MISC", pos="JJ")
    if kind == "EVENT":
        return tag([rng.choice(w.towns), rng.choice(EVENT_KINDS)], "MISC")
    if kind == "NUM":
        return [(str(rng.randint(1, 40)), "CD", "O")]
    if kind == "YEAR":
        return [(str(rng.randint(1950, 2025)), "CD", "O")]
    raise ValueError(kind)


def chunk(pos: list[str]) -> list[str]:
    """Approximate chunk tags from POS tags (NP, VP, PP, ADVP, PRT runs)."""
    group = []
    for p in pos:
        if p in {"DT", "JJ", "NN", "NNS", "NNP", "NNPS", "CD", "PRP", "PRP$", "POS"}:
            group.append("NP")
        elif p.startswith("VB") or p in {"MD"}:
            group.append("VP")
        elif p in {"IN", "TO"}:
            group.append("PP")
        elif p == "RB":
            group.append("ADVP")
        elif p == "RP":
            group.append("PRT")
        else:
            group.append("O")
    tags = []
    for i, g in enumerate(group):
        if g == "O":
            tags.append("O")
        else:
            tags.append(("I-" if i and group[i - 1] == g and g in {"NP", "VP"} else "B-") + g)
    return tags


def sentence(rng: random.Random, w: World, shared_names: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for piece in rng.choice(TEMPLATES).split():
        if piece.startswith("{"):
            parts = piece.split("/")[0]  # "{NUM}-{NUM}/CD" keeps the score as one CD token
            if "-" in parts and parts.count("{") == 2:
                out.append((f"{rng.randint(0, 5)}-{rng.randint(0, 5)}", "CD", "O"))
            else:
                out.extend(entity(rng, w, parts.strip("{}"), shared_names))
        else:
            tok, pos = piece.rsplit("/", 1)
            out.append((tok, pos, "O"))
    return out


def make_split(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    w = make_world(seed)
    shared_names = w.towns[:10]  # used both as surnames (PER) and places (LOC)
    rows, seen = [], set()
    while len(rows) < n:
        toks = sentence(rng, w, shared_names)
        key = " ".join(t for t, _, _ in toks)
        if key in seen:
            continue
        seen.add(key)
        pos = [p for _, p, _ in toks]
        rows.append({"id": str(len(rows)), "tokens": [t for t, _, _ in toks],
                     "pos_tags": [POS_TAGS.index(p) for p in pos],
                     "chunk_tags": [CHUNK_TAGS.index(c) for c in chunk(pos)],
                     "ner_tags": [NER_TAGS.index(n) for _, _, n in toks]})
    return rows


def main() -> None:
    for name, seed, n in [("train", 31, 1200), ("validation", 42, 240)]:
        rows = make_split(seed, n)
        with open(HERE / f"{name}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        ents = sum(t % 2 == 1 for r in rows for t in r["ner_tags"])
        print(f"{name}: {len(rows)} sentences, {ents} entities")


if __name__ == "__main__":
    main()
