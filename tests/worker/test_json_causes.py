"""A step's runtime error cause quotes the offending value as JSON, the notation of the flow's
data (`true`, `null`, `"text"`), never Python's (`True`, `None`, `'text'`): a wait step's
duration and timestamp read by path, and a foreach step's collection."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.worker.conftest import RunFlow

WAIT_DURATION = """\
version: v1
type: flow
steps:
  - type: wait
    name: Pause
    duration: $.d
"""

WAIT_TIMESTAMP = """\
version: v1
type: flow
steps:
  - type: wait
    name: Pause
    timestamp: $.t
"""

FOREACH = """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: pass
        name: Keep
"""

PYTHON_SPELLINGS = ("True", "False", "None", "'", "{'")


@pytest.mark.parametrize(
    ("text", "field", "value", "shown"),
    [
        (WAIT_DURATION, "d", True, "got true"),
        (WAIT_DURATION, "d", None, "got null"),
        (WAIT_DURATION, "d", "5", 'got "5"'),
        (WAIT_DURATION, "d", {"s": False}, 'got {"s": false}'),
        (WAIT_TIMESTAMP, "t", [None, "x"], 'got [null, "x"]'),
        (FOREACH, "items", True, "not an array: true"),
        (FOREACH, "items", {"a": None}, 'not an array: {"a": null}'),
    ],
)
async def test_runtime_causes_quote_values_as_json(
    run_flow: RunFlow, text: str, field: str, value: Any, shown: str
) -> None:
    outcome = await asyncio.wait_for(run_flow("jsoncauses", {field: value}, text=text), 60)
    assert outcome.status == "Failed", outcome.trail()
    assert outcome.error == "FnF.RuntimeError"
    cause = outcome.cause or ""
    assert shown in cause, cause
    assert not any(spelling in cause for spelling in PYTHON_SPELLINGS), cause
