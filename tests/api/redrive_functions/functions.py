"""Functions for the redrive tests: each call is counted in a file, and a function fails while
its flag file exists, so a test fixes it between two attempts by removing the flag.

The event names the folder (`dir`), the function's `name`, and optionally `delay` seconds to
sleep before failing (so that its siblings in a parallel or foreach end first).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class Broken(Exception):
    """The function's flag file exists."""


def step(event: bytes, context: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads(event)
    folder, name = Path(request["dir"]), str(request["name"])
    with (folder / f"{name}.count").open("a") as counter:
        counter.write("x")
    if (folder / f"broken-{name}").exists():
        time.sleep(float(request.get("delay") or 0))
        raise Broken(f"{name} is broken")
    return {name: request.get("value", "done")}


def echo(event: bytes, context: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads(event)
    return request
