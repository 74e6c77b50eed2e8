"""A closed execution's FnF history answers with no worker running (DESIGN 9, 10): each run
archives its events as it closes (worker/archive.py) and readers take them from the end of the
run's Temporal history, on the dev server (reverse reads), across continue-as-new runs, for
succeeded, failed and stopped executions. What they read is exactly what the `history` query
answered while a worker ran."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError

from api.services.executions import ExecutionService
from api.store.flows import FlowStore
from tests.helpers.api_workers import serve_api
from tests.worker.history_checks import check_paging
from tests.worker.test_task_features import COUNTDOWN
from translator import compile_text
from worker.assembly import run_worker
from worker.execution import FlowRun, HistoryRequest
from worker.executions import start_execution, stop_execution, stop_of
from worker.history import read_history, run_chain, run_tail
from worker.settings import Settings

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"

FAILS = """\
version: v1
type: flow
steps:
  - type: pass
    name: Before
    outputMappings:
      - target: seen
        source: $input.n
  - type: fail
    name: Broken
    error: Custom.Broken
    cause: on purpose
"""

WAITS = """\
version: v1
type: flow
steps:
  - type: pass
    name: Before
  - type: wait
    name: Long
    duration: 3600
"""

READ_LIMIT = 20
"""Seconds a read may take: a query with no worker to answer it would wait far longer."""


async def queried(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """Every event through the `history` query, run by run (what readers used to do)."""
    events: list[dict[str, Any]] = []
    for run in await run_chain(client, workflow_id):
        handle = client.get_workflow_handle(workflow_id, run_id=run)
        answer = await handle.query("history", HistoryRequest(limit=100_000, max_bytes=10**9))
        events += answer["events"]
    return events


def flow_run(text: str, flow_input: dict[str, Any], **fields: Any) -> FlowRun:
    return FlowRun(
        graph=dict(compile_text(text)),
        input=flow_input,
        flow_name="archived",
        execution_name=f"e-{uuid.uuid4()}",
        **fields,
    )


async def test_closed_histories_read_without_a_worker(dev_server_address: str) -> None:
    queue = f"archive-{uuid.uuid4().hex[:8]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    client = await Client.connect(dev_server_address)
    continued = flow_run(COUNTDOWN, {"left": 20}, continue_as_new_at=30)
    failed = flow_run(FAILS, {"n": "数据"})
    stopped = flow_run(WAITS, {})
    expected: dict[str, list[dict[str, Any]]] = {}
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        handles = [
            await start_execution(client, queue, run, search_attributes=False)
            for run in (continued, failed, stopped)
        ]
        assert await handles[0].result() == {"left": 0}
        with suppress(WorkflowFailureError):
            await handles[1].result()
        while len(await queried(client, handles[2].id)) < 4:
            await asyncio.sleep(0.1)
        await stop_execution(handles[2], "Abandoned", "stopped in the wait")
        with suppress(WorkflowFailureError):
            await handles[2].result()
        for handle in handles:
            expected[handle.id] = await queried(client, handle.id)
    # The worker is gone: nothing could answer a query now.
    assert len(await run_chain(client, handles[0].id)) >= 3
    for handle in handles:
        events = expected[handle.id]
        assert (
            events and await asyncio.wait_for(read_history(client, handle.id), READ_LIMIT) == events
        )
        await asyncio.wait_for(check_paging(client, handle.id, events), READ_LIMIT)
    assert [e["Type"] for e in expected[handles[1].id]][-1] == "ExecutionFailed"
    assert [e["Type"] for e in expected[handles[2].id]][-1] == "ExecutionStopped"
    stopped_with = await asyncio.wait_for(stop_of(client, handles[2].id), READ_LIMIT)
    assert stopped_with == ("Abandoned", "stopped in the wait")
    for run in await run_chain(client, handles[0].id):
        assert (await run_tail(client, handles[0].id, run)).archive is not None


async def test_the_api_answers_for_closed_executions_without_a_worker(
    dev_server_address: str,
) -> None:
    """GetExecutionHistory and DescribeExecution of a stopped execution, through the API's
    execution service, once every worker has gone (the flow store's reads need none)."""
    client = await Client.connect(dev_server_address)
    queue = f"archive-api-{uuid.uuid4().hex[:6]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    store = FlowStore(client, f"{queue}-store")
    service = ExecutionService(client, store, queue)
    flow = f"archived_{uuid.uuid4().hex[:6]}"
    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        await store.create({"Name": flow, "Definition": WAITS, "Description": "", "Type": "FDL"})
        await service.start(flow, "parked", {"k": "v"}, None)
        while len((await service.history(flow, "parked", 100, None))[0]) < 4:
            await asyncio.sleep(0.1)
        await service.stop(flow, "parked", "Abandoned", "stopped in the wait")
        handle = client.get_workflow_handle(f"{flow}/parked")
        expected = await queried(client, handle.id)
    record = await asyncio.wait_for(service.describe(flow, "parked"), READ_LIMIT)
    assert (record["Status"], record["FlowDefinition"]) == ("Stopped", WAITS)
    pages, token = [], None
    while True:
        events, token = await asyncio.wait_for(
            service.history(flow, "parked", 2, token), READ_LIMIT
        )
        pages += events
        if token is None:
            break
    assert pages == expected and pages[-1]["Type"] == "ExecutionStopped"
