"""Model loading in the smoke and offline profiles, through the ordinary Auto classes."""
from pathlib import Path

import pytest
import torch
from transformers import (AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForQuestionAnswering,
                          AutoModelForSeq2SeqLM, AutoModelForSequenceClassification)

from shared.models import load_model, load_tokenizer, resolve
from shared.profiles import get_profile


@pytest.mark.parametrize("role,auto", [("encoder", AutoModelForQuestionAnswering),
                                       ("mlm", AutoModelForMaskedLM),
                                       ("causal_lm", AutoModelForCausalLM),
                                       ("seq2seq", AutoModelForSeq2SeqLM)])
def test_smoke_models_are_tiny_and_run(role, auto):
    spec = get_profile("smoke").model(role)
    tok = load_tokenizer(spec)
    model = load_model(auto, spec)
    assert sum(p.numel() for p in model.parameters()) < 500_000
    batch = tok(["the town lies on the river ."], return_tensors="pt")
    if role == "seq2seq":
        batch["labels"] = batch["input_ids"]
    with torch.no_grad():
        out = model(**batch)
    logits = out.start_logits if role == "encoder" else out.logits
    assert torch.isfinite(logits).all()


def test_smoke_bert_tokenizer_pairs_and_offsets():
    tok = load_tokenizer("smoke:bert")
    enc = tok("who founded it?", "the town was founded in 1843 .", return_offsets_mapping=True)
    assert enc["input_ids"][0] == tok.cls_token_id and enc.sequence_ids()[-2] == 1
    assert tok.mask_token is not None and tok.pad_token is not None


def test_smoke_build_is_cached_and_deterministic():
    folder = Path(resolve("smoke:bert"))
    built = (folder / "model.safetensors").stat().st_mtime_ns
    assert Path(resolve("smoke:bert")) == folder and (folder / "model.safetensors").stat().st_mtime_ns == built
    a = load_model(AutoModelForMaskedLM, "smoke:bert").state_dict()
    b = load_model(AutoModelForMaskedLM, "smoke:bert").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_offline_minilm_is_the_real_pretrained_encoder():
    spec = get_profile("offline").model("encoder")
    tok = load_tokenizer(spec)
    model = load_model(AutoModelForSequenceClassification, spec, num_labels=2)
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6
    assert 22_000_000 < sum(p.numel() for p in model.bert.parameters()) < 23_000_000
    # pretrained, not random: related sentences are closer than unrelated ones
    def embed(text):
        with torch.no_grad():
            h = model.bert(**tok(text, return_tensors="pt")).last_hidden_state
        return h.mean(1)[0]
    cos = torch.nn.functional.cosine_similarity
    a, b, c = embed("The film was wonderful."), embed("The movie was great."), embed("Copper prices fell in May.")
    assert cos(a, b, dim=0) > cos(a, c, dim=0)


def test_offline_smollm2_loads_from_gguf_and_generates():
    spec = get_profile("offline").model("causal_lm")
    tok = load_tokenizer(spec)
    model = load_model(AutoModelForCausalLM, spec)
    assert 130_000_000 < sum(p.numel() for p in model.parameters()) < 140_000_000
    enc = tok("The capital of France is", return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=3, do_sample=False, pad_token_id=tok.eos_token_id)
    assert "Paris" in tok.decode(out[0])
