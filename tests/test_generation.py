"""a6's shared helpers (shared.generation): pairs, their batches, the KL estimate and best-of-n, on the smoke
model with stand-ins for the student's functions (the notebook's own are tested by its cells)."""
import math

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
    point = gen.reward_and_kl(model, model, tok, ["the film", "a"], judge, _seq_logps, new_tokens=4, samples=3)
    assert abs(point["kl"]) < 1e-5 and point["reward"] == 0.5 and point["samples"] == 6   # 2 prompts, 3 samples each
    rm = lambda input_ids, attention_mask: input_ids.float().sum(1)  # noqa: E731
    rm.parameters = lambda: iter([torch.zeros(1)])
    rm.training, rm.eval, rm.train = False, (lambda: rm), (lambda mode=True: rm)
    rows = gen.best_of_n(model, rm, tok, ["the film", "a"], judge, ns=(1, 4), new_tokens=3)
    assert [r["n"] for r in rows] == [1, 4] and rows[0]["kl_bound"] == 0 and "kl" not in rows[0]   # a bound, not a KL
    assert abs(rows[1]["kl_bound"] - (math.log(4) - 3 / 4)) < 1e-12


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
    run = gen.train_dpo(model, with_ref, tok, _seq_logps, dpo, 0.1,
                        TrainConfig(output_dir=str(tmp_path / "dpo"), max_steps=2, batch_size=2, lr=1e-3, progress=False,
                                    save_every=0))
    assert run.steps == 2 and run.model is not model
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()), "the starting model must not change"
    assert any(not torch.equal(v, run.model.state_dict()[k]) for k, v in before.items())


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
