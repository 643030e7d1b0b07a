"""A small fictional world that the course's data sets are written about.

Every name here is invented from syllables with a seeded random generator, so
no text is copied from an existing data set and the same seed always gives the
same world. The QA set and the WikiText-style corpus describe the same towns,
people and companies; the NER set reuses the names.

Run nothing here directly: the `make_*.py` script of each data set imports it.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

ONSETS = ["b", "br", "c", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p",
          "r", "s", "st", "t", "th", "tr", "v", "w", "z", "sh", "kl", "pl"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "n", "r", "l", "s", "th", "m", "nd", "rk", "st", "x"]
TOWN_ENDINGS = ["ford", "ton", "wick", "holm", "by", "stead", "mere", "dale", "gate", "haven"]

FIRST_NAMES = ["Amara", "Bastian", "Celine", "Dorian", "Elena", "Farid", "Greta", "Hugo",
               "Ines", "Jonas", "Kira", "Lukas", "Mira", "Nico", "Olga", "Pavel",
               "Quinn", "Rosa", "Soren", "Talia", "Ulric", "Vera", "Wim", "Yara",
               "Zofia", "Anton", "Brigid", "Cyrus", "Dalia", "Emil", "Freya", "Gideon"]

FEMALE_NAMES = {"Amara", "Celine", "Elena", "Greta", "Ines", "Kira", "Mira", "Olga", "Quinn",
                "Rosa", "Talia", "Vera", "Yara", "Zofia", "Brigid", "Dalia", "Freya"}


def with_article(noun: str) -> str:
    """'an engineer', 'a merchant'."""
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


OCCUPATIONS = ["engineer", "merchant", "physician", "teacher", "miller", "architect",
               "chemist", "sailor", "printer", "botanist", "surveyor", "composer"]
FIELDS = ["chemistry", "linguistics", "geology", "mathematics", "architecture", "medicine",
          "astronomy", "economics", "music theory", "marine biology", "philosophy", "law"]
INDUSTRIES = ["fishing", "wool weaving", "glass making", "tourism", "copper mining",
              "timber", "shipbuilding", "cheese making", "printing", "brewing",
              "software", "salt harvesting"]
PRODUCTS = ["lantern", "tractor", "typewriter", "bicycle", "kettle", "radio", "compass",
            "loom", "camera", "pump", "harp", "telescope"]
PRIZES = ["Medal", "Prize", "Award", "Cup"]
TOPICS = ["river pollution", "early printing presses", "rare mosses", "tidal energy",
          "medieval trade routes", "bird migration", "glacier retreat", "folk songs",
          "bridge design", "soil bacteria", "coastal erosion", "number theory"]
REGIONS = ["northern", "southern", "eastern", "western", "central", "coastal", "upland"]
DIRECTIONS = ["north", "south", "east", "west", "north-east", "south-west"]
SIZES = ["small", "quiet", "busy", "historic", "growing", "remote"]


def word(rng: random.Random, syllables: int) -> str:
    """An invented, pronounceable word such as 'Drelmora'."""
    parts = [rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(CODAS)).capitalize()


@dataclass
class World:
    towns: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    rivers: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    nationality: dict[str, str] = field(default_factory=dict)

    def person(self, rng: random.Random) -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(self.surnames)}"


def unique(rng: random.Random, n: int, make) -> list[str]:
    out, seen = [], set()
    while len(out) < n:
        w = make(rng)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def make_world(seed: int) -> World:
    """One world: the seed decides every name, so train and dev can use different worlds."""
    rng = random.Random(seed)
    w = World()
    w.towns = unique(rng, 120, lambda r: word(r, r.randint(1, 2)) + r.choice(TOWN_ENDINGS))
    w.countries = unique(rng, 12, lambda r: word(r, 2) + r.choice(["ia", "a", "land", "istan", "e"]))
    w.rivers = unique(rng, 40, lambda r: word(r, 2))
    w.surnames = unique(rng, 120, lambda r: word(r, r.randint(2, 3)))
    w.companies = unique(rng, 60, lambda r: word(r, 2) + r.choice(["", "co", "tek", "a"]))
    for c in w.countries:
        stem = c[:-1] if c[-1] in "aeiou" else c
        w.nationality[c] = stem + rng.choice(["ian", "ese", "ish", "ic"])
    return w


def write_jsonl(path, rows) -> None:
    """One split of a data set as JSON lines (one object per line), the form every loader of the course reads."""
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
