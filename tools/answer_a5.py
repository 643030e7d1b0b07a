"""a5_multitask_instruction's report model answer, generated from its results file
(docs/results/a5_multitask_instruction.json).

    python tools/answer_a5.py          # from the repository's root, after `python tools/record_results.py a5_multitask_instruction`

Rewrites the model answer between "### BEGIN SOLUTION" and "#### Rubric" of the solution notebook's report cell
with the recorded figures and the claims their verdicts allow, and prints it; then regenerate the release
(`python -m autograder release a5_multitask_instruction`). tests/test_results.py checks that every decimal in the
answer is in the file.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_answer import VERDICT, load_results, write_model_answer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shared.profiles import get_profile  # noqa: E402

R, ex = load_results("a5_multitask_instruction")
S = get_profile("offline").settings("a5")
tasks = S["tasks"]
small = next(iter(S["train_caps"]))                      # the task kept small on purpose
large = next(t for t in tasks if t != small)
K = min(S["k_values"])
T = S["temperatures"][0]
seen = R["facts"]["5a examples seen"]
runs = {r["run"]: r for r in R["facts"]["5a runs"]}


def cmp(e, a, b):
    return next(c for c in e["comparisons"] if c["a"] == a and c["b"] == b)


def said(c, d=3):
    """difference, interval and verdict, in words"""
    return f"{c['difference']:+.{d}f}, 95% CI [{c['ci95'][0]:.{d}f}, {c['ci95'][1]:.{d}f}], {VERDICT[c['verdict']]}"


def mean(e, arm):
    return f"{e['arms'][arm]['mean']:.3f}"


mk, mn, mt, one = f"mixture, K={K}", "mixture, no cap", f"mixture, T={T}", "one model per task"
xs, xl = ex[f"5a: {small}"], ex[f"5a: {large}"]
k_small, t_small, o_small = cmp(xs, mk, mn), cmp(xs, mt, mn), cmp(xs, mk, one)
k_large, t_large, o_large = cmp(xl, mk, mn), cmp(xl, mt, mn), cmp(xl, mk, one)


def direction(c, up, down, same):
    if c["verdict"] == "effect":
        return up if c["difference"] > 0 else down
    return same if c["verdict"] == "powered null" else "undecided"


trade = (f"K = {K} buys the small task its examples with the large task's: {large} {said(k_large)}"
         if k_large["verdict"] == "effect" and k_large["difference"] < 0 else
         f"for {large}, K = {K} against no cap is {said(k_large)}")
part_a = f"""5a (offline: SmolLM2-135M-Instruct in the GPT-2 format, {S['steps']} steps of {S['batch_size']} for every run,
{large} with all its training examples and {small} cut to {S['train_caps'][small]}; {xl['arms'][mn]['items_n']} {large} and
{xs['arms'][mn]['items_n']} {small} dev items; docs/results/a5_multitask_instruction.json). Without a cap the small task is drawn
{seen[mn][small]} times in {S['steps'] * S['batch_size']} examples and the model never learns it: {small} F1 {mean(xs, mn)},
the floor of finding nothing. K = {K} draws it {seen[mk][small]} times: {mean(xs, mk)} ({said(k_small)}), while {trade}
({mean(xl, mk)} against {mean(xl, mn)}). T = {T} lies between: {small} drawn {seen[mt][small]} times, F1 {mean(xs, mt)}
({said(t_small)} against no cap), {large} {mean(xl, mt)} ({said(t_large)}). The rates move examples from one task to the
other at a fixed budget of steps; which mixture is best depends on which task matters. One model per task
({S['steps'] // len(tasks)} steps each) against one model on the K = {K} mixture: {small} {mean(xs, one)} against {mean(xs, mk)}
({said(o_small)} for the mixture) and {large} {mean(xl, one)} against {mean(xl, mk)} ({said(o_large)}). Each arm is one run
(one seed): these intervals are those of the dev items, not of another training run, which could move a run by a few
points; the small task's swings are far larger than that, the gaps of a few points are not settled by one seed."""

xb = {t: ex[f"5b: {t}"] for t in ("sentiment", "qa", "person")}


def cond(t, c):
    e = xb[t]
    return (f"{t} ({c}) {mean(e, 'before, ' + c)} -> {mean(e, 'after, ' + c)} "
            f"({said(cmp(e, 'after, ' + c, 'before, ' + c))})")


sent_floor = xb["sentiment"]["floor"]
train_s, held_s = (xb["sentiment"]["arms"][f"after, {c}"]["mean"] for c in ("training instructions", "held-out instruction"))
part_b = f"""5b: {S['instr_steps']} steps of {S['instr_batch']} mixed sentiment and QA examples (QA passages cut to
{S['qa_sentences']} sentences). "Before" asks the instruct model through its own chat template; it answers in full sentences
("This review is positive, as ...") that the first-word scorer counts wrong, so before scores near zero everywhere but
measures the answer format as much as the knowledge. {cond('sentiment', 'training instructions')}; {cond('sentiment', 'held-out instruction')};
{cond('qa', 'training instructions')}; {cond('qa', 'held-out instruction')}; the held-out task {cond('person', 'held-out task')}.
The held-out instruction and the held-out task gain as much as the trained ones: the model learned the answer format (a
short answer after "Answer:") and the tasks, not one wording. Sentiment stays weakest (the commoner label scores
{sent_floor:.3f}; {train_s:.3f} with the training instructions and {held_s:.3f} with the held-out one): with about a hundred
sentiment examples the model learns to answer with a label word before it learns which."""

xc = ex["5c: person (your design)"]
both, alone = "sentiment + qa / person", "sentiment / person"
c5 = cmp(xc, both, alone)
values = {a: ", ".join(f"{v:.3f}" for v in xc["arms"][a]["values"]) for a in (both, alone)}
verdict_c = {"effect": ("The prediction holds: " if c5["difference"] > 0 else "The prediction is wrong: "),
             "powered null": "The prediction is wrong: the training task does not matter here within the margin. ",
             "inconclusive": "The runs do not decide it. "}[c5["verdict"]]
part_c = f"""5c, the design. Prediction before running: the held-out task (name the person in a sentence) works only
if a training task already asks for a span of the input, as QA does; trained on sentiment alone, the model answers
the new question with a label word. Arms: sentiment alone ({xc['arms'][alone]['n']} seeds) against sentiment and QA ({xc['arms'][both]['n']} seeds; 5b's run is
the first), scored on the {xc['arms'][both]['items_n']} person items. The seeds measure how much another training run moves
the score, and they went where the runs spread: a first recording found the runs on sentiment alone spread several times
more, and they are the cheap ones. Result: {mean(xc, both)} (seeds {values[both]}) against {mean(xc, alone)} (seeds {values[alone]}),
{said(c5)}. {verdict_c}Task diversity, not the number of steps, carries the new task here: the same steps
spent on sentiment alone teach the answer format but not what to extract."""

text = "\n\n".join([part_a, part_b, part_c]) + "\n"
print(text)
write_model_answer("solutions/a5_multitask_instruction/a5_multitask_instruction.ipynb", "**Report.**", text)
