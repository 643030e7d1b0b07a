"""Every profile's settings as the code gives them, for tests/test_profiles.py to compare with the snapshot taken
before the settings moved into one block per assignment (tests/fixtures/snapshots/profiles.json).

    python tests/snapshot_profiles.py      # writes the snapshot again (only when a setting changes on purpose)
"""
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "snapshots" / "profiles.json"
TASKS = ("qa", "sentiment", "ner", "corpus", "reviews", "arithmetic")


def snapshot() -> dict:
    """repr() of each profile's fields and of settings(a) for every assignment (types and key order included)."""
    from shared.profiles import get_profile, rehearsal
    profiles = {name: get_profile(name) for name in ("full", "offline", "smoke")} | {"rehearsal": rehearsal()}
    out = {}
    for name, p in profiles.items():
        fields = {f.name: repr(getattr(p, f.name)) for f in dataclasses.fields(p) if f.name != "assignments"}
        out[name] = {"fields": fields, "caps": {t: repr(p.caps(t)) for t in TASKS},
                     "models": {role: p.model(role) for role in p.models},
                     "settings": {a: repr(p.settings(a)) for a in p.assignments}}
    from shared.lm import SIZES
    out["lm.SIZES"] = repr(SIZES)
    return out


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(snapshot(), indent=1) + "\n")
    print(f"wrote {SNAPSHOT}")
