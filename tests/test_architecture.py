"""Rules of the code's shape that docs/architecture.md states, kept true by a test."""
import ast
import importlib
from pathlib import Path

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
    for step in ("lms/collect", "grading/batch", "grading/engine", "grading/assembly", "grading/guard",
                 "grading/execution", "grading/results", "review/gradebook", "review/feedback", "review/export"):
        assert (ROOT / "autograder" / f"{step}.py").exists(), step
    # the guard is a module, not a string
    assert "GUARD_SETUP" not in (ROOT / "autograder" / "grading" / "execution.py").read_text()


# Files that are not imported as modules: nbgrader executes its config (get_config() comes from traitlets),
# and the setup cell is the text of a notebook cell.
NOT_MODULES = {"autograder.nbgrader_config", "autograder.release.colab_setup_cell"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The autograder modules `name` imports, at its top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    return {m for m in found if m in modules and m != name and modules[m].name != "__init__.py"}


def test_autograder_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["autograder.__main__"], "the walk found no import: the test itself is broken"
    done, stack = set(), []

    def visit(name: str) -> None:
        stack.append(name)
        for dep in sorted(graph[name]):
            assert dep not in stack, "import cycle: " + " -> ".join(stack[stack.index(dep):] + [dep])
            if dep not in done:
                visit(dep)
        stack.pop()
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name)


def test_every_autograder_module_imports_cleanly():
    for name in sorted(set(_modules()) - NOT_MODULES):
        importlib.import_module(name)
