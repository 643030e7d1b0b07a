"""a6's shared helpers (shared.generation): pairs, their batches, the KL estimate and best-of-n, on the smoke
model with stand-ins for the student's functions (the notebook's own are tested by its cells)."""
import math
import re

import torch

from shared import generation as gen
from shared.models import load_model, load_tokenizer


def _seq_logps(model, input_ids, attention_mask, response_mask):   # an independent stand-in: a token-by-token loop
    out = []
    for ids, mask, resp in zip(input_ids, attention_mask, response_mask):
        n = int(mask.sum())
        logp = model(input_ids=ids[None, :n]).logits[0].float().log_softmax(-1)
        out.append(sum(logp[t - 1, ids[t]] for t in range(1, n) if resp[t]))
    return torch.stack([torch.as_tensor(o, dtype=torch.float) for o in out])


def _smoke():
    from transformers import AutoModelForCausalLM
    tok = load_tokenizer("smoke:gpt2")
    tok.pad_token = tok.eos_token
    return load_model(AutoModelForCausalLM, "smoke:gpt2").eval(), tok


def test_collate_pairs_puts_chosen_first_and_masks_the_response_only():
    pairs = [{"prompt_ids": [5, 6], "chosen_ids": [7, 8, 9], "rejected_ids": [10], "ref_chosen": -1.0, "ref_rejected": -2.0},
             {"prompt_ids": [5], "chosen_ids": [11], "rejected_ids": [12, 13], "ref_chosen": -3.0, "ref_rejected": -4.0}]
    b = gen.collate_pairs(pairs, pad_id=0)
    assert b["input_ids"].tolist() == [[5, 6, 7, 8, 9], [5, 11, 0, 0, 0], [5, 6, 10, 0, 0], [5, 12, 13, 0, 0]]
    assert b["attention_mask"].tolist() == [[1] * 5, [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0]]
    assert b["response_mask"].tolist() == [[0, 0, 1, 1, 1], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 1, 0, 0]]
    assert b["ref_logps"].tolist() == [-1.0, -3.0, -2.0, -4.0]


def test_preference_pairs_order_by_the_judge_and_drop_ties():
    model, tok = _smoke()
    judge = lambda texts: torch.tensor([float(len(t) % 7) / 7 for t in texts])  # noqa: E731  (any scorer will do)
    pairs = gen.preference_pairs(model, tok, ["the film", "the plot is", "i expected"] * 3, judge, new_tokens=5,
                                 min_gap=0.1)
    assert pairs and all(p["chosen_score"] - p["rejected_score"] >= 0.1 for p in pairs)
    for p in pairs:
        assert len(p["chosen_ids"]) == len(p["rejected_ids"]) == 5
        assert p["chosen"] == p["prompt"] + tok.decode(p["chosen_ids"], skip_special_tokens=True)


def test_kl_of_a_policy_from_itself_is_zero_and_best_of_n_kl_bound_is_the_formula():
    model, tok = _smoke()
    judge = lambda texts: torch.full((len(texts),), 0.5)  # noqa: E731
    point = gen.reward_and_kl(model, model, tok, ["the film", "a"], judge=judge, seq_logps_fn=_seq_logps, new_tokens=4, samples=3)
    assert abs(point["kl"]) < 1e-5 and point["reward"] == 0.5 and point["samples"] == 6   # 2 prompts, 3 samples each
    assert len(point["kl_items"]) == 2                                                    # one item per prompt
    by_prompt = lambda texts: torch.tensor([1.0 if t.startswith("the film") else 0.0 for t in texts])  # noqa: E731
    point = gen.reward_and_kl(model, model, tok, ["the film", "a"], judge=by_prompt, seq_logps_fn=_seq_logps, new_tokens=4, samples=3)
    assert point["reward_items"] == [1.0, 0.0], "a prompt's items are its own samples' mean, in the prompts' order"
    rows = gen.best_of_n(model, tok, ["the film", "a"], judge=judge, pickers={"judge": judge}, ns=(1, 4), new_tokens=3)
    assert [r["n"] for r in rows] == [1, 4] and rows[0]["kl_bound"] == 0 and "kl" not in rows[0]   # a bound, not a KL
    assert abs(rows[1]["kl_bound"] - (math.log(4) - 3 / 4)) < 1e-12


def test_best_of_n_picks_by_each_picker_and_scores_by_the_judge():
    model, tok = _smoke()
    judge = lambda texts: torch.tensor([float(len(t)) for t in texts])            # noqa: E731  longer is better
    shortest = lambda texts: torch.tensor([-float(len(t)) for t in texts])        # noqa: E731  a picker that disagrees
    rows = gen.best_of_n(model, tok, ["the film", "a", "i expected"], judge=judge, pickers={"judge": judge, "short": shortest},
                         ns=(1, 2, 4), new_tokens=4, seed=3)
    by = {(r["picked by"], r["n"]): r for r in rows}
    assert by[("judge", 1)]["items"] == by[("short", 1)]["items"]                 # n = 1: the same first sample
    samples = gen.sample_continuations(model, tok, ["the film", "a", "i expected"], n=4, new_tokens=4, seed=3)
    lengths = torch.tensor([float(len(s["text"])) for s in samples]).view(3, 4)
    assert by[("judge", 4)]["items"] == lengths.max(1).values.tolist()           # the judge picks its own best
    assert by[("short", 4)]["items"] == lengths.min(1).values.tolist()           # another picker: the judge scores its pick
    assert by[("judge", 4)]["reward"] >= by[("short", 4)]["reward"]
    assert by[("judge", 2)]["items"] == lengths[:, :2].max(1).values.tolist()    # n=2: among the first two samples
    assert by[("short", 2)]["items"] == lengths[:, :2].min(1).values.tolist()


def test_decode_many_matches_settings_and_rejects_unknown_arguments():
    import pytest
    model, tok = _smoke()
    greedy = gen.decode_many(model, tok, ["the film", "a"], {}, new_tokens=5)
    assert greedy == gen.decode_many(model, tok, ["the film", "a"], {}, new_tokens=5)              # greedy: no chance
    assert len(tok(greedy[0], add_special_tokens=False)["input_ids"]) >= 1
    a = gen.decode_many(model, tok, ["the film"] * 4, {"do_sample": True, "temperature": 2.0}, new_tokens=6, seed=1)
    b = gen.decode_many(model, tok, ["the film"] * 4, {"do_sample": True, "temperature": 2.0}, new_tokens=6, seed=1)
    assert a == b and len(set(a)) > 1                                                              # seeded, and varied
    with pytest.raises(ValueError, match="top_q"):
        gen.decode_many(model, tok, ["a"], {"top_q": 0.9}, new_tokens=2)
    with pytest.raises(ValueError, match="num_beams and length_penalty only"):
        gen.decode_many(model, tok, ["a"], {"num_beams": 2, "repetition_penalty": 1.3}, new_tokens=2)
    assert gen.decode_many(model, tok, ["the film"] * 4, {"do_sample": True, "temperature": 2.0}, new_tokens=6,
                           seed=2) != a, "another seed, other samples"
    beams = gen.decode_many(model, tok, ["the film"], {"num_beams": 3}, new_tokens=5)
    ids = tok(["the film"], return_tensors="pt")["input_ids"]
    want = model.generate(ids, attention_mask=torch.ones_like(ids), num_beams=3, max_new_tokens=5, early_stopping=True,
                          do_sample=False, pad_token_id=tok.pad_token_id)
    assert beams[0] == tok.decode(want[0, ids.shape[1]:], skip_special_tokens=True)   # the same as one beam search
    assert gen.repeated_bigrams("a b a b a b") == 1 - 2 / 5 and gen.repeated_bigrams("one") == 0.0


def test_a_reward_model_on_texts_learns_a_preference_and_reports_held_out_accuracy(tmp_path):
    """The text path: pairs' texts in the reward model's own tokenizer, the held-out accuracy along training."""
    from transformers import AutoModel

    from shared.train import TrainConfig

    class Head(torch.nn.Module):   # a stand-in for the student's RewardModel: last real token, linear head
        def __init__(self, backbone):
            super().__init__()
            self.backbone, self.head = backbone, torch.nn.Linear(backbone.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            h = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            last = (torch.arange(attention_mask.size(1)) * attention_mask).argmax(1)
            return self.head(h[torch.arange(len(h)), last]).squeeze(-1)

    tok = load_tokenizer("smoke:bert")
    torch.manual_seed(0)
    rm = Head(load_model(AutoModel, "smoke:bert"))
    pairs = [{"chosen": f"the film is superb {w}", "rejected": f"the film is dull {w}"} for w in
             ["today", "again", "indeed", "now", "here", "too", "still", "then"]]

    def bt(c, r):
        return -torch.nn.functional.logsigmoid(c - r).mean()
    res = gen.train_reward_model(rm, pairs[:6], tok, loss_fn=bt, config=TrainConfig(output_dir=str(tmp_path / "rm"), max_steps=30,
                                 batch_size=3, lr=1e-2, eval_every=10, progress=False, save_every=0), held_out=pairs[6:])
    assert [e["step"] for e in res.history["eval"]] == [10, 20, 30]
    assert res.history["eval"][-1]["held_out_accuracy"] == gen.pairwise_accuracy(res.model, pairs[6:], tok) == 1.0
    assert gen.pairwise_correct(gen.text_scorer(res.model, tok), pairs) == [True] * 8


def test_reference_logprobs_match_an_independent_loop_and_dpo_trains_a_copy(tmp_path):
    from shared.train import TrainConfig
    model, tok = _smoke()
    pairs = gen.preference_pairs(model, tok, ["the film", "the plot is"] * 2, lambda t: torch.arange(len(t)).float(),
                                 new_tokens=4, min_gap=0.0)
    with_ref = gen.reference_logprobs(model, pairs, _seq_logps, tok.pad_token_id)
    p = with_ref[0]
    with torch.no_grad():
        ids = torch.tensor([p["prompt_ids"] + p["chosen_ids"]])
        want = _seq_logps(model, ids, torch.ones_like(ids), torch.tensor([[0] * len(p["prompt_ids"]) + [1] * 4]))
    assert abs(p["ref_chosen"] - float(want)) < 1e-4
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def dpo(pc, pr, rc, rr, beta):
        return -torch.nn.functional.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean(), None, None
    seen = []
    run = gen.train_dpo(model, with_ref, tok, seq_logps_fn=_seq_logps, loss_fn=dpo, beta=0.1,
                        config=TrainConfig(output_dir=str(tmp_path / "dpo"), max_steps=2, batch_size=2, lr=1e-3, progress=False,
                                    save_every=0, eval_every=1),
                        evaluate_fn=lambda policy: seen.append(policy) or {"n": len(seen)})
    assert run.steps == 2 and run.model is not model
    assert [e["n"] for e in run.history["eval"]] == [1, 2] and all(p is run.model for p in seen)   # the policy, each step
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()), "the starting model must not change"
    assert any(not torch.equal(v, run.model.state_dict()[k]) for k, v in before.items())


def test_a_dpo_run_resumed_from_its_final_weights_measures_its_end_point_again(tmp_path):
    from shared.train import TrainConfig
    model, tok = _smoke()
    pairs = gen.reference_logprobs(model, gen.preference_pairs(model, tok, ["the film", "the plot is"] * 2,
                                                               lambda t: torch.arange(len(t)).float(), new_tokens=4,
                                                               min_gap=0.0), _seq_logps, tok.pad_token_id)

    def dpo(pc, pr, rc, rr, beta):
        return -torch.nn.functional.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean(), None, None
    config = TrainConfig(output_dir=str(tmp_path / "dpo"), max_steps=2, batch_size=2, lr=1e-3, progress=False,
                         save_every=1, eval_every=1)
    first = gen.train_dpo(model, pairs, tok, seq_logps_fn=_seq_logps, loss_fn=dpo, beta=0.1, config=config, evaluate_fn=lambda p: {"openings": 64})
    assert [e["openings"] for e in first.history["eval"]] == [64, 64]
    again = gen.train_dpo(model, pairs, tok, seq_logps_fn=_seq_logps, loss_fn=dpo, beta=0.1, config=config, evaluate_fn=lambda p: {"openings": 128})
    assert again.resumed_from_final, "the second run should load the first one's final weights"
    assert [e["openings"] for e in again.history["eval"]] == [64, 128], "the end point is today's evaluation"
    assert all(torch.equal(v, again.model.state_dict()[k]) for k, v in first.model.state_dict().items())


def test_the_judge_is_the_same_whatever_ran_before_it(tmp_path):
    """Its new head is seeded: an unseeded head took the random state earlier cells left (0.75 or 0.88)."""
    import shared
    profile = shared.setup("smoke", seed=0)
    scores = []
    for drawn in (1, 7):
        torch.rand(drawn)   # what earlier cells leave behind
        judge, _ = gen.train_judge(profile, steps=2, lr=1e-4, output_dir=str(tmp_path / f"judge{drawn}"), seed=0)
        scores.append(judge(["the plot is dull .", "a superb film ."]))
    assert torch.allclose(scores[0], scores[1])


def test_worked_examples_teach_each_problem_both_ways_without_calculator_marks():
    from shared.data import load_local
    split = load_local("arithmetic")["train"].select(range(5))
    tok = load_tokenizer("smoke:gpt2")            # no chat template: the prompt is the message and a newline
    texts = gen.worked_examples(split, tok, "{question}\nDIRECT", "{question}\nSTEPS", seed=0)
    assert len(texts) == 2 * len(split) and texts == gen.worked_examples(split, tok, "{question}\nDIRECT",
                                                                         "{question}\nSTEPS", seed=0)
    assert texts != gen.worked_examples(split, tok, "{question}\nDIRECT", "{question}\nSTEPS", seed=1)
    for q, a in zip(split["question"], split["answer"]):
        direct = [t for t in texts if t.startswith(q + "\nDIRECT\n")]
        steps = [t for t in texts if t.startswith(q + "\nSTEPS\n")]
        answer = a.strip().split("\n")[-1]
        assert direct == [f"{q}\nDIRECT\n{answer}"] and answer.startswith("#### ")
        assert steps == [f"{q}\nSTEPS\n" + re.sub(r"<<[^>]*>>", "", a).strip()] and "<<" in a   # marks gone, all else kept
        assert steps[0].endswith(answer) and steps[0].count("\n") >= 3


def test_the_generation_and_accuracy_helpers_give_the_outputs_of_the_snapshot(tmp_path):
    """Every generation loop (solve, decode_many, sample_continuations, multitask.generate_answers, lm.sample_texts)
    and accuracy loop (classify.evaluate_accuracy, lm.zero_shot_sentiment, `python -m shared`'s) gives, on the smoke
    models, the texts, ids, scores and random state after it that tests/fixtures/snapshots/generation.json holds:
    taken before the loops became one helper each (tests/snapshot_generation.py writes it)."""
    import json

    from snapshot_generation import SNAPSHOT, snapshot
    expected, now = json.loads(SNAPSHOT.read_text()), snapshot(str(tmp_path))
    for name in expected:
        assert now[name] == expected[name], name
    assert now.keys() == expected.keys()
