"""The execution service on the dev server: what the API actions do, below the wire format."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from api.services.executions import ExecutionService
from api.services.failures import ServiceError
from api.store.flows import FlowStore
from tests.helpers.api_workers import Api, serve_api
from worker.callbacks.client import report_task_succeeded
from worker.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "examples"
PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"


@pytest_asyncio.fixture(scope="module")
async def api(dev_server_address: str) -> AsyncIterator[Api]:
    client = await Client.connect(dev_server_address)
    queue = f"api-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=queue,
        functions=EXAMPLES / "callback" / "functions.yaml",
    )
    store = FlowStore(client, f"{queue}-store")
    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        yield Api(client, store, ExecutionService(client, store, queue))


def flow_fields(name: str, definition: str, mode: str = "Standard") -> dict[str, str]:
    return {
        "Name": name,
        "Definition": definition,
        "Description": "",
        "Type": "FDL",
        "ExecutionMode": mode,
    }


async def token_of(api: Api, flow: str, execution: str) -> str:
    for _ in range(100):
        events, _ = await api.executions.history(flow, execution, 100, None)
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.1)
    raise AssertionError("not parked")


async def test_start_describe_reuse_and_history(api: Api) -> None:
    flow = f"cb_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(flow, (EXAMPLES / "callback" / "flow.yaml").read_text()))
    started = await api.executions.start(flow, "first", {"a": 1}, None)
    assert (started["Name"], started["Status"], started["Input"]) == (
        "first",
        "Running",
        '{"a": 1}',
    )
    again = await api.executions.start(flow, "first", {"other": True}, None)
    assert again["StartedTime"] == started["StartedTime"]  # the running one comes back
    token = await token_of(api, flow, "first")
    await report_task_succeeded(api.client, token, '{"status": "ok"}')
    done = await api.executions.describe(flow, "first", wait_seconds=10)
    assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"s": "ok"})
    assert done["FlowDefinition"].startswith("#") or "waitForCallback" in done["FlowDefinition"]
    with pytest.raises(ServiceError) as exists:
        await api.executions.start(flow, "first", {}, None)
    assert exists.value.code == "ExecutionAlreadyExists"
    page, token_next = await api.executions.history(flow, "first", 3, None)
    assert [e["EventId"] for e in page] == [1, 2, 3] and token_next and token_next[:2] == "4:"
    rest, end = await api.executions.history(flow, "first", 100, token_next)
    assert rest[0]["EventId"] == 4 and end is None and rest[-1]["Type"] == "ExecutionSucceeded"
    bare, _ = await api.executions.history(flow, "first", 2, "4")
    assert bare == rest[:2]
    for bad in ("four", "0", "4:no-such-run", f"4:{uuid.uuid4()}"):
        with pytest.raises(ServiceError) as refused:
            await api.executions.history(flow, "first", 2, bad)
        assert refused.value.code == "InvalidArgument", bad


async def test_stop_and_list(api: Api) -> None:
    flow = f"cb_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(flow, (EXAMPLES / "callback" / "flow.yaml").read_text()))
    for name in ("keep-1", "keep-2", "stop-1"):
        await api.executions.start(flow, name, {}, None)
    await token_of(api, flow, "stop-1")
    stopped = await api.executions.stop(flow, "stop-1", "Abandoned", "no longer needed")
    assert stopped["Status"] == "Stopped" and stopped["StoppedTime"]
    events, _ = await api.executions.history(flow, "stop-1", 100, None)
    assert events[-1]["Type"] == "ExecutionStopped"
    with pytest.raises(ServiceError) as completed:
        await api.executions.stop(flow, "stop-1", "Again", "again")
    assert completed.value.code == "ExecutionAlreadyCompleted"
    for _ in range(50):
        running, _ = await api.executions.list_executions(
            flow,
            status="Running",
            name_prefix="keep",
            started_after=None,
            started_before=None,
            limit=10,
            next_token=None,
        )
        stopped_list, _ = await api.executions.list_executions(
            flow,
            status="Stopped",
            name_prefix=None,
            started_after=None,
            started_before=None,
            limit=10,
            next_token=None,
        )
        if len(running) == 2 and len(stopped_list) == 1:
            break
        await asyncio.sleep(0.1)
    assert sorted(e["Name"] for e in running) == ["keep-1", "keep-2"]
    assert [e["Name"] for e in stopped_list] == ["stop-1"]
    first, token = await api.executions.list_executions(
        flow,
        status=None,
        name_prefix=None,
        started_after=None,
        started_before=None,
        limit=2,
        next_token=None,
    )
    second, _ = await api.executions.list_executions(
        flow,
        status=None,
        name_prefix=None,
        started_after=None,
        started_before=None,
        limit=2,
        next_token=token,
    )
    assert len(first) == 2 and len(second) == 1
    for name in ("keep-1", "keep-2"):
        await api.executions.stop(flow, name, "Cleanup", "end of test")


async def test_unknown_flow_and_execution(api: Api) -> None:
    with pytest.raises(ServiceError) as missing:
        await api.executions.start("no_such_flow", None, {}, None)
    assert missing.value.code == "FlowNotExists"
    flow = f"p_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(flow, PASS_FLOW))
    with pytest.raises(ServiceError) as unknown:
        await api.executions.describe(flow, "nope")
    assert unknown.value.code == "ExecutionNotExists"


async def test_versions_pin_definitions(api: Api) -> None:
    flow = f"v_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(flow, PASS_FLOW))
    await api.store.publish_version(flow, "one")
    changed = PASS_FLOW + "    outputMappings: [{target: v, source: 2}]\n"
    await api.store.update(flow, {"Definition": changed})
    latest = await api.executions.start(flow, None, {}, None)
    pinned = await api.executions.start(flow, None, {}, "1")
    latest = await api.executions.describe(flow, latest["Name"], wait_seconds=10)
    pinned = await api.executions.describe(flow, pinned["Name"], wait_seconds=10)
    assert json.loads(latest["Output"]) == {"v": 2}
    assert json.loads(pinned["Output"]) == {}


async def test_sync_execution_returns_output_or_error(api: Api) -> None:
    flow = f"s_{uuid.uuid4().hex[:6]}"
    failing = PASS_FLOW.replace("type: pass", "type: fail") + "    error: Bad\n    cause: why\n"
    await api.store.create(flow_fields(flow, PASS_FLOW, "Express"))
    done = await api.executions.start_sync(flow, "run", {"x": 1}, None)
    assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {})
    assert done["Name"].startswith("run:")
    await api.store.update(flow, {"Definition": failing})
    failed = await api.executions.start_sync(flow, None, {}, None)
    assert (failed["Status"], failed["ErrorCode"], failed["ErrorMessage"]) == (
        "Failed",
        "Bad",
        "why",
    )


async def test_callback_task_token_reports_the_child_result(api: Api) -> None:
    """StartExecution's CallbackFnFTaskToken: the child's end completes the parent's task."""
    parent = f"parent_{uuid.uuid4().hex[:6]}"
    child = f"child_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(parent, (EXAMPLES / "callback" / "flow.yaml").read_text()))
    child_flow = PASS_FLOW + "    outputMappings: [{target: status, source: from-child}]\n"
    await api.store.create(flow_fields(child, child_flow))
    failing = PASS_FLOW.replace("type: pass", "type: fail") + "    error: Broke\n    cause: c\n"
    failing_child = f"broken_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(failing_child, failing))
    for name, flow, expected in (("ok", child, "Succeeded"), ("bad", failing_child, "Failed")):
        await api.executions.start(parent, name, {}, None)
        token = await token_of(api, parent, name)
        await api.executions.start(flow, f"for-{name}", {}, None, callback_token=token)
        done = await api.executions.describe(parent, name, wait_seconds=15)
        assert done["Status"] == expected, done
    ok = await api.executions.describe(parent, "ok")
    assert json.loads(ok["Output"]) == {"s": "from-child"}
    events, _ = await api.executions.history(parent, "bad", 100, None)
    failed = [e for e in events if e["Type"] == "TaskFailed"]
    assert json.loads(failed[0]["EventDetail"]) == {"error": "Broke", "cause": "c"}


async def test_a_stopped_sync_execution_answers_with_the_stop_error(api: Api) -> None:
    """StartSyncExecution of an execution stopped meanwhile: Status Stopped, and ErrorCode and
    ErrorMessage are the Error and Cause given to StopExecution."""
    flow = f"held_{uuid.uuid4().hex[:6]}"
    waiting_flow = (
        "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: w\n    duration: 3600\n"
    )
    await api.store.create(flow_fields(flow, waiting_flow, "Express"))
    answer = asyncio.create_task(api.executions.start_sync(flow, "held", {}, None))
    for _ in range(100):
        running, _ = await api.executions.list_executions(
            flow,
            status="Running",
            name_prefix="held",
            started_after=None,
            started_before=None,
            limit=10,
            next_token=None,
        )
        if running:
            break
        await asyncio.sleep(0.1)
    assert running, "the sync execution never showed up as running"
    await api.executions.stop(flow, running[0]["Name"], "Abandoned", "no longer needed")
    done = await answer
    assert (done["Status"], done["ErrorCode"], done["ErrorMessage"]) == (
        "Stopped",
        "Abandoned",
        "no longer needed",
    )


async def test_a_large_definition_is_pinned_by_reference(api: Api) -> None:
    """Its execution's input carries only the reference; DescribeExecution still shows the
    FDL text it ran, and UpdateFlow does not change it."""
    steps = "".join(
        f"  - type: pass\n    name: p{n}\n    outputMappings: [{{target: n, source: {n}}}]\n"
        for n in range(600)
    )
    definition = f"version: v1\ntype: flow\nsteps:\n{steps}"
    flow = f"large_{uuid.uuid4().hex[:6]}"
    await api.store.create(flow_fields(flow, definition))
    await api.executions.start(flow, "big", {}, None)
    await api.store.update(flow, {"Definition": PASS_FLOW})
    record = await api.executions.describe(flow, "big", wait_seconds=60)
    assert record["Status"] == "Succeeded" and json.loads(record["Output"]) == {"n": 599}
    assert record["FlowDefinition"] == definition
    handle = api.client.get_workflow_handle(f"{flow}/big")
    async for event in handle.fetch_history_events():
        [flow_input, payload] = event.workflow_execution_started_event_attributes.input.payloads
        assert json.loads(flow_input.data) == {}  # the user's input comes first
        assert len(payload.data) < 4096 and json.loads(payload.data)["definition_ref"]
        break
