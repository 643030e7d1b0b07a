"""a2_mlm_objective's report model answer, generated from its results file (docs/results/a2_mlm_objective.json).

    python tools/answer_a2.py          # from the repository's root, after `python tools/record_results.py a2_mlm_objective`

Rewrites the model answer between "### BEGIN SOLUTION" and "#### Rubric" of the solution notebook's report cell
with the recorded figures and the claims their verdicts allow, and prints it; then regenerate the release
(`python -m autograder release a2_mlm_objective`). tests/test_results.py checks that every decimal in the answer is in the file.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_answer import VERDICT, cmp, load_results, write_model_answer  # noqa: E402
R, ex = load_results('a2_mlm_objective')
a5 = ex['5a: MLM adaptation']; ner = ex['5b: NER, original vs MLM-adapted encoder']
sen = ex['5b: sentiment, original vs MLM-adapted encoder']; c5 = ex['5c: poolings (your design)']
pp = R['facts']['perplexity']; fm = R['facts']['fill_mask']
probe = "The town was founded in 1446 by a [MASK] from Dorhaven ."
fmt3 = lambda xs: ", ".join(f"{t} {p:.3f}" for t, p in xs)
def ci(c, d=3):
    return f"95% CI [{c['ci95'][0]:.{d}f}, {c['ci95'][1]:.{d}f}]"
def sgn(x, d=3):
    return f"{x:+.{d}f}"
ce = cmp(a5, "head and encoder", "head only"); ch = cmp(a5, "head only", "untrained head")
cn = cmp(ner, "MLM-adapted", "original"); cs = cmp(sen, "cls / MLM-adapted", "cls / original")
arms = c5['arms']
comps = "; ".join(f"{c['a']} against {c['b']}: {sgn(c['difference'])}, {ci(c)}, {VERDICT[c['verdict']]}" for c in c5['comparisons'])
undecided = sum(c['verdict'] == 'inconclusive' for c in c5['comparisons'])
vals = {k: v['values'] for k, v in arms.items()}
seeds = min(v['n'] for v in arms.values())
words = {3: "three", 4: "four", 5: "five", 6: "six"}
words = {n: words.get(n, str(n)) for n in range(2, 100)}
short = lambda arm: arm.split(" /")[0].replace("cls", "CLS")
ahead = [(c['a'], c['b']) if c['difference'] > 0 else (c['b'], c['a']) for c in c5['comparisons'] if c['verdict'] == 'effect']
open_pairs = [f"{short(c['a'])} against {short(c['b'])}" for c in c5['comparisons'] if c['verdict'] == 'inconclusive']
equal = [f"{short(c['a'])} and {short(c['b'])}" for c in c5['comparisons'] if c['verdict'] == 'powered null']
conclusion = ("Shown: " + "; ".join(f"{short(w)} ahead of {short(l)}" for w, l in ahead) + "." if ahead else "No pair is shown to differ.")
if equal:
    conclusion += " Equal within the margin: " + "; ".join(equal) + "."
if open_pairs:
    conclusion += (f" Undecided ({len(open_pairs)} of {len(c5['comparisons'])}): " + "; ".join(open_pairs) + ": their intervals cross 0"
                   " and reach past the 3-point margin, because at this budget each pooling's seeds spread by about as much"
                   " as the gaps between them (max pooling's from " + f"{min(vals['max / 1']):.3f} to {max(vals['max / 1']):.3f}" + ").")
if ("cls / 1", "mean / 1") in ahead:
    conclusion += (" The prediction is wrong at this budget: CLS, not mean, is ahead. One reading, not tested here: how the"
                   " encoder was pretrained says what its mean vector holds before fine-tuning, not which pooling a new head"
                   " and one short epoch move fastest.")
elif ("mean / 1", "cls / 1") in ahead:
    conclusion += " The prediction is borne out for mean against CLS."
else:
    conclusion += " The prediction is not borne out: mean is not shown ahead of CLS."
conclusion += (" Next: more seeds for the undecided pairs (`seeds_needed` at the spread seen), or a longer budget, where the runs may spread less."
               if open_pairs else
               " Next: the same comparison at a longer budget (5b's), to see whether the order holds once every pooling has"
               " had time to learn, where an earlier design found them too close to rank.")
text = f"""Measured in the offline profile (all-MiniLM-L6-v2, dropout off, 2-core CPU; docs/results/a2_mlm_objective.json).
5a. Every model scores the same {pp['masked_tokens']:,} masked tokens. Token counts alone give a perplexity of
{pp['token counts']:,.1f}. MiniLM's MLM head is new, so the untrained head is far worse ({pp['untrained head']:,.1f}) and
fill-mask returns noise ("{probe}": {fmt3(fm[probe]['before'])}). The head alone, trained {pp['steps']} steps on the
frozen encoder, reaches {pp['head only']:,.1f}, not even as good as token counts; the head and the encoder together, for the
same steps, {pp['head and encoder']:,.1f}. Paired over the blocks, adapting the encoder changes the masked-token NLL by
{ce['difference']:.3f} nats ({ci(ce)}, an effect) on top of the
{ch['difference']:.3f} that the head learns alone: the states of an encoder trained for sentence similarity do
not carry what predicting a masked word needs until the encoder itself adapts to the objective and the
corpus. The predictions become the corpus's words in the right slot ("{probe}": {fmt3(fm[probe]['after'])}), still not
the right ones: {pp['steps']} steps teach the corpus's vocabulary and frames more than its facts.
5b (one seed each, paired over the dev sentences): NER entity F1 {ner['arms']['original']['mean']:.3f} from the original
encoder and {ner['arms']['MLM-adapted']['mean']:.3f} from the adapted one ({sgn(cn['difference'])}, {ci(cn)}, {VERDICT[cn['verdict']]});
sentiment with CLS pooling {sen['arms']['cls / original']['mean']:.3f} -> {sen['arms']['cls / MLM-adapted']['mean']:.3f} ({sgn(cs['difference'])}, {ci(cs)}, {VERDICT[cs['verdict']]}):
the adaptation helps NER and, within the 3-point margin, makes no difference to sentiment. These say whether the two
trained models differ beyond the luck of the dev sentences, not whether another seed would agree: 5c measures seed
spread, at a shorter budget than 5b's.

5c. A prediction of the form the rubric asks for: "mean pooling wins by a point or two, because
all-MiniLM-L6-v2 was trained as a sentence encoder with mean pooling". Design: the three poolings on the
original encoder with a short budget (one epoch at half 5b's learning rate, the same for every arm), because an
earlier design at 5b's rate found the three too close to rank; {words[seeds]} seeds each, the same seeds for every pooling,
because a seed gives each pooling the same initial head and order of batches, so that a pair can be compared seed by
seed, and because a first recording with three seeds, each arm's spread taken on its own, left two of the three
pairs undecided. (The budget and the seeds were chosen after pilots and that recording, docs/benchmarks.md: the
intervals are not adjusted for that look at the data, so a recording on new seeds would confirm them.) Each
pair is compared paired over the 480 dev sentences (each sentence's correctness averaged over the seeds), the
interval widened by the spread of the pair's per-seed differences, with Student's t for a spread measured on
{words[seeds]} seeds. Result: {", ".join(f"{k} {v['mean']:.3f} ± {v['se']:.3f} SE" for k, v in arms.items())}; {comps}.
{conclusion}
"""
print(text)
write_model_answer('solutions/a2_mlm_objective/a2_mlm_objective.ipynb', '**Report.**', text)
