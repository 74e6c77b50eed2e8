"""StopExecution stops a batched foreach everywhere: every running batch child ends Stopped,
its cancelled iterations record the stop's Error and Cause as they would inline
(worker/interpreter/cancellation.py), and no more batches start."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus

from tests.helpers.workers import serving
from tests.worker.test_stopping import (
    ARN,
    FUNCTIONS,
    QUEUE,
    STOP,
    ended,
    has,
    reached,
    start,
    trail,
)
from worker.executions import stop_execution
from worker.history import read_history

NAPS = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: 4
    steps:
      - type: task
        name: nap
        resourceArn: {ARN}/nap
        inputMappings:
          - target: seconds
            source: 10
"""


@pytest_asyncio.fixture(scope="module")
async def client(dev_server_address: str) -> AsyncIterator[Client]:
    """A worker on the dev server for test_stopping's `start` (time passes for real)."""
    temporal = await Client.connect(dev_server_address)
    async with serving(temporal, QUEUE, FUNCTIONS):
        yield temporal


BATCHES = {"foreach_batch_threshold": 20, "foreach_batch_size": 8}


async def test_stop_stops_every_batch_child(client: Client) -> None:
    handle = await start(client, NAPS, {"items": list(range(60))}, **BATCHES)
    await reached(client, handle.id, has("PartEntered:each", count=4))
    events = await read_history(client, handle.id)
    children = [
        json.loads(e["EventDetail"])["workflowId"] for e in events if e["Type"] == "PartEntered"
    ]
    for child in children:
        await reached(client, child, has("TaskScheduled:nap"))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail()[-2:] == ["StepFailed:each", "ExecutionStopped"]
    assert outcome.detail("StepFailed", "each") == STOP
    assert outcome.trail().count("PartEntered:each") == 4  # no batch started after the stop
    exits = [json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "PartExited"]
    assert len(exits) == 4 and all(d["error"] == STOP["error"] for d in exits)
    for child in children:
        described = await client.get_workflow_handle(child).describe()
        assert described.status == WorkflowExecutionStatus.CANCELED
        child_events = await read_history(client, child)
        assert trail(child_events)[-1] == "ExecutionStopped"
        stopped = json.loads(child_events[-1]["EventDetail"])
        assert stopped == STOP
        iteration_exits = [
            json.loads(e["EventDetail"]) for e in child_events if e["Type"] == "IterationExited"
        ]
        assert iteration_exits and all(d["error"] == STOP["error"] for d in iteration_exits)
