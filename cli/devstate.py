"""Where a running `fnf dev` is: a small state file in its data folder (`.fnf/dev.json`).

`fnf dev` writes it once every part answers and removes it when it stops cleanly. Other `fnf`
commands run in the same folder read it: those that talk to Temporal (`fnf task`, `fnf run`)
through `settings_with` (cli/options.py), those that call the API (`fnf call`, `fnf flow`,
`fnf exec`, `fnf schedule`) through `ApiClient` (cli/api_client.py), which also signs with the
AccessKey `fnf dev` made when none is configured. An explicit address or endpoint always wins.
A file left by a killed `fnf dev` names a pid that no longer runs and is ignored (and replaced
at the next start).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_DATA = Path(".fnf")
STATE_FILE = "dev.json"


@dataclass(frozen=True)
class DevState:
    """The addresses of one running `fnf dev`."""

    pid: int
    api: str
    """Base URL of the FnF API (and MNS), e.g. http://127.0.0.1:8080."""
    temporal_address: str
    namespace: str
    ui: str | None
    """The Temporal Web UI's URL, or None when the dev server serves none."""
    access_keys_file: str
    """The AccessKey pairs the API accepts (a YAML mapping of ID to secret)."""

    def write(self, folder: Path) -> Path:
        """Write atomically, so a reader never sees half a file."""
        path = folder / STATE_FILE
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)
        return path


def running(folder: Path = DEFAULT_DATA) -> DevState | None:
    """The `fnf dev` running with data in `folder`, or None (no file, unreadable, or its
    process is gone)."""
    try:
        state = DevState(**json.loads((folder / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return state if _alive(state.pid) else None


def remove(folder: Path, pid: int) -> None:
    """Remove the state file if it is this process's (a clean stop). Idempotent."""
    path = folder / STATE_FILE
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        if json.loads(path.read_text(encoding="utf-8"))["pid"] == pid:
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
