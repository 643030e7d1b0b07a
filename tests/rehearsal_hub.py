"""Stand-ins for everything the full profile fetches from the Hugging Face hub, for the rehearsal
(tests/test_rehearsal.py): a pre-filled hub cache that `from_pretrained` and `load_dataset` read with
HF_HUB_OFFLINE=1, through the course's own loading code (shared.models.load_model, shared.data.load_hub).

Models: for each model id of the full profile, a tiny random model of the real checkpoint's class, with a
tokenizer of the real one's kind (uncased WordPiece for (Distil)BERT, byte-level BPE for GPT-2, byte-level BPE
with ChatML specials and SmolLM2's chat template, Metaspace with </s> appended for T5), trained on data/. The
SmolLM2 stand-in is stored in bf16, as SmolLM2 is, so the device rule's dtype decision is exercised.

Data sets: for each hub data set, its real configuration name, its splits and its columns with their types and
class names, written below from the hub's dataset cards (not copied from shared.data, so that a mismatch between
the code and the hub shows), filled with rows of the course's own data (data/) and written where `load_dataset`
looks for an already prepared copy. What this cannot check: that a revision (CoNLL-2003's refs/convert/parquet)
exists on the hub, which offline loading does not look at; `python -m shared.check_hub` checks that online.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

VERSION = "v3"   # bump when anything below changes, so cached stand-ins are rebuilt

SMOLLM2_CHAT_TEMPLATE = (   # SmolLM2-135M-Instruct's tokenizer_config.json (ChatML with its default system line)
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

# model id -> (the checkpoint's class, its tokenizer's kind, tokenizer_class in its tokenizer_config.json)
MODELS = {
    "distilbert/distilbert-base-uncased": ("DistilBertForMaskedLM", "bert", "DistilBertTokenizer"),
    "google-bert/bert-base-uncased": ("BertForMaskedLM", "bert", "BertTokenizer"),
    "openai-community/gpt2": ("GPT2LMHeadModel", "gpt2", "GPT2Tokenizer"),
    "openai-community/gpt2-medium": ("GPT2LMHeadModel", "gpt2", "GPT2Tokenizer"),
    "openai-community/gpt2-large": ("GPT2LMHeadModel", "gpt2", "GPT2Tokenizer"),
    "HuggingFaceTB/SmolLM2-135M-Instruct": ("LlamaForCausalLM", "smollm2", "GPT2Tokenizer"),
    "google-t5/t5-small": ("T5ForConditionalGeneration", "t5", "T5Tokenizer"),
}


def _data_sets():
    """hub id -> (config name, {split: the course's split whose rows fill it}, features): the hub's schema."""
    from datasets import ClassLabel, Features, Sequence, Value
    from shared.data import CHUNK_TAGS, NER_TAGS, POS_TAGS   # the tag names (their order is checked in test_data)
    return {
        "rajpurkar/squad": ("plain_text", {"train": ("qa", "train"), "validation": ("qa", "validation")}, Features({
            "id": Value("string"), "title": Value("string"), "context": Value("string"), "question": Value("string"),
            "answers": Sequence({"text": Value("string"), "answer_start": Value("int32")})})),
        "nyu-mll/glue": ("sst2", {"train": ("sentiment", "train"), "validation": ("sentiment", "validation"),
                                  "test": ("sentiment", "validation")}, Features({
            "sentence": Value("string"), "label": ClassLabel(names=["negative", "positive"]),
            "idx": Value("int32")})),
        "eriktks/conll2003": ("conll2003", {"train": ("ner", "train"), "validation": ("ner", "validation"),
                                            "test": ("ner", "validation")}, Features({
            "id": Value("string"), "tokens": Sequence(Value("string")),
            "pos_tags": Sequence(ClassLabel(names=POS_TAGS)), "chunk_tags": Sequence(ClassLabel(names=CHUNK_TAGS)),
            "ner_tags": Sequence(ClassLabel(names=NER_TAGS))})),
        "Salesforce/wikitext": ("wikitext-2-raw-v1", {"test": ("corpus", "test"), "train": ("corpus", "train"),
                                                      "validation": ("corpus", "validation")},
                                Features({"text": Value("string")})),
        "stanfordnlp/imdb": ("plain_text", {"train": ("reviews", "train"), "test": ("reviews", "test"),
                                            "unsupervised": ("reviews", "test")}, Features({
            "text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})),
        "openai/gsm8k": ("main", {"train": ("arithmetic", "train"), "test": ("arithmetic", "test")},
                         Features({"question": Value("string"), "answer": Value("string")})),
    }


def build(root: Path, rows: int = 48) -> dict[str, str]:
    """Stand-ins under `root` (built once per VERSION); the environment that makes the hub read them."""
    root = Path(root) / VERSION
    env = {"HF_HUB_CACHE": str(root / "hub"), "HF_DATASETS_CACHE": str(root / "datasets"), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}
    done = root / "complete"
    if not done.exists():
        for repo_id, (cls, kind, tok_class) in MODELS.items():
            _model(root / "hub", repo_id, cls, kind, tok_class)
        for repo_id, (config, splits, features) in _data_sets().items():
            _data_set(root / "datasets", repo_id, config, splits, features, rows)
        done.write_text("ok")
    return env


def _snapshot(hub: Path, kind: str, repo_id: str) -> Path:
    """The folder of a repository's one revision in huggingface_hub's cache layout (refs/main names it)."""
    repo = hub / f"{kind}s--{repo_id.replace('/', '--')}"
    sha = hashlib.sha1(repo_id.encode()).hexdigest()
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(sha)
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def _tokenizer(kind: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from shared.models import _corpus_lines, _smoke_tokenizer
    if kind == "t5":   # a Unigram model with Metaspace and </s> appended, as t5-small's (T5Tokenizer adds its extra ids)
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        tok.train_from_iterator(_corpus_lines(), trainers.UnigramTrainer(
            vocab_size=2000, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"))
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                           special_tokens=[("</s>", 1)])
        return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                       model_max_length=512, model_input_names=["input_ids", "attention_mask"])
    if kind != "smollm2":
        return _smoke_tokenizer(kind)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]   # ids 0, 1, 2 as in SmolLM2
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_corpus_lines(), trainers.BpeTrainer(
        vocab_size=2000, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    out = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                  unk_token="<|endoftext|>", pad_token="<|im_end|>", model_max_length=8192,
                                  model_input_names=["input_ids", "attention_mask"])
    out.chat_template = SMOLLM2_CHAT_TEMPLATE
    return out


def _model(hub: Path, repo_id: str, cls: str, kind: str, tok_class: str) -> None:
    import torch
    import transformers as tf
    snap = _snapshot(hub, "model", repo_id)
    _tokenizer(kind).save_pretrained(snap)
    cfg_path = snap / "tokenizer_config.json"
    tok_cfg = json.loads(cfg_path.read_text())
    tok_cfg["tokenizer_class"] = tok_class
    cfg_path.write_text(json.dumps(tok_cfg, indent=1))
    tok = tf.AutoTokenizer.from_pretrained(snap)   # as the real class reads it (T5Tokenizer adds 100 extra ids)
    n, small = len(tok), dict(num_hidden_layers=2, num_attention_heads=2)
    torch.manual_seed(0)
    if cls == "DistilBertForMaskedLM":
        config = tf.DistilBertConfig(vocab_size=n, dim=32, n_layers=2, n_heads=2, hidden_dim=64, pad_token_id=0)
    elif cls == "BertForMaskedLM":
        config = tf.BertConfig(vocab_size=n, hidden_size=32, intermediate_size=64, pad_token_id=0, **small)
    elif cls == "GPT2LMHeadModel":
        # a wider initialisation than GPT-2's 0.02: peaked next-token distributions, as a trained model has, so that
        # comparisons with generate() (a6's beam search) do not hinge on near-ties of a flat random model
        config = tf.GPT2Config(vocab_size=n, n_positions=1024, n_embd=32, n_layer=2, n_head=2, initializer_range=0.2,
                               bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    elif cls == "LlamaForCausalLM":
        config = tf.LlamaConfig(vocab_size=n, hidden_size=32, intermediate_size=64, num_key_value_heads=1,
                                max_position_embeddings=8192, tie_word_embeddings=True, bos_token_id=1,
                                eos_token_id=2, pad_token_id=2, rope_theta=100000.0, **small)
    else:
        config = tf.T5Config(vocab_size=n, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2, pad_token_id=0,
                             eos_token_id=1, decoder_start_token_id=0)
    model = getattr(tf, cls)(config)
    if cls == "LlamaForCausalLM":
        model = model.to(torch.bfloat16)   # SmolLM2's checkpoint is stored in bf16
    model.save_pretrained(snap)


def _data_set(cache: Path, repo_id: str, config: str, splits: dict, features, rows: int) -> None:
    """A prepared copy where `load_dataset(repo_id, config)` finds one when the hub cannot be reached."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.arrow_writer import ArrowWriter
    from datasets.naming import camelcase_to_snakecase

    from shared.data import load_local
    namespace, name = repo_id.split("/")
    name = camelcase_to_snakecase(name)
    folder = cache / f"{namespace}___{name}" / config / "0.0.0" / "standin"
    folder.mkdir(parents=True, exist_ok=True)
    split_dict = SplitDict(dataset_name=name)
    for split, (task, source) in splits.items():
        local = load_local(task)[source]
        table = local.select(range(min(rows, len(local))))
        with ArrowWriter(features=features, path=str(folder / f"{name}-{split}.arrow")) as writer:
            for row in table:
                writer.write({k: row[k] for k in features})
            count, size = writer.finalize()
        split_dict.add(SplitInfo(name=split, num_bytes=size, num_examples=count, dataset_name=name))
    DatasetInfo(features=features, config_name=config, dataset_name=name, builder_name="parquet",
                splits=split_dict).write_to_directory(str(folder))
