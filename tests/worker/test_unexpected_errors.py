"""An error of the interpreter itself (not a flow's failure, not one of Temporal's) ends the
execution with FnF.RuntimeError naming where it happened, instead of failing the workflow task,
which Temporal would retry for ever while Stop, Describe and the history stop answering.

The trigger is genuine: a lone UTF-16 surrogate in the data makes the UTF-8 size accounting of
the event quota raise UnicodeEncodeError (the data reaches the workflow through a path that does
not check it, here the worker's own start)."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.worker.conftest import Outcome, RunFlow

PASS = """\
version: v1
type: flow
steps:
  - type: pass
    name: Only
    outputMappings:
      - target: s
        source: $input.s
"""

FOREACH = """\
version: v1
type: flow
steps:
  - type: pass
    name: Before
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: pass
        name: Keep
        outputMappings:
          - target: kept
            source: $input.item
"""

PARALLEL = """\
version: v1
type: flow
steps:
  - type: parallel
    name: Par
    branches:
      - steps:
          - type: foreach
            name: Inner
            iterationMapping:
              collection: $.items
              item: item
            steps:
              - type: pass
                name: Keep
                outputMappings:
                  - target: kept
                    source: $input.item
"""

BOUND = 60.0
"""Seconds within which the execution must end; a looping workflow task never does."""


async def _ended(run_flow: RunFlow, text: str, flow_input: dict[str, object]) -> Outcome:
    return await asyncio.wait_for(run_flow("unexpected", flow_input, text=text), BOUND)


def _assert_failed_readably(outcome: Outcome, cause_start: str) -> None:
    assert outcome.status == "Failed", outcome.trail()
    assert outcome.error == "FnF.RuntimeError"
    assert (outcome.cause or "").startswith(cause_start), outcome.cause
    assert "UnicodeEncodeError" in (outcome.cause or "")
    assert outcome.types()[-1] == "ExecutionFailed", outcome.trail()
    # Every event's detail is valid JSON, readable by any client.
    for event in outcome.events:
        json.dumps(json.loads(event["EventDetail"]), allow_nan=False).encode()


async def test_error_outside_any_step_fails_the_execution(run_flow: RunFlow) -> None:
    """The execution's output cannot be measured: FnF.RuntimeError, no step named."""
    outcome = await _ended(run_flow, PASS, {"s": "\ud800"})
    _assert_failed_readably(outcome, "UnicodeEncodeError")
    assert outcome.trail()[-2] == "StepExited:Only"


@pytest.mark.parametrize(
    ("text", "step", "trail_end"),
    [
        (FOREACH, "Each", ["StepFailed:Each", "ExecutionFailed"]),
        (
            PARALLEL,
            "Inner",
            ["StepFailed:Inner", "BranchExited:Par", "StepFailed:Par", "ExecutionFailed"],
        ),
    ],
)
async def test_error_inside_a_step_fails_it_by_name(
    run_flow: RunFlow, text: str, step: str, trail_end: list[str]
) -> None:
    """A foreach's `$local` cannot be measured: the step (and every step around it) fails
    with FnF.RuntimeError naming the step; steps before it are untouched."""
    outcome = await _ended(run_flow, text, {"items": ["a", "\ud800"]})
    _assert_failed_readably(outcome, f"step {step}: UnicodeEncodeError")
    assert outcome.trail()[-len(trail_end) :] == trail_end, outcome.trail()[-8:]
    failed = outcome.detail("StepFailed", step)
    assert failed["error"] == "FnF.RuntimeError"
