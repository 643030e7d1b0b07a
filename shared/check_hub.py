"""Can this machine reach every model and data set of the `full` profile? Run it at the start of a term:

    python -m shared.check_hub

prints one row per hub id (kind, id, what the notebooks use it for, ok or what is wrong) and exits
non-zero if any is missing, gated or unreachable. It asks the hub about each id and its files, and about each
data set's configuration, splits and columns (its metadata, `datasets.load_dataset_builder`); it downloads no
weights and no data. What is wrong is told apart: no internet, no such id (or revision, or configuration),
gated, a model repository without a config or weights, a data set without a split or a column the course reads.
"""
from __future__ import annotations

import sys

from .data import TASKS, hub_failure
from .profiles import get_profile


def _is_hub_id(value) -> bool:
    """'owner/name', not a course spec ('package:...', 'gguf:...', 'smoke:...') nor a path or a sentence."""
    return (isinstance(value, str) and value.count("/") == 1 and ":" not in value and " " not in value
            and not value.startswith((".", "/")) and all(value.split("/")))


def hub_ids() -> list[tuple[str, str, str, str | None]]:
    """(kind, id, used for, revision) of every hub id the full profile uses, each once: its models by role, the
    models its assignments' settings name (a3's ladder: gpt2, -medium, -large), and every task's data set."""
    full = get_profile("full")
    rows, seen = [], set()

    def add(spec, used_for):
        if _is_hub_id(spec) and spec not in seen:
            seen.add(spec)
            rows.append(("model", spec, used_for, None))

    for role, spec in full.models.items():
        add(spec, role)
    for assignment, settings in full.assignments.items():
        for key, value in settings.items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                add(item, f"{assignment} {key}")
    for task, data in TASKS.items():
        rows.append(("dataset", data.hub[0], task + (f" ({data.hub[1]})" if len(data.hub) > 1 else ""),
                     data.revision))
    return rows


WEIGHTS = (".safetensors", ".bin", ".safetensors.index.json", ".bin.index.json")


def _model_problem(info) -> str:
    """What a model repository lacks for from_pretrained: its config.json or any weights ('' if nothing)."""
    files = [s.rfilename for s in (getattr(info, "siblings", None) or [])]
    if not files:          # the hub did not list the files: nothing more to check
        return ""
    if "config.json" not in files:
        return "the repository has no config.json: not a transformers model (a typo in the id?)"
    if not any(f.endswith(WEIGHTS) for f in files):
        return "the repository has no weights (.safetensors or .bin)"
    return ""


def _dataset_problem(task: str, load_builder) -> str:
    """What a task's hub data set lacks of what the course reads: a split or a column ('' if nothing, or if the
    hub's metadata does not list them)."""
    data = TASKS[task]
    builder = load_builder(*data.hub, revision=data.revision)
    info = builder.info
    splits = set(info.splits or {})
    missing = [s for s in data.splits if s not in splits]
    if splits and missing:
        return f"no split {', '.join(missing)} (it has {', '.join(sorted(splits))})"
    columns = set(info.features or {})
    missing = [c for c in data.features if c not in columns]
    if columns and missing:
        return f"no column {', '.join(missing)} (it has {', '.join(sorted(columns))})"
    return ""


def check(api=None, load_builder=None) -> list[dict]:
    """One result per hub id: {'kind', 'id', 'for', 'ok', 'problem'}."""
    from huggingface_hub import HfApi
    api = api or HfApi()
    if load_builder is None:
        from datasets import load_dataset_builder as load_builder
    out = []
    for kind, repo_id, used_for, revision in hub_ids():
        try:
            info = (api.model_info if kind == "model" else api.dataset_info)(repo_id, revision=revision)
            if getattr(info, "gated", False):
                problem = "it is gated: accept its terms on its hub page and log in (huggingface-cli login)"
            elif kind == "model":
                problem = _model_problem(info)
            else:
                problem = _dataset_problem(used_for.split(" ")[0], load_builder)   # used_for: "task (config)"
        except Exception as err:  # noqa: BLE001
            problem = hub_failure(err)
        out.append({"kind": kind, "id": repo_id + (f"@{revision}" if revision else ""), "for": used_for,
                    "ok": not problem, "problem": problem})
    return out


def main() -> int:
    results = check()
    width, used = max(len(r["id"]) for r in results), max(len(r["for"]) for r in results)
    print(f"{'kind':8} {'id':{width}}  {'used for':{used}}  result")
    for r in results:
        print(f"{r['kind']:8} {r['id']:{width}}  {r['for']:{used}}  {'ok' if r['ok'] else 'PROBLEM: ' + r['problem']}")
    bad = [r for r in results if not r["ok"]]
    print(f"\n{len(results) - len(bad)} of {len(results)} reachable."
          + ("" if not bad else " Fix the rows above, or use the offline profile (PROFILE = \"offline\")."))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
