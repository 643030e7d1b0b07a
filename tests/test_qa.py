"""shared.qa: evaluation features and one-line runs (used by a1)."""
import nbformat
import pytest

from autograder.course import REPO
from shared.data import load_task
from shared.models import load_tokenizer
from shared.qa import QARun, prepare_validation_features, run_qa


@pytest.fixture
def a1_functions(monkeypatch):
    """The solution's prepare_train_features and postprocess_predictions, taken from the notebook."""
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    nb = nbformat.read(REPO / "solutions" / "a1_qa_finetuning" / "a1_qa_finetuning.ipynb", as_version=4)
    ns = {}
    exec("import collections, re, string\nimport numpy as np", ns)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") in {"prepare_train_features", "postprocess_predictions"}:
            exec(c.source, ns)
    return ns["prepare_train_features"], ns["postprocess_predictions"]


def test_validation_features_keep_only_context_offsets():
    tok = load_tokenizer("smoke:bert")
    batch = {"id": ["a"], "question": ["who founded it?"], "context": ["Varno was founded by Mira. " * 8]}
    feats = prepare_validation_features(batch, tok, max_length=32, doc_stride=8)
    assert len(feats["input_ids"]) > 1 and feats["example_id"] == ["a"] * len(feats["input_ids"])
    for i, offsets in enumerate(feats["offset_mapping"]):
        seq = feats.sequence_ids(i)
        assert all((o is None) == (s != 1) for o, s in zip(offsets, seq))


def test_same_run_twice_gives_the_same_result(a1_functions, smoke_profile, tmp_path):
    prep, post = a1_functions
    data = load_task("qa", smoke_profile)
    run = QARun(name="r", model="smoke:bert", train_examples=16, lr=1e-3, max_length=64, doc_stride=16)
    from tests import reference_squad_v1 as squad_v1
    score = (lambda p, g: squad_v1.max_over_ground_truths(squad_v1.exact_match_score, p, g),
             lambda p, g: squad_v1.max_over_ground_truths(squad_v1.f1_score, p, g))
    a = run_qa(run, data, prepare_train_fn=prep, postprocess_fn=post, metric_fns=score, profile=smoke_profile, output_dir=str(tmp_path / "a"))
    b = run_qa(run, data, prepare_train_fn=prep, postprocess_fn=post, metric_fns=score, profile=smoke_profile, output_dir=str(tmp_path / "b"))
    assert a["f1"] == b["f1"] and a["history"]["train"] == b["history"]["train"]


def test_a_run_without_dropout_keeps_the_checkpoint_folder_it_had_before_the_field():
    """QARun.dropout enters the checkpoints' tag only when set: a student's half-trained run from before the field
    still resumes, and a run with dropout off gets a folder of its own."""
    from shared.qa import _tag
    run = QARun(name="baseline", model="smoke:bert")
    assert "dropout" not in _tag(run)
    assert _tag(run.but(dropout=0.0))["dropout"] == 0.0
    assert _tag(run.but(name="other")) == _tag(run)   # the name is not the run


def test_data_seed_holds_the_questions_while_the_seed_changes_the_head(a1_functions, smoke_profile, tmp_path,
                                                                      monkeypatch):
    """a1's noise runs change the seed (the new head, the order of batches) on the same questions: data_seed
    fixes which questions a subset draws; without it each seed draws its own. It enters the checkpoints' tag
    only when set."""
    import shared.qa
    from shared.qa import _tag
    prep, post = a1_functions
    data = load_task("qa", smoke_profile)
    drawn = []
    real_subset = shared.qa.subset

    def recording(dataset, n, seed=0):
        out = real_subset(dataset, n, seed=seed)
        drawn.append(sorted(out["question"]))
        return out

    monkeypatch.setattr(shared.qa, "subset", recording)
    score = (lambda p, g: float(p == g[0]), lambda p, g: float(p == g[0]))
    run = QARun(name="r", model="smoke:bert", train_examples=8, lr=1e-3, max_length=64, doc_stride=16)
    runs = {"s0": run, "s1": run.but(seed=1), "s1 d0": run.but(seed=1, data_seed=0), "s0 d1": run.but(data_seed=1)}
    for key, r in runs.items():
        out = run_qa(r, data, prepare_train_fn=prep, postprocess_fn=post, metric_fns=score, profile=smoke_profile, output_dir=str(tmp_path / key.replace(" ", "-")))
        assert out["train_examples"] == 8
    s0, s1, s1d0, s0d1 = drawn
    assert s1d0 == s0 != s1 == s0d1
    assert "data_seed" not in _tag(run) and _tag(run.but(data_seed=0))["data_seed"] == 0


def test_a_large_batch_is_accumulated_in_micro_batches(a1_functions, smoke_profile, tmp_path, monkeypatch):
    """a1's batch-size lever (128 windows offline) would peak at 4.13 GiB on a CPU in one pass: run_qa trains the
    same batch as equal micro-batches of at most MICRO_BATCH windows, accumulated into one step (the same step:
    tests/test_train.py's accumulation test); a batch that fits is one pass."""
    import shared.qa
    from shared.qa import MICRO_BATCH, micro_batches
    seen = []

    class Stop(Exception):
        pass

    def capture(model, feats, cfg, **kwargs):
        seen.append((cfg.batch_size, cfg.grad_accum))
        raise Stop

    monkeypatch.setattr(shared.qa, "train", capture)
    prep, post = a1_functions
    data = load_task("qa", smoke_profile)
    for batch in (16, MICRO_BATCH, 128, 48):
        with pytest.raises(Stop):
            run_qa(QARun(name="r", model="smoke:bert", train_examples=8, batch_size=batch, max_length=64,
                         doc_stride=16), data, prepare_train_fn=prep, postprocess_fn=post, metric_fns=(None, None), profile=smoke_profile, output_dir=str(tmp_path))
    assert seen == [(16, 1), (MICRO_BATCH, 1), (MICRO_BATCH, 4), (24, 2)]
    assert [micro_batches(b) for b in (1, 33, 37, 96)] == [1, 3, 1, 3]   # 37 is prime: one pass, not 37 of 1
