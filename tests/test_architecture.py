"""Rules of the code's shape that docs/architecture.md states, kept true by a test."""
import ast

from shared.models import REPO as ROOT


def test_no_function_over_60_lines_in_shared_or_autograder():
    long = []
    for path in sorted((ROOT / "shared").rglob("*.py")) + sorted((ROOT / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, "split these into functions that do one job each:\n" + "\n".join(long)


def test_shared_helpers_take_their_configuration_by_name():
    """A public function or method of shared/ takes at most 5 parameters by position (self aside); the rest are
    keyword-only, so that a notebook's call reads as a sentence: run_qa(run, data, prepare_train_fn=..., ...)."""
    wide = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        tree = ast.parse(path.read_text())
        scopes = [(tree, "")] + [(c, f"{c.name}.") for c in tree.body if isinstance(c, ast.ClassDef)]
        for scope, prefix in scopes:
            for node in scope.body:
                if isinstance(node, ast.FunctionDef) and (not node.name.startswith("_") or node.name == "__init__"):
                    names = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
                    if len(names) > 5:
                        wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {prefix}{node.name} ({len(names)})")
    assert not wide, "make the parameters after the first few keyword-only (*,):\n" + "\n".join(wide)


def test_the_grading_steps_each_have_a_module():
    for step in ("collect", "batch", "engine", "assembly", "guard", "execution", "results", "gradebook",
                 "feedback", "export", "summary"):
        assert (ROOT / "autograder" / f"{step}.py").exists(), step
    assert "GUARD_SETUP" not in (ROOT / "autograder" / "execution.py").read_text()  # the guard is a module, not a string
