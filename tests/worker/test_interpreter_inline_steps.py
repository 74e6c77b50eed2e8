"""The interpreter on real Temporal (time-skipping server): steps that need no activity.

Each case runs one execution of a small flow and checks its status, output and FnF events,
following the FDL reference's mini-examples.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from translator import compile_text
from worker.archive import archive_history
from worker.history import read_history
from worker.redrive_points import record_redrive_point
from worker.workflow import FlowRun, FnFFlow

QUEUE = "interpreter-inline-tests"


@pytest_asyncio.fixture(scope="module")
async def worker(temporal_env: WorkflowEnvironment) -> AsyncIterator[Worker]:
    async with Worker(
        temporal_env.client,
        task_queue=QUEUE,
        workflows=[FnFFlow],
        activities=[archive_history, record_redrive_point],
    ) as running:
        yield running


async def execute(
    env: WorkflowEnvironment, flow: str, flow_input: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    name = f"exec-{uuid.uuid4()}"
    handle = await env.client.start_workflow(
        FnFFlow.run,
        FlowRun(
            graph=dict(compile_text(flow)), input=flow_input, flow_name="f", execution_name=name
        ),
        id=name,
        task_queue=QUEUE,
    )
    try:
        output = await handle.result()
    finally:
        events = await read_history(env.client, name)
    return output, events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [f"{e['Type']}:{e['StepName']}" if e["StepName"] else e["Type"] for e in events]


CHOICE = """\
version: v1
type: flow
steps:
  - type: choice
    name: mychoice
    choices:
      - condition: $.status == "ready"
        steps: [{type: pass, name: pass1}]
      - condition: $.status == "failed"
        goto: final
    default:
      steps: [{type: pass, name: pass2}]
      goto: final
  - type: pass
    name: pass3
  - type: pass
    name: final
"""


@pytest.mark.parametrize(
    ("status", "entered"),
    [
        ("ready", ["mychoice", "pass1", "pass3", "final"]),
        ("failed", ["mychoice", "final"]),
        ("other", ["mychoice", "pass2", "final"]),
    ],
)
async def test_choice_routes_like_the_reference(
    temporal_env: WorkflowEnvironment, worker: Worker, status: str, entered: list[str]
) -> None:
    _, events = await execute(temporal_env, CHOICE, {"status": status})
    assert [e["StepName"] for e in events if e["Type"] == "StepEntered"] == entered
    assert events[-1]["Type"] == "ExecutionSucceeded"


async def test_pass_output_and_event_sequence(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: pass
    name: init
    outputMappings:
      - {target: names, source: ["A", "B", "C"]}
      - {target: first, source: $input.x}
      - {target: here, source: $context.step.name}
"""
    output, events = await execute(temporal_env, flow, {"x": 1})
    assert output == {"names": ["A", "B", "C"], "first": 1, "here": "init"}
    assert kinds(events) == [
        "ExecutionStarted", "StepEntered:init", "StepStarted:init", "StepSucceeded:init",
        "StepExited:init", "ExecutionSucceeded",
    ]  # fmt: skip
    assert [e["EventId"] for e in events] == list(range(1, 7))
    assert json.loads(events[4]["EventDetail"])["local"] == output
    assert events[4]["ScheduleEventId"] == 2


async def test_fail_step_fails_execution_with_error_and_cause(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: fail
    name: handle_failure
    error: StatusIsNotReady
    cause: status is not ready
  - type: pass
    name: never
"""
    with pytest.raises(WorkflowFailureError) as raised:
        await execute(temporal_env, flow, {})
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "StatusIsNotReady"
    assert cause.message == "step handle_failure failed with StatusIsNotReady: status is not ready"
    assert cause.details[0]["cause"] == "status is not ready"


async def test_parallel_locals_in_branch_order(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: parallel
    name: myparallel
    branches:
      - steps:
          - {type: wait, name: slow, duration: 5}
          - type: pass
            name: pass1
            outputMappings: [{target: result, source: pass1}]
      - steps:
          - type: pass
            name: pass2
            outputMappings: [{target: result, source: pass2}]
    outputMappings:
      - {target: result, source: "$local[*].result"}
"""
    output, events = await execute(temporal_env, flow, {})
    assert output == {"result": ["pass1", "pass2"]}
    assert kinds(events).count("BranchEntered:myparallel") == 2


async def test_foreach_merges_item_and_index_and_collects_in_order(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: foreach
    name: myforeach
    maxConcurrency: 2
    iterationMapping: {collection: $.names, item: name, index: i}
    steps:
      - type: wait
        name: pause
        duration: $.delay
      - type: pass
        name: upper
        outputMappings:
          - {target: name, source: $input.name}
          - {target: i, source: $input.i}
    outputMappings:
      - {target: names, source: "$local[*].name"}
      - {target: positions, source: "$local[*].i"}
"""
    output, _ = await execute(temporal_env, flow, {"names": ["a", "b", "c"], "delay": 3})
    assert output == {"names": ["a", "b", "c"], "positions": [0, 1, 2]}


async def test_foreach_over_a_non_array_fails_with_runtime_error(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping: {collection: $.missing, item: it}
    steps: [{type: pass, name: p}]
"""
    with pytest.raises(WorkflowFailureError) as raised:
        await execute(temporal_env, flow, {})
    assert isinstance(raised.value.cause, ApplicationError)
    assert raised.value.cause.type == "FnF.RuntimeError"


async def test_wait_timestamp_in_the_past_ends_at_once(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    flow = """\
version: v1
type: flow
steps:
  - {type: wait, name: w, timestamp: "2019-05-02T15:04:05Z"}
  - {type: wait, name: w2, duration: $.sleep}
"""
    output, events = await execute(temporal_env, flow, {"sleep": 60})
    assert output == {}
    assert kinds(events)[-1] == "ExecutionSucceeded"


async def test_flow_output_mappings_build_exactly_the_output(
    temporal_env: WorkflowEnvironment, worker: Worker
) -> None:
    steps = "steps:\n  - type: pass\n    name: p\n    outputMappings: [{target: a, source: 1}]\n"
    mapped = "version: v1\ntype: flow\noutputMappings:\n  - {target: b, source: $local.a}\n"
    empty = "version: v1\ntype: flow\noutputMappings: []\n"
    plain = "version: v1\ntype: flow\n"
    assert (await execute(temporal_env, mapped + steps, {}))[0] == {"b": 1}
    assert (await execute(temporal_env, empty + steps, {}))[0] == {}
    assert (await execute(temporal_env, plain + steps, {}))[0] == {"a": 1}
