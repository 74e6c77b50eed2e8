"""Every documented response field, through both official SDKs.

The documented fields of an action are the keys its tea SDK response model reads
(`<Action>ResponseBody.from_map`, recursively through nested models), the same source the
API reference is generated from. Each action is called for real through `fnf api`, and its
answer must carry every one of them (ListExecutions leaves out FlowDefinition, Input and
Output only when MetadataOnly is true, as documented)."""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

from alibabacloud_fnf20190315 import models as tea_models

from tests.api.conftest import ApiServer
from tests.api.test_every_action_both_sdks import (
    Sdk,
    legacy_sdk,
    tea_sdk,
    wait_for,
)

KEY = re.compile(r"m\.get\('(\w+)'\) is not None")
NESTED = re.compile(r"main_models\.(\w+)\(\)")

OPTIONAL = {
    "NextToken",  # only when there is a next page
    "RequestId",  # the SDKs' own check; always present, asserted separately
}

WAITING_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: w\n    duration: 30\n"
PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"


def documented(model: type) -> dict[str, type | None]:
    """Wire key -> nested model (or None for a scalar), read from the model's from_map."""
    source = inspect.getsource(model.from_map)
    keys: dict[str, type | None] = {}
    blocks = re.split(r"\n\s*if ", source)
    for block in blocks:
        key = KEY.search("if " + block)
        if key is None:
            continue
        nested = NESTED.search(block)
        keys[key.group(1)] = getattr(tea_models, nested.group(1)) if nested else None
    return keys


def missing(body: Any, model: type, path: str = "") -> list[str]:
    """Documented keys absent from `body` (recursing into nested objects and list items)."""
    if isinstance(body, list):
        return [m for i, item in enumerate(body) for m in missing(item, model, f"{path}[{i}]")]
    if not isinstance(body, dict):
        return [f"{path}: not an object"]
    found = []
    for key, nested in documented(model).items():
        if key not in body:
            if key not in OPTIONAL:
                found.append(f"{path}.{key}")
        elif nested is not None and body[key] is not None:
            found += missing(body[key], nested, f"{path}.{key}")
    return found


def assert_documented(action: str, body: dict[str, Any]) -> None:
    model = getattr(tea_models, f"{action}ResponseBody")
    absent = missing(body, model)
    assert not absent, f"{action} lacks documented fields {absent}: {body}"
    assert body["RequestId"]


def test_every_action_answers_every_documented_field(api_server: ApiServer) -> None:
    for kind, call in (("legacy", legacy_sdk(api_server)), ("tea", tea_sdk(api_server))):
        check_actions(kind, call)


def check_actions(kind: str, call: Sdk) -> None:
    flow = f"fields_{kind}_{uuid.uuid4().hex[:6]}"
    created = call(
        "CreateFlow",
        Name=flow,
        Definition=WAITING_FLOW,
        Description="d",
        Type="FDL",
        **(
            {"Environment": {"Variables": [{"Name": "k", "Value": "v", "Description": "d"}]}}
            if kind == "tea"
            else {}
        ),
    )
    assert_documented("CreateFlow", created)
    assert_documented("DescribeFlow", call("DescribeFlow", Name=flow))
    assert_documented("UpdateFlow", call("UpdateFlow", Name=flow, Description="e"))
    listed = call("ListFlows", Limit=999)
    mine = [f for f in listed["Flows"] if f["Name"] == flow]
    assert_documented("ListFlows", {**listed, "Flows": mine})

    started = call("StartExecution", FlowName=flow, ExecutionName="run", Input='{"a": 1}')
    assert_documented("StartExecution", started)
    described = call("DescribeExecution", FlowName=flow, ExecutionName="run")
    assert_documented("DescribeExecution", described)
    stopped = call("StopExecution", FlowName=flow, ExecutionName="run", Error="E", Cause="C")
    assert_documented("StopExecution", stopped)
    assert stopped["Status"] == "Stopped" and stopped["Input"] == '{"a": 1}'
    assert stopped["FlowDefinition"] == WAITING_FLOW
    executions = wait_for(
        lambda: call("ListExecutions", FlowName=flow),
        lambda body: [e["Status"] for e in body["Executions"]] == ["Stopped"],
    )
    assert_documented("ListExecutions", executions)
    [item] = executions["Executions"]
    assert (item["FlowDefinition"], item["Input"]) == (WAITING_FLOW, '{"a": 1}')
    history = call("GetExecutionHistory", FlowName=flow, ExecutionName="run")
    assert_documented("GetExecutionHistory", history)
    if kind == "tea":  # the legacy SDK's CreateFlow cannot send an Environment
        assert described["Environment"]["Variables"][0]["Name"] == "k"
        assert item["Environment"] == described["Environment"]

    express = f"{flow}_express"
    call(
        "CreateFlow",
        Name=express,
        Definition=PASS_FLOW,
        Description="",
        Type="FDL",
        ExecutionMode="Express",
    )
    synced = call("StartSyncExecution", FlowName=express, Input="{}")
    assert_documented("StartSyncExecution", synced)
    call("DeleteFlow", Name=express)

    if kind == "tea":
        assert_documented("PublishFlowVersion", call("PublishFlowVersion", FlowName=flow))
        assert_documented("ListFlowVersions", call("ListFlowVersions", FlowName=flow))
        routes = [{"Version": "1", "Weight": 100}]
        alias = call("CreateFlowAlias", FlowName=flow, Name="live", RoutingConfigurations=routes)
        assert_documented("CreateFlowAlias", alias)
        updated = call("UpdateFlowAlias", FlowName=flow, Name="live", Description="now")
        assert_documented("UpdateFlowAlias", updated)
        assert updated["Alias"]["Description"] == "now"
        assert updated["Alias"]["RoutingConfigurations"] == routes
        described_alias = call("DescribeFlowAlias", FlowName=flow, Name="live")
        assert_documented("DescribeFlowAlias", described_alias)
        assert_documented("ListFlowAliases", call("ListFlowAliases", FlowName=flow))
        assert_documented("DeleteFlowAlias", call("DeleteFlowAlias", FlowName=flow, Name="live"))
        assert_documented("DescribeRegions", call("DescribeRegions"))

    schedule = {"FlowName": flow, "ScheduleName": "s"}
    assert_documented(
        "CreateSchedule", call("CreateSchedule", CronExpression="@every 1m", **schedule)
    )
    assert_documented("UpdateSchedule", call("UpdateSchedule", Enable=False, **schedule))
    assert_documented("DescribeSchedule", call("DescribeSchedule", **schedule))
    assert_documented("ListSchedules", call("ListSchedules", FlowName=flow))
    assert_documented("DeleteSchedule", call("DeleteSchedule", **schedule))
    assert_documented("DeleteFlow", call("DeleteFlow", Name=flow))


def test_list_executions_metadata_only_leaves_out_data(api_server: ApiServer) -> None:
    call = tea_sdk(api_server)
    flow = f"meta_{uuid.uuid4().hex[:6]}"
    call("CreateFlow", Name=flow, Definition=PASS_FLOW, Description="", Type="FDL")
    call("StartExecution", FlowName=flow, ExecutionName="one", Input='{"x": [1]}')
    full = wait_for(
        lambda: call("ListExecutions", FlowName=flow),
        lambda body: [e["Status"] for e in body["Executions"]] == ["Succeeded"],
    )
    [item] = full["Executions"]
    described = call("DescribeExecution", FlowName=flow, ExecutionName="one")
    assert (item["Input"], item["Output"], item["FlowDefinition"]) == (
        '{"x": [1]}',
        described["Output"],
        PASS_FLOW,
    )
    assert item["Output"] != ""
    [meta] = call("ListExecutions", FlowName=flow, MetadataOnly=True)["Executions"]
    assert not {"Input", "Output", "FlowDefinition"} & set(meta)
    assert (meta["Name"], meta["Status"]) == ("one", "Succeeded")
    legacy = legacy_sdk(api_server)
    [item] = legacy("ListExecutions", FlowName=flow)["Executions"]
    assert item["Input"] == '{"x": [1]}' and item["FlowDefinition"] == PASS_FLOW
