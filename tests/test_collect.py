"""collect: LMS exports in, nbgrader's layout out; nothing dropped silently."""
import pytest

from autograder.pipeline import collect


def write(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')


def test_folder_export_with_resubmissions_and_strays(tmp_path):
    write(tmp_path / "export", ["alice_1234_5678_a1_qa_finetuning.ipynb", "bob_a1_qa_finetuning.ipynb",
                                "bob_a1_qa_finetuning-1.ipynb", "notes.txt", "carol-homework.ipynb"])
    report = collect(tmp_path / "export", tmp_path / "course")
    assert sorted((s, a) for s, a, _ in report.collected) == [("alice", "a1_qa_finetuning"), ("bob", "a1_qa_finetuning")]
    assert (tmp_path / "course/submitted/alice/a1_qa_finetuning/a1_qa_finetuning.ipynb").exists()
    assert report.replaced == ["bob_a1_qa_finetuning.ipynb"]  # the resubmission (-1) is the one graded
    assert [f for s, _, f in report.collected if s == "bob"] == ["bob_a1_qa_finetuning-1.ipynb"]
    assert sorted(report.unmatched) == ["carol-homework.ipynb", "notes.txt"]
    for name in report.unmatched + report.replaced:
        assert (tmp_path / "course" / "unmatched" / name).exists()  # kept, never dropped


def test_custom_pattern_and_clear_errors(tmp_path):
    write(tmp_path / "export", ["s001.ipynb", "s002.ipynb"])
    report = collect(tmp_path / "export", tmp_path / "course", pattern=r"^(?P<student>s\d+)\.ipynb$",
                     assignment="a1_qa_finetuning")
    assert [s for s, _, _ in report.collected] == ["s001", "s002"]
    with pytest.raises(SystemExit, match="--assignment"):
        collect(tmp_path / "export", tmp_path / "c2", pattern=r"^(?P<student>s\d+)\.ipynb$")
    with pytest.raises(SystemExit, match="student"):
        collect(tmp_path / "export", tmp_path / "c3", pattern=r"^.*\.ipynb$", assignment="a1")
    with pytest.raises(SystemExit, match="neither a folder nor a zip"):
        collect(tmp_path / "missing.zip", tmp_path / "c4")
