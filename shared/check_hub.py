"""Can this machine reach every model and data set of the `full` profile? Run it at the start of a term:

    python -m shared.check_hub

prints one row per hub id (kind, id, what the notebooks use it for, ok or what is wrong) and exits
non-zero if any is missing, gated or unreachable. It asks the hub about each id and its files;
it downloads no weights and no data.
"""
from __future__ import annotations

import sys

from .data import TASKS, hub_failure
from .profiles import get_profile


def hub_ids() -> list[tuple[str, str, str, str | None]]:
    """(kind, id, used for, revision) of every hub id the full profile uses, each once."""
    rows, seen = [], set()
    for role, spec in get_profile("full").models.items():
        if spec not in seen:
            seen.add(spec)
            rows.append(("model", spec, role, None))
    for task, data in TASKS.items():
        rows.append(("dataset", data.hub[0], task + (f" ({data.hub[1]})" if len(data.hub) > 1 else ""),
                     data.revision))
    return rows


def check(api=None) -> list[dict]:
    """One result per hub id: {'kind', 'id', 'for', 'ok', 'problem'}."""
    from huggingface_hub import HfApi
    api = api or HfApi()
    out = []
    for kind, repo_id, used_for, revision in hub_ids():
        try:
            info = (api.model_info if kind == "model" else api.dataset_info)(repo_id, revision=revision)
            problem = "" if not getattr(info, "gated", False) else "gated: accept its terms on the hub and log in"
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
