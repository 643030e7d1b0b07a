"""The simple baselines of the course's offline data sets: what a rule or a bag of words scores.

A task whose simple baseline is near the fine-tuned model's score, or near the ceiling, cannot show
the effects the assignments ask students to measure (issue #16). Run it after regenerating data/ and
put the figures in the data cards:

    python tools/baselines.py          # a table, about 20 s on 2 cores

QA: a string matcher learned from train (for each question template, the words that precede the
answer; on dev, the text after the most frequent of them up to punctuation), scored by the official
SQuAD script. Sentiment: bag of words (unigrams and bigrams) with logistic regression. NER: per-word majority
tag, and logistic regression on the word, its shape and its two neighbours (entity F1, seqeval).
Corpus: the share of dev sentences whose skeleton (names and numbers replaced) occurs in train.
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


def qa() -> dict:
    sys.path.insert(0, str(ROOT))
    from tests import reference_squad_v1 as squad_v1
    cues = _cues(rows("qa", "train"))
    dev = rows("qa", "validation")
    preds = [{"id": r["id"], "prediction_text": qa_matcher(r["question"], r["context"], cues)} for r in dev]
    return squad_v1.compute(preds, [{"id": r["id"], "answers": r["answers"]} for r in dev])


def sentiment() -> float:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    train, dev = rows("sentiment", "train"), rows("sentiment", "validation")
    vec = CountVectorizer(ngram_range=(1, 2))
    clf = LogisticRegression(max_iter=2000).fit(vec.fit_transform([r["sentence"] for r in train]),
                                                [r["label"] for r in train])
    return float(clf.score(vec.transform([r["sentence"] for r in dev]), [r["label"] for r in dev]))


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

    def feats(tokens, i):
        return {"w": tokens[i].lower(), "shape": _shape(tokens[i]), "prev": tokens[i - 1].lower() if i else "<s>",
                "next": tokens[i + 1].lower() if i + 1 < len(tokens) else "</s>"}
    vec = DictVectorizer()
    x = vec.fit_transform([feats(r["tokens"], i) for r in train for i in range(len(r["tokens"]))])
    clf = LogisticRegression(max_iter=3000).fit(x, [t for r in train for t in r["ner_tags"]])
    context = [[names[t] for t in clf.predict(vec.transform([feats(r["tokens"], i) for i in range(len(r["tokens"]))]))]
               for r in dev]
    return {"lookup": float(f1_score(gold, lookup)), "context": float(f1_score(gold, context))}


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


def main() -> None:
    q = qa()
    n = ner()
    print("| task | simple baseline | score |\n|---|---|---|")
    print(f"| qa | string matcher: answer cues learned per question template (EM / F1) | {q['exact_match']:.1f} / {q['f1']:.1f} |")
    print(f"| sentiment | bag of words + logistic regression (accuracy) | {100 * sentiment():.1f} |")
    print(f"| ner | per-word majority tag (entity F1) | {100 * n['lookup']:.1f} |")
    print(f"| ner | word, shape, neighbours + logistic regression (entity F1) | {100 * n['context']:.1f} |")
    print(f"| corpus | dev sentences whose skeleton occurs in train | {100 * corpus():.1f}% |")


if __name__ == "__main__":
    main()
