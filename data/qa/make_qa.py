"""Write the course's SQuAD v1.1-style QA set: data/qa/{train,validation}.jsonl.

Passages describe invented towns, people and companies (see data/world.py). They
are built to behave like encyclopedia text rather than like a form:

- **long**: 10-14 sentences, about 300-450 word pieces, so at a1's offline
  max_length (192) and stride (64) a real share of the answers lies beyond the
  first window, and windowing is exercised by the data;
- **distractors of the answer's type**: a second founder and founding year (an
  older fort), a second river, a rival person or company with their own years,
  towns and numbers, so "return the year" or "return the name after 'by'" fails;
- **held-out phrasings**: every fact and every question has several phrasings,
  and the last of each list is never used in training. Validation uses it half
  of the time, so a model (or a rule) that memorised the training templates
  meets new ones there. The corpus (data/corpus) uses the same grammar and only
  the held-out phrasings in its dev and test splits.

Train and validation are written about different worlds, so validation names
never occur in training: the dev score measures reading, not memorised names.

    python data/qa/make_qa.py          # rewrites the two files, deterministically
"""
from __future__ import annotations

import hashlib
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from world import (DIRECTIONS, FEMALE_NAMES, FIELDS, INDUSTRIES, OCCUPATIONS, PRIZES, PRODUCTS,  # noqa: E402
                   REGIONS, SIZES, TOPICS, World, make_world, with_article, write_jsonl)

SLOT = re.compile(r"\{(\w+)\}")
MONTHS = ["January", "March", "April", "May", "June", "July", "August", "September", "October"]
FESTIVALS = ["lantern", "harvest", "boat", "music", "cheese", "kite", "bread", "poetry"]
BOOKS = ["A Short History of", "Notes on", "The Problem of", "Letters about", "Against"]


class Style:
    """Which phrasings a split may use. The last phrasing of every list is held out of training.

    mode "train": never the held-out one; "mixed": the held-out one half of the time (QA validation);
    "heldout": always the held-out one (the corpus's dev and test, so no dev sentence is a train template).
    """

    def __init__(self, rng: random.Random, mode: str) -> None:
        assert mode in {"train", "mixed", "heldout"}
        self.rng, self.mode = rng, mode

    def pick(self, options: list[str]) -> str:
        if len(options) == 1 or self.mode == "train":
            return self.rng.choice(options[:-1] if len(options) > 1 else options)
        if self.mode == "heldout" or self.rng.random() < 0.5:
            return options[-1]
        return self.rng.choice(options[:-1])


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


def _other(rng: random.Random, pool: list[str], *taken: str) -> str:
    return rng.choice([x for x in pool if x not in taken])


def _years(rng: random.Random, n: int, lo: int, hi: int) -> list[str]:
    return [str(y) for y in rng.sample(range(lo, hi), n)]


# Sentences that no question asks about, as an encyclopedia article has many: they make the passages long
# and bring more years, names and numbers of every type. Each holds its own values (x1, x2, ...).
EXTRA = {
    "town": [
        ["The railway station, opened in {y1}, has trains to {t1} every hour.",
         "Trains to {t1} leave every hour from the station, which opened in {y1}.",
         "Since {y1} a railway line has linked the town with {t1}, with a train every hour."],
        ["The church of Saint {f1} was rebuilt after a fire in {y2}.",
         "After a fire in {y2}, the church of Saint {f1} had to be rebuilt.",
         "Fire destroyed the church of Saint {f1} in {y2}, and it was rebuilt."],
        ["Winters are cold, with snow on about {n1} days a year.",
         "Snow lies on roughly {n1} days of an average winter.",
         "On about {n1} days a year the streets are under snow."],
        ["The football club plays at a ground that holds {n2} spectators.",
         "Its football ground has room for {n2} spectators.",
         "Up to {n2} people can watch the local football club at its ground."],
        ["A market is held in the main square every {d1}.",
         "Every {d1} the main square fills with a market.",
         "Market day is {d1}, when stalls fill the main square."],
        ["The painter {p1} lived in the town from {y3} to {y4}.",
         "From {y3} until {y4} the painter {p1} made the town home.",
         "{p1}, a painter, spent the years {y3} to {y4} there."],
        ["The grammar school, founded in {y5}, teaches about {n3} pupils.",
         "About {n3} pupils attend the grammar school, which dates from {y5}.",
         "Founded in {y5}, the grammar school now has some {n3} pupils."],
        ["A museum in the old mill shows tools used in {i1}.",
         "The old mill is now a museum of {i1}.",
         "Tools of the {i1} trade fill the museum in the old mill."],
    ],
    "person": [
        ["{P} grew up in {t1}, where {pr} father was {o1}.",
         "{pr_cap} father worked as {o1} in {t1}, where the family lived.",
         "The family lived in {t1}; {pr} father was {o1} there."],
        ["In {y1} {p} spent a year as a visiting scholar in {t2}.",
         "A year as a visiting scholar took {o} to {t2} in {y1}.",
         "{t2} was {pr} home for a year in {y1}, as a visiting scholar."],
        ["{P} has written more than {n1} articles.",
         "The list of {pr} articles runs to over {n1}.",
         "Over {n1} articles bear {pr} name."],
        ["A street in {t3} was named after {o} in {y2}.",
         "In {y2} {t3} named a street after {o}.",
         "{t3} gave {pr} name to a street in {y2}."],
        ["{P} is fond of {h1}.",
         "Outside work, {p} enjoys {h1}.",
         "In {pr} free time {p} turns to {h1}."],
        ["{P} served on the board of the {f1} society from {y3} to {y4}.",
         "From {y3} to {y4}, {p} sat on the board of the {f1} society.",
         "The {f1} society had {o} on its board between {y3} and {y4}."],
    ],
    "company": [
        ["Its first workshop, opened in {y1}, stood in {t1}.",
         "The first workshop was in {t1}, opened in {y1}.",
         "It started out in a workshop in {t1} in {y1}."],
        ["Sales reached {n1} million crowns in {y2}.",
         "In {y2} its sales came to {n1} million crowns.",
         "It sold goods worth {n1} million crowns in {y2}."],
        ["A strike closed its plants for {n2} weeks in {y3}.",
         "In {y3} a strike of {n2} weeks shut its plants.",
         "Its plants stood idle for {n2} weeks during a strike in {y3}."],
        ["Its designer {p1} won a prize for the shape of its {pr1}.",
         "The shape of its {pr1} won a prize for the designer {p1}.",
         "{p1}, its designer, was honoured for the look of its {pr1}."],
        ["The company opened an office in {t2} in {y4}.",
         "In {y4} an office in {t2} followed.",
         "{t2} got one of its offices in {y4}."],
        ["It is known for paying its apprentices well.",
         "Its apprentices are among the best paid in the trade.",
         "Apprentices there are paid better than in most firms."],
    ],
}
HOBBIES = ["sailing", "gardening", "playing chess", "cycling", "playing the piano", "hill walking"]


def extras(rng: random.Random, w: World, style: Style, kind: str, v: dict[str, str]) -> list[str]:
    """The extra sentences of one passage, filled in (no question is asked about them)."""
    first = int(v["byear"]) + 5 if kind == "person" else int(v["year"]) + 1  # within a life, after a founding
    y = _years(rng, 5, first, 2025)
    x = {"y1": y[0], "y2": y[1], "y3": min(y[2], y[3]), "y4": max(y[2], y[3]), "y5": y[4],
         "t1": rng.choice(w.towns), "t2": rng.choice(w.towns), "t3": rng.choice(w.towns),
         "f1": rng.choice(FIELDS), "p1": w.person(rng), "n1": str(rng.randint(10, 120)),
         "n2": f"{rng.randint(500, 9000):,}", "n3": str(rng.randint(150, 1200)), "d1": rng.choice(
             ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]),
         "i1": rng.choice(INDUSTRIES), "o1": with_article(rng.choice(OCCUPATIONS)),
         "h1": rng.choice(HOBBIES), "pr1": rng.choice(PRODUCTS)}
    if kind == "person":
        x.update(P=v["pron"], p=v["pron_l"], pr=v["poss"], pr_cap=v["Poss"], o=v["obj"])
    out = []
    for options in rng.sample(EXTRA[kind], rng.randint(len(EXTRA[kind]) - 2, len(EXTRA[kind]))):
        out.append(style.pick(options).format(**x))
    return out


def _build(rng: random.Random, style: Style, lead: list[str], body: list[list[str]], v: dict[str, str],
           extra: list[str]) -> Passage:
    """The lead sentence first, then the body's and the extra sentences in a random order."""
    p = Passage()
    p.add(style.pick(lead), v)
    sentences = [style.pick(options) for options in body] + extra   # extra sentences are filled in: no slots
    rng.shuffle(sentences)
    for sentence in sentences:
        p.add(sentence, v)
    return p


def town_passage(rng: random.Random, w: World, town: str, style: Style):
    year, fort_year, byear, lyear, fyear = _years(rng, 5, 1200, 1890)
    city, city2, origin, twin = rng.sample([t for t in w.towns if t != town], 4)
    river, river2 = rng.sample(w.rivers, 2)
    v = {
        "town": town, "size": rng.choice(SIZES), "region": rng.choice(REGIONS),
        "country": rng.choice(w.countries), "year": year, "fort_year": fort_year,
        "founder": w.person(rng), "fort_builder": w.person(rng), "occupation": rng.choice(OCCUPATIONS),
        "origin": origin, "river": river, "river2": river2,
        "distance": f"{rng.randint(3, 45)} kilometres", "distance2": f"{rng.randint(46, 90)} kilometres",
        "direction": rng.choice(DIRECTIONS), "city": city, "city2": city2,
        "industry": rng.choice(INDUSTRIES), "year2": str(rng.randint(1950, 2015)),
        "population": f"{rng.randint(800, 30000):,}", "population2": f"{rng.randint(30001, 90000):,}",
        "census": str(rng.choice([2001, 2011, 2021])), "byear": byear, "lyear": lyear,
        "mayor": w.person(rng), "former_mayor": w.person(rng), "myear": str(rng.randint(1995, 2022)),
        "festival": rng.choice(FESTIVALS), "month": rng.choice(MONTHS), "fyear": fyear, "twin": twin,
        "country2": rng.choice(w.countries),
    }
    v["aocc"] = with_article(v["occupation"])
    v["industry2"] = _other(rng, INDUSTRIES, v["industry"])
    lead = ["{town} is a {size} town in the {region} part of {country}.",
            "{town}, a {size} town, lies in the {region} part of {country}.",
            "In the {region} part of {country} lies {town}, a {size} town."]
    body = [
        ["It was founded in {year} by {founder}, {aocc} from {origin}.",
         "{founder}, {aocc} who had moved from {origin}, founded the town in {year}.",
         "The town dates from {year}, when {founder}, {aocc} from {origin}, built the first houses there."],
        ["An older fort on the hill above it had been built in {fort_year} by {fort_builder}.",
         "On the hill stands a fort that {fort_builder} built in {fort_year}, long before the town grew.",
         "The ruined fort nearby goes back to {fort_year} and to its builder, {fort_builder}."],
        ["The town lies on the {river} River, {distance} {direction} of {city} and {distance2} from {city2}.",
         "It stands on the banks of the {river} River, about {distance} {direction} of {city}; {city2} is {distance2} away.",
         "{city} is {distance} to the {direction}, {city2} some {distance2}, and the {river} River runs through the town."],
        ["A few kilometres downstream the {river2} joins the {river}.",
         "Below the town the {river} is joined by the {river2}.",
         "The {river2}, a smaller stream, flows into the {river} just past the last houses."],
        ["Its economy depends mainly on {industry}, although {industry2} has grown since {year2}.",
         "Most jobs in the town are in {industry}; {industry2} has expanded since {year2}.",
         "The {industry} trade employs more people than any other, while {industry2} has been growing since {year2}."],
        ["The population was {population} at the {census} census, against {population2} in {city}.",
         "At the {census} census, {population} people lived there, far fewer than the {population2} of {city}.",
         "The {census} census counted {population} inhabitants; {city}, the nearest large town, had {population2}."],
        ["A stone bridge was built in {byear} and the library opened in {lyear}.",
         "The library opened in {lyear}, long after the stone bridge of {byear}.",
         "Its oldest bridge dates from {byear}; the public library followed in {lyear}."],
        ["{mayor} has been mayor since {myear}, succeeding {former_mayor}.",
         "In {myear}, {former_mayor} was succeeded as mayor by {mayor}.",
         "The current mayor, {mayor}, took office in {myear} after {former_mayor} stood down."],
        ["Every {month} the town holds a {festival} festival, first held in {fyear}.",
         "A {festival} festival has taken place each {month} since {fyear}.",
         "Since {fyear} the town has celebrated a {festival} festival every {month}."],
        ["It is twinned with {twin} in {country2}.",
         "{twin}, in {country2}, is its twin town.",
         "Its twin town is {twin}, across the border in {country2}."],
    ]
    p = _build(rng, style, lead, body, v, extras(rng, w, style, "town", v))
    questions = {
        "founder": ["Who founded {town}?", "Who established the town of {town}?", "Which {occupation} founded {town}?",
                    "Whose houses were the first in {town}?"],
        "year": ["In what year was {town} founded?", "When was {town} established?",
                 "When did {town} come into existence?", "In which year did {founder} found {town}?"],
        "fort_year": ["When was the fort near {town} built?", "In which year was the old fort above {town} built?",
                      "How old is the fort on the hill above {town}: when was it built?"],
        "fort_builder": ["Who built the fort near {town}?", "Which person built the old fort above {town}?"],
        "origin": ["Where did the founder of {town} come from?", "From which town did {founder} come?",
                   "What was the home town of the man or woman who founded {town}?"],
        "river": ["On which river does {town} stand?", "Which river flows past {town}?",
                  "{town} lies on the banks of which river?"],
        "river2": ["Which river joins the {river} below {town}?", "Which stream flows into the {river} near {town}?",
                   "What is the tributary of the {river} near {town} called?"],
        "distance": ["How far is {town} from {city}?", "What is the distance from {town} to {city}?",
                     "How many kilometres separate {town} and {city}?"],
        "industry": ["What is the main industry of {town}?", "What does the economy of {town} mostly rely on?",
                     "Which trade employs the most people in {town}?"],
        "industry2": ["Which sector has grown in {town} since {year2}?", "What has expanded in {town} since {year2}?",
                      "Which part of the economy of {town} has been growing since {year2}?"],
        "population": ["How many people lived in {town} at the {census} census?",
                       "What was the population of {town} in {census}?",
                       "How many inhabitants did {town} count in {census}?"],
        "lyear": ["When did the library in {town} open?", "In which year did {town} get its public library?"],
        "byear": ["In which year was the stone bridge in {town} built?", "When was the oldest bridge in {town} built?"],
        "mayor": ["Who is the mayor of {town}?", "Who has led {town} as mayor since {myear}?",
                  "Who holds the office of mayor in {town} today?"],
        "former_mayor": ["Who was mayor of {town} before {mayor}?", "Whom did {mayor} succeed as mayor?"],
        "fyear": ["When was the {festival} festival of {town} first held?",
                  "Since which year has {town} held its {festival} festival?"],
        "twin": ["Which town is {town} twinned with?", "What is the twin town of {town}?"],
    }
    return town, p, v, questions


def person_passage(rng: random.Random, w: World, name: str, style: Style):
    she = name.split()[0] in FEMALE_NAMES
    country = rng.choice(w.countries)
    byear, rbyear = _years(rng, 2, 1900, 1990)
    pyear, ryear, lyear, kyear = _years(rng, 4, int(byear) + 22, 2025)
    btown, utown, ltown, rbtown = rng.sample(w.towns, 4)
    v = {
        "name": name, "byear": byear, "btown": btown, "nat": w.nationality[country],
        "occupation": rng.choice(OCCUPATIONS), "field": rng.choice(FIELDS), "utown": utown,
        "company": rng.choice(w.companies), "prize": f"{rng.choice(w.surnames)} {rng.choice(PRIZES)}",
        "rprize": f"{rng.choice(w.surnames)} {rng.choice(PRIZES)}", "pyear": pyear, "ryear": ryear,
        "topic": rng.choice(TOPICS), "ltown": ltown, "lyear": lyear, "rival": w.person(rng),
        "rbyear": rbyear, "rbtown": rbtown, "mentor": w.person(rng), "partner": w.person(rng),
        "book": f"{rng.choice(BOOKS)} {rng.choice(TOPICS).capitalize()}", "kyear": kyear,
        "students": str(rng.randint(12, 140)),
        "pron": "She" if she else "He", "pron_l": "she" if she else "he", "poss": "her" if she else "his",
        "obj": "her" if she else "him", "Poss": "Her" if she else "His",
    }
    v["anat"] = with_article(v["nat"])
    v["field2"] = _other(rng, FIELDS, v["field"])
    lead = ["{name} (born {byear} in {btown}) is {anat} {occupation}.",
            "Born in {btown} in {byear}, {name} is {anat} {occupation}.",
            "{name}, {anat} {occupation}, was born in {byear} in the town of {btown}."]
    body = [
        ["{pron} studied {field} at the University of {utown} and later worked for {company}.",
         "After studying {field} at the University of {utown}, {pron_l} joined {company}.",
         "{company} hired {obj} after {poss} degree in {field} at the University of {utown}."],
        ["At university {pron_l} was taught by {mentor}, who had trained in {field2}.",
         "{Poss} teacher at university was {mentor}, a specialist in {field2}.",
         "{mentor}, whose own training was in {field2}, supervised {poss} studies."],
        ["In {pyear}, {pron_l} received the {prize} for {poss} work on {topic}.",
         "The {prize} was given to {obj} in {pyear} for research on {topic}.",
         "{Poss} research on {topic} earned {obj} the {prize} in {pyear}."],
        ["{pron} long shared a laboratory with {rival}, born in {rbtown} in {rbyear}, who won the {rprize} in {ryear}.",
         "{rival}, a colleague born in {rbyear} in {rbtown}, worked beside {obj} and received the {rprize} in {ryear}.",
         "{Poss} closest colleague was {rival} (born {rbyear}, {rbtown}), winner of the {rprize} in {ryear}."],
        ["{pron} has lived in {ltown} since {lyear} with {poss} partner, {partner}.",
         "Since {lyear}, {poss} home has been in {ltown}, where {pron_l} lives with {partner}.",
         "{pron} and {poss} partner {partner} moved to {ltown} in {lyear}."],
        ["In {kyear} {pron_l} published {book}.",
         "{Poss} book {book} appeared in {kyear}.",
         "{book}, {poss} best-known book, came out in {kyear}."],
        ["Over the years {pron_l} supervised {students} doctoral students.",
         "{students} doctoral students wrote their theses under {obj}.",
         "{pron} has guided {students} students through their doctorates."],
    ]
    p = _build(rng, style, lead, body, v, extras(rng, w, style, "person", v))
    questions = {
        "btown": ["Where was {name} born?", "In which town was {name} born?", "What is the birthplace of {name}?"],
        "byear": ["When was {name} born?", "In what year was {name} born?", "What is the year of birth of {name}?"],
        "field": ["What did {name} study?", "Which subject did {name} study at university?",
                  "What was the subject of the degree of {name}?"],
        "utown": ["In which town did {name} go to university?", "Where did {name} study?"],
        "company": ["Which company did {name} work for?", "Who employed {name} after university?",
                    "Which firm hired {name} after the degree?"],
        "mentor": ["Who taught {name} at university?", "Who supervised the studies of {name}?"],
        "prize": ["Which award did {name} receive in {pyear}?", "What prize did {name} win for research on {topic}?"],
        "topic": ["For what research was {name} given the {prize}?", "What was the work of {name} that won the {prize} about?"],
        "pyear": ["When did {name} win the {prize}?", "In which year was {name} awarded the {prize}?"],
        "rival": ["With whom did {name} share a laboratory?", "Who was the closest colleague of {name}?"],
        "ltown": ["Where has {name} lived since {lyear}?", "Where does {name} live now?",
                  "In which town is the home of {name}?"],
        "partner": ["Who is the partner of {name}?", "With whom does {name} live?"],
        "kyear": ["When did {name} publish {book}?", "In which year did {book} come out?"],
        "students": ["How many doctoral students did {name} supervise?",
                     "How many students wrote their doctorates under {name}?"],
    }
    return name, p, v, questions


def company_passage(rng: random.Random, w: World, company: str, style: Style):
    year, ryear = _years(rng, 2, 1850, 2010)
    pyear, p2year = sorted(_years(rng, 2, 1900, 2020))
    hq, rhq = rng.sample(w.towns, 2)
    buyer, rival = rng.sample([c for c in w.companies if c != company], 2)
    v = {
        "company": company, "industry": rng.choice(INDUSTRIES), "hq": hq, "year": year,
        "f1": w.person(rng), "f2": w.person(rng), "product": f"{rng.choice(w.surnames)} {rng.choice(PRODUCTS)}",
        "product2": f"{rng.choice(w.surnames)} {rng.choice(PRODUCTS)}", "pyear": pyear, "p2year": p2year,
        "buyer": buyer, "byear": str(rng.randint(1990, 2024)), "price": f"{rng.randint(2, 900)} million crowns",
        "emp": f"{rng.randint(40, 4000):,}", "remp": f"{rng.randint(4001, 9000):,}", "rival": rival,
        "ryear": ryear, "rhq": rhq, "ceo": w.person(rng), "ceo_prev": w.person(rng), "cyear": str(rng.randint(1995, 2023)),
        "plants": str(rng.randint(2, 12)), "country": rng.choice(w.countries),
    }
    lead = ["{company} is a {industry} company based in {hq}.",
            "Based in {hq}, {company} is a company that works in {industry}.",
            "{company}, with its head office in {hq}, is active in {industry}."]
    body = [
        ["It was set up in {year} by {f1} and {f2}.",
         "{f1} and {f2} started the company in {year}.",
         "The firm goes back to {year}, when {f1} went into business with {f2}."],
        ["Its best-known product is the {product}, first sold in {pyear}; the {product2} followed in {p2year}.",
         "The {product}, on sale since {pyear}, made it famous, and the {product2} came in {p2year}.",
         "It became famous for the {product} ({pyear}) and later sold the {product2} ({p2year})."],
        ["In {byear}, {buyer} bought the company for {price}.",
         "{buyer} acquired it in {byear}, paying {price}.",
         "The company changed hands in {byear}, when {buyer} paid {price} for it."],
        ["It employs about {emp} people in {plants} plants, fewer than the {remp} of its rival {rival}.",
         "Its staff numbers roughly {emp} across {plants} plants; its rival {rival} has {remp}.",
         "With {emp} employees in {plants} plants it is smaller than {rival}, which employs {remp}."],
        ["{rival}, founded in {ryear} and based in {rhq}, is its main competitor.",
         "Its main competitor is {rival}, set up in {ryear} in {rhq}.",
         "The chief competition comes from {rival} of {rhq}, in business since {ryear}."],
        ["{ceo} has led the company since {cyear}, succeeding {ceo_prev}.",
         "In {cyear}, {ceo_prev} handed the running of the company to {ceo}.",
         "The chief executive, {ceo}, took over from {ceo_prev} in {cyear}."],
        ["Most of its sales are in {country}.",
         "{country} is its largest market.",
         "It sells more in {country} than anywhere else."],
    ]
    p = _build(rng, style, lead, body, v, extras(rng, w, style, "company", v))
    questions = {
        "hq": ["Where is {company} headquartered?", "In which town is {company} based?",
               "Where is the head office of {company}?"],
        "year": ["When was {company} founded?", "In what year did {company} start?",
                 "Since which year has {company} existed?"],
        "f1": ["Who started {company} together with {f2}?", "Who went into business with {f2} to found {company}?"],
        "product": ["What is the best-known product of {company}?", "Which product made {company} famous?",
                    "What did {company} first become known for?"],
        "product2": ["Which product did {company} sell after the {product}?",
                     "What followed the {product} at {company}?"],
        "buyer": ["Which company bought {company}?", "Who acquired {company} in {byear}?",
                  "Who has owned {company} since {byear}?"],
        "price": ["How much was paid for {company} in {byear}?", "What did {buyer} pay for {company}?"],
        "emp": ["How many people work for {company}?", "How large is the staff of {company}?",
                "How many employees does {company} have?"],
        "rival": ["What is the main competitor of {company}?", "Which company competes most with {company}?"],
        "ceo": ["Who leads {company}?", "Who has run {company} since {cyear}?", "Who is the chief executive of {company}?"],
        "industry": ["In which industry does {company} work?", "What business is {company} in?"],
        "plants": ["How many plants does {company} have?", "In how many plants does {company} work?"],
    }
    return company, p, v, questions


def make_split(seed: int, n_passages: int, q_per_passage: int, split: str) -> list[dict]:
    rng = random.Random(seed)
    style = Style(rng, "train" if split == "train" else "mixed")
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
        title, p, v, questions = kind(rng, w, subject, style)
        keys = rng.sample(sorted(questions), min(q_per_passage, len(questions)))
        for key in keys:
            question = style.pick(questions[key]).format(**v)
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
        write_jsonl(HERE / f"{name}.jsonl", rows)
        print(f"{name}: {len(rows)} questions over {len({r['context'] for r in rows})} passages")


if __name__ == "__main__":
    main()
