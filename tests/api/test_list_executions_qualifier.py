"""ListExecutions' Qualifier and MapRunName are applied or refused, never ignored.

Qualifier (a version or alias of the flow) lists the executions started with it, and for a
version also those an alias routed to it; one naming no version or alias is refused as
StartExecution refuses it. MapRunName names a map run, which fnf-temporal never starts: it is
refused with InvalidArgument rather than listing every execution. Before, both were accepted
and every execution was listed. Executions started before the Qualifier was recorded match the
version whose definition they pinned. Through a real `fnf api` subprocess
(tests/api/conftest.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from temporalio.client import Client

from api.services.execution_data import data_memo
from tests.api.conftest import ApiServer
from tests.api.test_auth_live import signed_json
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: {name}\n"


def call(api: ApiServer, action: str, **params: Any) -> dict[str, Any]:
    answer = signed_json(api, action, params)
    assert answer.status_code == 200, (action, answer.text)
    body: dict[str, Any] = answer.json()
    return body


def refused(api: ApiServer, action: str, **params: Any) -> tuple[int, str, str]:
    answer = signed_json(api, action, params)
    body = answer.json()
    return answer.status_code, body.get("Code", ""), body.get("Message", "")


def names(api: ApiServer, flow: str, **filters: Any) -> set[str]:
    """Every execution ListExecutions lists with `filters`, page by page (Limit 1)."""
    found: list[str] = []
    token = None
    for _ in range(50):
        extra = {"NextToken": token} if token else {}
        page = call(api, "ListExecutions", FlowName=flow, Limit=1, **filters, **extra)
        found += [item["Name"] for item in page["Executions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(found) == len(set(found)), found
    return set(found)


def test_qualifier_filters_and_map_run_name_is_refused(api_server: ApiServer) -> None:
    api = api_server
    flow = f"q_{uuid.uuid4().hex[:6]}"
    call(api, "CreateFlow", Name=flow, Type="FDL", Description="", Definition=PASS.format(name="a"))
    assert call(api, "PublishFlowVersion", FlowName=flow, Description="a")["Version"] == "1"
    call(api, "UpdateFlow", Name=flow, Definition=PASS.format(name="b"))
    assert call(api, "PublishFlowVersion", FlowName=flow, Description="b")["Version"] == "2"
    for alias, version in (("live", "1"), ("canary", "2")):
        routes = [{"Version": version, "Weight": 100}]
        call(api, "CreateFlowAlias", FlowName=flow, Name=alias, RoutingConfigurations=routes)
    started = {"plain": None, "v1": "1", "v2": "2", "via_live": "live", "via_canary": "canary"}
    for name, qualifier in started.items():
        extra = {"Qualifier": qualifier} if qualifier else {}
        call(api, "StartExecution", FlowName=flow, ExecutionName=name, **extra)

    deadline = time.monotonic() + 30
    while names(api, flow) != set(started):  # visibility is eventually consistent
        assert time.monotonic() < deadline, names(api, flow)
        time.sleep(0.3)

    assert names(api, flow, Qualifier="1") == {"v1", "via_live"}
    assert names(api, flow, Qualifier="2") == {"v2", "via_canary"}
    assert names(api, flow, Qualifier="live") == {"via_live"}
    assert names(api, flow, Qualifier="canary") == {"via_canary"}
    assert names(api, flow, Qualifier="1", MetadataOnly=True) == {"v1", "via_live"}
    assert names(api, flow, Qualifier="2", ExecutionNamePrefix="via") == {"via_canary"}
    assert names(api, flow, MapRunName="") == set(started)  # empty: not given

    for qualifier in ("3", "nope", "bad name!"):
        status, code, message = refused(api, "ListExecutions", FlowName=flow, Qualifier=qualifier)
        assert (status, code) == (400, "InvalidArgument"), (qualifier, message)
        assert qualifier in message
    status, code, message = refused(api, "ListExecutions", FlowName=flow, MapRunName="c39142f1")
    assert (status, code) == (400, "InvalidArgument") and "MapRunName" in message, message
    call(api, "DeleteFlow", Name=flow)


async def start_the_old_way(
    address: str, flow: str, name: str, definition: str, memo: dict[str, Any] | None, flow_id: str
) -> str:
    """An execution as a release before the Qualifier memo started it: the version's (or the
    current) definition pinned, the flow's memo facts (or none at all, older still), and no
    `qualifier` entry. No worker serves its queue: it stays Running, which is all a list needs."""
    client = await Client.connect(address)
    run = FlowRun(
        graph=dict(compile_text(definition)),
        input={},
        flow_name=flow,
        execution_name=name,
        definition=definition,
    )
    queue = f"no-worker-{uuid.uuid4().hex[:8]}"
    handle = await start_execution(client, queue, run, flow_id=flow_id, memo=memo)
    return handle.id


async def terminate(address: str, workflow_ids: list[str]) -> None:
    client = await Client.connect(address)
    for workflow_id in workflow_ids:
        await client.get_workflow_handle(workflow_id).terminate(reason="test over")


def test_executions_from_before_the_memo_match_the_version_they_ran(
    api_server: ApiServer, dev_server_address: str
) -> None:
    """An execution started before StartExecution recorded its Qualifier is listed under
    Qualifier N when it pinned version N's definition (read from its memo's definition hash,
    or from its first run when it is older still), and under no alias; one that ran another
    definition matches none. Executions of this release started without a Qualifier match
    none even when the current definition is a version's text. Before, every execution
    without the memo matched no Qualifier."""
    api = api_server
    flow = f"q_{uuid.uuid4().hex[:6]}"
    texts = {key: PASS.format(name=key) for key in ("a", "b", "c")}
    call(api, "CreateFlow", Name=flow, Type="FDL", Description="", Definition=texts["a"])
    call(api, "PublishFlowVersion", FlowName=flow, Description="a")
    call(api, "UpdateFlow", Name=flow, Definition=texts["b"])
    call(api, "PublishFlowVersion", FlowName=flow, Description="b")
    routes = [{"Version": "1", "Weight": 100}]
    call(api, "CreateFlowAlias", FlowName=flow, Name="live", RoutingConfigurations=routes)
    call(api, "StartExecution", FlowName=flow, ExecutionName="plain_b")  # current == v2's text
    call(api, "StartExecution", FlowName=flow, ExecutionName="new_v1", Qualifier="1")
    flow_id = str(call(api, "DescribeFlow", Name=flow)["Id"])
    facts = {"flowId": flow_id, "roleArn": "", "environment": {"Variables": []}}
    old = {  # name: (definition, memo, flow id)
        "old_v1": (texts["a"], facts | data_memo(texts["a"], {}), flow_id),
        "old_v1_bare": (texts["a"], None, ""),
        "old_v2_no_hash": (texts["b"], facts, flow_id),
        "old_other": (texts["c"], facts | data_memo(texts["c"], {}), flow_id),
    }
    started = [
        asyncio.run(start_the_old_way(dev_server_address, flow, name, *fields))
        for name, fields in old.items()
    ]
    everything = {"plain_b", "new_v1", *old}
    try:
        deadline = time.monotonic() + 30
        while names(api, flow) != everything:  # visibility is eventually consistent
            assert time.monotonic() < deadline, names(api, flow)
            time.sleep(0.3)
        assert names(api, flow, Qualifier="1") == {"new_v1", "old_v1", "old_v1_bare"}
        assert names(api, flow, Qualifier="1", MetadataOnly=True) == {
            "new_v1",
            "old_v1",
            "old_v1_bare",
        }
        assert names(api, flow, Qualifier="2") == {"old_v2_no_hash"}
        assert names(api, flow, Qualifier="live") == set()  # new_v1 was started by number
    finally:
        asyncio.run(terminate(dev_server_address, started))
    call(api, "DeleteFlow", Name=flow)
