"""The simple baselines of the course's offline data sets: what a rule or a bag of words scores.

A task whose simple baseline is near the fine-tuned model's score, or near the ceiling, cannot show
the effects the assignments ask students to measure (issue #16). Run it after regenerating data/ and
put the figures in the data cards:

    python tools/baselines.py          # a table, 14 s on 2 cores (2026-12-02)

QA: two string matchers, scored by the official SQuAD script. The cue matcher learns, for each question
template, the words that precede the answer in train, and on dev returns the text after the most frequent
cue. The overlap matcher needs no training: it takes the sentence sharing most words with the question and
returns the candidate of the question's answer type (a year for "when", a number for "how many", two
capitalised words for "who", one for "where"/"which") nearest to those shared words.
Sentiment: bag of n-grams (up to 1, 2 and 3 words) with logistic regression. NER: per-word majority tag,
and logistic regression on the word, its shape and its neighbours up to 1, 2, 4 and 6 words away (entity
F1, seqeval). Corpus: the share of dev sentences whose skeleton (names and numbers replaced) occurs in
train. Reviews (a6): bag of n-grams on whole reviews. Arithmetic (a6): answer rules that read no language.
For each task the table shows every variant; the data card quotes the best.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rows(task: str, split: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / "data" / task / f"{split}.jsonl").read_text().splitlines()]


def _template(question: str) -> str:
    """The question without its names and numbers: "which river flows past X"."""
    return " ".join(w.lower() for w in re.findall(r"[\w']+", question) if not (w[0].isupper() and w != question.split()[0])
                    and not w[0].isdigit())


def _cues(train: list[dict]) -> dict[str, Counter]:
    """For each question template, the two words that precede the answer in training contexts."""
    cues = defaultdict(Counter)
    for r in train:
        left = r["context"][:r["answers"]["answer_start"][0]].split()[-2:]
        cues[_template(r["question"])][" ".join(left)] += 1
    return cues


def qa_matcher(question: str, context: str, cues: dict[str, Counter]) -> str:
    """The words after the template's most frequent cue that occurs in the context, up to punctuation."""
    for cue, _ in cues.get(_template(question), Counter()).most_common():
        at = context.find(cue + " ")
        if cue and at >= 0:
            rest = context[at + len(cue) + 1:]
            return re.split(r"[,.;]\s|[,.;]$| since | in \d| although ", rest)[0].strip()
    return ""


STOP = set("the a an of in on at to for and or is was were did does do what which who whom whose when where how many "
           "much by with from since its it his her their this that as be been has have had there after before".split())
ANSWER_TYPES = {"year": r"\b1\d{3}\b|\b20\d\d\b", "number": r"\b\d[\d,]*(?: (?:kilometres|million crowns))?",
                "name": r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", "place": r"\b[A-Z][a-z]+\b"}


def answer_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\b(when|what year|which year|since which year)\b", q):
        return "year"
    if re.search(r"\b(how many|how much|how far|how large|population|distance|how old)\b", q):
        return "number"
    if re.search(r"^(who|whom|whose|with whom)\b|\bwhich person\b", q):
        return "name"
    return "place"


def overlap_matcher(question: str, context: str) -> str:
    """The candidate of the question's answer type nearest to the question's words, in the best-overlapping sentence."""
    qwords = {w.lower() for w in re.findall(r"[\w']+", question)} - STOP
    pattern = ANSWER_TYPES[answer_type(question)]
    best = None
    for m in re.finditer(r"[^.;]+[.;]?", context):
        sentence = m.group(0)
        score = sum(w.lower() in qwords for w in re.findall(r"[\w']+", sentence))
        candidates = [c for c in re.finditer(pattern, sentence)
                      if c.group(0).lower() not in question.lower()]
        if candidates and (best is None or score > best[0]):
            hits = [h.start() for h in re.finditer(r"[\w']+", sentence) if h.group(0).lower() in qwords]
            nearest = min(candidates, key=lambda c: min((abs(c.start() - h) for h in hits), default=0))
            best = (score, nearest.group(0))
    return best[1] if best else ""


def qa() -> dict:
    sys.path.insert(0, str(ROOT))
    from tests import reference_squad_v1 as squad_v1
    cues = _cues(rows("qa", "train"))
    dev = rows("qa", "validation")
    golds = [{"id": r["id"], "answers": r["answers"]} for r in dev]
    out = {}
    for name, answer in [("cue", lambda r: qa_matcher(r["question"], r["context"], cues)),
                         ("overlap", lambda r: overlap_matcher(r["question"], r["context"]))]:
        out[name] = squad_v1.compute([{"id": r["id"], "prediction_text": answer(r)} for r in dev], golds)
    return out


def sentiment() -> dict:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    train, dev = rows("sentiment", "train"), rows("sentiment", "validation")
    out = {}
    for n in (1, 2, 3):
        vec = CountVectorizer(ngram_range=(1, n), token_pattern=r"\S+")
        clf = LogisticRegression(max_iter=3000).fit(vec.fit_transform([r["sentence"] for r in train]),
                                                    [r["label"] for r in train])
        out[n] = float(clf.score(vec.transform([r["sentence"] for r in dev]), [r["label"] for r in dev]))
    return out


def _shape(w: str) -> str:
    return re.sub(r"[a-z]+", "a", re.sub(r"[A-Z]+", "A", re.sub(r"\d+", "0", w)))


def ner() -> dict:
    from seqeval.metrics import f1_score
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    names = json.loads((ROOT / "data" / "ner" / "tags.json").read_text())["ner_tags"]
    train, dev = rows("ner", "train"), rows("ner", "validation")
    gold = [[names[t] for t in r["ner_tags"]] for r in dev]
    votes = defaultdict(Counter)
    for r in train:
        for w, t in zip(r["tokens"], r["ner_tags"]):
            votes[w][t] += 1
    lookup = [[names[votes[w].most_common(1)[0][0]] if w in votes else "O" for w in r["tokens"]] for r in dev]

    def feats(tokens, i, window):
        f = {"w": tokens[i].lower(), "shape": _shape(tokens[i])}
        for d in range(1, window + 1):
            f[f"prev{d}"] = tokens[i - d].lower() if i >= d else "<s>"
            f[f"next{d}"] = tokens[i + d].lower() if i + d < len(tokens) else "</s>"
        return f
    out = {"lookup": float(f1_score(gold, lookup))}
    for window in (1, 2, 4, 6):
        vec = DictVectorizer()
        x = vec.fit_transform([feats(r["tokens"], i, window) for r in train for i in range(len(r["tokens"]))])
        clf = LogisticRegression(max_iter=3000).fit(x, [t for r in train for t in r["ner_tags"]])
        pred = [[names[t] for t in clf.predict(vec.transform([feats(r["tokens"], i, window)
                                                             for i in range(len(r["tokens"]))]))] for r in dev]
        out[window] = float(f1_score(gold, pred))
    return out


def corpus() -> float:
    def skeletons(split):
        out = []
        for r in rows("corpus", split):
            for s in re.split(r"(?<=[.!?])\s+", r["text"]):
                if s.strip():
                    out.append(re.sub(r"\b[A-Z][\w'-]*|\d[\d,.]*", "X", s.strip()))
        return out
    train = set(skeletons("train"))
    dev = skeletons("validation")
    return sum(s in train for s in dev) / len(dev)


def reviews() -> dict:
    """a6's reviews: the review label from a bag of n-grams (the judge's task, on whole reviews)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    train, test = rows("reviews", "train"), rows("reviews", "test")
    out = {}
    for n in (1, 2):
        vec = CountVectorizer(ngram_range=(1, n), token_pattern=r"\S+")
        clf = LogisticRegression(max_iter=3000).fit(vec.fit_transform([r["text"] for r in train]),
                                                    [r["label"] for r in train])
        out[n] = float(clf.score(vec.transform([r["text"] for r in test]), [r["label"] for r in test]))
    return out


def arithmetic() -> dict:
    """a6's word problems: answer rules that read no language (the last number, the sum, the product of the first
    two, the most frequent answer in train), exact match on test."""
    train, test = rows("arithmetic", "train"), rows("arithmetic", "test")
    gold = [int(r["answer"].rsplit("#### ", 1)[1]) for r in test]
    numbers = [[int(x) for x in re.findall(r"\d+", r["question"])] for r in test]
    common = Counter(int(r["answer"].rsplit("#### ", 1)[1]) for r in train).most_common(1)[0][0]
    rules = {"the last number in the question": [ns[-1] for ns in numbers],
             "the sum of its numbers": [sum(ns) for ns in numbers],
             "the product of its first two numbers": [ns[0] * ns[1] for ns in numbers],
             "train's most frequent answer": [common] * len(test)}
    return {name: sum(p == g for p, g in zip(pred, gold)) / len(gold) for name, pred in rules.items()}


def main() -> None:
    q, s, n = qa(), sentiment(), ner()
    print("| task | simple baseline | score |\n|---|---|---|")
    print(f"| qa | cue matcher: the words before the answer, learned per question template (EM / F1) | "
          f"{q['cue']['exact_match']:.1f} / {q['cue']['f1']:.1f} |")
    print(f"| qa | overlap matcher: answer type nearest the question's words (EM / F1) | "
          f"{q['overlap']['exact_match']:.1f} / {q['overlap']['f1']:.1f} |")
    for k, acc in s.items():
        print(f"| sentiment | n-grams up to {k} + logistic regression (accuracy) | {100 * acc:.1f} |")
    print(f"| ner | per-word majority tag (entity F1) | {100 * n['lookup']:.1f} |")
    for window in (1, 2, 4, 6):
        print(f"| ner | word, shape, neighbours up to {window} away + logistic regression (entity F1) | "
              f"{100 * n[window]:.1f} |")
    print(f"| corpus | dev sentences whose skeleton occurs in train | {100 * corpus():.1f}% |")
    for k, acc in reviews().items():
        print(f"| reviews | n-grams up to {k} + logistic regression, review label (accuracy) | {100 * acc:.1f} |")
    for name, acc in arithmetic().items():
        print(f"| arithmetic | {name} (exact match) | {100 * acc:.1f} |")


if __name__ == "__main__":
    main()
