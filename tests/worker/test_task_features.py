"""Task features on the time-skipping server: fan-out with real function calls (concurrency
measured from the functions' own clocks), timeouts, result checks, missing functions,
sub-flows and continue-as-new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.worker.conftest import EXAMPLES, RunFlow
from translator import compile_text

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"


def max_overlap(windows: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in windows] + [(end, -1) for _, end in windows])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


FOREACH = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping:
      collection: $.items
      item: item
      index: index
    maxConcurrency: {{limit}}
    steps:
      - type: task
        name: work
        resourceArn: {ARN}/timed-nap
        inputMappings:
          - target: item
            source: $input.item
          - target: seconds
            source: 0.4
    outputMappings:
      - target: runs
        source: $local
"""


@pytest.mark.parametrize("limit", [1, 3])
async def test_foreach_honours_max_concurrency(run_flow: RunFlow, limit: int) -> None:
    items = [f"i{n}" for n in range(7)]
    outcome = await run_flow(
        "foreach", {"items": items}, text=FOREACH.format(limit=limit), functions=FUNCTIONS
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    runs = outcome.output["runs"]
    assert [run["item"] for run in runs] == items  # results in collection order
    assert max_overlap([(run["started"], run["ended"]) for run in runs]) == limit
    entered = [
        json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "IterationEntered"
    ]
    assert sorted(d["index"] for d in entered) == list(range(7))


PARALLEL = f"""\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: left
            resourceArn: {ARN}/timed-nap
            inputMappings: [{{target: item, source: left}}, {{target: seconds, source: 0.4}}]
      - steps:
          - type: task
            name: right
            resourceArn: {ARN}/timed-nap
            inputMappings: [{{target: item, source: right}}, {{target: seconds, source: 0.4}}]
    outputMappings:
      - target: branches
        source: $local
"""


async def test_parallel_branches_run_at_once_and_keep_their_order(run_flow: RunFlow) -> None:
    outcome = await run_flow("parallel", {}, text=PARALLEL, functions=FUNCTIONS)
    assert outcome.output is not None
    branches = outcome.output["branches"]
    assert [b["item"] for b in branches] == ["left", "right"]
    assert max_overlap([(b["started"], b["ended"]) for b in branches]) == 2


FOREACH_FAILS = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping: {{collection: $.items, item: item}}
    steps:
      - type: task
        name: check
        resourceArn: {ARN}/reject-bad
  - type: pass
    name: never
"""


async def test_a_failed_iteration_fails_the_foreach(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "foreach", {"items": ["a", "bad", "c"]}, text=FOREACH_FAILS, functions=FUNCTIONS
    )
    assert (outcome.status, outcome.error) == ("Failed", "ItemRejected")
    assert outcome.cause is not None and "item bad is bad" in outcome.cause
    assert "StepFailed:each" in outcome.trail()
    assert "StepEntered:never" not in outcome.trail()


def single_task(function: str, extra: str = "") -> str:
    return f"""\
version: v1
type: flow
steps:
  - type: task
    name: call
    resourceArn: {ARN}/{function}
{extra}"""


async def test_timeout_seconds_is_a_retryable_task_timeout(run_flow: RunFlow) -> None:
    extra = """\
    timeoutSeconds: 1
    inputMappings: [{target: seconds, source: 1.6}]
    retry:
      - errors: [FnF.TaskTimeout]
        intervalSeconds: 1
        maxAttempts: 1
"""
    outcome = await run_flow("timeouts", {}, text=single_task("nap", extra), functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.TaskTimeout")
    assert outcome.types("call").count("TaskTimedOut") == 2
    assert outcome.detail("StepFailed", "call")["error"] == "FnF.TaskTimeout"


@pytest.mark.parametrize(
    ("function", "error"),
    [
        ("number", "FnF.InvalidLocal"),
        ("plain-text", "FnF.InvalidLocal"),
        ("no-such-function", "FC.FunctionNotFound"),
        ("hard-exit", "FC.Unknown"),
        ("raise", "ErrorNeedsRetry"),
    ],
)
async def test_task_errors_are_names_that_catch_sees(
    run_flow: RunFlow, function: str, error: str
) -> None:
    extra = """\
    errorMappings: [{target: error, source: $local.error}, {target: cause, source: $local.cause}]
    catch: [{errors: [FnF.ALL], goto: caught}]
  - type: succeed
    name: not-caught
  - type: pass
    name: caught
"""
    outcome = await run_flow("errors", {}, text=single_task(function, extra), functions=FUNCTIONS)
    assert outcome.status == "Succeeded"
    assert outcome.output is not None
    assert outcome.output["error"] == error, outcome.output
    if function == "no-such-function":
        assert f"{ARN}/no-such-function" in outcome.output["cause"]


async def test_the_versions_example_calls_each_qualifier(run_flow: RunFlow) -> None:
    for flow in ("flow.yaml", "flow-version-1.yaml"):
        outcome = await run_flow("versions", {}, flow=flow)
        assert outcome.status == "Succeeded", (flow, outcome)


async def test_video_processing_runs_every_branch(run_flow: RunFlow) -> None:
    flow_input = json.loads((EXAMPLES / "video-processing" / "input.json").read_text())
    outcome = await run_flow("video-processing", flow_input)
    assert outcome.status == "Succeeded", outcome
    steps = {e["StepName"] for e in outcome.events if e["Type"] == "StepExited"}
    assert {"Extract_Audio", "Split", "Merge_avi", "Merge_mp4", "Merge_flv"} <= steps
    assert {"after-process", "Transcode_avi", "Transcode_mp4", "Transcode_flv"} <= steps


CHILD = """\
version: v1
type: flow
steps:
  - type: choice
    name: decide
    choices:
      - condition: $.fail == true
        goto: broken
  - type: pass
    name: ok
    outputMappings: [{target: doubled, source: $input.n}]
    end: true
  - type: fail
    name: broken
    error: ChildBroke
    cause: told to fail
"""


def parent(pattern: str) -> str:
    return f"""\
version: v1
type: flow
steps:
  - type: task
    name: call-child
    resourceArn: acs:fnf:::flow/child
    pattern: {pattern}
    serviceParams:
      Input: $
    catch: [{{errors: [ChildBroke], goto: handled}}]
    errorMappings: [{{target: error, source: $local.error}}]
  - type: succeed
    name: done
  - type: pass
    name: handled
"""


@pytest.mark.parametrize(
    ("fail", "output"),
    [(False, {"doubled": 21}), (True, {"error": "ChildBroke"})],
)
async def test_sync_sub_flow_returns_output_or_error(
    run_flow: RunFlow, fail: bool, output: dict[str, Any]
) -> None:
    outcome = await run_flow(
        "parent",
        {"n": 21, "fail": fail},
        text=parent("sync"),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == output


async def test_request_response_sub_flow_goes_on_at_once(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "parent",
        {"n": 1, "fail": False},
        text=parent("requestResponse"),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )
    assert outcome.output is not None
    assert (outcome.output["FlowName"], outcome.output["Status"]) == ("child", "Running")
    assert set(outcome.output) == {"Name", "FlowName", "Status", "StartedTime"}


async def test_unknown_sub_flow_is_a_catchable_error(run_flow: RunFlow) -> None:
    outcome = await run_flow("parent", {}, text=parent("sync"), functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "fnf.FlowNotExists")


COUNTDOWN = f"""\
version: v1
type: flow
steps:
  - type: task
    name: tick
    resourceArn: {ARN}/countdown
    inputMappings: [{{target: left, source: $input.left}}]
  - type: choice
    name: more
    inputMappings: [{{target: left, source: $local.left}}]
    choices:
      - condition: $.left > 0
        goto: tock
    default:
      goto: done
  - type: task
    name: tock
    resourceArn: {ARN}/countdown
    inputMappings: [{{target: left, source: $local.left}}]
  - type: choice
    name: again
    inputMappings: [{{target: left, source: $local.left}}]
    choices:
      - condition: $.left > 0
        goto: tock
  - type: pass
    name: done
    outputMappings: [{{target: left, source: $input.left}}]
"""


async def test_continue_as_new_keeps_state_and_event_numbering(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "loop", {"left": 30}, text=COUNTDOWN, functions=FUNCTIONS, continue_as_new_at=60
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"left": 0}
    assert [e["EventId"] for e in outcome.events] == list(range(1, len(outcome.events) + 1))
    assert outcome.types().count("ExecutionStarted") == 1
    ticks = outcome.types("tick") + outcome.types("tock")
    assert ticks.count("TaskSucceeded") == 30
    assert outcome.runs > 3, "a 60-event threshold must have continued the run"
