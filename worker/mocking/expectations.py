"""What a test case checks once its execution has ended: each expectation that does not hold
is one line saying what was expected and what happened."""

from __future__ import annotations

import json
from typing import Any

from worker.mocking.model import Expectation
from worker.mocking.step_paths import SEPARATOR


def mismatches(expect: Expectation, ended: dict[str, Any]) -> list[str]:
    """`ended` holds status, output, error, cause, steps and calls (as in CaseResult)."""
    found: list[str] = []
    if expect.status is not None and ended["status"] != expect.status:
        why = f" with {ended['error']}: {ended['cause']}" if ended["status"] == "Failed" else ""
        found.append(f"status: expected {expect.status}, got {ended['status']}{why}")
    if expect.output is not None and ended["output"] != expect.output:
        found.append(f"output: expected {_json(expect.output)}, got {_json(ended['output'])}")
    if expect.steps is not None and not _same_steps(expect.steps, ended["steps"]):
        found.append(f"steps: expected {_path(expect.steps)}, got {_path(ended['steps'])}")
    for field in ("error", "cause"):
        wanted = getattr(expect, field)
        if wanted is not None and ended[field] != wanted:
            found.append(f"{field}: expected {wanted!r}, got {ended[field]!r}")
    for step, wanted in (expect.calls or {}).items():
        made = ended["calls"].get(step, 0)
        if made != wanted:
            found.append(f"calls of {step}: expected {wanted}, got {made}")
    return found


def _same_steps(expected: list[str], entered: list[str]) -> bool:
    """Entry by entry, a step's path (`Both#1/Shaky`) or its bare name (`Shaky`)."""
    return len(expected) == len(entered) and all(
        wanted in (path, path.rsplit(SEPARATOR, 1)[-1])
        for wanted, path in zip(expected, entered, strict=True)
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _path(steps: list[str]) -> str:
    return " -> ".join(steps) if steps else "(none)"
