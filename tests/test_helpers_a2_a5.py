"""The shared helpers behind a2-a5 (shared.mlm, shared.lm, shared.prompting, shared.multitask)."""
import math

import pytest
import torch
from datasets import Dataset

from shared.data import NER_TAGS, load_local
from shared.models import load_model, load_tokenizer


def _mask_all_but_special(ids, special, tok, p, g):
    labels = ids.clone()
    chosen = torch.bernoulli(torch.full(ids.shape, p), generator=g).bool() & ~special.bool() & (ids != tok.pad_token_id)
    labels[~chosen] = -100
    inputs = ids.clone()
    inputs[chosen] = tok.mask_token_id
    return inputs, labels


# ---------------------------------------------------------------- shared.mlm

def test_mlm_blocks_have_special_tokens_and_fixed_length():
    from shared.mlm import mlm_blocks
    tok = load_tokenizer("smoke:bert")
    blocks = mlm_blocks(load_local("corpus")["validation"], tok, block_size=32, max_blocks=5)
    assert len(blocks) == 5
    for b in blocks:
        assert len(b["input_ids"]) == 32 and b["input_ids"][0] == tok.cls_token_id and b["input_ids"][-1] == tok.sep_token_id
        assert b["special_tokens_mask"] == [1] + [0] * 30 + [1]


def test_masked_only_head_gives_the_models_own_loss():
    from transformers import AutoModelForMaskedLM
    from shared.mlm import MaskedOnlyMLM, MaskingCollator, mlm_blocks
    tok = load_tokenizer("smoke:bert")
    model = load_model(AutoModelForMaskedLM, "smoke:bert").eval()
    blocks = mlm_blocks(load_local("corpus")["validation"], tok, block_size=32, max_blocks=4)
    batch = MaskingCollator(tok, _mask_all_but_special, 0.3, seed=0)([blocks[i] for i in range(4)])
    with torch.no_grad():
        assert torch.allclose(MaskedOnlyMLM(model)(**batch).loss, model(**batch).loss, atol=1e-5)
        seen = []   # a student's loss gets the masked positions as one sequence: (1, n, vocab), (1, n)
        twice = lambda logits, labels: seen.append((logits.shape, labels.shape)) or 2 * torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100)
        assert torch.allclose(MaskedOnlyMLM(model, twice)(**batch).loss, 2 * model(**batch).loss, atol=1e-5)
        n = int((batch["labels"] != -100).sum())
        assert seen == [(torch.Size([1, n, model.config.vocab_size]), torch.Size([1, n]))]


def test_mlm_perplexity_uses_the_same_masks_every_call():
    from transformers import AutoModelForMaskedLM
    from shared.mlm import mlm_blocks, mlm_perplexity
    tok = load_tokenizer("smoke:bert")
    model = load_model(AutoModelForMaskedLM, "smoke:bert")
    blocks = mlm_blocks(load_local("corpus")["validation"], tok, block_size=32, max_blocks=4)
    a = mlm_perplexity(model, blocks, tok, mask_fn=_mask_all_but_special, seed=1)
    b = mlm_perplexity(model, blocks, tok, mask_fn=_mask_all_but_special, seed=1)
    assert a == b and a["masked_tokens"] > 0 and a["perplexity"] == pytest.approx(math.exp(a["nll"]))


def test_pooled_classifier_trains_through_shared_train(tmp_path):
    from transformers import AutoModel
    from shared.mlm import PooledClassifier
    from shared.train import TrainConfig, train
    enc = load_model(AutoModel, "smoke:bert")
    model = PooledClassifier(enc, 2, lambda h, m, method: h[:, 0], "cls")
    tok = load_tokenizer("smoke:bert")
    ds = Dataset.from_dict({**tok(["good film", "bad film"] * 4), "labels": [1, 0] * 4})
    from transformers import DataCollatorWithPadding
    res = train(model, ds, TrainConfig(max_steps=2, batch_size=4, progress=False, resume=False, output_dir=str(tmp_path)),
                collate_fn=DataCollatorWithPadding(tok))
    assert res.steps == 2 and res.history["train"]


# ---------------------------------------------------------------- shared.lm

def test_build_gpt_ties_embeddings_and_sizes_grow():
    from shared.lm import build_gpt
    tok = load_tokenizer("smoke:gpt2")
    counts = []
    for size in ("tiny", "small", "medium"):
        m = build_gpt(size, tok)
        assert m.lm_head.weight is m.transformer.wte.weight
        counts.append(sum(p.numel() for p in m.parameters()))
    assert counts == sorted(counts) and counts[0] < counts[-1]
    with pytest.raises(KeyError, match="Unknown size"):
        build_gpt("huge", tok)


def test_train_for_flops_gives_smaller_models_more_steps(tmp_path):
    from shared.lm import build_gpt, train_for_flops
    tok = load_tokenizer("smoke:gpt2")
    split = load_local("corpus")["validation"]
    budget, steps = 1e10, {}
    for size in ("tiny", "small"):
        model = build_gpt(size, tok)
        n = sum(p.numel() for p in model.parameters())
        run, steps[size] = train_for_flops(model, split, tok, flops=budget, n_params=n, batch_size=4,
                                           block_size=32, progress=False, output_dir=str(tmp_path / size))
        assert steps[size] == max(1, int(budget / (6 * n * 4 * 32))) == run.steps
    assert steps["tiny"] > steps["small"]
    _, capped = train_for_flops(build_gpt("tiny", tok), split, tok, flops=budget, n_params=10 ** 5, batch_size=4,
                                block_size=32, max_steps=2, progress=False, output_dir=str(tmp_path / "capped"))
    assert capped == 2


def test_pareto_front_and_bits_per_character():
    from shared.lm import bits_per_character, pareto_front
    costs, quality = [1, 2, 3, 4], [0.5, 0.4, 0.9, 0.8]
    assert pareto_front(costs, quality) == [0, 2]
    assert pareto_front(costs, [3.0, 2.0, 2.5, 1.0], higher_is_better=False) == [0, 1, 3]
    assert bits_per_character(2.0, 100, 400) == pytest.approx(0.25)


def test_every_model_scores_the_same_text_for_bits_per_character():
    """a3 once cut each model's evaluation text at a number of its own tokens, so models with different
    tokenizers scored different texts and their bits per character did not compare."""
    from shared.lm import corpus_text
    split = load_local("corpus")["validation"]
    text = corpus_text(split, max_chars=1000)
    assert len(text) == 1000 and text == "\n\n".join(split["text"])[:1000]
    small, large = load_tokenizer("smoke:gpt2"), load_tokenizer("smoke:bert")
    n_small, n_large = (len(t(text, add_special_tokens=False)["input_ids"]) for t in (small, large))
    assert n_small != n_large  # the tokenizers differ, so a token budget would have cut different texts
    assert corpus_text(split) == "\n\n".join(split["text"])


def test_zero_shot_sentiment_is_an_accuracy():
    from transformers import AutoModelForCausalLM
    from shared.lm import zero_shot_sentiment
    tok = load_tokenizer("smoke:gpt2")
    model = load_model(AutoModelForCausalLM, "smoke:gpt2")
    dev = load_local("sentiment")["validation"].select(range(12))
    acc = zero_shot_sentiment(model, tok, dev, batch_size=5)   # left-padded batches
    assert 0.0 <= acc <= 1.0 and acc * 12 == pytest.approx(round(acc * 12))
    import torch
    words = [tok(w, add_special_tokens=False)["input_ids"][0] for w in (" negative", " positive")]
    with torch.no_grad():   # one prompt at a time, no padding: the first-token vote by hand
        votes = [int(model(torch.tensor([tok(f"Review: {t}\nSentiment:")["input_ids"]])).logits[0, -1, words].argmax())
                 for t in dev["sentence"]]
    assert acc == pytest.approx(sum(v == y for v, y in zip(votes, dev["label"])) / 12)


# ---------------------------------------------------------------- shared.prompting

def test_sample_examples_is_seeded_and_uses_label_words():
    from shared.prompting import sample_examples
    train = load_local("sentiment")["train"]
    a = sample_examples(train, 4, 0, [" negative", " positive"])
    assert a == sample_examples(train, 4, 0, [" negative", " positive"]) != sample_examples(train, 4, 1, [" negative", " positive"])
    assert all(label in {"negative", "positive"} for _, label in a) and sample_examples(train, 0, 0, ["a", "b"]) == []
    # balanced over the labels, whatever the seed; the odd example's label varies with the seed; orders vary
    for k in (2, 4, 8):
        for seed in range(6):
            got = [label for _, label in sample_examples(train, k, seed, [" negative", " positive"])]
            assert got.count("positive") == got.count("negative") == k // 2, (k, seed, got)
    odd = {tuple(label for _, label in sample_examples(train, 1, s, [" negative", " positive"])) for s in range(8)}
    assert odd == {("negative",), ("positive",)}
    orders = {tuple(label for _, label in sample_examples(train, 4, s, [" negative", " positive"])) for s in range(8)}
    assert len(orders) > 1, "the labels' order never varies"
    sentences = {sentence for sentence, _ in (x for s in range(4) for x in sample_examples(train, 4, s, ["n", "p"]))}
    assert len(sentences) > 4
    by_sentence = dict(zip(train["sentence"], train["label"]))
    assert all(["n", "p"][by_sentence[t]] == label for t, label in sample_examples(train, 8, 3, ["n", "p"]))


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_shared_prefix_gives_the_models_logits_and_reuses_the_shared_part(kind):
    """icl_sweep scores through SharedPrefix: the examples' keys and values once, each sentence's own tokens on top.
    Its logits must be the model's at every real position (right padding), for absolute positions (GPT-2, the full
    profile) and rotary ones (a Llama, as SmolLM2 offline), across batches that share the examples (the shared part
    run once: counted), a batch with other examples (run again), and calls it does not handle (left padding, the
    student's own attention, training mode)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM
    from shared.models import load_model, load_tokenizer
    from shared.prompting import SharedPrefix, own_attention
    tok = load_tokenizer("smoke:gpt2")
    tok.pad_token = tok.eos_token
    torch.manual_seed(0)
    lm = (load_model(AutoModelForCausalLM, "smoke:gpt2") if kind == "gpt2" else
          LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256))).eval()
    calls = []
    lm.register_forward_pre_hook(lambda module, args, kwargs: calls.append(kwargs["input_ids"].shape), with_kwargs=True)
    sp = SharedPrefix(lm)
    shots = ["Input: 'a fine film' Sentiment: positive\n\nInput: 'dull and long' Sentiment: negative\n\nInput: '",
             "Input: 'the worst' Sentiment: negative\n\nInput: '"]
    queries = ["good", "a very bad movie indeed", "meh", "the best film of the year , truly"]
    for prefix, batch, shared_runs in [(shots[0], queries[:3], 1), (shots[0], queries[1:], 0), (shots[1], queries, 1)]:
        enc = tok([prefix + q + "' Sentiment:" for q in batch], return_tensors="pt", padding=True)
        with torch.no_grad():
            want = lm(**enc).logits
            calls.clear()
            got = sp(**enc).logits
        real = enc["attention_mask"].bool()
        assert got.shape == want.shape and torch.allclose(got[real], want[real], atol=1e-4)
        assert sum(shape[0] == 1 for shape in calls) == shared_runs, calls   # the shared part: one row, once per draw
        assert calls[-1][0] == len(batch) and calls[-1][1] < enc["input_ids"].size(1) - 8, calls   # rows: own tokens
    tok.padding_side = "left"
    enc = tok([shots[0] + q for q in queries], return_tensors="pt", padding=True)
    with torch.no_grad():
        assert torch.equal(sp(**enc).logits, lm(**enc).logits), "left padding must go to the model unchanged"
    tok.padding_side = "right"
    enc = tok([shots[0] + q for q in queries], return_tensors="pt", padding=True)
    def attention(x, w_q, w_k, w_v):   # a causal attention with no cache, as a student writes it
        return torch.nn.functional.scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, is_causal=True), None
    with torch.no_grad(), own_attention(lm, attention):
        calls.clear()
        sp(**enc)
        assert calls == [enc["input_ids"].shape], "the student's attention knows no cache: the whole rows go to the model"
    assert sp.get_input_embeddings() is lm.get_input_embeddings() and sp.dtype == lm.dtype
    assert sp.config is lm.config and sp.device == lm.device


# ---------------------------------------------------------------- shared.multitask

def test_ner_spans_reads_iob2():
    from shared.multitask import ner_spans
    tokens = ["Olga", "Pendrake", "met", "Anton", "in", "Tarsk", "Harbour", "."]
    tags = [1, 2, 0, 1, 0, 5, 6, 0]
    assert ner_spans(tokens, tags, NER_TAGS) == [("Olga Pendrake", "PER"), ("Anton", "PER"), ("Tarsk Harbour", "LOC")]
    assert ner_spans(["x", "y"], [2, 4], NER_TAGS) == [("x", "PER"), ("y", "ORG")]   # I- without B- starts an entity


def test_score_per_task():
    from shared.multitask import score
    assert score("sentiment", ["Positive.", "negative"], ["positive", "positive"]) == 0.5
    assert score("qa", ["the Mira Castell", "x"], ["Mira Castell", "y"]) == 0.5
    assert score("ner", ["PER: Anton; LOC: Tarsk", "none"], ["PER: Anton", "ORG: Plyx"]) == pytest.approx(2 / (2 + 1 + 1))
    assert score("person", ["Anton Fapi"], ["anton fapi"]) == 1.0
    with pytest.raises(KeyError):
        score("translation", ["a"], ["a"])


def test_item_scores_pool_to_the_task_score():
    from shared.multitask import item_scores, pooled, score
    cases = {"sentiment": (["Positive.", "negative", ""], ["positive", "positive", "negative"]),
             "qa": (["the Mira Castell", "x", "Castell"], ["Mira Castell", "y", "Mira Castell"]),
             "ner": (["PER: Anton; LOC: Tarsk", "none", "ORG: Plyx; ORG: Vel"], ["PER: Anton", "ORG: Plyx", "ORG: Plyx"]),
             "person": (["Anton Fapi", "Fapi"], ["anton fapi", "Anton Fapi"])}
    for task, (preds, refs) in cases.items():
        items = item_scores(task, preds, refs)
        assert len(items) == len(refs)
        assert pooled(task, items) == pytest.approx(score(task, preds, refs)), task
    assert item_scores("ner", ["PER: Anton; LOC: Tarsk", "none"], ["PER: Anton", "ORG: Plyx"]) == [(1, 2, 1), (0, 0, 1)]
    assert item_scores("sentiment", ["positive", "Negative!"], ["positive", "positive"]) == [1.0, 0.0]
    assert pooled("qa", []) == 0.0
    with pytest.raises(ValueError):
        item_scores("qa", ["a"], [])
    with pytest.raises(KeyError):
        item_scores("translation", ["a"], ["a"])


def test_short_passages_keep_the_answer_in_a_window_of_sentences():
    import re
    from shared.multitask import short_passages
    qa = load_local("qa")["validation"].select(range(60))
    count = lambda text: len(re.split(r"(?<=\.)\s+(?=[A-Z0-9])", text))   # noqa: E731
    for n in (1, 3, 5):
        short = short_passages(qa, n, seed=0)
        assert len(short) == len(qa)
        for row, old in zip(short, qa):
            text, start = row["answers"]["text"][0], row["answers"]["answer_start"][0]
            assert row["context"][start:start + len(text)] == text          # the answer, where answer_start says
            assert row["context"] in old["context"] and count(row["context"]) <= max(n, count(text) + 1)
            assert row["question"] == old["question"]
        if n == 3:
            three = short
    assert sum(len(r["context"]) for r in three) < sum(len(r["context"]) for r in short_passages(qa, 5, seed=0))
    other = short_passages(qa, 3, seed=1)
    assert any(a["context"] != b["context"] for a, b in zip(three, other))   # the seed moves the window
    assert [r["context"] for r in short_passages(qa, 3, seed=0)] == [r["context"] for r in three]


def test_mixture_dataset_keeps_the_sampler_order():
    from shared.multitask import mixture_dataset
    feats = {"a": Dataset.from_dict({"input_ids": [[1], [2], [3]]}), "b": Dataset.from_dict({"input_ids": [[10], [20]]})}
    batches = [[("a", 2), ("b", 0)], [("b", 1), ("a", 0)]]
    ds = mixture_dataset(feats, batches)
    assert ds["input_ids"] == [[3], [10], [20], [1]] and ds["task"] == ["a", "b", "b", "a"]
    with pytest.raises(ValueError):
        mixture_dataset(feats, [])


def test_generate_answers_restores_padding_side():
    from transformers import AutoModelForCausalLM
    from shared.multitask import generate_answers
    tok = load_tokenizer("smoke:gpt2")
    tok.pad_token = tok.eos_token
    model = load_model(AutoModelForCausalLM, "smoke:gpt2")
    out = generate_answers(model, tok, ["one", "a longer prompt"], max_new_tokens=3)
    assert len(out) == 2 and tok.padding_side == "right"


def test_own_attention_runs_a_students_function_in_every_layer():
    from transformers import AutoModelForCausalLM
    from shared.prompting import own_attention

    def causal(x, W_q, W_k, W_v):
        q, k, v = x @ W_q, x @ W_k, x @ W_v
        scores = q @ k.transpose(-2, -1) / math.sqrt(k.size(-1))
        future = torch.triu(torch.ones(x.size(-2), x.size(-2), dtype=torch.bool), diagonal=1)
        weights = scores.masked_fill(future, float("-inf")).softmax(-1)
        return weights @ v, weights

    def not_causal(x, W_q, W_k, W_v):
        q, k, v = x @ W_q, x @ W_k, x @ W_v
        weights = (q @ k.transpose(-2, -1) / math.sqrt(k.size(-1))).softmax(-1)
        return weights @ v, weights

    tok = load_tokenizer("smoke:gpt2")
    model = load_model(AutoModelForCausalLM, "smoke:gpt2").eval()
    ids = torch.tensor([tok("the river was named after a town")["input_ids"]])
    with torch.no_grad():
        library = model(input_ids=ids).logits
        with own_attention(model, causal):
            ours = model(input_ids=ids).logits
        with own_attention(model, not_causal):
            leaky = model(input_ids=ids).logits
        after = model(input_ids=ids).logits
    assert torch.allclose(ours, library, atol=1e-4) and torch.equal(after, library)   # restored afterwards
    assert not torch.allclose(leaky[0, :-1], library[0, :-1], atol=1e-3)               # the future leaks in


def test_count_baselines_and_text_chunks():
    """a3's floor: an interpolated bigram beats add-one unigram counts on text like its training text, and
    the chunks of a text are the text, cut at line breaks, every chunk scorable."""
    from shared.lm import ngram_bits_per_character, text_chunks
    from shared.models import load_tokenizer
    tok = load_tokenizer("smoke:gpt2")
    train = "\n\n".join(["the town was founded in 1446 by a miller ."] * 50 + ["the river runs east of the town ."] * 50)
    held = "the town was founded in 1501 by a weaver .\n\nthe river runs west of the mill ."
    r = ngram_bits_per_character(train, held, tok, tune_text=held)
    assert r["bigram"] < r["unigram"] and 0 < r["lambda"] < 1
    assert ngram_bits_per_character(train, held, tok)["lambda"] == 0.8    # untuned: the default weight
    text = "\n\n".join(f"line {i} " * (i % 7 + 1) for i in range(200))
    chunks = text_chunks(text, 16)
    assert "".join(chunks) == text and len(chunks) == 16
    assert all(len(tok(c)["input_ids"]) > 1 for c in chunks)            # no chunk of breaks only
    assert text_chunks("one line only", 5) == ["one line only"]


def test_per_item_scores_match_the_totals():
    """The items of paired comparisons add up to the reported scores: per-sentence correctness to accuracy,
    per-sentence entity counts to seqeval's F1, per-block NLL to the masked-token perplexity."""
    import math
    from shared.metrics import ner_counts, ner_f1
    from shared.tracking import f1_from_counts
    y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O"], ["O", "O"]]
    y_pred = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "B-LOC"], ["B-PER", "O"]]
    counts = ner_counts(y_true, y_pred)
    assert counts == [(1, 1, 2), (1, 2, 1), (0, 1, 0)]
    assert f1_from_counts(counts) == pytest.approx(ner_f1(y_true, y_pred)["f1"])
    from shared.mlm import mlm_blocks, mlm_perplexity, unigram_nll
    from shared.models import load_model, load_tokenizer
    from transformers import AutoModelForMaskedLM
    tok = load_tokenizer("smoke:bert")
    model = load_model(AutoModelForMaskedLM, "smoke:bert")
    blocks = mlm_blocks({"text": ["the town was founded in 1446 by a miller ."] * 40}, tok, block_size=16)
    def every_word(ids, special, tok_, p, g):   # every non-special token masked: each block's count is known
        chosen = ~special.bool() & (ids != tok_.pad_token_id)
        return ids.masked_fill(chosen, tok_.mask_token_id), ids.masked_fill(~chosen, -100)
    r = mlm_perplexity(model, blocks, tok, mask_fn=every_word, seed=1)
    assert len(r["block_nll"]) == len(blocks) and len(r["masked_ids"]) == r["masked_tokens"]
    per_block = [sum(1 for x in b["special_tokens_mask"] if x == 0) for b in blocks]   # every non-special token masked
    assert math.exp(sum(n * c for n, c in zip(r["block_nll"], per_block)) / sum(per_block)) == pytest.approx(r["perplexity"])
    floor = unigram_nll(blocks, r["masked_ids"], len(tok))
    assert 0 < floor < math.log(len(tok))                 # counts beat a uniform guess over the vocabulary
