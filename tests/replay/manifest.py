"""Which interpreter recorded each committed history (tests/replay/manifest.yaml).

Replay proves that the current interpreter still runs executions that earlier versions
started; the manifest says which versions those were. Each history has an entry:
`fnf-temporal` (the package version that recorded it), `commit` (the last commit that wrote it;
`<sha>+` for one recorded on top of a commit and not yet committed) and `patches` (the
interpreter's version markers, `workflow.patched` ids, that the history carries: what that
interpreter knew of the paths it took). tests/replay/test_manifest.py keeps it complete and
true to the files.

    python tests/replay/manifest.py      # add entries for histories that have none
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

REPLAY = Path(__file__).resolve().parent
MANIFEST = REPLAY / "manifest.yaml"
FOLDERS = ("histories", "legacy")
PATCH_MARKER = "core_patch"


def history_files() -> list[str]:
    """Every committed history, as its path under tests/replay."""
    return sorted(
        f"{folder}/{path.name}" for folder in FOLDERS for path in (REPLAY / folder).glob("*.json")
    )


def patches_in(path: Path) -> list[str]:
    """The `workflow.patched` ids whose markers the history holds, in first-seen order."""
    found: list[str] = []
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if not marker or marker.get("markerName") != PATCH_MARKER:
            continue
        for payload in marker["details"]["patch-data"]["payloads"]:
            patch = json.loads(base64.b64decode(payload["data"]))["id"]
            if patch not in found:
                found.append(patch)
    return found


def load() -> dict[str, dict[str, Any]]:
    if not MANIFEST.exists():
        return {}
    data = yaml.safe_load(MANIFEST.read_text()) or {}
    return dict(data)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPLAY, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def entry_for(name: str) -> dict[str, Any]:
    """A new entry: the last commit that wrote the file (or HEAD+ while it is uncommitted)."""
    added = _git("log", "-1", "--format=%h %ad", "--date=short", "--", name)
    if added:
        commit, day = added.splitlines()[-1].split()
    else:
        commit, day = f"{_git('rev-parse', '--short', 'HEAD') or 'unknown'}+", str(date.today())
    return {
        "fnf-temporal": version("fnf-temporal"),
        "commit": commit,
        "recorded": day,
        "patches": patches_in(REPLAY / name),
    }


def update() -> list[str]:
    """Add entries for histories that have none; drop those whose file is gone."""
    manifest = load()
    files = history_files()
    added = [name for name in files if name not in manifest]
    for name in added:
        manifest[name] = entry_for(name)
    kept = {name: manifest[name] for name in files}
    header = "# Which interpreter recorded each committed history: see tests/replay/manifest.py.\n"
    MANIFEST.write_text(header + yaml.safe_dump(kept, sort_keys=True, default_flow_style=None))
    return added


if __name__ == "__main__":
    for name in update():
        print("added", name, file=sys.stderr)
