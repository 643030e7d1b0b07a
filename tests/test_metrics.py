"""The metrics against hand-worked cases and trusted references (sklearn, seqeval): the shipped accuracy
and F1, NER F1, a5's SQuAD scoring (torchmetrics), and the grader's copy of the official SQuAD script."""
import random

import pytest

from tests import reference_squad_v1 as squad_v1
from shared.metrics import load_metric, ner_f1, squad_pair


def squad(pred, golds):
    refs = [{"id": "q", "answers": {"text": golds, "answer_start": [0] * len(golds)}}]
    return squad_v1.compute(predictions=[{"id": "q", "prediction_text": pred}], references=refs)


@pytest.mark.parametrize("pred,golds,em,f1", [
    ("Denver Broncos", ["Denver Broncos"], 100.0, 100.0),
    ("the Denver Broncos!", ["Denver Broncos"], 100.0, 100.0),   # articles and punctuation dropped
    ("  DENVER   broncos ", ["Denver Broncos"], 100.0, 100.0),   # case and whitespace
    ("Broncos", ["Denver Broncos"], 0.0, 2 * (1 * 0.5) / 1.5 * 100),   # P=1, R=1/2
    ("the big red dog", ["red dog house"], 0.0, 2 / 3 * 100),   # P=2/3 (big red dog), R=2/3
    ("Paris", ["London", "paris."], 100.0, 100.0),                # max over gold answers
    ("an", ["a"], 100.0, 0.0),                                    # both normalise to empty: EM 1, F1 0
])
def test_squad_hand_worked(pred, golds, em, f1):
    out = squad(pred, golds)
    assert out["exact_match"] == pytest.approx(em)
    assert out["f1"] == pytest.approx(f1)


def test_squad_averages_over_questions():
    preds = [{"id": "1", "prediction_text": "cat"}, {"id": "2", "prediction_text": "no"}]
    refs = [{"id": "1", "answers": {"text": ["a cat"], "answer_start": [0]}},
            {"id": "2", "answers": {"text": ["yes"], "answer_start": [0]}}]
    out = squad_v1.compute(predictions=preds, references=refs)
    assert out == {"exact_match": 50.0, "f1": 50.0}


def test_accuracy_and_f1_equal_sklearn():
    from sklearn.metrics import accuracy_score, f1_score
    rng = random.Random(0)
    y = [rng.randint(0, 2) for _ in range(200)]
    p = [t if rng.random() < 0.6 else rng.randint(0, 2) for t in y]
    assert load_metric("accuracy").compute(predictions=p, references=y)["accuracy"] == pytest.approx(accuracy_score(y, p))
    for avg in ["macro", "micro"]:
        ours = load_metric("f1").compute(predictions=p, references=y, average=avg)["f1"]
        assert ours == pytest.approx(f1_score(y, p, average=avg))
    yb, pb = [t % 2 for t in y], [t % 2 for t in p]
    assert load_metric("f1").compute(predictions=pb, references=yb)["f1"] == pytest.approx(f1_score(yb, pb))


def test_ner_f1_is_entity_level():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"]]
    # 3 gold entities; predicted: PER 'B-PER' alone (wrong span), LOC right, ORG right -> P=2/3, R=2/3
    out = ner_f1(gold, pred)
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == pytest.approx(2 / 3)
    assert out["f1"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one predicted tag per gold tag"):
        ner_f1(gold, [["O"]])


def test_unknown_metric_lists_shipped():
    with pytest.raises(ValueError, match="accuracy, f1"):
        load_metric("bleu")
    with pytest.raises(ValueError):   # SQuAD is a1's graded work: not shipped to students
        load_metric("squad_v1")


@pytest.mark.parametrize("pred,golds,em,f1", [
    ("Denver Broncos", ["Denver Broncos"], 100.0, 100.0), ("Broncos", ["Denver Broncos"], 0.0, 200 / 3),
    ("the big red dog", ["red dog house"], 0.0, 200 / 3), ("an", ["a"], 100.0, 0.0)])
def test_the_graders_reference_is_the_official_scoring(pred, golds, em, f1):
    out = squad(pred, golds)
    assert out["exact_match"] == pytest.approx(em) and out["f1"] == pytest.approx(f1)


def test_a5_scores_with_torchmetrics_which_equals_the_official_script():
    """a5's QA F1 and person EM (torchmetrics) agree with the grader's copy of the official script."""
    from shared.multitask import score
    rng = random.Random(3)
    words = ["the", "a", "an", "theater", "U.S.", "Army", "army", "cat", "cat", "dog's", "Denver", "!"]
    for _ in range(200):
        pred = " ".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
        gold = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        if not squad_v1.normalize_answer(gold):   # torchmetrics follows SQuAD v2 there (both empty: F1 1);
            continue                              # a5's gold answers always have a word
        em, f1 = squad_pair(pred, gold)
        assert em == squad_v1.exact_match_score(pred, gold) and f1 == pytest.approx(squad_v1.f1_score(pred, gold))
        assert score("qa", [pred], [gold]) == pytest.approx(squad_v1.f1_score(pred, gold))
        assert score("person", [pred], [gold]) == squad_v1.exact_match_score(pred, gold)
        from shared.multitask import _norm   # label words and entities: the same normalisation
        assert _norm(pred) == squad_v1.normalize_answer(pred)
    assert score("sentiment", ["Positive, because the acting is good."], ["positive"]) == 1.0


def test_a1s_hidden_digest_is_the_official_scores_of_its_cases():
    """a1's hidden metric check compares a digest; recompute it from the reference and the notebook's cases."""
    import hashlib
    import re as _re

    import nbformat

    from autograder.course import REPO
    nb = nbformat.read(REPO / "solutions" / "a1_qa_finetuning" / "a1_qa_finetuning.ipynb", as_version=4)
    test = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_squad_metric")
    seed = int(_re.search(r"_random.Random\((\d+)\)", test)[1])
    words = eval(_re.search(r"_words = (\[.*?\])", test)[1])   # noqa: S307  (the notebook's own literal)
    r = random.Random(seed)
    rows = []
    for _ in range(300):
        p = " ".join(r.choice(words) for _ in range(r.randint(0, 4)))
        g = [" ".join(r.choice(words) for _ in range(r.randint(1, 4))) for _ in range(r.randint(1, 3))]
        rows.append((squad_v1.max_over_ground_truths(squad_v1.exact_match_score, p, g),
                     round(squad_v1.max_over_ground_truths(squad_v1.f1_score, p, g), 9)))
    assert hashlib.sha256(repr(rows).encode()).hexdigest() in test
