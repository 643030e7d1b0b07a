"""a5 pilots on the solution notebook's own cells (issue #30): 5b's instruction tuning alone, or 5a's K = 100 mixture
against a single NER model, with sizes overridden from the environment. Builds a cut copy of the notebook in /tmp,
runs it with nbconvert in the offline profile, and prints what it scored. Run it alone for the seconds.

    python tools/a5_pilot_notebook.py 5b   # I_STEPS, I_BATCH, I_LR, I_SHARES ("3,1"), SEED_T: 5b's run, scored after
                                           # tuning on the sentiment conditions and the person task (QA left out)
    python tools/a5_pilot_notebook.py 5a   # NER_CAP, KV: the mixture at K = KV against a single NER model, both
                                           # trained STEPS steps, scored on the whole dev split
"""
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "solutions" / "a5_multitask_instruction" / "a5_multitask_instruction.ipynb"
OUT = Path("/tmp/a5_pilot_notebook")


def cut_5b(nb):
    cells = [c for c in nb.cells[:17] if c.cell_type == "code"]
    cells.append(nbformat.v4.new_code_cell(
        'import os\n'
        'data = {t: load_task(t, profile, seed=SEED) for t in ("sentiment", "qa", "ner")}\n'
        'log = ExperimentLog(f"{OUTPUT_DIR}/experiments.jsonl")\n'
        'results = Results("a5_multitask_instruction", profile, path=f"{OUTPUT_DIR}/results.json")\n'
        'SEED_T = int(os.environ.get("SEED_T", "0"))\n'
        'INSTR_STEPS = int(os.environ.get("I_STEPS", INSTR_STEPS)); INSTR_BATCH = int(os.environ.get("I_BATCH", INSTR_BATCH))\n'
        'INSTR_LR = float(os.environ.get("I_LR", INSTR_LR))\n'
        'if os.environ.get("I_SHARES"):\n'
        '    INSTR_SHARES = dict(zip(("sentiment", "qa"), map(int, os.environ["I_SHARES"].split(","))))\n'
        'print(INSTR_STEPS, INSTR_BATCH, INSTR_LR, INSTR_SHARES, SEED_T)'))
    cells.append(nbformat.v4.new_code_cell(nb.cells[19].source.split("# 5a as experiments")[0]))
    src = nb.cells[21].source
    src = src.replace("before = evaluate_causal(base_model, wrap=chat if causal_tok.chat_template else\n"
                      "                         (lambda prompt: prompt + DELIMITER))", "before = None")
    src = src[:src.index("instr_table = pd.DataFrame")]
    src = src.replace("instr_run, cfg = instruction_tune(instruction_features())\nafter = evaluate_causal(instr_run.model)",
                      "instr_run, cfg = instruction_tune(instruction_features(seed=SEED_T), seed=SEED_T)\n"
                      "after = evaluate_causal(instr_run.model, [k for k in conditions if k[0] != 'qa'])\n"
                      "print(f'{instr_run.seconds:.1f} s of training', "
                      "{k: round(pooled(k[0], v), 3) for k, v in after.items()}, instr_run.history['train'][-1])")
    assert "SEED_T" in src, "the notebook's 5b cell changed: update this pilot"
    cells.append(nbformat.v4.new_code_cell(src))
    return cells


def cut_5a(nb):
    cells = [c for c in nb.cells[:17] if c.cell_type == "code"]
    cells.append(nbformat.v4.new_code_cell(
        'import os\nTRAIN_CAPS = {"ner": int(os.environ.get("NER_CAP", TRAIN_CAPS["ner"]))}\n'
        'K_VALUES = [int(os.environ.get("KV", min(K_VALUES)))]\nTEMPERATURES = []\nprint(TRAIN_CAPS, K_VALUES)'))
    src = nb.cells[18].source
    src = src.replace('for t in TASKS:\n    run, cfg, seen = train_t2t(f"single {t}"',
                      'for t in ["ner"]:\n    run, cfg, seen = train_t2t(f"single {t}"')
    src = src[:src.index('rows.append({"run": "one model per task"')]
    assert 'for t in ["ner"]' in src, "the notebook's 5a cell changed: update this pilot"
    src += ('print("single", {t: round(pooled(t, v), 3) for t, v in items["one model per task"].items()})\n'
            '_x = Results("pilot", profile, path="/tmp/a5_pilot_notebook/r.json").experiment("ner", "f1", margin=0.05)\n'
            '_x.arm("mixture", items=items[plans[0][0]]["ner"], kind="f1")\n'
            '_x.arm("one model", items=items["one model per task"]["ner"], kind="f1")\n'
            'print(_x.compare("mixture", "one model"))\n')
    cells.append(nbformat.v4.new_code_cell(src))
    return cells


def main(part: str) -> None:
    nb = nbformat.read(NB, 4)
    nb.cells = {"5b": cut_5b, "5a": cut_5a}[part](nb)
    OUT.mkdir(parents=True, exist_ok=True)
    cut, done = OUT / f"{part}.ipynb", OUT / f"{part}_out.ipynb"
    nbformat.write(nb, cut)
    subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=-1",
                    str(cut), "--output", str(done)], check=True, cwd=OUT,
                   env={**__import__("os").environ, "HF_HUB_OFFLINE": "1", "COURSE_PROFILE": "offline"})
    for out in nbformat.read(done, 4).cells[-1].outputs:
        if out.get("name") == "stdout":
            print(out["text"].strip()[-2000:])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "5b")
