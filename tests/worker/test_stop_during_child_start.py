"""A StopExecution that lands while a child run is being started (a foreach batch, the rest
of a nested sequence, a sub-flow) stops it with the stop's Error and Cause, as a stop that
lands once it runs does (worker/interpreter/child_starts.py).

The window is made exact: the worker stops while the flow waits on a timer, the timer fires
with no worker, the stop arrives, and a new worker gets the timer, the signal and the
cancellation in one workflow task, so the flow issues the child's start and sees the
cancellation in the same activation."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from tests.helpers.workers import serving
from tests.worker.test_stopping import FUNCTIONS, STOP, ended
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution, stop_execution
from worker.naming import workflow_id

WAIT = """\
  - type: task
    name: nap
    resourceArn: acs:fc:::services/demo/functions/mark-local
    inputMappings:
      - {target: step, source: nap}
      - {target: marks, source: $input.marks}
      - {target: seconds, source: 2}
"""

BATCHES = (
    "version: v1\ntype: flow\nsteps:\n"
    + WAIT
    + """\
  - type: foreach
    name: each
    iterationMapping: {collection: $.items, item: item}
    steps:
      - {type: wait, name: slow, duration: 30}
"""
)

HANDOVER = """\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: nap
            resourceArn: acs:fc:::services/demo/functions/mark-local
            inputMappings:
              - {target: step, source: nap}
              - {target: marks, source: $input.marks}
              - {target: seconds, source: 2}
          - {type: wait, name: slow, duration: 30}
"""

SUBFLOW = (
    "version: v1\ntype: flow\nsteps:\n"
    + WAIT
    + """\
  - type: task
    name: call-child
    resourceArn: acs:fnf:::flow/child
    pattern: sync
    serviceParams: {ExecutionName: $.child}
"""
)

CHILD = """\
version: v1
type: flow
steps:
  - {type: wait, name: slow, duration: 30}
"""


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "foreach-batch": (
        BATCHES,
        {"foreach_batch_threshold": 2, "foreach_batch_size": 2, "input": {"items": [1, 2, 3]}},
    ),
    "nested-handover": (HANDOVER, {"continue_as_new_at": 1, "nested_handover_steps": 1}),
    "sub-flow": (SUBFLOW, {"flows": {"child": dict(compile_text(CHILD))}}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_stop_landing_as_a_child_starts_carries_its_error(
    dev_server_address: str, case: str, tmp_path: Path
) -> None:
    client = await Client.connect(dev_server_address)
    text, fields = CASES[case]
    fields = dict(fields)
    flow_input = fields.pop("input", {})
    child_name = f"kid-{uuid.uuid4().hex[:8]}"
    flow_input["child"] = child_name
    marks = tmp_path / "marks"
    flow_input["marks"] = str(marks)
    queue = f"child-start-{uuid.uuid4().hex[:6]}"
    run = FlowRun(
        graph=dict(compile_text(text)),
        input=flow_input,
        flow_name="stopping",
        execution_name=f"exec-{uuid.uuid4()}",
        **fields,
    )
    async with serving(client, queue, FUNCTIONS):
        handle = await start_execution(client, queue, run, search_attributes=False)
        while not marks.exists():  # the local call runs: its workflow task is in flight
            await asyncio.sleep(0.05)
    # The worker finished that workflow task (the child's start sent) and polls no more.
    await stop_execution(handle, **STOP)
    async with serving(client, queue, FUNCTIONS):
        outcome = await ended(client, handle)
        assert outcome.status == "Stopped"
        assert outcome.detail("ExecutionStopped") == STOP
        children = [
            json.loads(e["EventDetail"])["workflowId"]
            for e in outcome.events
            if e["Type"] == "PartEntered"
        ]
        if case == "sub-flow":
            children = [workflow_id("child", child_name)]
        assert children
        for child in children:
            stopped = await ended(client, client.get_workflow_handle(child))
            assert stopped.status == "Stopped"
            assert stopped.detail("ExecutionStopped") == STOP
            ends = [e for e in stopped.events if e["Type"] in CANCELLED_ENDS]
            details = [json.loads(e["EventDetail"]) for e in ends]
            assert details and all({k: d.get(k) for k in STOP} == STOP for d in details), details
        exits = [e for e in outcome.events if e["Type"] == "PartExited"]
        assert all(json.loads(e["EventDetail"]).get("error") == STOP["error"] for e in exits)
        assert await _cancel_requests(handle) == dict.fromkeys(children, 1)


async def _cancel_requests(handle: Any) -> dict[str, int]:
    """How many cancel requests the parent sent each child: one, with the stop's reason (a
    second one, without it, used to follow when a batch ended before its sibling)."""
    counts: dict[str, int] = {}
    async for event in handle.fetch_history_events():
        if event.HasField("request_cancel_external_workflow_execution_initiated_event_attributes"):
            sent = event.request_cancel_external_workflow_execution_initiated_event_attributes
            counts[sent.workflow_execution.workflow_id] = (
                counts.get(sent.workflow_execution.workflow_id, 0) + 1
            )
    return counts


CANCELLED_ENDS = {"ExecutionStopped", "StepFailed", "IterationExited", "BranchExited"}
