"""Write the course's CoNLL-2003-style NER set: data/ner/{train,validation}.jsonl.

News-wire-like sentences about the invented world of data/world.py, with the
CoNLL-2003 columns (id, tokens, pos_tags, chunk_tags, ner_tags) and the same
tag names and ids. Entity spans are exact; POS tags come from the templates'
own annotation and chunk tags are derived from them by simple rules, so treat
those two columns as approximate.

Most sentences (AMBIGUOUS_SHARE) hold a one-word name drawn from a pool that
persons, places and companies share, in a frame whose neighbours are the same
for all three ("Talks with Varno , the ... , broke down"); a cue two to eight
words away decides the type ("the veteran coach" PER, "the mining group" ORG,
"the port city" LOC). 40% of the cues occur only in validation, so a model has
to know that a goalkeeper is a person rather than have seen it. A few sentences
have no cue at all, and their names' types are drawn at random: nobody can get
those right, as in CoNLL's headlines. The rest are plain news-wire sentences
with multi-token entities, ORG names that contain a place ("Bank of Varno"),
clubs named after towns (ORG on the sports pages) and capitalised non-entities.
Validation uses a different world, so its names are unseen.

    python data/ner/make_ner.py
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import FIRST_NAMES, World, make_world, write_jsonl  # noqa: E402

# the CoNLL-2003 tag names, in the hub's order: one copy, which shared.data reads too
_TAGS = json.loads((HERE / "tags.json").read_text())
NER_TAGS, POS_TAGS, CHUNK_TAGS = _TAGS["ner_tags"], _TAGS["pos_tags"], _TAGS["chunk_tags"]

# Fixed words carry their POS after a slash; {SLOTS} are entities or numbers.
# Plain news-wire sentences: the neighbours of a name often give its type away.
TEMPLATES = [
    "{PER} ,/, who/WP works/VBZ for/IN {ORG} ,/, arrived/VBD in/IN {LOC} on/IN {DAY} ./.",
    "{ORG} said/VBD on/IN {DAY} that/IN its/PRP$ profits/NNS rose/VBD {NUM} percent/NN ./.",
    "The/DT {MISCADJ} government/NN in/IN {LOC} rejected/VBD the/DT plan/NN ./.",
    "{PER} won/VBD the/DT {EVENT} in/IN {LOC} last/JJ year/NN ./.",
    "Shares/NNS in/IN {ORG} fell/VBD sharply/RB in/IN {LOC} trading/NN ./.",
    "{LOC} police/NNS arrested/VBD {NUM} people/NNS after/IN the/DT match/NN ./.",
    "Officials/NNS from/IN {LOC} and/CC {LOC} met/VBD {PER} on/IN {DAY} ./.",
    "{PER} told/VBD reporters/NNS that/IN {ORG} would/MD open/VB a/DT plant/NN near/IN {LOC} ./.",
    "The/DT {MISCADJ} striker/NN {PER} joined/VBD {ORG} for/IN {NUM} million/CD crowns/NNS ./.",
    "{ORG} ,/, based/VBN in/IN {LOC} ,/, makes/VBZ {MISCADJ} cheese/NN ./.",
    "Results/NNS of/IN the/DT {EVENT} :/:",
    "{TEAM} {NUM} {TEAM} {NUM}",
    "{ORG} chairman/NN {PER} resigned/VBD on/IN {DAY} ./.",
    "{PER} finished/VBD second/JJ behind/IN {PER} at/IN the/DT {EVENT} ./.",
    "{PER} was/VBD born/VBN in/IN {LOC} in/IN {YEAR} ./.",
    "Thousands/NNS of/IN {MISCADJ} fans/NNS travelled/VBD to/TO {LOC} ./.",
    "{DAY} 's/POS meeting/NN in/IN {LOC} ended/VBD without/IN a/DT deal/NN ./.",
]
# Sentences where one name's type is decided two to six words away from it: the neighbours are the same
# for a person, a place and a company, as in CoNLL's "Jordan" or "Philip Morris". {ANY} is a one-word
# name from a pool shared by all three types; the sentence's cue fixes which.
AMBIGUOUS = [
    "{ANY} said/VBD {WHEN} that/IN {PRONOUN_CUE} ./.",
    "Talks/NNS with/IN {ANY} ,/, the/DT {FILLER} {APPOSITION_CUE} ,/, broke/VBD down/RP on/IN {DAY} ./.",
    "A/DT statement/NN from/IN {ANY} ,/, the/DT {FILLER} {APPOSITION_CUE} ,/, was/VBD expected/VBN ./.",
    "{ANY} 's/POS {FILLER} {POSSESSIVE_CUE} said/VBD nothing/NN {WHEN} ./.",
    "{ANY} 's/POS {FILLER} {POSSESSIVE_CUE} asked/VBD for/IN more/JJR time/NN ./.",
    "Reports/NNS from/IN {ANY} ,/, {RELATIVE_CUE} ,/, were/VBD good/JJ ./.",
    "{ANY} beat/VBD {ANY} {SCORE_CUE} in/IN the/DT final/NN ./.",
    # no cue: the sentence does not say, and a reader could not tell either (the label is drawn at random)
    "{ANY} said/VBD {WHEN} that/IN {NO_CUE} ./.",
]
# Words between a name and its cue, so the cue is not always the same number of words away.
WHEN = ["on/IN {DAY}", "late/RB on/IN {DAY}", "on/IN {DAY} evening/NN", "in/IN a/DT statement/NN on/IN {DAY}",
        "in/IN a/DT brief/JJ statement/NN", "again/RB", "on/IN {DAY} ,/, in/IN a/DT letter/NN ,/,"]
FILLER = ["", "", "", "new/JJ", "former/JJ", "troubled/JJ", "well-known/JJ", "long-serving/JJ", "own/JJ"]
# The words that decide an {ANY} name's type. The validation set draws from every list; the training set
# only from the first 60% of each, so a model must know, not have memorised, that a goalkeeper is a person.
CUES = {
    "PRONOUN_CUE": {
        "PER": ["he/PRP would/MD not/RB stand/VB again/RB", "she/PRP would/MD appeal/VB against/IN the/DT ban/NN",
                "his/PRP$ knee/NN had/VBD healed/VBN", "her/PRP$ contract/NN had/VBD ended/VBN",
                "he/PRP had/VBD resigned/VBN", "she/PRP felt/VBD tired/JJ after/IN the/DT race/NN"],
        "ORG": ["its/PRP$ profits/NNS rose/VBD sharply/RB", "it/PRP would/MD cut/VB hundreds/NNS of/IN jobs/NNS",
                "its/PRP$ shareholders/NNS had/VBD approved/VBN the/DT merger/NN", "its/PRP$ factories/NNS would/MD close/VB",
                "its/PRP$ dividend/NN would/MD rise/VB", "its/PRP$ quarterly/JJ revenue/NN fell/VBD"],
        "LOC": ["its/PRP$ roads/NNS would/MD stay/VB closed/VBN", "its/PRP$ rivers/NNS had/VBD flooded/VBN",
                "its/PRP$ borders/NNS would/MD reopen/VB", "its/PRP$ harbour/NN had/VBD frozen/VBN",
                "its/PRP$ population/NN had/VBD doubled/VBN", "its/PRP$ villages/NNS were/VBD cut/VBN off/RP"],
    },
    "APPOSITION_CUE": {
        "PER": ["veteran/JJ coach/NN", "former/JJ finance/NN minister/NN", "defending/VBG champion/NN",
                "opposition/NN leader/NN", "novelist/NN", "retired/JJ goalkeeper/NN", "tenor/NN", "midfielder/NN"],
        "ORG": ["state/NN airline/NN", "mining/NN group/NN", "car/NN maker/NN", "trade/NN union/NN",
                "insurer/NN", "broadcaster/NN", "brewer/NN", "software/NN company/NN"],
        "LOC": ["northern/JJ province/NN", "port/NN city/NN", "mountain/NN village/NN", "border/NN town/NN",
                "capital/NN", "island/NN", "river/NN delta/NN", "coastal/JJ district/NN"],
    },
    "POSSESSIVE_CUE": {
        "PER": ["wife/NN", "lawyer/NN", "agent/NN", "brother/NN", "daughter/NN", "doctor/NN", "biographer/NN"],
        "ORG": ["board/NN", "chief/JJ executive/NN", "shareholders/NNS", "auditors/NNS", "subsidiary/NN",
                "spokesman/NN", "creditors/NNS"],
        "LOC": ["mayor/NN", "governor/NN", "harbour/NN master/NN", "police/NNS chief/NN", "town/NN council/NN",
                "residents/NNS", "farmers/NNS"],
    },
    "RELATIVE_CUE": {
        "PER": ["who/WP had/VBD been/VBN injured/VBN", "who/WP turned/VBD 40/CD this/DT year/NN",
                "whose/WP$ mother/NN is/VBZ ill/JJ", "who/WP retired/VBD in/IN March/NNP"],
        "ORG": ["which/WDT had/VBD been/VBN losing/VBG money/NN", "which/WDT employs/VBZ 900/CD staff/NN",
                "whose/WP$ shares/NNS fell/VBD", "which/WDT was/VBD floated/VBN in/IN March/NNP"],
        "LOC": ["where/WRB the/DT river/NN had/VBD flooded/VBN", "where/WRB 900/CD people/NNS live/VBP",
                "whose/WP$ mayor/NN is/VBZ ill/JJ", "where/WRB snow/NN fell/VBD in/IN March/NNP"],
    },
    "NO_CUE": {label: ["the/DT talks/NNS had/VBD failed/VBN", "nothing/NN had/VBD been/VBN decided/VBN",
                       "the/DT report/NN was/VBD wrong/JJ"] for label in ("PER", "ORG", "LOC")},
    # tennis scores between players, football scores between clubs
    "SCORE_CUE": {"PER": ["6-3/CD 6-4/CD", "7-5/CD 6-2/CD", "6-1/CD 3-6/CD 6-4/CD", "7-6/CD 6-7/CD 6-3/CD"],
                  "ORG": ["2-1/CD", "3-0/CD", "1-0/CD", "4-2/CD"]},
}
ORG_SUFFIXES = [("Group", "NNP"), ("Bank", "NNP"), ("United", "NNP"), ("Motors", "NNPS"), ("Airlines", "NNPS")]
EVENT_KINDS = ["Cup", "Open", "Games", "Marathon", "Festival"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AMBIGUOUS_SHARE = 0.75


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
    if kind == "TEAM":  # a town's name as its football club: ORG on the sports pages, as in CoNLL
        return tag([rng.choice(w.towns)], "ORG")
    if kind == "MISCADJ":
        return tag([w.nationality[rng.choice(w.countries)]], "MISC", pos="JJ")
    if kind == "EVENT":
        return tag([rng.choice(w.towns), rng.choice(EVENT_KINDS)], "MISC")
    if kind == "NUM":
        return [(str(rng.randint(1, 40)), "CD", "O")]
    if kind == "YEAR":
        return [(str(rng.randint(1950, 2025)), "CD", "O")]
    if kind == "DAY":
        return [(rng.choice(DAYS), "NNP", "O")]
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


def sentence(rng: random.Random, w: World, shared_names: list[str], train: bool) -> list[tuple[str, str, str]]:
    ambiguous = rng.random() < AMBIGUOUS_SHARE
    label = None
    if ambiguous:
        template = rng.choice(AMBIGUOUS)
        cue = next(c for c in CUES if "{" + c + "}" in template)  # the template's cue slot
        label = rng.choice(sorted(CUES[cue]))
        options = CUES[cue][label]
        seen = max(1, round(0.6 * len(options)))
        options = options[:seen] if train else (options[seen:] or options)
        template = template.replace("{" + cue + "}", rng.choice(options))
        template = template.replace("{WHEN}", rng.choice(WHEN)).replace("{FILLER}", rng.choice(FILLER))
    else:
        template = rng.choice(TEMPLATES)
    out = []
    for piece in template.split():
        if piece.startswith("{"):
            parts = piece.split("/")[0]  # "{NUM}-{NUM}/CD" keeps the score as one CD token
            if "-" in parts and parts.count("{") == 2:
                out.append((f"{rng.randint(0, 5)}-{rng.randint(0, 5)}", "CD", "O"))
            elif parts == "{ANY}":  # one word from the pool every type draws from
                out.append((rng.choice(w.surnames), "NNP", "B-" + label))
            else:
                out.extend(entity(rng, w, parts.strip("{}"), shared_names))
        else:
            tok, pos = piece.rsplit("/", 1)
            out.append((tok, pos, "O"))
    return out


def make_split(seed: int, n: int, train: bool) -> list[dict]:
    rng = random.Random(seed)
    w = make_world(seed)
    shared_names = w.towns[:10]  # used both as surnames (PER) and places (LOC)
    rows, seen = [], set()
    while len(rows) < n:
        toks = sentence(rng, w, shared_names, train)
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
    no_cue = {" ".join(p.split("/")[0] for p in phrase.split()) for phrase in CUES["NO_CUE"]["PER"]}
    for name, seed, n in [("train", 31, 2400), ("validation", 42, 300)]:
        rows = make_split(seed, n, name == "train")
        write_jsonl(HERE / f"{name}.jsonl", rows)
        ents = sum(t % 2 == 1 for r in rows for t in r["ner_tags"])
        # a name whose type no cue decides: the best any reader can do is guess, right 1 time in 3; with every
        # other entity right, precision = recall = F1 = 1 - (wrong guesses) / entities
        k = sum(any(phrase in " ".join(r["tokens"]) for phrase in no_cue) for r in rows)
        print(f"{name}: {len(rows)} sentences, {ents} entities, {k} of them typed by no cue "
              f"(expected entity F1 of a perfect reader: {1 - (2 * k / 3) / ents:.1%})")


if __name__ == "__main__":
    main()
