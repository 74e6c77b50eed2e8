"""A batched foreach through the API's execution service (search attributes on, as the API
starts executions): its batch children are not executions, so ListExecutions shows the one
execution and GetExecutionHistory the parent's PartEntered/PartExited events."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client

from api.services.executions import ExecutionService
from api.store.flows import FlowStore
from tests.helpers.api_workers import serve_api
from worker.history import read_history
from worker.interpreter.parts import PART_FLOW_NAME
from worker.naming import FLOW_NAME
from worker.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "examples"
FOREACH = """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: pass
        name: Copy
        inputMappings: [{target: item, source: $input.item}]
        outputMappings: [{target: item, source: $input.item}]
    outputMappings: [{target: results, source: $local}]
"""


@pytest_asyncio.fixture(scope="module")
async def service(dev_server_address: str) -> AsyncIterator[ExecutionService]:
    client = await Client.connect(dev_server_address)
    queue = f"batches-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=queue,
        functions=EXAMPLES / "callback" / "functions.yaml",
    )
    store = FlowStore(client, f"{queue}-store")
    options = {**settings.run_options(), "foreach_batch_threshold": 20, "foreach_batch_size": 8}
    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        yield ExecutionService(client, store, queue, run_options=options)


async def test_batch_children_are_not_listed_as_executions(service: ExecutionService) -> None:
    flow = f"batches_{uuid.uuid4().hex[:6]}"
    fields = {"Name": flow, "Definition": FOREACH, "Description": "", "Type": "FDL"}
    await service.store.create({**fields, "ExecutionMode": "Standard"})
    await service.start(flow, "big", {"items": list(range(50))}, None)
    described = await service.describe(flow, "big", wait_seconds=30)
    assert described["Status"] == "Succeeded", described
    assert json.loads(described["Output"])["results"] == [{"item": n} for n in range(50)]
    listed, _ = await service.list_executions(
        flow,
        status=None,
        name_prefix=None,
        started_after=None,
        started_before=None,
        limit=100,
        next_token=None,
        metadata_only=True,
    )
    assert [item["Name"] for item in listed] == ["big"]
    events, _ = await service.history(flow, "big", 1000, None)
    parts = [json.loads(e["EventDetail"]) for e in events if e["Type"] == "PartEntered"]
    expected = [(first, min(8, 50 - first)) for first in range(0, 50, 8)]
    assert [(p["firstIndex"], p["count"]) for p in parts] == expected
    child = await read_history(service.client, parts[0]["workflowId"])
    assert child[-1]["Type"] == "ExecutionSucceeded"
    # Sub-flows started inside a batch carry their own attributes (subflow.py needs the
    # batch to have some); the batch's own FnFFlowName names no flow.
    described_child = await service.client.get_workflow_handle(parts[0]["workflowId"]).describe()
    assert described_child.typed_search_attributes.get(FLOW_NAME) == PART_FLOW_NAME
