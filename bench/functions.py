"""FC-style handlers the benchmarks call: as little work as a function can do.

The same callables serve both sides of a comparison: fnf-temporal reaches them through its
function runtime (registry: functions.yaml), the hand-written workflows call them in-process
or through the same runtime.
"""

from __future__ import annotations

import json
from typing import Any


def increment(event: bytes, context: Any) -> dict[str, Any]:
    """{"n": n} -> {"n": n + 1} (a missing n counts as 0)."""
    request = json.loads(event or b"{}")
    return {"n": int(request.get("n") or 0) + 1}


def countdown(event: bytes, context: Any) -> dict[str, Any]:
    """{"left": left} -> {"left": left - 1}: one turn of a polling loop."""
    request = json.loads(event or b"{}")
    return {"left": int(request["left"]) - 1}
