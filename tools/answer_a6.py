"""a6_generation_preference's report model answer, generated from its results file
(docs/results/a6_generation_preference.json).

    python tools/answer_a6.py          # from the repository's root, after `python tools/record_results.py a6_generation_preference`

Rewrites the model answer between "### BEGIN SOLUTION" and "#### Rubric" of the solution notebook's report cell
with the recorded figures and the claims their verdicts allow, and prints it; then regenerate the release
(`python -m autograder release a6_generation_preference`). tests/test_results.py checks that every decimal in the
answer is in the file.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_answer import cmp, load_results, said, write_model_answer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shared.profiles import ASSIGNMENTS  # noqa: E402

R, ex = load_results("a6_generation_preference")
assert R["profile"] == "offline", R["profile"]
S = ASSIGNMENTS["offline"]["a6"]
F = R["facts"]


def m(e, arm, d=3):
    return f"{e['arms'][arm]['mean']:.{d}f}"


def effect(c, sign=+1):
    return c["verdict"] == "effect" and sign * c["difference"] > 0


# 2b
pp = F["2b pooled perplexity"]
rev, gen_ = ex["2b: reviews"], ex["2b: general text"]
c_rev, c_gen = cmp(rev, "after", "before"), cmp(gen_, "after", "before")
if effect(c_gen, +1):
    general = (f"and raised it on {gen_['arms']['after']['items_n']} general paragraphs from {pp['before']['general text']:.1f} "
               f"to {pp['after']['general text']:.1f} (per text, {said(c_gen)}): the same parameters now favour review "
               f"text, a first sign of forgetting")
elif c_gen["verdict"] == "powered null":
    general = (f"while on {gen_['arms']['after']['items_n']} general paragraphs it went from {pp['before']['general text']:.1f} "
               f"to {pp['after']['general text']:.1f} (per text, {said(c_gen)}): within the margin, so no forgetting "
               f"that matters after so few steps")
else:
    general = (f"while on general paragraphs it went from {pp['before']['general text']:.1f} to "
               f"{pp['after']['general text']:.1f} (per text, {said(c_gen)}): whether it forgot is not decided")
part2 = f"""Offline profile, 2-core CPU, docs/results/a6_generation_preference.json. Fine-tuning SmolLM2-135M for
{S['ft_steps']} steps on {S['ft_texts']:,} reviews lowered perplexity on {rev['arms']['after']['items_n']} held-out reviews from
{pp['before']['reviews']:.1f} to {pp['after']['reviews']:.1f} (log-perplexity per text, in nats per token, {said(c_rev)}: the model learned the
domain's vocabulary, its lower-case, spaced punctuation and its sentence patterns) {general}."""

# 2c
rep = ex["2c: repetition"]
mine = [a for a in rep["arms"] if a not in ("greedy", "beam search, 4 beams")]
lines = []
for a in mine + ["beam search, 4 beams"]:
    c = cmp(rep, a, "greedy")
    lines.append(f"{a} {m(rep, a)} ({said(c)})")
beam = cmp(rep, "beam search, 4 beams", "greedy")
beam_said = ("beam search repeats as much as greedy: both follow the likeliest path into the same loops" if beam["verdict"] == "powered null"
             else "whether beam search repeats more or less than greedy is not decided by these openings"
             if beam["verdict"] == "inconclusive" else
             f"beam search repeats {'more' if beam['difference'] > 0 else 'less'} than greedy")
fewer = [a for a in mine if effect(cmp(rep, a, "greedy"), -1)]
part2c = f"""Decoding, {rep['arms']['greedy']['items_n']} openings of {S['decode_tokens']} new tokens each, the share of repeated word
bigrams per continuation against greedy decoding's {m(rep, 'greedy')}: {'; '.join(lines)}. Predicted: sampling
(nucleus 0.9; temperature 1.3 with top-k 40) repeats less than greedy and beam search, which follow the likeliest
path into a loop, and a repetition penalty of 1.3 stops greedy's loops. Seen: {len(fewer)} of my {len(mine)} settings
repeat less than greedy beyond their intervals, and {beam_said}. Use: nucleus sampling for varied, readable
reviews; greedy with a penalty for one safe review; beam search where one output is right (translation,
summaries), not for open-ended text."""

# 3b
cot = ex["3b: chain of thought"]
c3 = cmp(cot, "chain of thought", "direct")
floor3 = cot["floor"]
at_floor = all(a["mean"] - floor3 <= 2 * (a["se"] or 0) for a in cot["arms"].values())
reading = ("Both are at or below the rule that reads no language (the last number in the question, "
           f"{floor3:.3f} on these problems): a 135M model does not do this arithmetic, with or without steps, in line "
           "with Wei et al. (chain of thought helps only large models); the experiment cannot show what chain of "
           "thought does for a model that can do the steps." if at_floor else
           ("Chain of thought helps this model." if effect(c3, +1) else
            "Chain of thought hurts this model: its reasoning goes wrong more often than its direct guess."
            if effect(c3, -1) else "No difference that matters." if c3["verdict"] == "powered null" else
            "The problems do not decide it."))
part3 = f"""Chain of thought against a direct answer on {cot['arms']['direct']['items_n']} word problems, the same problems
(McNemar): direct {m(cot, 'direct')}, chain of thought {m(cot, 'chain of thought')}, {said(c3)}. {reading}"""

# 4b
rm = ex["4b: reward model"]
c4 = cmp(rm, "trained", "before training")
pairs = F["4b pairs"]
part4 = f"""The judge ({F['4b judge dev accuracy']:.3f} on the sentiment set's dev split) kept {pairs['pairs']} of
{pairs['prompts']} pairs ({pairs['train']} to train, {pairs['held out']} held out). The reward model (the profile's
encoder, {S['rm_steps']} steps of {S['rm_batch']} pairs) ranks {m(rm, 'trained')} of the held-out pairs the judge's way,
against {m(rm, 'before training')} before training ({said(c4)}): from comparisons alone it learned much of the judge's
preference, not all of it (the judge follows negation and contrast, and a few hundred comparisons teach only part of it)."""

# 5b
rw, kl, bon = ex["5b: DPO, reward"], ex["5b: DPO, KL"], ex["5b: best-of-n"]
runs = [a for a in kl["arms"]]
per_run = []
for a in runs:
    per_run.append(f"{a}: reward {m(rw, a)} ({said(cmp(rw, a, 'the tuned model'))} against the tuned model), "
                   f"KL {m(kl, a, 2)} nats")
neighbours = []
for c in rw["comparisons"]:
    if c["b"] != "the tuned model":
        ck = cmp(kl, c["a"], c["b"])
        neighbours.append(f"{c['a']} against {c['b']}: reward {said(c)}, KL {said(ck, 2)}")
top, first = max(S["best_of"]), min(S["best_of"])
c_rm = cmp(bon, f"your reward model, n={top}", f"your reward model, n={first}")
c_j = cmp(bon, f"the judge, n={top}", f"the judge, n={first}")
c_jr = cmp(bon, f"the judge, n={top}", f"your reward model, n={top}")
best_rm = bon["arms"][f"your reward model, n={top}"]["mean"]
dpo_best = max(rw["arms"][a]["mean"] for a in runs)
dpo_least_kl = min(kl["arms"][a]["mean"] for a in runs)
versus = (f"best-of-{top} with my reward model ({best_rm:.3f}) beats every DPO run (at most {dpo_best:.3f}) at a KL "
          f"no larger than {F['5b best-of-n kl bound']:.2f} nats, against {dpo_least_kl:.2f} or more for DPO: here sampling "
          f"and picking buys more reward per nat than these short DPO runs." if best_rm > dpo_best and
          F["5b best-of-n kl bound"] < dpo_least_kl else
          "best-of-n and DPO are compared here by where their points lie, with the bound's caveat.")
lr = f"{S['dpo_lr']:.0e}".replace("e-0", "e-")
kl_sep = all(cmp(kl, c["a"], c["b"])["verdict"] == "effect" for c in rw["comparisons"] if c["b"] != "the tuned model")
rw_open = [c for c in rw["comparisons"] if c["b"] != "the tuned model" and c["verdict"] == "inconclusive"]
by_beta = [rw["arms"][a]["mean"] for a in runs]          # runs are in the order of beta, smallest first
in_order = all(x > y for x, y in zip(by_beta, by_beta[1:]))
reading5 = (f"KL grew as β fell, every step beyond its interval; the reward rose {'in the predicted order' if in_order else 'out of order'}, "
            f"but by less than the noise between neighbours: within these {S['dpo_steps']} steps a smaller β bought distance "
            "from the tuned model, and whether it also buys reward needs longer runs or many more samples." if kl_sep and rw_open else
            "KL and reward moved with β as the comparisons above say.")
part5 = f"""5b: predicted that a smaller β lets the policy move further (larger KL) and gain more reward, with diminishing
returns, and that best-of-n picked by the judge gains most for its KL. Each β trained {S['dpo_steps']} steps of
{S['dpo_batch']} pairs at {lr}, evaluated half-way and at the end on {rw['arms']['the tuned model']['items_n']} held-out
openings ({S['eval_samples']} samples each; the tuned model: {m(rw, 'the tuned model')}). {'; '.join(per_run)}. Neighbouring
β, opening by opening: {'; '.join(neighbours)}. {reading5} Best-of-n over the same openings: picked by the reward model, n = {top}
against n = {first}: {said(c_rm)}; picked by the judge: {said(c_j)}; the judge against the reward model at n = {top}:
{said(c_jr)}. Best-of-n's KL is at most log n - (n-1)/n ({top}: {F['5b best-of-n kl bound']:.2f} nats), so each of its
points lies at or left of where it is drawn; {versus} It is only as good as what picks: the judge's picks bound what any
reward model could reach, and the gap between the two pickers is what the reward model did not learn."""

text = "\n\n".join([part2, part2c, part3, part4, part5]) + "\n"
print(text)
write_model_answer("solutions/a6_generation_preference/a6_generation_preference.ipynb", "## Part 6: report", text)
