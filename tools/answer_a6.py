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


R, ex = load_results("a6_generation_preference")
assert R["profile"] == "offline", R["profile"]
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
    general = (f"and on {gen_['arms']['after']['items_n']} general paragraphs from {pp['before']['general text']:.1f} "
               f"to {pp['after']['general text']:.1f} (per text, {said(c_gen)}): the same parameters now favour review "
               f"text, a first sign of forgetting")
elif c_gen["verdict"] == "powered null":
    general = (f"while on {gen_['arms']['after']['items_n']} general paragraphs it went from {pp['before']['general text']:.1f} "
               f"to {pp['after']['general text']:.1f} (per text, {said(c_gen)}): within the margin, so no forgetting "
               f"that matters after so few steps")
else:
    general = (f"while on general paragraphs it went from {pp['before']['general text']:.1f} to "
               f"{pp['after']['general text']:.1f} (per text, {said(c_gen)}): whether it forgot is not decided")
ft = F["2b fine-tuning"]
learned = (": the model learned the domain's vocabulary, its lower-case, spaced punctuation and its sentence patterns"
           if effect(c_rev, -1) else "")
part2 = f"""Offline profile, 2-core CPU, docs/results/a6_generation_preference.json. Fine-tuning SmolLM2-135M for
{ft['steps']} steps on {ft['texts']:,} reviews changed perplexity on {rev['arms']['after']['items_n']} held-out reviews from
{pp['before']['reviews']:.1f} to {pp['after']['reviews']:.1f} (log-perplexity per text, in nats per token, {said(c_rev)}{learned}) {general}."""

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
             "beam search repeats more than greedy" if beam["difference"] > 0 else
             "beam search repeats less than greedy, against my prediction; its continuations may end at the end token "
             f"before the {F['2c new tokens']} tokens that greedy's and sampling's always run, and a shorter text has less room to repeat, "
             "so part of that difference may be length")
fewer = [a for a in mine if effect(cmp(rep, a, "greedy"), -1)]
part2c = f"""Decoding, {rep['arms']['greedy']['items_n']} openings of {F['2c new tokens']} new tokens each, the share of repeated word
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
T3 = F["3b teaching"]
above = {a: v["mean"] - floor3 > 2 * (v["se"] or 0) for a, v in cot["arms"].items()}
if not any(above.values()):
    reading = (f"Both are at or below the rule that reads no language (the last number in the question, {floor3:.3f} on "
               "these problems): taught this briefly, the model does not do the arithmetic either way.")
elif effect(c3, +1):
    direct_at = ("" if above["direct"] else
                 f" The direct answer stays at or below the rule that reads no language (the last number in the question, "
                 f"{floor3:.3f} on these problems), while the worked one is far above it.")
    reading = ("Writing the steps helps this model: the same model, taught both ways in the same run, gets "
               "more of the problems right when it writes the steps before the answer. A direct answer must do two or three "
               "operations within the computation of one or two tokens; a worked solution writes each intermediate "
               "result, and the next step reads it (Nye et al. 2021: the scratchpad)." + direct_at)
elif effect(c3, -1):
    reading = "Writing the steps hurts this model: its steps go wrong more often than its direct answer."
else:
    reading = ("No difference that matters." if c3["verdict"] == "powered null" else "The problems do not decide it.")
part3 = f"""Chain of thought against a direct answer, both taught by example: SmolLM2-135M-Instruct fine-tuned {T3['steps']} steps
of {T3['batch']} texts drawn from {T3['texts']} (the {T3['problems']} training problems, each written both ways), then asked both ways on
{cot['arms']['direct']['items_n']} test problems, the same problems (McNemar): direct {m(cot, 'direct')}, chain of thought
{m(cot, 'chain of thought')}, {said(c3)}. {reading}"""

# 4b
rm = ex["4b: reward model"]
c4 = cmp(rm, "trained", "before training")
pairs = F["4b pairs"]
rmf = F["4b reward model"]
learned4 = ("from comparisons alone it learned much of the judge's preference, not all of it (the judge follows negation "
            "and contrast, and a few hundred comparisons teach only part of it)" if effect(c4, +1) else
            "it did not learn the judge's preference from these comparisons")
part4 = f"""The judge ({F['4b judge dev accuracy']:.3f} on the sentiment set's dev split) kept {pairs['pairs']} of
{pairs['prompts']} pairs ({pairs['train']} to train, {pairs['held out']} held out). The reward model (the profile's
encoder, {rmf['steps']} steps of {rmf['batch']} pairs) ranks {m(rm, 'trained')} of the held-out pairs the judge's way,
against {m(rm, 'before training')} before training ({said(c4)}): {learned4}."""

# 5b
rw, kl, bon = ex["5b: DPO, reward"], ex["5b: DPO, KL"], ex["5b: best-of-n"]
runs = [a for a in kl["arms"]]
D = F["5b design"]
lr = f"{D['lr']:.0e}".replace("e-0", "e-")
pairs_of = [(c["a"], c["b"]) for c in kl["comparisons"]]            # neighbouring runs, the smaller beta first
kl_sep = all(cmp(kl, a, b)["verdict"] == "effect" and cmp(kl, a, b)["difference"] > 0 for a, b in pairs_of)
rw_open = all(cmp(rw, a, b)["verdict"] == "inconclusive" for a, b in pairs_of)
by_beta = [rw["arms"][a]["mean"] for a in runs]          # runs are in the order of beta, smallest first
in_order = all(x > y for x, y in zip(by_beta, by_beta[1:]))
reading5 = (f"KL grew as β fell, every step beyond its interval; the rewards' point estimates "
            f"{'fall in the predicted order' if in_order else 'do not fall in the predicted order'}, but no difference between "
            f"neighbours is decided: within these {D['steps']} steps a smaller β bought distance "
            "from the tuned model, and whether it also buys reward needs longer runs or many more samples." if kl_sep and rw_open else
            "KL and reward moved with β as the comparisons above say.")
per_run = []
for a in runs:
    per_run.append(f"{a}: reward {m(rw, a)} ({said(cmp(rw, a, 'the tuned model'))} against the tuned model), "
                   f"KL {m(kl, a, 2)} nats")
neighbours = [f"{a} against {b}: reward {said(cmp(rw, a, b))}, KL {said(cmp(kl, a, b), 2)}" for a, b in pairs_of]
ns = sorted(int(a.split("n=")[1]) for a in bon["arms"] if a.startswith("your reward model"))
top, first = max(ns), min(ns)
c_rm = cmp(bon, f"your reward model, n={top}", f"your reward model, n={first}")
c_j = cmp(bon, f"the judge, n={top}", f"the judge, n={first}")
c_jr = cmp(bon, f"the judge, n={top}", f"your reward model, n={top}")
bon_arm = f"best-of-{top}, your reward model"
c_bd = next(c for c in rw["comparisons"] if c["a"] == bon_arm)
if effect(c_bd, +1) and F["5b best-of-n kl bound"] < min(kl["arms"][a]["mean"] for a in runs):
    versus = (f"best-of-{top} with my reward model against the DPO run with the most reward ({c_bd['b']}), opening by "
              f"opening: {said(c_bd)}, at a KL of at most {F['5b best-of-n kl bound']:.2f} nats against DPO's "
              f"{min(kl['arms'][a]['mean'] for a in runs):.2f} or more: here sampling and picking buys more reward for less "
              f"distance than these short DPO runs.")
else:
    versus = (f"best-of-{top} with my reward model against the DPO run with the most reward ({c_bd['b']}): {said(c_bd)}; "
              f"which buys more reward for its distance is not decided beyond that.")
gap = (", and the gap between the two pickers is what the reward model did not learn" if effect(c_jr, +1) else "")
part5 = f"""5b: predicted that a smaller β lets the policy move further (larger KL) and gain more reward, with diminishing
returns, and that best-of-n picked by the judge gains most for its KL. Each β trained {D['steps']} steps of
{D['batch']} pairs at {lr}, evaluated half-way and at the end on {rw['arms']['the tuned model']['items_n']} held-out
openings ({F['5b evaluation']['samples per opening']} samples each; the tuned model: {m(rw, 'the tuned model')}). {'; '.join(per_run)}. Neighbouring
β, opening by opening: {'; '.join(neighbours)}. {reading5} Best-of-n over the same openings: picked by the reward model, n = {top}
against n = {first}: {said(c_rm)}; picked by the judge: {said(c_j)}; the judge against the reward model at n = {top}:
{said(c_jr)}. Best-of-n's KL is at most log n - (n-1)/n ({top}: {F['5b best-of-n kl bound']:.2f} nats), so each of its
points lies at or left of where it is drawn; {versus} It is only as good as what picks: the judge's picks bound what any
reward model could reach{gap}."""

text = "\n\n".join([part2, part2c, part3, part4, part5]) + "\n"
print(text)
write_model_answer("solutions/a6_generation_preference/a6_generation_preference.ipynb", "## Part 6: report", text)
