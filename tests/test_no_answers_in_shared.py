"""No function in shared/ or data/ does what a student's solution cell must write (students can read
both), and the check can fail: a planted copy of an answer, renamed, is found."""
import re

import nbformat

from tests.answer_copies import ROOT, copies, student_functions


def test_no_student_answer_is_in_shared_or_data():
    assert len(student_functions()) >= 15     # the check sees the answers it protects
    found = copies()
    assert not found, "answers readable by students:\n" + "\n".join(found)


def _solution_source(assignment, grade_id):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_a_planted_copy_is_found_even_renamed():
    for assignment, gid, name in [("a4_decoder_classification", "label_word_logprobs", "label_word_logprobs"),
                                  ("a1_qa_finetuning", "postprocess_predictions", "postprocess_predictions"),
                                  ("a2_mlm_objective", "mask_tokens", "mask_tokens")]:
        source = _solution_source(assignment, gid)
        renamed = re.sub(r"\b(tokenizer|model|examples|features|inputs|labels)\b", lambda m: m[1][:3] + "_x", source)
        renamed = renamed.replace(f"def {name}(", "def helper_for_notebooks(")
        found = copies(extra={f"shared/planted_{name}.py": renamed})
        assert any(f"shared/planted_{name}.py:helper_for_notebooks" in f for f in found), (name, found)
