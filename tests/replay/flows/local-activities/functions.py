"""Functions of the local-activities replay case."""

from __future__ import annotations

from typing import Any

calls = 0


class Shaky(Exception):
    pass


def quick(event: bytes, context: Any) -> dict[str, bool]:
    return {"quick": True}


def shaky(event: bytes, context: Any) -> dict[str, int]:
    """Fails on this instance's first two calls (a recording starts a fresh worker)."""
    global calls
    calls += 1
    if calls <= 2:
        raise Shaky(f"call {calls} fails")
    return {"calls": calls}
