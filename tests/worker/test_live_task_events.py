"""Task events enter the FnF history when they happen (DESIGN 9), not when the task ends.

A task activity signals its execution once an attempt has run a moment and whenever an attempt
fails with a retry to come; these tests read the history (the `history` query) while the task
is still running. The functions run for real; time passes for real while nobody awaits a
result on the time-skipping server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from translator import compile_text
from worker.activities.requests import ATTEMPT_SIGNAL, AttemptRecord, AttemptReport
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"
QUEUE = f"live-events-{uuid.uuid4().hex[:6]}"

SLOW = f"""\
version: v1
type: flow
steps:
  - type: task
    name: slow
    resourceArn: {ARN}/nap
    inputMappings: [{{target: seconds, source: $input.seconds}}]
"""

TWO_SLOW = f"""\
version: v1
type: flow
steps:
  - type: task
    name: one
    resourceArn: {ARN}/nap
    inputMappings: [{{target: seconds, source: 2}}]
  - type: task
    name: two
    resourceArn: {ARN}/nap
    inputMappings: [{{target: seconds, source: 2}}]
"""

RETRIED = f"""\
version: v1
type: flow
steps:
  - type: task
    name: shaky
    resourceArn: {ARN}/flaky
    inputMappings:
      - {{target: tally, source: $input.tally}}
      - {{target: failures, source: 2}}
    retry:
      - errors: [Flaky]
        intervalSeconds: 2
        maxAttempts: 3
        multiplier: 1
"""

CONCURRENT = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: work
        resourceArn: {ARN}/flaky
        inputMappings:
          - {{target: tally, source: $input.item.tally}}
          - {{target: failures, source: $input.item.failures}}
          - {{target: seconds, source: $input.item.seconds}}
        retry:
          - errors: [Flaky]
            intervalSeconds: 1
            maxAttempts: 2
            multiplier: 1
"""

Events = list[dict[str, Any]]


@pytest_asyncio.fixture(scope="module")
async def client(temporal_env: WorkflowEnvironment) -> AsyncIterator[Client]:
    async with serving(temporal_env.client, QUEUE, FUNCTIONS):
        yield temporal_env.client


async def start(
    client: Client, flow: str, flow_input: dict[str, Any], **fields: Any
) -> WorkflowHandle[Any, Any]:
    run = FlowRun(
        graph=dict(compile_text(flow)),
        input=flow_input,
        flow_name="live",
        execution_name=f"exec-{uuid.uuid4()}",
        **fields,
    )
    return await start_execution(client, QUEUE, run, search_attributes=False)


async def history_when(
    client: Client, handle: WorkflowHandle[Any, Any], seen: Callable[[Events], bool]
) -> Events:
    """The FnF history as soon as `seen` holds for it (polling, as GetExecutionHistory does)."""
    for _ in range(300):
        events = await read_history(client, handle.id)
        if seen(events):
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"never seen; last history: {[e['Type'] for e in events]}")


def has(kind: str, count: int = 1) -> Callable[[Events], bool]:
    return lambda events: sum(e["Type"] == kind for e in events) >= count


async def still_running(handle: WorkflowHandle[Any, Any]) -> bool:
    return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def finished(handle: WorkflowHandle[Any, Any], client: Client) -> Events:
    await handle.result()
    return await read_history(client, handle.id)


def timeless(events: Events) -> Events:
    """Events without their Time: the time-skipping server may stamp a workflow task that a
    signal started a few milliseconds differently when a closed execution is queried."""
    return [{k: v for k, v in event.items() if k != "Time"} for event in events]


def check_order(events: Events) -> None:
    """EventIds count 1, 2, 3... and times never go backwards."""
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    times = [e["Time"] for e in events]
    assert times == sorted(times), [(e["EventId"], e["Type"], e["Time"]) for e in events]


async def test_task_started_is_readable_while_the_function_runs(client: Client) -> None:
    handle = await start(client, SLOW, {"seconds": 3})
    during = await history_when(client, handle, has("TaskStarted"))
    assert await still_running(handle)
    assert [e["Type"] for e in during][-3:] == ["StepEntered", "TaskScheduled", "TaskStarted"]
    after = await finished(handle, client)
    assert timeless(after[: len(during)]) == timeless(during)  # recorded once, never rewritten
    assert [e["Type"] for e in after].count("TaskStarted") == 1
    check_order(after)


async def test_the_start_report_waits_as_configured(client: Client) -> None:
    """FNF_ATTEMPT_REPORT_AFTER pinned at 10 s: a 3 s attempt's start comes with its end."""
    handle = await start(client, SLOW, {"seconds": 3}, attempt_report_after=10.0)
    await history_when(client, handle, has("TaskScheduled"))
    await asyncio.sleep(2)
    assert await still_running(handle)
    assert "TaskStarted" not in [e["Type"] for e in await read_history(client, handle.id)]
    events = await finished(handle, client)
    assert [e["Type"] for e in events].count("TaskStarted") == 1
    check_order(events)


async def test_a_retry_is_readable_before_the_task_ends(client: Client, tmp_path: Path) -> None:
    handle = await start(client, RETRIED, {"tally": str(tmp_path / "tally")})
    during = await history_when(client, handle, has("TaskFailed"))
    assert await still_running(handle)
    assert "TaskSucceeded" not in [e["Type"] for e in during]
    after = await finished(handle, client)
    attempts = ["TaskScheduled", "TaskStarted", "TaskFailed"] * 2
    assert [e["Type"] for e in after if e["StepName"] == "shaky"] == [
        "StepEntered",
        *attempts,
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "StepExited",
    ]
    assert timeless(after[: len(during)]) == timeless(during)
    started = [e for e in after if e["Type"] == "TaskStarted"]
    assert [e["EventDetail"] for e in started] == [f'{{"attempt":{n}}}' for n in (1, 2, 3)]
    check_order(after)


async def test_concurrent_iterations_keep_times_in_order(client: Client, tmp_path: Path) -> None:
    """Iterations whose attempts are slow, fast, retried, at once: each event where it
    happened, ids dense, times never backwards."""
    shapes = [(0, 1.3), (1, 0.2), (0, 0.1), (1, 1.2), (0, 0.5), (2, 0.1)]
    items = [
        {"tally": str(tmp_path / f"tally{n}"), "failures": failures, "seconds": seconds}
        for n, (failures, seconds) in enumerate(shapes)
    ]
    handle = await start(client, CONCURRENT, {"items": items})
    events = await finished(handle, client)
    check_order(events)
    assert [e["Type"] for e in events].count("TaskSucceeded") == len(shapes)
    assert [e["Type"] for e in events].count("TaskFailed") == 1 + 1 + 2
    by_task: dict[int, list[str]] = {}
    for event in events:
        if event["Type"].startswith("Task"):
            key = event["EventId"] if event["Type"] == "TaskScheduled" else event["ScheduleEventId"]
            by_task.setdefault(key, []).append(event["Type"])
    assert sorted(map(tuple, by_task.values())) == sorted(
        [("TaskScheduled", "TaskStarted", "TaskFailed")] * 4
        + [("TaskScheduled", "TaskStarted", "TaskSucceeded")] * 6
    )


async def test_reports_for_other_attempts_or_tasks_are_ignored(client: Client) -> None:
    """Only the open attempt of a task still waiting on its activity takes a report: a second
    start, a later attempt, an unknown task and a task that has ended change nothing."""
    handle = await start(client, TWO_SLOW, {})
    during = await history_when(client, handle, has("TaskStarted"))
    task = next(e["EventId"] for e in during if e["Type"] == "TaskScheduled")
    failed = AttemptRecord("2020-01-01T00:00:00.000Z", "", "2020-01-01T00:00:01.000Z", "E", "c")
    for report in (
        AttemptReport(task, 1, AttemptRecord("2020-01-01T00:00:00.000Z")),
        AttemptReport(task, 2, failed),
        AttemptReport(task + 100, 1, failed),
    ):
        await handle.signal(ATTEMPT_SIGNAL, report)
    await history_when(client, handle, has("TaskStarted", 2))
    await handle.signal(ATTEMPT_SIGNAL, AttemptReport(task, 1, failed))
    events = await finished(handle, client)
    for step in ("one", "two"):
        assert [e["Type"] for e in events if e["StepName"] == step] == [
            "StepEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "StepExited",
        ]
    check_order(events)
