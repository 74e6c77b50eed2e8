"""Read an execution's FnF history from any process, page by page, across its runs.

Continue-as-new chains runs together and EventIds keep counting across them. A closed run
answers from the events it archived as it closed (worker/archive.py), read from the end of its
Temporal history: no worker, no replay. A running run, and a closed one without a complete
archive (terminated, timed out, or closed before archives existed), answers the `history` query,
which a worker serves. A page starts in a known run (the first, or the one a previous page ended
in) and moves to the next run when this one has no more events, so reading one page costs one
or two runs' reads however long the execution has run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import (
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from worker.archive import (
    ARCHIVE_HISTORY,
    ARCHIVE_SLICE,
    ArchiveChunk,
    RunArchive,
    decode_chunk,
)
from worker.execution import HISTORY_PAGE_LIMIT, HistoryRequest
from worker.interpreter.events import EventLog
from worker.redrive import redrive_after, redriven_first_run
from worker.redrive_points import RECORD_REDRIVE_POINT, decode_point

READ_ALL_PAGE_LIMIT = 100_000

HISTORY_QUERY_SECONDS_ENV = "FNF_HISTORY_QUERY_SECONDS"
DEFAULT_HISTORY_QUERY_SECONDS = 30.0
"""How long a `history` query may wait for a worker to answer: a running execution whose
worker is down (or whose worker is too busy to take the query) is not answered at all, and
the server's own limit for such a wait is longer than an HTTP client waits."""


class HistoryUnavailable(Exception):
    """The FnF history cannot be read now: the `history` query failed or went unanswered (no
    worker polls the execution's task queue, the worker failed the query, for instance
    Temporal's "Potential deadlock detected" under load, or it did not answer in time). The
    execution is intact; asking again later may succeed. Callers answer it as a temporary
    failure (the API: 503 ServiceUnavailable), never as a bug."""


def history_query_timeout() -> timedelta:
    """FNF_HISTORY_QUERY_SECONDS, else DEFAULT_HISTORY_QUERY_SECONDS (a positive number)."""
    raw = os.environ.get(HISTORY_QUERY_SECONDS_ENV, "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_HISTORY_QUERY_SECONDS
    except ValueError:
        seconds = DEFAULT_HISTORY_QUERY_SECONDS
    if not 0 < seconds < 3600:
        seconds = DEFAULT_HISTORY_QUERY_SECONDS
    return timedelta(seconds=seconds)


async def query_history(handle: WorkflowHandle[Any, Any], request: Any) -> dict[str, Any]:
    """The one way any process asks a run for its FnF events (the `history` query): every
    failure of the query itself becomes HistoryUnavailable with a one-line reason. An
    execution that does not exist keeps Temporal's NOT_FOUND, which callers answer as such."""
    try:
        answer = await handle.query("history", request, rpc_timeout=history_query_timeout())
    except WorkflowQueryFailedError as error:
        raise HistoryUnavailable(_unavailable(str(error))) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise
        raise HistoryUnavailable(_unavailable(error.message or error.status.name)) from error
    except TimeoutError as error:
        raise HistoryUnavailable(_unavailable("no answer in time")) from error
    return dict(answer)


def _unavailable(reason: str) -> str:
    first = (reason.strip().splitlines() or ["no reason given"])[0][:200]
    return f"the execution's history could not be read now ({first}); retry later"


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
        tail = await run_tail(client, workflow_id, run)
        if tail.archive is not None:
            segment = _segment(tail.archive, request)
        else:
            handle = client.get_workflow_handle(workflow_id, run_id=run)
            segment = await query_history(handle, request)
        events += segment["events"]
        if events:
            start = events[-1]["EventId"] + 1
        if len(events) >= limit or start < segment["nextEventId"]:
            return HistoryPage(events, start, run)  # full, or cut short by the byte budget
        following = tail.next_run if tail.closed else await next_run(client, workflow_id, run)
        if following is None and tail.closed:
            following = await redrive_after(client, workflow_id, run)
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


async def last_event(client: Client, workflow_id: str) -> dict[str, Any] | None:
    """The execution's last FnF event so far (from the latest run's archive once it closed)."""
    latest = client.get_workflow_handle(workflow_id)
    run = (await latest.describe()).run_id
    tail = await run_tail(client, workflow_id, run)
    if tail.archive is not None:
        return tail.archive.events[-1] if tail.archive.events else None
    head = await query_history(latest, HistoryRequest(limit=0))
    asked = HistoryRequest(from_event_id=int(head["nextEventId"]) - 1, limit=1)
    events = (await query_history(latest, asked))["events"]
    return events[-1] if events else None


async def read_history(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """Every FnF event of an execution so far."""
    return [event async for page in history_pages(client, workflow_id) for event in page.events]


async def first_run(client: Client, workflow_id: str) -> str:
    """The execution's first run id: from the server's description, or by walking
    `previousRunId` back from the latest run on a server that does not report it."""
    description = await client.get_workflow_handle(workflow_id).describe()
    origin = await redriven_first_run(description)
    if origin:
        return origin  # the first attempt's, before any redrive (worker/redrive.py)
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
    """The run `run_id` continued from, read from its start event (no worker needed)."""
    request = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        maximum_page_size=1,
    )
    response = await client.workflow_service.get_workflow_execution_history(request)
    for event in response.history.events[:1]:
        attributes = event.workflow_execution_started_event_attributes
        return attributes.continued_execution_run_id or None
    return None


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


CLOSE_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)
CLOSING_TASK_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
)
"""What a run's archive markers sit among, at the end of its history: the closing workflow
task(s), with the patch marker and its search attribute."""
BETWEEN_SLICES = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
)
"""Besides the closing task's events, what may follow a run's last ArchiveHistorySlice: its
own activity events and workflow tasks (a retried one too), and whatever arrived meanwhile
(a signal, a stop, an update). Walking back from the run's end, the first other event before
any slice is found ends the walk: the run archived no slices (a task step's activity, say)."""
LOCAL_ACTIVITY_MARKER = "core_local_activity"
TAIL_PAGE_SIZE = 32
ARCHIVE_CACHE_RUNS = 16
"""Closed runs whose archives this process keeps decoded (a closed run never changes)."""


@dataclass
class RunTail:
    """What the end of a run's Temporal history says: whether the run has closed, the run it
    continued as (if it did), and its archived FnF events (None: no complete archive)."""

    closed: bool
    next_run: str | None = None
    archive: RunArchive | None = None
    redrive_point: dict[str, Any] | None = None
    """Where a failed or stopped run was, for RedriveExecution (worker/redrive_points.py)."""


_archives: dict[tuple[str, str], RunTail] = {}


async def run_tail(client: Client, workflow_id: str, run_id: str) -> RunTail:
    """The run's tail, from the end of its Temporal history (closed runs are cached)."""
    key = (workflow_id, run_id)
    cached = _archives.get(key)
    if cached is not None:
        return cached
    backwards = _reversed_events(client, workflow_id, run_id)
    try:
        tail = await read_tail(client.data_converter, backwards)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        events = [event async for event in _forward_events(client, workflow_id, run_id)]
        tail = await read_tail(client.data_converter, _iterate(reversed(events)))
    finally:
        await backwards.aclose()
    if tail.closed:
        if len(_archives) >= ARCHIVE_CACHE_RUNS:
            _archives.pop(next(iter(_archives)))
        _archives[key] = tail
    return tail


async def read_tail(converter: DataConverter, events: AsyncIterator[HistoryEvent]) -> RunTail:
    """The RunTail of a run whose history `events` yields last event first.

    A run archives as ArchiveHistory markers in its closing task (all its slices before
    interpreter version 4), after ArchiveHistorySlice activities, one per workflow task, for
    its other slices, sent in EventId order just before it closes (worker/interpreter/
    archive.py `_archive_rows`). Since interpreter version 8 the slices its pauses carried
    (ArchiveHistorySlice activities) lie anywhere in the run (worker/interpreter/archive.py
    `ArchiveProgress`). Walking back, once a
    slice is found every event is passed over until the slice holding the run's first event
    (a signal, a stop or an update may land between slices), then the closing-task events
    before it (the redrive point)."""
    last = await anext(events, None)
    if last is None or last.event_type not in CLOSE_EVENTS:
        return RunTail(closed=False)
    following = None
    if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        attributes = last.workflow_execution_continued_as_new_event_attributes
        following = attributes.new_execution_run_id or None
    chunks: list[ArchiveChunk | None] = []
    point = None
    found = opened = False
    async for event in events:
        kind = event.event_type
        if opened and kind not in CLOSING_TASK_EVENTS:
            break  # past the workflow task(s) of the run's first slice
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            blob = await _archived_slice(converter, event)
            if blob is None:
                if found:
                    continue
                break  # a task's activity: the run archived no slices after it
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            name, blob = await _local_activity_result(converter, event)
            if name == RECORD_REDRIVE_POINT:
                point = decode_point(blob)
            if name != ARCHIVE_HISTORY or opened:
                continue
        elif found or kind in CLOSING_TASK_EVENTS or kind in BETWEEN_SLICES:
            continue
        else:
            break
        chunk = decode_chunk(blob)
        chunks.append(chunk)
        found = True
        # The first slice's task may also hold the redrive point (recorded just before it).
        opened = chunk is None or _opens_run(chunk)
    return RunTail(True, following, RunArchive.assemble(chunks), point)


def _opens_run(chunk: ArchiveChunk) -> bool:
    """Whether the chunk holds the run's first event (or the run has none)."""
    if not chunk.events:
        return chunk.run_first_id == chunk.run_next_id
    return bool(chunk.events[0]["EventId"] == chunk.run_first_id)


async def _archived_slice(converter: DataConverter, event: HistoryEvent) -> bytes | None:
    """The chunk an ArchiveHistorySlice activity was scheduled with; None for any other
    activity."""
    attributes = event.activity_task_scheduled_event_attributes
    if attributes.activity_type.name != ARCHIVE_SLICE:
        return None
    payloads = attributes.input.payloads
    if len(payloads) != 1:
        return b""
    [blob] = await converter.decode(payloads, [bytes])
    return blob if isinstance(blob, bytes) else b""


async def _local_activity_result(
    converter: DataConverter, event: HistoryEvent
) -> tuple[str, bytes]:
    """The activity type and result bytes a local activity's marker holds (empty bytes: it
    failed); ("", b"") for any other marker."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return "", b""
    [data] = await converter.decode(marker.details["data"].payloads, [dict])
    kind = data.get("activity_type") if isinstance(data, dict) else None
    if kind not in (ARCHIVE_HISTORY, RECORD_REDRIVE_POINT):
        return "", b""
    if marker.HasField("failure") or "result" not in marker.details:
        return str(kind), b""
    [blob] = await converter.decode(marker.details["result"].payloads, [bytes])
    return str(kind), blob if isinstance(blob, bytes) else b""


async def _reversed_events(
    client: Client, workflow_id: str, run_id: str
) -> AsyncGenerator[HistoryEvent]:
    execution = WorkflowExecution(workflow_id=workflow_id, run_id=run_id)
    token = b""
    while True:
        request = GetWorkflowExecutionHistoryReverseRequest(
            namespace=client.namespace,
            execution=execution,
            maximum_page_size=TAIL_PAGE_SIZE,
            next_page_token=token,
        )
        response = await client.workflow_service.get_workflow_execution_history_reverse(request)
        for event in response.history.events:
            yield event
        token = response.next_page_token
        if not token:
            return


async def _forward_events(
    client: Client, workflow_id: str, run_id: str
) -> AsyncIterator[HistoryEvent]:
    """For servers without reverse reads (Temporal's time-skipping test server)."""
    async for event in client.get_workflow_handle(
        workflow_id, run_id=run_id
    ).fetch_history_events():
        yield event


async def _iterate(events: Any) -> AsyncIterator[HistoryEvent]:
    for event in events:
        yield event


def _segment(archive: RunArchive, request: HistoryRequest) -> dict[str, Any]:
    log = EventLog(list(archive.events), first_id=archive.first_id)
    page = log.page(request.from_event_id, request.limit, request.max_bytes)
    return {"firstEventId": archive.first_id, "nextEventId": archive.next_id, "events": page}
