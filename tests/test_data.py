"""The shipped data sets: hub schema, sizes the issues ask for, and consistent labels."""
import json

import pytest

from shared.data import NER_TAGS, TASKS, check_columns, load_local, load_task

MIN_SIZES = {"qa": (1000, 200), "sentiment": (2000, 400), "ner": (1000, 200), "corpus": (1000, 100),
             "reviews": (1000, 200), "arithmetic": (300, 200)}


@pytest.mark.parametrize("task", sorted(TASKS))
def test_schema_and_sizes(task):
    ds = load_local(task)
    for split in TASKS[task].splits:
        assert ds[split].features == TASKS[task].features
    n_train, n_dev = MIN_SIZES[task]
    assert len(ds["train"]) >= n_train and len(ds[TASKS[task].splits[1]]) >= n_dev


def test_qa_answers_are_exact_spans_and_not_trivial():
    ds = load_local("qa")
    for split in ["train", "validation"]:
        for row in ds[split]:
            for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"]):
                assert row["context"][start:start + len(text)] == text
    # several passages per split, many questions per passage, and dev names unseen in train
    train_titles, dev_titles = set(ds["train"]["title"]), set(ds["validation"]["title"])
    assert len(set(ds["train"]["context"])) >= 300 and not (train_titles & dev_titles)


def test_sentiment_has_negation_and_contrast_and_balance():
    ds = load_local("sentiment")
    sentences = ds["train"]["sentence"]
    assert sum(" not " in s or " never " in s for s in sentences) > 100
    assert sum(", but " in s for s in sentences) > 100
    share = sum(ds["train"]["label"]) / len(ds["train"])
    assert 0.4 < share < 0.6


def test_ner_tags_are_valid_iob2():
    ds = load_local("ner")
    names = ds["train"].features["ner_tags"].feature.names
    assert names == NER_TAGS
    for row in ds["train"]:
        assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["pos_tags"]) == len(row["chunk_tags"])
        prev = "O"
        for t in row["ner_tags"]:
            tag = names[t]
            if tag.startswith("I-"):
                assert prev[2:] == tag[2:], row  # an I- tag continues an entity of its type
            prev = tag


def test_corpus_looks_like_wikitext():
    rows = load_local("corpus")["train"]["text"][:20]
    assert rows[0] == "" and rows[1].startswith(" = ") and rows[1].endswith(" = \n")


def test_arithmetic_answers_are_checked_and_reviews_are_balanced_and_mixed():
    """Every worked step of a word problem computes, its last line is "#### <the last result>", and test
    problems are not train problems; reviews are half positive and have several sentences."""
    import re
    ds = load_local("arithmetic")
    for split in ["train", "test"]:
        for row in ds[split]:
            *steps, last = row["answer"].split("\n")
            values = []
            for expr, value in re.findall(r"<<([^=>]+)=(\d+)>>", row["answer"]):
                assert eval(expr) == int(value), row  # noqa: S307  (digits and + - * / only)
                values.append(int(value))
            assert last == f"#### {values[-1]}" and len(values) == len(steps) >= 2
    assert not set(ds["train"]["question"]) & set(ds["test"]["question"])
    reviews = load_local("reviews")
    for split in ["train", "test"]:
        assert 0.45 < sum(reviews[split]["label"]) / len(reviews[split]) < 0.55
        assert min(t.count(" . ") for t in reviews[split]["text"]) >= 2


def test_smoke_profile_cuts_splits(smoke_profile):
    ds = load_task("qa", smoke_profile)
    assert len(ds["train"]) == smoke_profile.max_train_examples
    assert len(ds["validation"]) == smoke_profile.max_eval_examples


def test_wrong_column_is_named():
    ds = load_local("sentiment")
    with pytest.raises(KeyError, match=r"no column \['text'\].*sentence"):
        check_columns(ds["train"], ["text", "label"])


def test_mismatched_files_are_reported(tmp_path):
    for split in ["train", "validation"]:
        (tmp_path / f"{split}.jsonl").write_text(json.dumps({"text": "hello", "label": 1}) + "\n")
    with pytest.raises(ValueError, match="do not match the 'sentiment' schema"):
        load_local("sentiment", tmp_path)
    with pytest.raises(FileNotFoundError, match="make_qa.py"):
        load_local("qa", tmp_path / "nowhere")


def test_generators_reproduce_the_shipped_files(tmp_path):
    """Each data set is exactly what its script writes (run on a copy of data/)."""
    import shutil
    import subprocess
    import sys

    from shared.models import DATA
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("*.jsonl", "__pycache__"))
    for folder, script in [("qa", "make_qa.py"), ("sentiment", "make_sentiment.py"), ("ner", "make_ner.py"),
                           ("corpus", "make_corpus.py"), ("reviews", "make_reviews.py"),
                           ("arithmetic", "make_arithmetic.py")]:
        subprocess.run([sys.executable, str(copy / folder / script)], check=True, capture_output=True)
        for shipped in sorted((DATA / folder).glob("*.jsonl")):
            assert (copy / folder / shipped.name).read_bytes() == shipped.read_bytes(), f"{folder}/{shipped.name}"


def test_hub_data_without_internet_names_the_offline_profile():
    with pytest.raises(ConnectionError, match="offline profile"):
        load_task("sentiment", "full")


class GatedRepoError(OSError):
    """Stands in for huggingface_hub's exception of that name."""


class DatasetNotFoundError(FileNotFoundError):
    """Stands in for datasets' exception of that name."""


@pytest.mark.parametrize("error, says", [
    (ConnectionError("Couldn't reach 'eriktks/conll2003' on the Hub (LocalEntryNotFoundError)"), "cannot be reached"),
    (RuntimeError("Dataset scripts are no longer supported, but found conll2003.py"), "loading script"),
    (DatasetNotFoundError("Dataset 'eriktks/conll2003' doesn't exist on the Hub or cannot be accessed."),
     "no such id"),
    (GatedRepoError("401 Client Error. Access to dataset is restricted."), "gated"),
    (ValueError("BuilderConfig 'sst3' not found"), "ValueError: BuilderConfig"),
])
def test_every_hub_failure_is_one_message_naming_the_data_set_and_the_offline_profile(monkeypatch, error, says):
    import shared.data

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(shared.data, "load_dataset", fail)
    with pytest.raises(shared.data.HubDataError) as info:
        load_task("ner", "full")
    message = str(info.value)
    assert "eriktks/conll2003 (revision refs/convert/parquet)" in message and "'ner' task" in message
    assert says in message and 'PROFILE = "offline"' in message and "check_hub" in message


def test_the_full_profile_names_every_hub_id_with_its_namespace():
    """Every hub id the full profile uses, models named in its assignments' settings too (a3's ladder, gpt2-large
    included), each once; no course spec, path or sentence of its settings."""
    from shared.check_hub import hub_ids
    from shared.profiles import FULL_LADDER, get_profile
    ids = hub_ids()
    assert len(ids) >= 10
    assert all("/" in repo_id and ":" not in repo_id for _, repo_id, _, _ in ids), ids
    assert ("dataset", "eriktks/conll2003", "ner", "refs/convert/parquet") in ids
    models = [repo_id for kind, repo_id, _, _ in ids if kind == "model"]
    assert len(models) == len(set(models))
    assert set(FULL_LADDER) | set(get_profile("full").models.values()) <= set(models)
    assert "openai-community/gpt2-large" in models


class RepositoryNotFoundError(OSError):
    """Stands in for huggingface_hub's exception of that name (its text carries 401 for an anonymous caller)."""


def test_check_hub_tells_each_kind_of_problem_apart(capsys, monkeypatch):
    """Stubbed hub answers, one problem per id: no internet, no such id (a 401 from the hub for an anonymous
    caller is still "no such"), gated (by the info or by the error), a model repository without a config or
    weights, and a data set without a configuration, a split or a column the course reads. The rest is ok."""
    from types import SimpleNamespace

    from shared import check_hub
    from shared.data import TASKS
    files = lambda *names: [SimpleNamespace(rfilename=n) for n in names]        # noqa: E731
    good = files("config.json", "model.safetensors", "tokenizer.json")

    class FakeApi:
        def model_info(self, repo_id, revision=None):
            if repo_id.endswith("gpt2-medium"):   # huggingface_hub's own words for a typo, to an anonymous caller
                raise RepositoryNotFoundError(
                    "401 Client Error. (Request ID: Root=1-6753)\n\nRepository Not Found for url: "
                    f"https://huggingface.co/api/models/{repo_id}.\nPlease make sure you specified the correct "
                    "`repo_id` and `repo_type`.\nIf you are trying to access a private or gated repo, make sure you "
                    "are authenticated.")
            if repo_id.endswith("gpt2-large"):
                raise ConnectionError("Max retries exceeded with url: /api/models/openai-community/gpt2-large")
            if repo_id.endswith("/gpt2"):
                return SimpleNamespace(gated=False, siblings=files("README.md", "model.safetensors"))
            if repo_id.startswith("google-bert"):
                return SimpleNamespace(gated=False, siblings=files("config.json", "README.md"))
            if repo_id.startswith("google-t5"):
                raise GatedRepoError("Access to model google-t5/t5-small is restricted.")
            return SimpleNamespace(gated=repo_id.startswith("HuggingFaceTB"), siblings=good)

        def dataset_info(self, repo_id, revision=None):
            return SimpleNamespace(gated=repo_id == "openai/gsm8k")

    def load_builder(name, config=None, revision=None):
        if name == "nyu-mll/glue":
            raise ValueError(f"BuilderConfig '{config}' not found. Available: ['cola', 'mrpc']")
        task = next(t for t, d in TASKS.items() if d.hub[0] == name)
        splits = {s: None for s in TASKS[task].splits if not (task == "corpus" and s == "test")}
        features = {c: None for c in TASKS[task].features if not (task == "ner" and c == "ner_tags")}
        return SimpleNamespace(info=SimpleNamespace(splits=splits, features=features))

    results = {r["id"]: r for r in check_hub.check(FakeApi(), load_builder)}
    problem = {i: r["problem"] for i, r in results.items()}
    assert "no such id" in problem["openai-community/gpt2-medium"] and "gated" not in problem["openai-community/gpt2-medium"]
    assert "cannot be reached" in problem["openai-community/gpt2-large"]
    assert "no config.json" in problem["openai-community/gpt2"]
    assert "no weights" in problem["google-bert/bert-base-uncased"]
    assert "gated" in problem["HuggingFaceTB/SmolLM2-135M-Instruct"] and "gated" in problem["openai/gsm8k"]
    assert "gated" in problem["google-t5/t5-small"]   # by the error's kind
    assert "no such configuration" in problem["nyu-mll/glue"] and "sst2" in problem["nyu-mll/glue"]
    assert "no split test" in problem["Salesforce/wikitext"]
    assert "no column ner_tags" in problem["eriktks/conll2003@refs/convert/parquet"]
    assert results["rajpurkar/squad"]["ok"] and results["stanfordnlp/imdb"]["ok"]
    assert results["distilbert/distilbert-base-uncased"]["ok"]
    planted = {"openai-community/gpt2-medium", "openai-community/gpt2-large", "openai-community/gpt2",
               "google-bert/bert-base-uncased", "google-t5/t5-small", "HuggingFaceTB/SmolLM2-135M-Instruct",
               "openai/gsm8k", "nyu-mll/glue", "Salesforce/wikitext", "eriktks/conll2003@refs/convert/parquet"}
    assert {i for i, r in results.items() if not r["ok"]} == planted   # those, and no other id, fail
    monkeypatch.setattr(check_hub, "check", lambda api=None: list(results.values()))  # main() prints check()
    assert check_hub.main() == 1
    out = capsys.readouterr().out
    assert out.count("PROBLEM") == sum(not r["ok"] for r in results.values())


def test_data_generators_need_only_the_standard_library_and_datasets():
    """data/ is self-contained: its generators import nothing of the course's (shared/, autograder/)."""
    import ast
    import sys
    from shared.models import DATA as root
    local = {p.stem for p in root.rglob("*.py")}
    allowed = set(sys.stdlib_module_names) | {"datasets"} | local
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        assert imported <= allowed, f"{path.relative_to(root.parent)} imports {sorted(imported - allowed)}"
