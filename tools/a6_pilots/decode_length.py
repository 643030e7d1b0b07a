"""2c pilot (issue #30): repetition of greedy against 4-beam search (length_penalty 1 and 0) at 40 and 80 new tokens
on 120 review openings, with the domain-tuned model of the solution notebook. Builds a cut copy of the notebook (its
code cells up to 2c's decoding settings, then this pilot) in /tmp/a6p2c and runs it; prints each setting's seconds
and mean share of repeated bigrams, and each beam setting against greedy, paired (normal 95% interval).

    python tools/a6_pilots/decode_length.py        # from the repository's root, alone for the seconds
"""
import json
import subprocess

import nbformat
import numpy as np

NB = "solutions/a6_generation_preference/a6_generation_preference.ipynb"
PILOT = '''import json, time
import numpy as np
res = {}
for n_tok in (40, 80):
    MANY = gen.prompts_from(gen.review_texts(reviews["test"]), 4)[:120]
    for name, kw in {"greedy": {}, "beam4": {"num_beams": 4}, "beam4 lp0": {"num_beams": 4, "length_penalty": 0.0}}.items():
        t0 = time.time()
        res[f"{name} {n_tok}"] = [gen.repeated_bigrams(t) for t in gen.decode_many(lm, tokenizer, MANY, kw, n_tok, seed=SEED, desc=name)]
        print(name, n_tok, f"{time.time() - t0:.1f} s", round(float(np.mean(res[f"{name} {n_tok}"])), 3), flush=True)
json.dump(res, open("/tmp/a6p2c/rep.json", "w"))
'''
nb = nbformat.read(NB, 4)
nb.cells = [c for c in nb.cells[:24] if c.cell_type == "code"] + [nbformat.v4.new_code_cell(PILOT)]
subprocess.run(["mkdir", "-p", "/tmp/a6p2c"], check=True)
nbformat.write(nb, "/tmp/a6p2c/pilot.ipynb")
subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=-1",
                "/tmp/a6p2c/pilot.ipynb", "--output", "pilot_out.ipynb"], check=True, cwd="/tmp/a6p2c",
               env={**__import__("os").environ, "HF_HUB_OFFLINE": "1", "COURSE_PROFILE": "offline"})
for out in nbformat.read("/tmp/a6p2c/pilot_out.ipynb", 4).cells[-1].outputs:
    print(out.get("text", ""), end="")
r = json.load(open("/tmp/a6p2c/rep.json"))
for n in (40, 80):
    for b in ("beam4", "beam4 lp0"):
        d = np.array(r[f"{b} {n}"]) - np.array(r[f"greedy {n}"])
        se = d.std(ddof=1) / np.sqrt(len(d))
        print(f"{b} vs greedy, {n} tokens: {d.mean():+.3f} [{d.mean() - 1.96 * se:.3f}, {d.mean() + 1.96 * se:.3f}]")
