"""Sub-flows nest at most MAX_SUBFLOW_DEPTH levels. A flow that starts itself without an end,
directly or through another flow, used to start children for ever; StopExecution's cancel
travelled down the chain no faster than new levels were started, so the execution stayed
Running and the chain grew until someone terminated every run by hand. Now the task that would
start one level too many fails with a catchable FnF.RuntimeError, every level above fails with
it, and the chain ends; a bounded recursion keeps working."""

from __future__ import annotations

from typing import Any

from tests.worker.conftest import RunFlow
from translator import compile_text
from worker.interpreter.steps.subflow import MAX_SUBFLOW_DEPTH

ITSELF = """\
version: v1
type: flow
steps:
  - type: task
    name: Again
    resourceArn: acs:fnf:::flow/itself
    pattern: sync
"""

PING = """\
version: v1
type: flow
steps:
  - type: task
    name: ToPong
    resourceArn: acs:fnf:::flow/pong
    pattern: {pattern}
"""
PONG = """\
version: v1
type: flow
steps:
  - type: task
    name: ToPing
    resourceArn: acs:fnf:::flow/ping
    pattern: {pattern}
"""

COUNTDOWN = """\
version: v1
type: flow
steps:
  - type: choice
    name: More
    choices:
      - condition: $.n > 0
        goto: Down
    default:
      goto: Done
  - type: task
    name: Down
    resourceArn: acs:fnf:::flow/countdown
    pattern: sync
    inputMappings:
      - target: n
        source: $input.next
      - target: next
        source: $input.after
  - type: succeed
    name: Done
"""

TOO_DEEP = f"sub-flow levels deep; sub-flows nest at most {MAX_SUBFLOW_DEPTH} levels"


def graph(text: str) -> dict[str, Any]:
    return dict(compile_text(text))


async def test_a_flow_that_starts_itself_fails_at_the_depth_limit(run_flow: RunFlow) -> None:
    outcome = await run_flow("itself", {}, text=ITSELF, flows={"itself": graph(ITSELF)})
    assert outcome.status == "Failed"
    assert outcome.error == "FnF.RuntimeError"
    assert outcome.cause is not None and TOO_DEEP in outcome.cause
    assert f"would run {MAX_SUBFLOW_DEPTH + 1} sub-flow levels" in outcome.cause


async def test_two_flows_that_start_each_other_fail_too(run_flow: RunFlow) -> None:
    ping, pong = PING.format(pattern="sync"), PONG.format(pattern="sync")
    flows = {"ping": graph(ping), "pong": graph(pong)}
    outcome = await run_flow("ping", {}, text=ping, flows=flows)
    assert outcome.status == "Failed" and outcome.cause is not None and TOO_DEEP in outcome.cause


async def test_a_bounded_recursion_still_runs(run_flow: RunFlow) -> None:
    """Three levels that end by a choice: each level's local is its child's output."""
    flows = {"countdown": graph(COUNTDOWN)}
    outcome = await run_flow(
        "countdown", {"n": 1, "next": 1, "after": 0}, text=COUNTDOWN, flows=flows
    )
    assert outcome.status == "Succeeded", outcome.cause
    assert outcome.types("Down").count("TaskSucceeded") == 1
