"""The device rule (shared.device) without a GPU: what it decides on a T4, an Ampere GPU and a CPU; that placing
gives fp32 weights on the decided device; that the course's helpers compute under the device's autocast with fp32
outputs while a notebook's own calls stay fp32; that loading, training and the evaluation helpers place their model. That no model a notebook uses is left on
the CPU is checked notebook by notebook in tests/test_rehearsal.py (`pytest -k device` selects both)."""
import contextlib

import pytest
import torch

import shared.device as dev
from shared.models import load_model


def _gpu(monkeypatch, capability):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)


@pytest.mark.parametrize("capability, precision, dtype", [((7, 5), "fp16", torch.float16),    # T4: no bf16 units
                                                           ((8, 0), "bf16", torch.bfloat16)])  # A100 and newer
def test_device_rule_on_a_gpu(monkeypatch, capability, precision, dtype):
    _gpu(monkeypatch, capability)
    assert dev.device() == torch.device("cuda", 0)
    assert dev.precision() == precision
    assert dev.autocast_dtype() == dtype
    monkeypatch.setenv("LOCAL_RANK", "1")   # the second process of `accelerate launch`: its own GPU
    assert dev.device() == torch.device("cuda", 1)


def test_device_rule_on_a_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.device() == torch.device("cpu") and dev.precision() == "no" and dev.autocast_dtype() is None


class _Recording(torch.nn.Linear):
    """A module whose .to() records its arguments instead of moving (there is no GPU here)."""
    def to(self, *args, **kwargs):
        self.moves = getattr(self, "moves", []) + [(args, kwargs)]
        return self


def test_device_place_puts_fp32_weights_on_the_gpu(monkeypatch):
    _gpu(monkeypatch, (7, 5))
    m = _Recording(2, 2)
    assert dev.place(m) is m
    assert m.moves == [((), {"device": torch.device("cuda", 0), "dtype": torch.float32})]
    assert getattr(m, dev._HOOKED)   # the forward runs under autocast, inputs follow
    dev.place(m)
    assert len(m._forward_pre_hooks) == 1   # placing again adds no second hook


def _tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=1, n_head=2))


def _inner_dtypes(model):
    seen = []
    model.transformer.h[0].mlp.c_fc.register_forward_hook(lambda m, a, out: seen.append(out.dtype))
    return seen


def test_device_helpers_compute_under_autocast_and_a_notebooks_own_calls_in_fp32(monkeypatch):
    """On a GPU the course's helpers (evaluating) run under the device's autocast and get fp32 outputs; a
    notebook's own call runs in fp32, so a student's tight-tolerance check holds. Tried on the CPU with bf16
    autocast (CPU autocast exists; a T4 would use fp16) and the GPU's hooks forced on."""
    import shared.train as train_mod
    model = dev.place(_tiny_gpt2(), dev=torch.device("cpu"), hooks=True)
    inner = _inner_dtypes(model)
    ids = torch.tensor([[1, 2, 3]])
    assert model(input_ids=ids).logits.dtype == torch.float32 and inner == [torch.float32]   # the notebook's own call
    monkeypatch.setattr(train_mod, "autocast", lambda: torch.autocast("cpu", dtype=torch.bfloat16))
    with train_mod.evaluating(model):
        out = model(input_ids=ids)
    assert inner[-1] == torch.bfloat16                       # the matrix products in half precision
    assert out.logits.dtype == torch.float32                 # what the helper sees: fp32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not torch.is_autocast_enabled("cpu")              # the region ended with the block
    plain = _tiny_gpt2()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert plain(input_ids=ids).logits.dtype == torch.bfloat16   # without the hooks: half-precision outputs


def test_device_autocast_follows_the_device(monkeypatch):
    assert isinstance(dev.autocast(torch.device("cpu")), contextlib.nullcontext)
    _gpu(monkeypatch, (7, 5))
    monkeypatch.setattr(torch, "autocast", lambda device_type, dtype: ("autocast", device_type, dtype))
    assert dev.autocast() == ("autocast", "cuda", torch.float16)


def test_device_hooks_survive_a_forward_that_fails():
    model = dev.place(_tiny_gpt2(), dev=torch.device("cpu"), hooks=True)
    with pytest.raises(Exception):
        model(input_ids=torch.tensor([[1, 2, 99]]))          # an id outside the vocabulary
    assert model(input_ids=torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 50)


def test_device_load_model_gives_fp32_weights_from_a_bf16_checkpoint(tmp_path):
    """SmolLM2 is stored in bf16, and transformers 5 keeps a checkpoint's dtype when none is given."""
    from transformers import AutoModelForCausalLM
    _tiny_gpt2().to(torch.bfloat16).save_pretrained(tmp_path)
    model = load_model(AutoModelForCausalLM, str(tmp_path))
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_device_loading_training_and_evaluation_place_the_model(monkeypatch, tmp_path):
    import shared.train as train_mod
    from transformers import AutoModelForCausalLM
    placed = []
    real = dev.place
    spy = lambda m, *a, **k: placed.append(type(m).__name__) or real(m, *a, **k)   # noqa: E731
    monkeypatch.setattr(dev, "place", spy)
    monkeypatch.setattr(train_mod, "place", spy)
    _tiny_gpt2().save_pretrained(tmp_path / "m")
    model = load_model(AutoModelForCausalLM, str(tmp_path / "m"))
    assert placed == ["GPT2LMHeadModel"]
    with train_mod.evaluating(model) as where:
        assert where == dev.device()
    assert len(placed) == 2
    data = [{"input_ids": torch.tensor([1, 2, 3]), "labels": torch.tensor([1, 2, 3])}] * 2
    train_mod.train(model, data, train_mod.TrainConfig(output_dir=str(tmp_path / "run"), max_steps=1, batch_size=2,
                                                       progress=False, save_every=0),
                    collate_fn=lambda rows: {k: torch.stack([r[k] for r in rows]) for k in rows[0]})
    assert len(placed) == 3
