"""Functions of the attempt-reports replay case."""

from __future__ import annotations

import time
from typing import Any

calls = 0


class Shaky(Exception):
    pass


def slow(event: bytes, context: Any) -> dict[str, float]:
    """Runs past the moment an attempt's start is reported (1 s by default)."""
    time.sleep(1.6)
    return {"slept": 1.6}


def shaky(event: bytes, context: Any) -> dict[str, int]:
    """Fails on this instance's first two calls (a recording starts a fresh worker)."""
    global calls
    calls += 1
    if calls <= 2:
        raise Shaky(f"call {calls} fails")
    return {"calls": calls}
