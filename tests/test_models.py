"""Model loading in the smoke and offline profiles, through the ordinary Auto classes."""
from pathlib import Path

import pytest
import torch
from transformers import (AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForQuestionAnswering,
                          AutoModelForSeq2SeqLM, AutoModelForSequenceClassification)

from shared.models import load_model, load_tokenizer, resolve, set_dropout
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


@pytest.mark.parametrize("role,auto", [("encoder", AutoModelForQuestionAnswering), ("causal_lm", AutoModelForCausalLM),
                                       ("seq2seq", AutoModelForSeq2SeqLM)])
def test_set_dropout_reaches_modules_and_float_rates(role, auto):
    """Every nn.Dropout and every attention rate kept as a float (T5's attention) is set; outputs then match
    eval mode in train mode, which they do only when no dropout is left anywhere."""
    rates = {"encoder": dict(hidden_dropout_prob=0.3, attention_probs_dropout_prob=0.3),
             "causal_lm": dict(resid_pdrop=0.3, attn_pdrop=0.3, embd_pdrop=0.3), "seq2seq": dict(dropout_rate=0.3)}
    model = load_model(auto, get_profile("smoke").model(role), **rates[role])
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    kw = {"decoder_input_ids": ids} if role == "seq2seq" else {}
    logits = lambda out: out.start_logits if role == "encoder" else out.logits   # noqa: E731

    def train_equals_eval():
        torch.manual_seed(0)
        with torch.no_grad():
            model.train()
            a = logits(model(input_ids=ids, **kw))
            model.eval()
            return torch.allclose(a, logits(model(input_ids=ids, **kw)))

    assert not train_equals_eval()   # the rates above are on: the check below can fail
    set_dropout(model, 0.0)
    assert all(m.p == 0.0 for m in model.modules() if isinstance(m, torch.nn.Dropout))
    floats = [getattr(m, n) for m in model.modules() for n in ("dropout", "attention_dropout")
              if isinstance(getattr(m, n, None), float)]
    assert all(v == 0.0 for v in floats)
    assert train_equals_eval()
    with pytest.raises(ValueError, match="dropout"):
        set_dropout(model, 1.0)


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
