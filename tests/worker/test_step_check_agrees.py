"""`fnf test-step` says what a real run does with the same input: a wait whose duration or
timestamp the run refuses, and a foreach whose collection is not an array, fail in both with
the same error and cause (test-step used to show them succeeding with `{}`), and the values a
run accepts are shown with the delay or the number of iterations they give."""

from __future__ import annotations

from typing import Any

import pytest

from tests.worker.conftest import RunFlow
from translator import compile_text
from worker.mocking.step_check import check_step

WAIT = """
version: v1
type: flow
steps:
  - type: wait
    name: Pause
    duration: $.d
"""

UNTIL = """
version: v1
type: flow
steps:
  - type: wait
    name: Pause
    timestamp: $.t
"""

EACH = """
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: it
    steps:
      - type: pass
        name: Item
"""


async def agree(run_flow: RunFlow, text: str, step: str, flow_input: dict[str, Any]) -> Any:
    checked = check_step(compile_text(text), step, flow_input)
    outcome = await run_flow("test-step-agrees", flow_input, text=text)
    assert (checked.error, checked.cause) == (outcome.error, outcome.cause), outcome.events
    assert (checked.error is None) == (outcome.status == "Succeeded")
    return checked


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1e12, None),
        (172_801, None),
        (True, None),
        ("5", None),
        (None, None),
        ([3], None),
        (2, 2.0),
        (0.5, 0.5),
        (-3, 0.0),
        (172_800, 172_800.0),
    ],
)
async def test_wait_duration(run_flow: RunFlow, value: Any, seconds: float | None) -> None:
    checked = await agree(run_flow, WAIT, "Pause", {"d": value})
    assert checked.wait_seconds == seconds


@pytest.mark.parametrize(
    "value", ["tomorrow", 5, None, "2019-05-02 15:04:05", "2019-05-02T15:04:05Z"]
)
async def test_wait_timestamp(run_flow: RunFlow, value: Any) -> None:
    checked = await agree(run_flow, UNTIL, "Pause", {"t": value})
    assert checked.wait_seconds == (0.0 if checked.error is None else None)


@pytest.mark.parametrize(
    ("items", "count"), [("abc", None), (None, None), ({"a": 1}, None), ([], 0), ([1, 2], 2)]
)
async def test_foreach_collection(run_flow: RunFlow, items: Any, count: int | None) -> None:
    checked = await agree(run_flow, EACH, "Each", {"items": items})
    assert checked.iterations == count
