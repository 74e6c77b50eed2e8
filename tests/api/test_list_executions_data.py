"""ListExecutions with data costs no per-item describe and no history page per item.

A page's FlowDefinition and Input come from the executions' memos (recorded at start) and a
definition text kept once per process; only each succeeded run's close event is read, for its
Output. The calls are counted with a Temporal client interceptor (the SDK's own hook) on a
real dev server, and the answers are checked field by field, including the cases that still
read history: an input over the memo bound, a definition this process never saw (another API
process, an earlier version of the flow)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from temporalio.client import (
    Client,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    Interceptor,
    OutboundInterceptor,
    WorkflowExecutionDescription,
    WorkflowHistoryEventAsyncIterator,
)
from temporalio.worker import Worker

from api.services.execution_data import MEMO_INPUT_BYTES
from api.services.executions import ExecutionService
from api.store.entity import FlowDefinitionWorkflow
from api.store.flows import FlowStore
from worker.assembly import run_worker
from worker.settings import Settings

FIRST = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"
SECOND = FIRST + "    outputMappings: [{target: v, source: 2}]\n"


class Calls(Counter[str]):
    """How many describes and history reads of executions (ids `<flow>/<execution>`) the
    client made; the flow store's own reads (one per page) are not counted."""


class Counting(Interceptor):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Outbound(next, self.calls)


class _Outbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, calls: Calls) -> None:
        super().__init__(next)
        self.calls = calls

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        self.calls["describe"] += "/" in input.id
        return await super().describe_workflow(input)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        self.calls["history"] += "/" in input.id
        return super().fetch_workflow_history_events(input)


@dataclass
class Api:
    client: Client
    store: FlowStore
    queue: str
    calls: Calls

    def service(self) -> ExecutionService:
        """A fresh service: another API process, which has seen no definition yet."""
        return ExecutionService(self.client, self.store, self.queue)


@pytest_asyncio.fixture(scope="module")
async def api(dev_server_address: str) -> AsyncIterator[Api]:
    calls = Calls()
    client = await Client.connect(dev_server_address, interceptors=[Counting(calls)])
    queue = f"list-{uuid.uuid4().hex[:6]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue)
    store = FlowStore(client, f"{queue}-store")
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        await stack.enter_async_context(
            Worker(client, task_queue=store.task_queue, workflows=[FlowDefinitionWorkflow])
        )
        yield Api(client, store, queue, calls)


async def _all_succeeded(service: ExecutionService, flow: str, count: int) -> None:
    for _ in range(200):
        listed, _ = await service.list_executions(
            flow,
            status="Succeeded",
            name_prefix=None,
            started_after=None,
            started_before=None,
            limit=100,
            next_token=None,
            metadata_only=True,
        )
        if len(listed) == count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} executions of {flow} did not all succeed")


async def _page(service: ExecutionService, flow: str, limit: int) -> list[dict[str, Any]]:
    found, _ = await service.list_executions(
        flow,
        status=None,
        name_prefix=None,
        started_after=None,
        started_before=None,
        limit=limit,
        next_token=None,
    )
    return found


async def test_a_page_reads_no_history_but_close_events(api: Api) -> None:
    flow = f"ld_{uuid.uuid4().hex[:6]}"
    await api.store.create({"Name": flow, "Definition": FIRST, "Description": "", "Type": "FDL"})
    starter = api.service()
    await asyncio.gather(
        *(starter.start(flow, f"e{i:02d}", {"n": i, "s": 'é"\\'}, None) for i in range(12))
    )
    await _all_succeeded(starter, flow, 12)
    reader = api.service()  # another process: no definition seen, the flow's own is current
    api.calls.clear()
    found = await _page(reader, flow, 12)
    assert sorted(item["Name"] for item in found) == [f"e{i:02d}" for i in range(12)]
    for item in found:
        n = int(item["Name"][1:])
        assert json.loads(item["Input"]) == {"n": n, "s": 'é"\\'}
        assert json.loads(item["Output"]) == {}
        assert item["FlowDefinition"] == FIRST
        assert item["Environment"] == {"Variables": []}
    assert api.calls["describe"] == 0, api.calls
    assert api.calls["history"] == 12, api.calls  # the close event of each succeeded run


async def test_unknown_definitions_are_read_once_and_large_inputs_from_history(
    api: Api,
) -> None:
    flow = f"lu_{uuid.uuid4().hex[:6]}"
    await api.store.create({"Name": flow, "Definition": FIRST, "Description": "", "Type": "FDL"})
    starter = api.service()
    big = {"blob": "x" * (MEMO_INPUT_BYTES + 1)}
    for i in range(4):
        await starter.start(flow, f"old{i}", {"i": i}, None)
    await api.store.update(flow, {"Definition": SECOND})
    for i in range(3):
        await starter.start(flow, f"new{i}", {"i": i}, None)
    await starter.start(flow, "big", big, None)
    await _all_succeeded(starter, flow, 8)
    api.calls.clear()
    found = {item["Name"]: item for item in await _page(api.service(), flow, 100)}
    assert len(found) == 8
    for name, item in found.items():
        old = name.startswith("old")
        assert item["FlowDefinition"] == (FIRST if old else SECOND), name
        assert json.loads(item["Output"]) == ({} if old else {"v": 2}), name
        expected = big if name == "big" else {"i": int(name[-1])}
        assert json.loads(item["Input"]) == expected, name
    # 8 close events, 1 read of the older definition (shared by 4), 1 of the large input
    assert api.calls["history"] == 10, api.calls
    assert api.calls["describe"] == 2, api.calls  # each of those two reads finds its first run
