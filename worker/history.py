"""Read an execution's FnF history from any process, page by page, across its runs.

Each FnFFlow run answers the `history` query for its own events; continue-as-new chains runs
together and EventIds keep counting across them. A page starts in a known run (the first, or
the one a previous page ended in) and moves to the next run when this one has no more events,
so reading one page costs one or two queries however long the execution has run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from worker.execution import HISTORY_PAGE_LIMIT, HistoryRequest

READ_ALL_PAGE_LIMIT = 100_000


@dataclass
class HistoryPage:
    """Events in EventId order; `next_event_id` is where the next page starts (None: there
    are no more events yet) and `run_id` the run to ask first for it."""

    events: list[dict[str, Any]]
    next_event_id: int | None
    run_id: str


async def read_history_page(
    client: Client,
    workflow_id: str,
    start: int = 1,
    limit: int = HISTORY_PAGE_LIMIT,
    run_id: str | None = None,
) -> HistoryPage:
    """Up to `limit` events from EventId `start` on, asking `run_id` (default: the first
    run) and then the runs after it."""
    run = run_id or await first_run(client, workflow_id)
    events: list[dict[str, Any]] = []
    while True:
        request = HistoryRequest(from_event_id=start, limit=limit - len(events))
        handle = client.get_workflow_handle(workflow_id, run_id=run)
        segment = await handle.query("history", request)
        events += segment["events"]
        if events:
            start = events[-1]["EventId"] + 1
        if len(events) >= limit or start < segment["nextEventId"]:
            return HistoryPage(events, start, run)  # full, or cut short by the byte budget
        following = await next_run(client, workflow_id, run)
        if following is None:
            return HistoryPage(events, None, run)
        run = following


async def history_pages(
    client: Client,
    workflow_id: str,
    start: int = 1,
    run_id: str | None = None,
    limit: int = READ_ALL_PAGE_LIMIT,
) -> AsyncIterator[HistoryPage]:
    """Every page from EventId `start` on, each continuing where the last ended. The default
    limit leaves pages bounded by size alone: a query of a closed run replays that run on a
    worker, so fewer, fuller pages cost less."""
    while True:
        page = await read_history_page(client, workflow_id, start, limit, run_id)
        yield page
        if page.next_event_id is None:
            return
        start, run_id = page.next_event_id, page.run_id


async def read_history(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """Every FnF event of an execution so far."""
    return [event async for page in history_pages(client, workflow_id) for event in page.events]


async def first_run(client: Client, workflow_id: str) -> str:
    """The execution's first run id: from the server's description, or by walking
    `previousRunId` back from the latest run on a server that does not report it."""
    description = await client.get_workflow_handle(workflow_id).describe()
    first = description.raw_description.workflow_execution_info.first_run_id
    if first:
        return first
    run = description.run_id
    while previous := await previous_run(client, workflow_id, run):
        run = previous
    return run


async def run_chain(client: Client, workflow_id: str) -> list[str]:
    """Every run id of the execution, first to last, walking `previousRunId` back from the
    latest run (one query per run: for diagnostics and tests, not for paging)."""
    runs = [(await client.get_workflow_handle(workflow_id).describe()).run_id]
    while previous := await previous_run(client, workflow_id, runs[0]):
        runs.insert(0, previous)
    return runs


async def previous_run(client: Client, workflow_id: str, run_id: str) -> str | None:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    segment = await handle.query("history", HistoryRequest(limit=0))
    return segment.get("previousRunId") or None


async def next_run(client: Client, workflow_id: str, run_id: str) -> str | None:
    """The run `run_id` continued as new into, or None while it is the latest. Read from the
    run's last history event (no worker needed); servers without the reverse-history call
    get a walk back from the latest run."""
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        maximum_page_size=1,
    )
    try:
        response = await client.workflow_service.get_workflow_execution_history_reverse(request)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return await _next_run_by_walking_back(client, workflow_id, run_id)
    for event in response.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            attributes = event.workflow_execution_continued_as_new_event_attributes
            return attributes.new_execution_run_id or None
    return None


async def _next_run_by_walking_back(client: Client, workflow_id: str, run_id: str) -> str | None:
    run = (await client.get_workflow_handle(workflow_id).describe()).run_id
    while run != run_id:
        previous = await previous_run(client, workflow_id, run)
        if previous is None:
            return None
        if previous == run_id:
            return run
        run = previous
    return None
