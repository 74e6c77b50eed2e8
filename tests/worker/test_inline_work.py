"""Long runs of inline steps: every workflow activation stays short (a deterministic work meter
pauses the flow, and the root sequence continues as new), and neither changes the flow's
output or its FnF history (worker/interpreter/work.py)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.helpers.pauses import pause_activities
from tests.helpers.workers import serving
from tests.worker.conftest import RunFlow
from translator import compile_text
from worker.activities.pauses import PAUSE
from worker.archive import ARCHIVE_SLICE
from worker.assembly import Connectors, build_queue_worker
from worker.execution import FlowRun, HistoryRequest
from worker.executions import start_execution
from worker.functions import FunctionRegistry, FunctionRuntime
from worker.roles import WorkerRole, plan

LOOP = (Path(__file__).parents[1] / "replay" / "flows" / "inline-loop.yaml").read_text()
"""Init, then the choice Loop taking one item of `left` per iteration (a nested pass), Done."""


def _without_times(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in event.items() if key != "Time"} for event in events]


async def test_pauses_and_handovers_leave_output_and_history_unchanged(run_flow: RunFlow) -> None:
    flow_input = {"left": list(range(1, 61))}
    meter = {"steps_per_activation": 15, "pauses_per_run": 2}
    metered = await run_flow("inline-loop", flow_input, text=LOOP, **meter)
    plain = await run_flow("inline-loop", flow_input, text=LOOP)
    assert metered.status == plain.status == "Succeeded"
    assert metered.output == plain.output == {"left": [], "seen": 60}
    # 1 + 60 x 2 + 1 + 1 steps, 4 events each, and the execution's two.
    assert len(metered.events) == 4 * 123 + 2
    assert _without_times(metered.events) == _without_times(plain.events)
    assert [e["EventId"] for e in metered.events] == list(range(1, 4 * 123 + 3))
    assert plain.runs == 1
    assert metered.runs >= 123 // (16 * 3)  # two pauses, then a handover, per 45-48 steps


async def test_a_metered_run_pauses_with_an_activity_that_ends_the_workflow_task(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Each pause is a regular FnFPause activity, so the server sees the workflow task end at
    every pause (a local activity kept one task open across all of them)."""
    meter = {"steps_per_activation": 15, "pauses_per_run": 100}
    outcome = await run_flow("inline-loop", {"left": list(range(20))}, text=LOOP, **meter)
    assert (outcome.status, outcome.runs) == ("Succeeded", 1)
    handle = temporal_env.client.get_workflow_handle(outcome.workflow_id)
    history = await handle.fetch_history()
    pauses = _pause_activities(history.events)
    assert len(pauses) >= 43 // 16  # one per 15-16 steps (between root steps)
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert not [e for e in markers if b"FnFPause" in e.SerializeToString()]
    completed = [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    for pause in pauses:  # the pause was scheduled by the task that completed just before it
        assert pause.event_id - 1 in completed
    assert len(completed) > len(pauses)


def _pause_activities(events: Iterable[HistoryEvent]) -> list[HistoryEvent]:
    return pause_activities(events)


NESTED = """\
version: v1
type: flow
steps:
  - type: parallel
    name: Branches
    branches:
      - steps:
          - type: pass
            name: Init
            outputMappings:
              - {target: left, source: $input.left}
          - type: choice
            name: Loop
            choices:
              - condition: $.left[0] != null
                steps:
                  - type: pass
                    name: Take
                    outputMappings:
                      - target: left
                        source: $input.left[1:]
                      - target: seen
                        source: $input.left[0]
                goto: Loop
    outputMappings:
      - target: branch
        source: $local[0]
"""


async def test_a_loop_inside_a_branch_pauses_without_handing_over(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Nested sequences cannot continue as new (the root alone hands over), but they pause."""
    flow_input = {"left": list(range(1, 31))}
    metered = await run_flow("inline-nested", flow_input, text=NESTED, steps_per_activation=15)
    plain = await run_flow("inline-nested", flow_input, text=NESTED)
    assert metered.output == plain.output == {"branch": {"left": [], "seen": 30}}
    assert _without_times(metered.events) == _without_times(plain.events)
    assert metered.runs == 1
    handle = temporal_env.client.get_workflow_handle(metered.workflow_id)
    history = await handle.fetch_history()
    assert len(_pause_activities(history.events)) >= 60 // 16


# ---------------------------------------------------------------------------------------------
# 100,000 iterations at the root, with the meter's defaults


def _counter_flow(iterations: int) -> str:
    """A choice loop counting decimal digits d0.. up to `iterations` (FDL has no arithmetic):
    each iteration is the choice `Loop` plus a pass per digit changed (a nested choice per
    carry), about 2.2 steps an iteration."""
    width = len(str(iterations))
    target = [(iterations // 10**place) % 10 for place in range(width)]
    done = " && ".join(f"$.d{place} == {digit}" for place, digit in enumerate(target))
    zeros = [{"target": f"d{place}", "source": 0} for place in range(width)]
    init = {"type": "pass", "name": "Init", "outputMappings": zeros}
    loop = {
        "type": "choice",
        "name": "Loop",
        "choices": [{"condition": done, "goto": "Done"}, *_increment(0, width, "Loop")],
        "default": {"steps": _carry(0, width), "goto": "Loop"},
    }
    steps = [init, loop, {"type": "succeed", "name": "Done"}]
    return json.dumps({"version": "v1", "type": "flow", "steps": steps})


def _increment(place: int, width: int, goto: str | None) -> list[dict[str, Any]]:
    options = []
    for digit in range(9):
        option: dict[str, Any] = {
            "condition": f"$.d{place} == {digit}",
            "steps": [
                {
                    "type": "pass",
                    "name": f"Set{place}",
                    "outputMappings": [{"target": f"d{place}", "source": digit + 1}],
                }
            ],
        }
        if goto:
            option["goto"] = goto
        options.append(option)
    return options


def _carry(place: int, width: int) -> list[dict[str, Any]]:
    """Digit `place` is 9: set it to 0 and add one to the next."""
    zero = {
        "type": "pass",
        "name": f"Zero{place}",
        "outputMappings": [{"target": f"d{place}", "source": 0}],
    }
    if place + 1 == width:
        return [zero]
    nested = {
        "type": "choice",
        "name": f"Carry{place + 1}",
        "choices": _increment(place + 1, width, None),
        "default": {"steps": _carry(place + 1, width)},
    }
    return [zero, nested]


def _counter_steps(iterations: int) -> int:
    """Init, a Loop visit per iteration and one more, a pass per digit set, a Zero pass and a
    Carry choice per carry, and Done."""
    total = 1 + (iterations + 1) + 1
    for value in range(iterations):
        text = str(value)
        total += 1 + 2 * (len(text) - len(text.rstrip("9")))
    return total


@pytest_asyncio.fixture(scope="module")
async def inline_queue(temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    """A worker with the default settings, for the long loop."""
    queue = f"inline-{uuid.uuid4().hex[:6]}"
    async with serving(temporal_env.client, queue, None):
        yield queue


async def _page(client: Client, workflow_id: str, run_id: str, start: int) -> dict[str, Any]:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    answer: dict[str, Any] = await handle.query("history", HistoryRequest(from_event_id=start))
    return answer


async def test_a_100000_iteration_inline_loop_finishes(
    temporal_env: WorkflowEnvironment, inline_queue: str
) -> None:
    iterations = 100_000
    client = temporal_env.client
    graph = dict(compile_text(_counter_flow(iterations)))
    run = FlowRun(graph=graph, input={}, flow_name="counter", execution_name=f"exec-{uuid.uuid4()}")
    began = time.monotonic()
    handle = await start_execution(client, inline_queue, run, search_attributes=False)
    output = await handle.result()
    elapsed = time.monotonic() - began
    assert output == {"d0": 0, "d1": 0, "d2": 0, "d3": 0, "d4": 0, "d5": 1}
    # Each query of a closed run replays it: three queries, not a walk of the whole chain.
    first_run = handle.first_execution_run_id or ""
    last_run = (await handle.describe()).run_id or ""
    assert last_run != first_run, "the loop should have continued as new"
    events = 4 * _counter_steps(iterations) + 2
    first = await _page(client, handle.id, first_run, 1)
    assert first["firstEventId"] == 1
    assert first["events"][0]["Type"] == "ExecutionStarted"
    assert [e["EventId"] for e in first["events"]] == list(range(1, len(first["events"]) + 1))
    tail = await _page(client, handle.id, last_run, events)
    assert tail["nextEventId"] == events + 1
    assert tail["previousRunId"]
    assert [e["Type"] for e in tail["events"]] == ["ExecutionSucceeded"]
    assert json.loads(tail["events"][0]["EventDetail"]) == {"output": output}
    print(f"100,000 iterations: {elapsed:.1f} s")


async def test_every_worker_polling_the_interpreters_queue_runs_pauses(
    temporal_env: WorkflowEnvironment,
) -> None:
    """FnFPause and ArchiveHistorySlice are regular activities on the interpreter's queue,
    which a `--functions-only` worker polls too: a task it took without the activity would
    fail and wait for a retry."""
    registry = FunctionRegistry.from_mapping({})
    connectors = Connectors(FunctionRuntime(registry), None)
    roles = [WorkerRole.of_options(True, False, []), WorkerRole.of_options(False, True, [])]
    for role in roles:
        queue = f"roles-{uuid.uuid4().hex[:6]}"  # one worker per queue in a process
        [queue_plan] = [q for q in plan(role, registry, queue).queues if q.task_queue == queue]
        worker = build_queue_worker(temporal_env.client, queue_plan, connectors)
        assert worker._activity_worker is not None
        assert PAUSE in worker._activity_worker._activities
        assert ARCHIVE_SLICE in worker._activity_worker._activities
    await connectors.aclose()
