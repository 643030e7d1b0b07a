"""The shared training loop: learning, resume, bad checkpoints, accumulation, and a plain-PyTorch reference."""
import dataclasses
import os
import shutil
from pathlib import Path

import pytest
import torch
from transformers import get_scheduler

from helpers import collate, same_weights, tiny_classifier, toy_dataset, weights
from shared.train import CheckpointError, TrainConfig, train


def cfg(tmp_path, **kw):
    base = dict(output_dir=str(tmp_path / "run"), max_steps=8, batch_size=8, lr=3e-3, log_every=1,
                progress=False, warmup_ratio=0.0)
    return TrainConfig(**{**base, **kw})


def test_loss_goes_down(tmp_path):
    ds = toy_dataset(64)
    res = train(tiny_classifier(), ds, cfg(tmp_path, max_steps=60, batch_size=16), eval_dataset=ds,
                collate_fn=collate)
    losses = [e["loss"] for e in res.history["train"]]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.1
    assert res.history["eval"][-1]["eval_loss"] < 0.6


@pytest.mark.parametrize("log_every", [1, 4])
def test_resume_equals_uninterrupted_run(tmp_path, log_every):
    """Stopped at step 6 of 10 (as a Colab disconnect would), resumed, it ends where a straight run ends.
    Dropout is on and the run crosses an epoch boundary, so RNG and data order must both be restored; with
    log_every=4 the loss logged at step 8 averages steps 5-8, across the disconnect."""
    ds = toy_dataset(40)
    config = dict(max_steps=10, batch_size=8, save_every=2, eval_every=5, log_every=log_every)
    straight = train(tiny_classifier(dropout=0.1), ds, cfg(tmp_path / "a", **config), eval_dataset=ds,
                     collate_fn=collate)
    first = train(tiny_classifier(dropout=0.1), ds, cfg(tmp_path / "b", **config), eval_dataset=ds,
                  collate_fn=collate, stop_after=6)
    assert first.steps == 6
    resumed = train(tiny_classifier(seed=123, dropout=0.1), ds, cfg(tmp_path / "b", **config),
                    eval_dataset=ds, collate_fn=collate)
    assert resumed.resumed_from.endswith("step-0000006")
    assert same_weights(weights(straight.model), weights(resumed.model))
    assert [e["step"] for e in resumed.history["train"]] == [e["step"] for e in straight.history["train"]]
    for a, b in zip(straight.history["train"], resumed.history["train"]):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-6)
    assert straight.history["eval"][-1]["eval_loss"] == pytest.approx(resumed.history["eval"][-1]["eval_loss"])


def test_half_written_checkpoint_is_never_resumed(tmp_path):
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=2)
    root = Path(train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=4).checkpoints)
    assert root.parent == tmp_path / "run" / "checkpoints"
    # a crash mid-write leaves only a .tmp folder, which resume ignores
    shutil.copytree(root / "step-0000004", root / "step-0000005.tmp")
    res = train(tiny_classifier(), ds, c, collate_fn=collate)
    assert res.resumed_from.endswith("step-0000004")


def test_corrupt_checkpoint_is_named(tmp_path):
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=2)
    ckpt = Path(train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=2).checkpoints) / "step-0000002"
    (ckpt / "pytorch_model.bin").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="step-0000002 is corrupt.*resume=False"):
        train(tiny_classifier(), ds, c, collate_fn=collate)


def test_a_changed_run_starts_fresh_beside_the_old_one(tmp_path):
    """Running a cell again after changing its model, settings or data must not resume (nor refuse): each run
    has its own folder, and the first run's checkpoints stay."""
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=2)
    first = train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=2)
    for changed in [train(tiny_classifier(hidden=32), ds, c, collate_fn=collate),
                    train(tiny_classifier(), ds, cfg(tmp_path, max_steps=6, save_every=2, lr=1e-2), collate_fn=collate),
                    train(tiny_classifier(), toy_dataset(24), c, collate_fn=collate)]:
        assert changed.resumed_from is None and changed.steps == 6 and changed.checkpoints != first.checkpoints
    assert (Path(first.checkpoints) / "step-0000002").is_dir()
    assert train(tiny_classifier(), ds, c, collate_fn=collate).resumed_from.endswith("step-0000002")


def test_checkpoint_of_another_model_or_config_is_refused(tmp_path):
    """A folder copied under another run's name (by hand) is refused, not silently resumed."""
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=2)
    small = Path(train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=2).checkpoints)
    other = cfg(tmp_path, max_steps=6, save_every=2, lr=1e-2)
    for model, config, message in [(tiny_classifier(hidden=32), c, "different model"),
                                   (tiny_classifier(), other, "different training settings")]:
        target = Path(train(model, ds, config, collate_fn=collate, stop_after=1).checkpoints)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(small, target)
        with pytest.raises(CheckpointError, match=message):
            train(model, ds, config, collate_fn=collate)
        # resume=False starts over instead
        assert train(model, ds, dataclasses.replace(config, resume=False), collate_fn=collate).resumed_from is None


def test_a_finished_run_loads_its_final_weights_instead_of_training_again(tmp_path):
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=2)
    done = train(tiny_classifier(), ds, c, collate_fn=collate)
    folder = Path(done.checkpoints)
    assert sorted(p.name for p in folder.iterdir()) == ["final"]   # the step checkpoints are gone
    again = train(tiny_classifier(seed=123), ds, c, collate_fn=collate)
    assert again.resumed_from == str(folder / "final") and again.steps == 6
    assert same_weights(weights(done.model), weights(again.model))
    assert again.history == done.history and again.seconds == pytest.approx(done.seconds, abs=0.5)
    (folder / "final" / "model.pt").write_bytes(b"broken")
    with pytest.raises(CheckpointError, match="final weights .* unreadable.*Delete that folder"):
        train(tiny_classifier(), ds, c, collate_fn=collate)



def test_a_run_resumed_from_its_final_weights_measures_its_end_point_again(tmp_path):
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=4, save_every=2, eval_every=2)
    done = train(tiny_classifier(), ds, c, collate_fn=collate, evaluate_fn=lambda m: {"measured by": "the first run"})
    assert [e["measured by"] for e in done.history["eval"]] == ["the first run"] * 2
    again = train(tiny_classifier(seed=123), ds, c, collate_fn=collate, evaluate_fn=lambda m: {"measured by": "today"})
    assert again.resumed_from_final and same_weights(weights(done.model), weights(again.model))
    assert [e["measured by"] for e in again.history["eval"]] == ["the first run", "today"]
    assert again.history["eval"][-1]["step"] == 4 and again.history["train"] == done.history["train"]

def test_checkpoints_go_where_course_checkpoints_points_by_training_time(tmp_path, monkeypatch):
    """The Colab setup cell points COURSE_CHECKPOINTS at Drive: runs then checkpoint every save_minutes of
    training, by default 10 (a short run: never)."""
    ds = toy_dataset(32)
    plain = train(tiny_classifier(), ds, cfg(tmp_path / "a", max_steps=10), collate_fn=collate, stop_after=9)
    assert not Path(plain.checkpoints).exists()         # not set: no checkpoints unless asked for
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path / "drive"))
    short = train(tiny_classifier(), ds, cfg(tmp_path / "s", max_steps=10), collate_fn=collate, stop_after=9)
    assert not Path(short.checkpoints).exists()         # seconds of training: no checkpoint
    c = cfg(tmp_path / "b", max_steps=10, keep_checkpoints=5, save_minutes=0)   # 0: after every step
    assert c.save_seconds() == 0 and cfg(tmp_path).save_seconds() == 600
    stopped = train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=9)
    folder = Path(stopped.checkpoints)
    assert folder.parent == tmp_path / "drive" / str(tmp_path / "b" / "run").lstrip("/")
    assert sorted(p.name for p in folder.iterdir()) == [f"step-{n:07d}" for n in (5, 6, 7, 8, 9)]
    assert train(tiny_classifier(), ds, c, collate_fn=collate).resumed_from.endswith("step-0000009")
    monkeypatch.setenv("COURSE_CHECKPOINT_MINUTES", "ten")
    with pytest.raises(ValueError, match="COURSE_CHECKPOINT_MINUTES must be a number of minutes"):
        cfg(tmp_path).save_seconds()


def test_on_drive_checkpoints_are_rewritten_in_place_and_nothing_is_deleted(tmp_path, monkeypatch):
    """A file deleted through the Drive mount goes to Drive's trash and still counts: the oldest of the two
    checkpoints is overwritten in place by the next, and at the end the final weights are written beside them
    and their files emptied (no optimizer state left), never deleted."""
    ds = toy_dataset(32)
    drive = tmp_path / "drive"
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(drive))
    deleted = []
    real_rmtree = shutil.rmtree
    monkeypatch.setattr(shutil, "rmtree", lambda p, *a, **k: (deleted.append(str(p)) if Path(p).exists() else None,
                                                               real_rmtree(p, *a, **k))[1])
    for name in ("remove", "unlink", "rmdir"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda p, *a, _real=real, **k: (deleted.append(str(p)), _real(p, *a, **k))[1])
    c = cfg(tmp_path / "r", max_steps=6, save_minutes=0, keep_final_minutes=0)
    stopped = train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=4)
    folder = Path(stopped.checkpoints)
    assert sorted(p.name for p in folder.iterdir()) == ["step-0000003", "step-0000004"]   # two, the newest
    assert sum(f.stat().st_size for f in (folder / "step-0000004").rglob("optimizer*")) > 0
    done = train(tiny_classifier(), ds, c, collate_fn=collate)
    assert done.resumed_from.endswith("step-0000004") and done.steps == 6
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".tmp")) == ["final"]
    assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and f.name != "model.pt"
               and f.parent.name != "final") == 0                                          # emptied in place
    assert (folder / "final" / "model.pt").stat().st_size > 0
    assert not [d for d in deleted if d.startswith(str(drive))], deleted
    again = train(tiny_classifier(seed=1), ds, c, collate_fn=collate)
    assert again.resumed_from == str(folder / "final") and same_weights(weights(done.model), weights(again.model))
    # run again with resume=False: trains again and writes the final over the old one
    fresh = train(tiny_classifier(seed=2), ds, dataclasses.replace(c, resume=False), collate_fn=collate)
    assert fresh.resumed_from is None and fresh.steps == 6
    assert same_weights(weights(train(tiny_classifier(), ds, c, collate_fn=collate).model), weights(fresh.model))
    assert not [d for d in deleted if d.startswith(str(drive))], deleted


def test_an_incomplete_newest_checkpoint_falls_back_to_the_one_before(tmp_path, capsys):
    """Drive uploads in the background: a session that dies mid-upload can leave files of the wrong size."""
    ds = toy_dataset(32)
    c = cfg(tmp_path, max_steps=6, save_every=1)
    root = Path(train(tiny_classifier(), ds, c, collate_fn=collate, stop_after=4).checkpoints)
    with open(root / "step-0000004" / "optimizer.bin", "ab") as f:
        f.write(b"more")
    res = train(tiny_classifier(), ds, c, collate_fn=collate)
    assert res.resumed_from.endswith("step-0000003") and "step-0000004 is incomplete" in capsys.readouterr().out


def test_on_drive_a_short_runs_final_weights_stay_on_the_local_disk(tmp_path, monkeypatch):
    ds = toy_dataset(32)
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path / "drive"))
    c = cfg(tmp_path / "r", max_steps=4)   # seconds of training: under the 3 minutes that earn a place on Drive
    done = train(tiny_classifier(), ds, c, collate_fn=collate)
    assert not Path(done.checkpoints).exists()   # nothing on Drive
    local = Path(c.output_dir) / "checkpoints" / Path(done.checkpoints).name / "final"
    assert (local / "model.pt").exists()
    assert train(tiny_classifier(seed=1), ds, c, collate_fn=collate).resumed_from == str(local)
    kept = cfg(tmp_path / "k", max_steps=4, keep_final_minutes=0)
    assert (Path(train(tiny_classifier(), ds, kept, collate_fn=collate).checkpoints) / "final" / "model.pt").exists()


def test_accumulation_matches_the_larger_batch(tmp_path):
    """batch 4 x 2 accumulation steps == batch 8: same examples per step, loss averaged the same way.
    Every example has the same length, so per-batch mean losses combine exactly."""
    ds = toy_dataset(32).map(lambda r: {"input_ids": (r["input_ids"] * 3)[:8], "attention_mask": [1] * 8})
    big = train(tiny_classifier(), ds, cfg(tmp_path / "a", batch_size=8, grad_accum=1), collate_fn=collate)
    acc = train(tiny_classifier(), ds, cfg(tmp_path / "b", batch_size=4, grad_accum=2), collate_fn=collate)
    assert same_weights(weights(big.model), weights(acc.model), atol=1e-5)


def test_equals_a_plain_pytorch_loop(tmp_path):
    """Trusted reference: full-batch training with AdamW, clipping and a linear schedule, written out by hand."""
    ds = toy_dataset(16)
    config = cfg(tmp_path, max_steps=5, batch_size=16, lr=1e-2, warmup_ratio=0.2, weight_decay=0.0,
                 max_grad_norm=0.5)
    ours = train(tiny_classifier(), ds, config, collate_fn=collate).model

    ref = tiny_classifier()
    opt = torch.optim.AdamW(ref.parameters(), lr=1e-2, weight_decay=0.0)
    sched = get_scheduler("linear", opt, num_warmup_steps=1, num_training_steps=5)
    batch = collate(list(ds))
    for _ in range(5):
        loss = ref(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        opt.step()
        sched.step()
        opt.zero_grad()
    assert same_weights(weights(ours), weights(ref), atol=1e-5)


def test_empty_dataset_is_reported(tmp_path):
    with pytest.raises(ValueError, match="train_dataset is empty"):
        train(tiny_classifier(), toy_dataset(4).select([]), cfg(tmp_path), collate_fn=collate)


def test_out_of_memory_halves_the_micro_batch_and_keeps_the_effective_batch(tmp_path, capsys):
    """A model that 'runs out of memory' on batches over 4 examples (as CUDA would raise it)."""
    model = tiny_classifier()
    forward = model.forward

    def limited(**batch):
        if batch["input_ids"].shape[0] > 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(**batch)

    model.forward = limited
    res = train(model, toy_dataset(32), cfg(tmp_path, max_steps=4, batch_size=16), collate_fn=collate)
    assert res.batch_size == 4 and res.steps == 4
    out = capsys.readouterr().out
    assert "batch_size=4, grad_accum=4" in out and "effective batch 16 unchanged" in out


def test_cap_steps_takes_the_smaller_cap():
    from shared.profiles import get_profile
    from shared.train import TrainConfig, cap_steps
    smoke, offline = get_profile("smoke"), get_profile("offline")
    assert cap_steps(TrainConfig(max_steps=100), smoke).max_steps == smoke.max_steps
    assert cap_steps(TrainConfig(max_steps=1), smoke).max_steps == 1
    assert cap_steps(TrainConfig(epochs=2), smoke).max_steps == smoke.max_steps
    assert cap_steps(TrainConfig(max_steps=100), offline).max_steps == 100
    assert cap_steps(TrainConfig(max_steps=100), None).max_steps == 100


def test_evaluating_restores_the_mode_even_after_an_error():
    from shared.train import evaluating
    model = torch.nn.Linear(2, 2)
    with evaluating(model):
        assert not model.training and not torch.is_grad_enabled()
    assert model.training and torch.is_grad_enabled()
    model.eval()
    with pytest.raises(RuntimeError):
        with evaluating(model):
            raise RuntimeError("boom")
    assert not model.training


def test_dropout_setting_reaches_every_dropout_and_its_run_is_its_own(tmp_path):
    """TrainConfig(dropout=p) sets every dropout of the model (attention's rate included) and makes another
    run: one with dropout 0 equals the same model built without dropout; one with its own rates does not."""
    ds = toy_dataset(32)
    off = train(tiny_classifier(dropout=0.3), ds, cfg(tmp_path / "off", dropout=0.0), collate_fn=collate)
    assert all(m.p == 0.0 for m in off.model.modules() if isinstance(m, torch.nn.Dropout))
    plain = train(tiny_classifier(dropout=0.0), ds, cfg(tmp_path / "plain"), collate_fn=collate)
    assert same_weights(weights(off.model), weights(plain.model))
    kept = train(tiny_classifier(dropout=0.3), ds, cfg(tmp_path / "kept"), collate_fn=collate)
    assert not same_weights(weights(kept.model), weights(plain.model))
    assert cfg(tmp_path, dropout=0.0).fingerprint() != cfg(tmp_path).fingerprint()
    with pytest.raises(ValueError, match="dropout"):
        train(tiny_classifier(), ds, cfg(tmp_path / "bad", dropout=1.5), collate_fn=collate)
