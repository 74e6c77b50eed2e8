"""Child runs of parts (foreach batches, handed-over nested sequences; worker/interpreter/
parts.py) are no executions: through the API (in-process app, real workers, JSON form) they are
never listed, and their ids (`<flow>/<execution>/part-<n>`) cannot be addressed as an
execution by any split of the id into FlowName and ExecutionName, nor through a NextToken that
names one of their runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from temporalio.client import Client

from api.actions import ApiContext
from api.app import create_app
from api.protocol.access_keys import AccessKeys
from api.services.executions import ExecutionService
from api.services.schedules import ScheduleService
from api.store.flows import FlowStore
from tests.helpers.api_workers import serve_api
from worker.history import read_history
from worker.interpreter.parts import PART_FLOW_NAME
from worker.naming import EXECUTION_NAME, FLOW_NAME
from worker.settings import Settings

FLOW = """\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping: {collection: $.items, item: item}
    steps:
      - type: pass
        name: copy
        outputMappings: [{target: item, source: $input.item}]
  - type: parallel
    name: both
    branches:
      - steps:
          - {type: pass, name: one}
          - {type: pass, name: two}
          - {type: pass, name: three}
"""
OPTIONS = {
    "foreach_batch_threshold": 4,
    "foreach_batch_size": 4,
    "continue_as_new_at": 1,  # every history is long: the branch hands its rest over at once
    "nested_handover_steps": 1,
}


@dataclass
class Api:
    http: httpx.AsyncClient
    client: Client

    async def call(self, action: str, params: dict[str, Any]) -> httpx.Response:
        return await self.http.post(f"/actions/{action}", json=params)


@pytest_asyncio.fixture(scope="module")
async def api(dev_server_address: str) -> AsyncIterator[Api]:
    tag = uuid.uuid4().hex[:6]
    client = await Client.connect(dev_server_address)
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=f"parts-{tag}",
        api_task_queue=f"parts-api-{tag}",
    )
    store = FlowStore(client, settings.api_task_queue)
    options = {**settings.run_options(), **OPTIONS}
    executions = ExecutionService(client, store, settings.task_queue, run_options=options)
    schedules = ScheduleService(client, store, settings.api_task_queue)
    context = ApiContext(client, store, executions, schedules, settings.region)

    async def provide(signer: str | None = None) -> ApiContext:
        return context

    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        transport = httpx.ASGITransport(
            app=create_app(provide, AccessKeys({}), allow_unsigned=True)
        )
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://fnf.test")
        )
        yield Api(http, client)


async def test_part_runs_are_never_executions(api: Api) -> None:
    flow = f"parts_{uuid.uuid4().hex[:6]}"
    created = await api.call("CreateFlow", {"Name": flow, "Definition": FLOW})
    assert created.status_code == 200, created.text
    started = await api.call(
        "StartExecution",
        {"FlowName": flow, "ExecutionName": "big", "Input": json.dumps({"items": list(range(9))})},
    )
    assert started.status_code == 200, started.text
    described = await api.call(
        "DescribeExecution", {"FlowName": flow, "ExecutionName": "big", "WaitTimeSeconds": 30}
    )
    assert described.json()["Status"] == "Succeeded", described.text
    events = await api.call("GetExecutionHistory", {"FlowName": flow, "ExecutionName": "big"})
    parts = [
        json.loads(e["EventDetail"])["workflowId"]
        for e in events.json()["Events"]
        if e["Type"] == "PartEntered"
    ]
    assert len(parts) == 4  # three batches and the branch's handed-over rest
    listed = await api.call("ListExecutions", {"FlowName": flow})
    assert [item["Name"] for item in listed.json()["Executions"]] == ["big"]
    for part in parts:
        handle = api.client.get_workflow_handle(part)
        attributes = (await handle.describe()).typed_search_attributes
        assert attributes.get(FLOW_NAME) == PART_FLOW_NAME
        assert attributes.get(EXECUTION_NAME) is None
        assert (await read_history(api.client, part))[-1]["Type"] == "ExecutionSucceeded"
        await assert_not_addressable(api, part, (await handle.describe()).run_id)
    prefix = {"FlowName": flow, "ExecutionNamePrefix": "big/part"}
    refused = await api.call("ListExecutions", prefix)
    assert refused.json()["Code"] == "InvalidArgument", refused.text


async def assert_not_addressable(api: Api, part: str, run_id: str) -> None:
    flow, _, rest = part.partition("/")
    execution, _, tail = rest.partition("/")
    splits = [(flow, rest), (f"{flow}/{execution}", tail), (part, "x")]
    for action in ("DescribeExecution", "GetExecutionHistory", "StopExecution"):
        for flow_name, execution_name in splits:
            answer = await api.call(
                action, {"FlowName": flow_name, "ExecutionName": execution_name}
            )
            assert answer.status_code == 400, (action, flow_name, execution_name, answer.text)
            assert answer.json()["Code"] == "InvalidArgument", answer.text
    through_token = await api.call(
        "GetExecutionHistory",
        {"FlowName": flow, "ExecutionName": execution, "NextToken": f"1:{run_id}"},
    )
    assert through_token.json()["Code"] == "InvalidArgument", through_token.text
