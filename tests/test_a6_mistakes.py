"""a6: each classic mistake, planted in the solution, loses the points of the test meant for it (and only
those; where a later test calls the mistaken function, as generate calls warp_logits and perplexity's check
calls lm_batch, both), while the untouched solution passes every test."""
import pytest

from autograder.course import REPO
from mutants import mistake_tests

pytestmark = pytest.mark.slow  # notebooks, kernels or nbgrader: the fast lane (-m "not slow") skips it

NB = REPO / "solutions" / "a6_generation_preference" / "a6_generation_preference.ipynb"
TESTS = ["test_warp_logits", "test_repetition_penalty", "test_generate", "test_beam_search", "test_lm_batch",
         "test_perplexity", "test_extract_answer", "test_accuracy_interval", "test_bradley_terry_loss",
         "test_reward_model", "test_sequence_logprobs", "test_dpo_loss"]
NORMALISED = "score / (len(seq) - prompt_len) ** length_penalty"
REGEX = r'r"-?\$?\d[\d,]*(?:\.\d+)?"'
PENALTY = "torch.where(seen < 0, seen * penalty, seen / penalty)"
BT = "-F.logsigmoid(r_chosen - r_rejected).mean()"
DPO = "-F.logsigmoid(chosen_rewards - rejected_rewards).mean()"
WARP = "warp_logits(logits, temperature, top_k, top_p)"
DRAW = "torch.multinomial(probs, 1, generator=generator)"
EOS_FINISHED = "finished.append((seq, score / (len(seq) - prompt_len) ** length_penalty))"

MISTAKES = {
    # warp_logits
    "temperature applied after the softmax": (
        "warp_logits", [("logits = logits.float() / temperature",
                         "logits = (logits.float().softmax(-1) / temperature).log()")],
        ("test_warp_logits", "test_generate")),
    "the nucleus drops the token that crosses top_p": (
        "warp_logits", [("drop = before >= top_p", "drop = probs.cumsum(-1) >= top_p")],
        ("test_warp_logits", "test_generate")),
    "top-k drops the k-th token too": (
        "warp_logits", [("logits.masked_fill(logits < kth,", "logits.masked_fill(logits <= kth,")],
        ("test_warp_logits", "test_generate")),
    "nucleus taken over unsorted tokens": (
        "warp_logits", [("sorted_logits, order = logits.sort(dim=-1, descending=True)",
                         "sorted_logits, order = logits, torch.arange(logits.size(-1)).expand_as(logits)")],
        ("test_warp_logits", "test_generate")),
    "the caller's logits divided in place": (
        "warp_logits", [("logits = logits.float() / temperature", "logits = logits.float()\n    logits /= temperature")],
        "test_warp_logits"),
    # apply_repetition_penalty
    "penalty raises negative logits (divides them)": (
        "apply_repetition_penalty", [(PENALTY, "seen / penalty")], "test_repetition_penalty"),
    "penalised once per occurrence": (
        "apply_repetition_penalty", [(f"    seen = logits.gather(-1, input_ids)\n    seen = {PENALTY}\n"
                                      "    return logits.scatter(-1, input_ids, seen)",
                                      "    out = logits.clone()\n    for t in range(input_ids.size(1)):\n"
                                      "        col = input_ids[:, t:t + 1]\n        s = out.gather(-1, col)\n"
                                      "        out = out.scatter(-1, col, torch.where(s < 0, s * penalty, s / penalty))\n"
                                      "    return out")], ("test_repetition_penalty", "test_generate")),
    "only the last token penalised": (
        "apply_repetition_penalty", [("logits.gather(-1, input_ids)", "logits.gather(-1, input_ids[:, -1:])"),
                                     ("logits.scatter(-1, input_ids, seen)", "logits.scatter(-1, input_ids[:, -1:], seen)")],
        "test_repetition_penalty"),
    "the caller's logits changed in place (scatter_)": (
        "apply_repetition_penalty", [("return logits.scatter(-1, input_ids, seen)", "return logits.scatter_(-1, input_ids, seen)")],
        "test_repetition_penalty"),
    # generate
    "logits of the first position": (
        "generate", [("logits[:, -1, :]", "logits[:, 0, :]")], "test_generate"),
    "does not stop at EOS": (
        "generate", [("if eos_token_id is not None and nxt.item() == eos_token_id:", "if False:")], "test_generate"),
    "samples from the raw logits (warpers ignored)": (
        "generate", [("probs = warp_logits(logits, temperature, top_k, top_p).softmax(-1)", "probs = logits.softmax(-1)")],
        "test_generate"),
    "repetition penalty on the new tokens only": (
        "generate", [("apply_repetition_penalty(logits, ids, repetition_penalty)",
                      "apply_repetition_penalty(logits, ids[:, input_ids.shape[1]:], repetition_penalty)")],
        "test_generate"),
    "repetition penalty applied before argmax only, not when sampling": (
        "generate", [("        if repetition_penalty != 1.0:\n", "        if repetition_penalty != 1.0 and not do_sample:\n")],
        "test_generate"),
    "temperature ignored when sampling": (
        "generate", [(WARP, "warp_logits(logits, 1.0, top_k, top_p)")], "test_generate"),
    "top_p ignored when sampling": (
        "generate", [(WARP, "warp_logits(logits, temperature, top_k)")], "test_generate"),
    "top_k ignored when sampling": (
        "generate", [(WARP, "warp_logits(logits, temperature, 0, top_p)")], "test_generate"),
    "the generator ignored (torch's global generator)": (
        "generate", [(DRAW, "torch.multinomial(probs, 1)")], "test_generate"),
    "a fresh unseeded generator at every step": (
        "generate", [(DRAW, "torch.multinomial(probs, 1, generator=torch.Generator(device=probs.device))")],
        "test_generate"),
    # beam_search
    "beam scores not normalised by length": (
        "beam_search", [(NORMALISED, "score")], "test_beam_search"),
    "beams keep going after EOS": (
        "beam_search", [("if eos_token_id is not None and token == eos_token_id:", "if False:")], "test_beam_search"),
    "length counts the prompt": (
        "beam_search", [(NORMALISED, "score / len(seq) ** length_penalty")], "test_beam_search"),
    "an EOS ranked below num_beams still finishes": (
        "beam_search", [("if rank < num_beams:", "if True:")], "test_beam_search"),
    "a finished hypothesis's EOS not counted in its length (transformers counts it)": (   # at least 1: no division by 0
        "beam_search", [(EOS_FINISHED, "finished.append((seq, score / max(len(seq) - 1 - prompt_len, 1) ** length_penalty))")],
        "test_beam_search"),
    "length_penalty ignored (always 1)": (
        "beam_search", [(NORMALISED, "score / (len(seq) - prompt_len)")], "test_beam_search"),
    # lm_batch
    "padding found by the pad id (the final EOS loses its label)": (
        "lm_batch", [('labels[enc["attention_mask"] == 0] = -100', "labels[labels == tokenizer.pad_token_id] = -100")],
        "test_lm_batch"),
    "no -100 on padding": (
        "lm_batch", [('labels[enc["attention_mask"] == 0] = -100', "pass")], ("test_lm_batch", "test_perplexity")),
    "labels shifted by hand (the model shifts again)": (
        "lm_batch", [('labels = enc["input_ids"].clone()',
                      'labels = torch.cat([enc["input_ids"][:, 1:], torch.full_like(enc["input_ids"][:, :1], -100)], 1)')],
        ("test_lm_batch", "test_perplexity")),
    "no EOS appended": (
        "lm_batch", [("[t + tokenizer.eos_token for t in texts]", "list(texts)")], "test_lm_batch"),
    "no truncation": (
        "lm_batch", [("truncation=True, max_length=max_length,", "")], "test_lm_batch"),
    # perplexity
    "mean of per-batch perplexities": (
        "perplexity", [("        nll -= picked[keep].sum().item()\n        count += int(keep.sum())\n    return math.exp(nll / count)",
                        "        nll += math.exp(-picked[keep].mean().item())\n        count += 1\n    return nll / count")],
        "test_perplexity"),
    "mean of per-batch losses": (
        "perplexity", [("        nll -= picked[keep].sum().item()\n        count += int(keep.sum())",
                        "        nll -= picked[keep].mean().item()\n        count += 1")], "test_perplexity"),
    "no shift (each token scored at its own position)": (
        "perplexity", [("logp = logits[:, :-1]", "logp = logits[:, 1:]")], "test_perplexity"),
    "padding counted": (
        "perplexity", [("keep = labels != -100", "keep = torch.ones_like(labels, dtype=torch.bool)")], "test_perplexity"),
    # extract_answer
    "the first number, not the last": (
        "extract_answer", [("pick = numbers[0] if marks else numbers[-1]", "pick = numbers[0]")], "test_extract_answer"),
    "thousands separators not handled": (
        "extract_answer", [(REGEX, r'r"-?\$?\d+(?:\.\d+)?"')], "test_extract_answer"),
    "the minus sign dropped": (
        "extract_answer", [(REGEX, r'r"\$?\d[\d,]*(?:\.\d+)?"')], "test_extract_answer"),
    "the answer marker ignored": (
        "extract_answer", [('marks = [m.end() for m in re.finditer(r"####|answer is", text, flags=re.IGNORECASE)]',
                            "marks = []")], "test_extract_answer"),
    "the marker matched in lower case only": (
        "extract_answer", [("flags=re.IGNORECASE", "flags=0")], "test_extract_answer"),
    # accuracy_interval
    "the Wald interval": (
        "accuracy_interval", [("centre = (p + z ** 2 / (2 * n)) / denom", "centre = p"),
                              ("half = z * math.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom",
                               "half = z * math.sqrt(p * (1 - p) / n)")], "test_accuracy_interval"),
    "the standard deviation instead of the standard error": (
        "accuracy_interval", [("p * (1 - p) / n +", "p * (1 - p) +")], "test_accuracy_interval"),
    "z fixed at 1.96": (
        "accuracy_interval", [("    denom = 1 + z ** 2 / n", "    z = 1.96\n    denom = 1 + z ** 2 / n")],
        "test_accuracy_interval"),
    # bradley_terry_loss
    "chosen and rejected swapped": (
        "bradley_terry_loss", [(BT, "-F.logsigmoid(r_rejected - r_chosen).mean()")], "test_bradley_terry_loss"),
    "log(sigmoid(...)) overflows": (
        "bradley_terry_loss", [(BT, "-torch.log(torch.sigmoid(r_chosen - r_rejected)).mean()")], "test_bradley_terry_loss"),
    "a sum over pairs, not a mean": (
        "bradley_terry_loss", [(BT, "-F.logsigmoid(r_chosen - r_rejected).sum()")], "test_bradley_terry_loss"),
    "sigmoid without the log": (
        "bradley_terry_loss", [(BT, "-torch.sigmoid(r_chosen - r_rejected).mean()")], "test_bradley_terry_loss"),
    "the rewards detached (no gradient reaches the reward model)": (
        "bradley_terry_loss", [(BT, "-F.logsigmoid(r_chosen.detach() - r_rejected.detach()).mean()")],
        "test_bradley_terry_loss"),
    "the loss rebuilt from a Python float (.item())": (
        "bradley_terry_loss", [(BT, "torch.tensor(-F.logsigmoid(r_chosen - r_rejected).mean().item())")],
        "test_bradley_terry_loss"),
    # RewardModel
    "position -1 with right padding": (
        "reward_model", [("last = (positions * attention_mask).argmax(1)",
                          "last = torch.full_like(attention_mask[:, 0], attention_mask.size(1) - 1)")], "test_reward_model"),
    "the first token's state": (
        "reward_model", [("last = (positions * attention_mask).argmax(1)", "last = torch.zeros_like(attention_mask[:, 0])")],
        "test_reward_model"),
    "mean pooling instead of the last token": (
        "reward_model", [("return self.head(hidden[torch.arange(hidden.size(0), device=hidden.device), last]).squeeze(-1)",
                          "return self.head((hidden * attention_mask[..., None]).sum(1) / attention_mask.sum(1, keepdim=True)).squeeze(-1)")],
        "test_reward_model"),
    "a (B, 1) reward, not (B,)": (
        "reward_model", [("last]).squeeze(-1)", "last])")], "test_reward_model"),
    "the backbone's states detached (only the head learns)": (
        "reward_model", [(".last_hidden_state\n", ".last_hidden_state.detach()\n")], "test_reward_model"),
    # sequence_logprobs
    "prompt tokens counted": (
        "sequence_logprobs", [("(picked * response_mask[:, 1:])", "(picked * attention_mask[:, 1:])")], "test_sequence_logprobs"),
    "no shift": (
        "sequence_logprobs", [("logits[:, :-1].float()", "logits[:, 1:].float()")], "test_sequence_logprobs"),
    "mean over response tokens instead of the sum": (
        "sequence_logprobs", [("(picked * response_mask[:, 1:]).sum(-1)",
                               "(picked * response_mask[:, 1:]).sum(-1) / response_mask[:, 1:].sum(-1)")],
        "test_sequence_logprobs"),
    "response mask off by one": (
        "sequence_logprobs", [("(picked * response_mask[:, 1:])", "(picked * response_mask[:, :-1])")],
        "test_sequence_logprobs"),
    "no gradients (torch.no_grad)": (
        "sequence_logprobs", [("def sequence_logprobs(", "@torch.no_grad()\ndef sequence_logprobs(")],
        "test_sequence_logprobs"),
    "the logits detached": (
        "sequence_logprobs", [("logits[:, :-1].float()", "logits[:, :-1].detach().float()")], "test_sequence_logprobs"),
    # dpo_loss
    "beta outside the sigmoid": (
        "dpo_loss", [(DPO, "-beta * F.logsigmoid((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)).mean()")],
        "test_dpo_loss"),
    "chosen and rejected swapped (DPO)": (
        "dpo_loss", [(DPO, "-F.logsigmoid(rejected_rewards - chosen_rewards).mean()")], "test_dpo_loss"),
    "the reference ignored": (
        "dpo_loss", [("beta * (policy_chosen - ref_chosen)", "beta * policy_chosen"),
                     ("beta * (policy_rejected - ref_rejected)", "beta * policy_rejected")], "test_dpo_loss"),
    "log(sigmoid(...)) overflows (DPO)": (
        "dpo_loss", [(DPO, "-torch.log(torch.sigmoid(chosen_rewards - rejected_rewards)).mean()")], "test_dpo_loss"),
    "implicit rewards without beta": (
        "dpo_loss", [("return loss, chosen_rewards, rejected_rewards",
                      "return loss, chosen_rewards / beta, rejected_rewards / beta")], "test_dpo_loss"),
    "the policy's log-ratios detached (the loss cannot train the policy)": (
        "dpo_loss", [(DPO, "-F.logsigmoid(chosen_rewards.detach() - rejected_rewards.detach()).mean()")], "test_dpo_loss"),
    "only the chosen response trains the policy (rejected detached)": (
        "dpo_loss", [("beta * (policy_rejected - ref_rejected)", "beta * (policy_rejected.detach() - ref_rejected)")],
        "test_dpo_loss"),
    "beta ignored (always 0.1)": (
        "dpo_loss", [("    chosen_rewards = beta *", "    beta = 0.1\n    chosen_rewards = beta *")], "test_dpo_loss"),
}

test_solution_passes_every_test, test_mistake_loses_its_tests_points = mistake_tests(NB, TESTS, MISTAKES, experiments=False)
