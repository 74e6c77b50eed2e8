"""A long run archives its FnF events one slice per workflow task (worker/interpreter/archive.py
`_archive_rows`), so no closing task holds them all, and readers still find every slice:
the archive reads back complete, equal to what the `history` query answered, with no worker
running, for a single run, a continue-as-new chain and a failed run (whose redrive point sits
in the first slice's task). Slices are made small here (ROWS_PER_SLICE) so a few hundred events
make many of them."""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any
from unittest.mock import patch

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.converter import DataConverter

from tests.e2e.test_history_without_worker import READ_LIMIT, flow_run, queried
from tests.worker.history_checks import check_paging
from worker.archive import ARCHIVE_HISTORY, ARCHIVE_SLICE, PROGRESS_FORMAT, events_text
from worker.assembly import run_worker
from worker.execution import FlowRun, HistoryRequest
from worker.executions import start_execution
from worker.history import read_history, run_chain, run_tail
from worker.interpreter.archive import TASK_BUDGET_CHARS
from worker.interpreter.work import STEP_CHARS
from worker.settings import Settings

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"
LOOP = (Path(__file__).parents[1] / "replay" / "flows" / "inline-loop.yaml").read_text()
LOOP_THEN_FAIL = LOOP.replace(
    "  - type: succeed\n    name: Done\n",
    "  - type: fail\n    name: Broken\n    error: Custom.Broken\n    cause: after the loop\n",
)
ROWS = 16
"""Entries (events, or an inline step's folded record) per slice in these tests (the default
is 8,192)."""


def slices_per_task(events: list[HistoryEvent]) -> list[int]:
    """How many archive slices (ArchiveHistorySlice activities or ArchiveHistory markers) each
    workflow task of a run's Temporal history sent, in order: a task's commands follow its
    WorkflowTaskCompleted event."""
    counts: list[int] = []
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counts.append(0)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            counts[-1] += name == ARCHIVE_SLICE
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            counts[-1] += _marker_activity(event) == ARCHIVE_HISTORY
    return counts


def _marker_activity(event: HistoryEvent) -> str:
    data = event.marker_recorded_event_attributes.details.get("data")
    if data is None or not data.payloads:
        return ""
    return ARCHIVE_HISTORY if ARCHIVE_HISTORY.encode() in data.payloads[0].data else ""


async def finished(handle: WorkflowHandle[Any, Any]) -> None:
    with suppress(WorkflowFailureError):
        await handle.result()


async def test_long_runs_archive_one_slice_per_workflow_task(dev_server_address: str) -> None:
    queue = f"slices-{uuid.uuid4().hex[:8]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    client = await Client.connect(dev_server_address)
    left = {"left": list(range(60))}
    runs: list[FlowRun] = [
        flow_run(LOOP, left),
        flow_run(LOOP, left, steps_per_activation=20, pauses_per_run=1),
        flow_run(LOOP_THEN_FAIL, left),
    ]
    expected: dict[str, list[dict[str, Any]]] = {}
    async with AsyncExitStack() as stack:
        stack.enter_context(patch("worker.interpreter.archive.ROWS_PER_SLICE", ROWS))
        await run_worker(client, settings, stack)
        handles = [
            await start_execution(client, queue, run, search_attributes=False) for run in runs
        ]
        await asyncio.gather(*(finished(handle) for handle in handles))
        for handle in handles:
            expected[handle.id] = await queried(client, handle.id)
    # The worker is gone: only the archives can answer now.
    chains = [await run_chain(client, handle.id) for handle in handles]
    assert [len(chain) for chain in chains] == [1, len(chains[1]), 1] and len(chains[1]) >= 3
    for handle, chain in zip(handles, chains, strict=True):
        events = expected[handle.id]
        assert len(events) > 3 * ROWS
        for run in chain:
            history = await client.get_workflow_handle(handle.id, run_id=run).fetch_history()
            counts = slices_per_task(list(history.events))
            assert max(counts) == 1, counts  # never two slices in one workflow task
            tail = await run_tail(client, handle.id, run)
            assert tail.archive is not None
            rows = tail.archive.next_id - tail.archive.first_id
            # slices of ROWS entries, each an event or an inline step's folded record of 2-4
            assert -(-rows // (4 * ROWS)) <= sum(counts) <= max(1, -(-rows // ROWS))
        read = await asyncio.wait_for(read_history(client, handle.id), READ_LIMIT)
        assert read == events
        await asyncio.wait_for(check_paging(client, handle.id, events), READ_LIMIT)
    failed = await run_tail(client, handles[2].id, chains[2][0])
    assert failed.redrive_point is not None  # recorded just before the first slice
    assert expected[handles[2].id][-1]["Type"] == "ExecutionFailed"


CHAIN = "version: v1\ntype: flow\nsteps:\n" + "".join(
    f"  - type: pass\n    name: p{n}\n" for n in range(24)
)
"""24 pass steps, each recording the whole input (the flow's 401,000-character blob)."""


async def chunks_of(events: list[HistoryEvent]) -> list[dict[str, Any]]:
    """Every archive chunk a run's Temporal history holds (ArchiveHistorySlice inputs and
    ArchiveHistory results), decoded, in order."""
    converter = DataConverter.default
    blobs: list[bytes] = []
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name == ARCHIVE_SLICE:
                blobs += await converter.decode(attributes.input.payloads, [bytes])
        elif _marker_activity(event) == ARCHIVE_HISTORY:
            result = event.marker_recorded_event_attributes.details["result"]
            blobs += await converter.decode(result.payloads, [bytes])
    return [json.loads(zlib.decompress(blob)) for blob in blobs]


async def queried_in_pages(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    """Every event of a single run through the `history` query, 1.5 MB a page: the history
    is more than one answer may carry (2 MB), and each page replays the closed run."""
    events: list[dict[str, Any]] = []
    while True:
        request = HistoryRequest(from_event_id=len(events) + 1, max_bytes=1_500_000)
        page = (await handle.query("history", request))["events"]
        if not page:
            return events
        events += page


async def test_slices_keep_to_their_tasks_budget_whatever_their_data(
    dev_server_address: str,
) -> None:
    """Steps that each carry 401,000 characters: every slice's text keeps within the budget of
    its workflow task (a pause's slice within what the stretch of steps before it left), by
    characters rather than by a count of entries (8,192 of these would be a gigabyte), so the
    pauses carry what fits, the close writes the rest in slices of their own, one a task, and
    the archive reads back whole with no worker running."""
    queue = f"budget-{uuid.uuid4().hex[:8]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    client = await Client.connect(dev_server_address)
    blob = "x" * 400_000 + "é" * 1_000
    run = flow_run(CHAIN, {"blob": blob}, step_data_limit=0, steps_per_activation=8)
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        handle = await start_execution(client, queue, run, search_attributes=False)
        await handle.result()
        expected = await queried_in_pages(handle)
    [run_id] = await run_chain(client, handle.id)
    history = list(
        (await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()).events
    )
    assert max(slices_per_task(history)) == 1
    documents = await chunks_of(history)
    carried = [d for d in documents if d["format"] == PROGRESS_FORMAT]
    closing = [d for d in documents if d["format"] != PROGRESS_FORMAT]
    assert len(carried) >= 2 and len(closing) >= 2  # the pauses could not carry it all
    for document in documents:
        text = events_text(document["events"])
        assert len(text) <= TASK_BUDGET_CHARS or len(document["events"]) == 1
    for document in carried:  # written in a task that ran 8 steps first
        assert len(events_text(document["events"])) <= TASK_BUDGET_CHARS - 8 * STEP_CHARS
    tail = await run_tail(client, handle.id, run_id)
    assert tail.archive is not None and tail.archive.events == expected
    assert await asyncio.wait_for(read_history(client, handle.id), READ_LIMIT) == expected
