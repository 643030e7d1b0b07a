"""Data sets for every profile, with the hub's schema, and the collators to batch them.

`load_task("qa", profile)` returns a datasets.DatasetDict. In the `full`
profile it is the hub data set (squad, glue/sst2, conll2003, wikitext-2-raw-v1, imdb, gsm8k);
otherwise the course's own set in data/, loaded with exactly the hub's
features (column names, types and ClassLabel names), so one preprocessing
function serves both. Each profile caps the rows it loads (Profile.caps: smoke a few,
full SQuAD and SST-2 to what a free T4 affords).

Collators are the library's: DataCollatorWithPadding (classification, QA),
DataCollatorForTokenClassification (NER), DataCollatorForLanguageModeling (MLM
and causal LM). They pad each batch to its own longest example.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from datasets import ClassLabel, DatasetDict, Features, Sequence, Value, load_dataset
from transformers import (DataCollatorForLanguageModeling, DataCollatorForTokenClassification,  # noqa: F401
                          DataCollatorWithPadding)

from .models import DATA
from .profiles import Profile, get_profile

# CoNLL-2003's tag names in the hub's order; data/ner/tags.json is their one copy (its generator reads it too)
_TAGS = json.loads((DATA / "ner" / "tags.json").read_text())
NER_TAGS, POS_TAGS, CHUNK_TAGS = _TAGS["ner_tags"], _TAGS["pos_tags"], _TAGS["chunk_tags"]


@dataclass(frozen=True)
class TaskData:
    hub: tuple[str, ...]       # load_dataset(*hub, revision=revision) in the full profile
    folder: str                # data/<folder>/<split>.jsonl otherwise
    features: Features         # the hub data set's features, which the local copy is given
    splits: tuple[str, ...]
    revision: str | None = None  # e.g. the hub's parquet conversion of a data set built by a script


TASKS = {
    "qa": TaskData(("rajpurkar/squad",), "qa", Features({
        "id": Value("string"), "title": Value("string"), "context": Value("string"),
        "question": Value("string"),
        "answers": {"text": Sequence(Value("string")), "answer_start": Sequence(Value("int32"))}}),
        ("train", "validation")),
    "sentiment": TaskData(("nyu-mll/glue", "sst2"), "sentiment", Features({
        "sentence": Value("string"), "label": ClassLabel(names=["negative", "positive"]),
        "idx": Value("int32")}), ("train", "validation")),
    # CoNLL-2003 on the hub is built by a loading script, which datasets >= 4 no longer runs: its
    # parquet conversion (the hub's refs/convert/parquet revision) loads without one.
    "ner": TaskData(("eriktks/conll2003",), "ner", Features({
        "id": Value("string"), "tokens": Sequence(Value("string")),
        "pos_tags": Sequence(ClassLabel(names=POS_TAGS)), "chunk_tags": Sequence(ClassLabel(names=CHUNK_TAGS)),
        "ner_tags": Sequence(ClassLabel(names=NER_TAGS))}), ("train", "validation"),
        revision="refs/convert/parquet"),
    "corpus": TaskData(("Salesforce/wikitext", "wikitext-2-raw-v1"), "corpus",
                       Features({"text": Value("string")}), ("train", "validation", "test")),
    # a6: a domain's text (film reviews) and arithmetic word problems with worked answers ("#### 42")
    "reviews": TaskData(("stanfordnlp/imdb",), "reviews", Features({
        "text": Value("string"), "label": ClassLabel(names=["neg", "pos"])}), ("train", "test")),
    "arithmetic": TaskData(("openai/gsm8k", "main"), "arithmetic", Features({
        "question": Value("string"), "answer": Value("string")}), ("train", "test")),
}


def check_columns(dataset, required, where: str = "the data set") -> None:
    """One clear error naming the missing column(s) and the ones that exist."""
    names = dataset.column_names
    if isinstance(names, dict):  # a DatasetDict: check every split
        for split, cols in names.items():
            missing = [c for c in required if c not in cols]
            if missing:
                raise KeyError(f"{where} (split '{split}') has no column {missing}; its columns are {cols}. "
                               f"Rename the column or fix the name in your code.")
        return
    missing = [c for c in required if c not in names]
    if missing:
        raise KeyError(f"{where} has no column {missing}; its columns are {names}. "
                       f"Rename the column or fix the name in your code.")


def load_local(task: str, folder: Path | str | None = None) -> DatasetDict:
    spec = TASKS[task]
    folder = Path(folder) if folder else DATA / spec.folder
    files = {s: str(folder / f"{s}.jsonl") for s in spec.splits}
    missing = [f for f in files.values() if not Path(f).exists()]
    if missing:
        raise FileNotFoundError(f"Data files missing for task '{task}': {missing}. Regenerate them with "
                                f"`python data/{spec.folder}/make_{spec.folder}.py`, or check the path.")
    try:
        return load_dataset("json", data_files=files, features=spec.features)
    except Exception as err:  # datasets raises cast/generation errors of several types here
        raise ValueError(f"The files in {folder} do not match the '{task}' schema "
                         f"{list(spec.features)}: {err}") from err


class HubDataError(ConnectionError):
    """A hub data set that could not be loaded, whatever the reason: one message saying which and what to do."""


def hub_failure(err: Exception) -> str:
    """What went wrong, in words, from the many exception types datasets and huggingface_hub raise."""
    text, kind = str(err), type(err).__name__
    first = f"{kind}: {(text.strip().splitlines() or [''])[0][:200]}"
    if "scripts are no longer supported" in text or "loading script" in text.lower():
        return "it is built by a loading script, which this version of datasets does not run"
    gated = "it is gated: accept its terms on its hub page and log in (huggingface-cli login)"
    if "Gated" in kind:        # by the exception's kind first: a not-found message also says "private or gated repo"
        return gated
    # offline before "not found": huggingface_hub's LocalEntryNotFoundError means nothing cached and no hub
    if "offline" in (kind + text).lower() or isinstance(err, ConnectionError) or "LocalEntryNotFound" in kind:
        return "the hub cannot be reached (no internet, or HF_HUB_OFFLINE=1)"
    if "BuilderConfig" in text and "not found" in text:
        return f"the data set has no such configuration ({first})"
    if (isinstance(err, FileNotFoundError) or "NotFound" in kind or "404" in text
            or "not found" in text.lower() or "doesn't exist" in text):
        return "the hub has no such id, revision, configuration or file (a typo in the id?)"
    if "gated" in text.lower():
        return gated
    if "401" in text or "403" in text:
        return ("the hub refused it (401/403): a private or gated id needs a login (huggingface-cli login), "
                "or the id has a typo")
    return first


def load_hub(task: str) -> DatasetDict:
    """The task's hub data set (full profile); any failure becomes one HubDataError naming it."""
    spec = TASKS[task]
    name = " / ".join(spec.hub) + (f" (revision {spec.revision})" if spec.revision else "")
    try:
        return load_dataset(*spec.hub, revision=spec.revision)
    except Exception as err:  # noqa: BLE001  (offline, script, missing, gated, ...: all told the same way)
        raise HubDataError(f"Cannot load the data set {name} for the '{task}' task: {hub_failure(err)}. "
                           f"Check the hub with `python -m shared.check_hub`, or work without it in the offline profile: "
                           f"PROFILE = \"offline\" in the Config cell (the course's own data).") from err


def load_task(task: str, profile: Profile | str | None = None, seed: int = 0) -> DatasetDict:
    """The task's splits for this profile, cut to the profile's caps for the task (a seeded shuffle first)."""
    if task not in TASKS:
        raise KeyError(f"Unknown task '{task}'. Tasks: {', '.join(TASKS)}.")
    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    if profile.data == "hub":
        ds = load_hub(task)
    else:
        ds = load_local(task)
    n_train, n_eval = profile.caps(task)
    for split in ds:
        ds[split] = subset(ds[split], n_train if split == "train" else n_eval, seed)
    return ds


def subset(dataset, n: int | None, seed: int = 0):
    """The first n rows after a seeded shuffle (all rows when n is None or too large)."""
    if n is None or n >= len(dataset):
        return dataset
    return dataset.shuffle(seed=seed).select(range(n))
