"""The same lifecycle, action by action, through each official SDK: all 18 actions of the
legacy SDK, plus the newer ones the tea SDK adds (versions, aliases, regions, map runs)."""

from __future__ import annotations

import importlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_fnf20190315 import models as tea_models
from alibabacloud_fnf20190315.client import Client as TeaClient
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, EXAMPLES, ApiServer

Sdk = Callable[..., dict[str, Any]]


class Refused(Exception):
    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(f"{code} ({status})")
        self.code, self.status, self.message = code, status, message


def legacy_sdk(server: ApiServer) -> Sdk:
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "fnf", f"http://{server.endpoint}")

    def call(action: str, **params: Any) -> dict[str, Any]:
        module = importlib.import_module(f"aliyunsdkfnf.request.v20190315.{action}Request")
        request = getattr(module, f"{action}Request")()
        for key, value in params.items():
            getattr(request, f"set_{key}")(value)
        try:
            return dict(json.loads(client.do_action_with_exception(request)))
        except ServerException as error:
            raise Refused(
                error.get_error_code(), error.get_http_status(), error.get_error_msg()
            ) from None

    return call


def tea_sdk(server: ApiServer) -> Sdk:
    client = TeaClient(
        Config(
            access_key_id=ACCESS_KEY_ID,
            access_key_secret=ACCESS_KEY_SECRET,
            region_id="cn-hangzhou",
            endpoint=server.endpoint,
            protocol="http",
        )
    )

    def call(action: str, **params: Any) -> dict[str, Any]:
        request = getattr(tea_models, f"{action}Request")().from_map(params)
        try:
            response = getattr(client, snake(action))(request)
        except Exception as error:
            raise Refused(
                str(getattr(error, "code", "")),
                int(getattr(error, "status_code", 0)),
                str(getattr(error, "message", "")),
            ) from None
        return dict(response.body.to_map())

    return call


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def refused(call: Callable[[], Any]) -> Refused:
    with pytest.raises(Refused) as raised:
        call()
    return raised.value


@pytest.fixture(params=["legacy", "tea"])
def sdk(request: pytest.FixtureRequest, api_server: ApiServer) -> tuple[str, Sdk]:
    make = legacy_sdk if request.param == "legacy" else tea_sdk
    return request.param, make(api_server)


def test_every_action(sdk: tuple[str, Sdk]) -> None:
    kind, call = sdk
    flow = f"{kind}_{uuid.uuid4().hex[:6]}"
    definition = (EXAMPLES / "callback" / "flow.yaml").read_text()

    # Flows
    created = call("CreateFlow", Name=flow, Definition=definition, Description="d", Type="FDL")
    assert created["Name"] == flow and created["RequestId"]
    assert (
        refused(
            lambda: call(
                "CreateFlow", Name=flow, Definition=definition, Description="d", Type="FDL"
            )
        ).code
        == "FlowAlreadyExists"
    )
    assert call("DescribeFlow", Name=flow)["Definition"] == definition
    assert call("UpdateFlow", Name=flow, Description="changed")["Description"] == "changed"
    assert flow in [f["Name"] for f in call("ListFlows", Limit=999)["Flows"]]

    # Executions and callbacks
    call("StartExecution", FlowName=flow, ExecutionName="ok", Input='{"a": 1}')
    call("StartExecution", FlowName=flow, ExecutionName="no")
    call("StartExecution", FlowName=flow, ExecutionName="stop")
    tokens = {name: token_of(call, flow, name) for name in ("ok", "no", "stop")}
    assert call("ReportTaskSucceeded", TaskToken=tokens["ok"], Output='{"status": "ok"}')["EventId"]
    assert call("ReportTaskFailed", TaskToken=tokens["no"], Error="Nope", Cause="c")["EventId"]
    again = refused(lambda: call("ReportTaskSucceeded", TaskToken=tokens["ok"], Output="{}"))
    assert (again.code, again.status) == ("TaskAlreadyCompleted", 400)
    stopped = call("StopExecution", FlowName=flow, ExecutionName="stop", Error="E", Cause="C")
    assert stopped["Status"] == "Stopped"
    ok = call("DescribeExecution", FlowName=flow, ExecutionName="ok", WaitTimeSeconds=10)
    assert (ok["Status"], json.loads(ok["Output"])) == ("Succeeded", {"s": "ok"})
    no = call("DescribeExecution", FlowName=flow, ExecutionName="no", WaitTimeSeconds=10)
    assert no["Status"] == "Failed"
    history = call("GetExecutionHistory", FlowName=flow, ExecutionName="ok", Limit=3)
    assert [e["EventId"] for e in history["Events"]] == [1, 2, 3] and history["NextToken"]
    listed = wait_for(
        lambda: call("ListExecutions", FlowName=flow, Status="Succeeded"),
        lambda body: len(body["Executions"]) == 1,
    )
    assert listed["Executions"][0]["Name"] == "ok"
    missing = refused(lambda: call("DescribeExecution", FlowName=flow, ExecutionName="none"))
    assert (missing.code, missing.status) == ("ExecutionNotExists", 404)
    sync = call("StartSyncExecution", FlowName=new_pass_flow(call, kind), Input="{}")
    assert sync["Status"] == "Succeeded"

    # Schedules
    schedule = call(
        "CreateSchedule",
        FlowName=flow,
        ScheduleName="s",
        CronExpression="@every 1m",
        Payload="{}",
        Enable=True,
    )
    assert schedule["ScheduleName"] == "s"
    assert call("UpdateSchedule", FlowName=flow, ScheduleName="s", Enable=False)["Enable"] is False
    assert call("DescribeSchedule", FlowName=flow, ScheduleName="s")["Enable"] is False
    assert [s["ScheduleName"] for s in call("ListSchedules", FlowName=flow)["Schedules"]] == ["s"]
    assert (
        refused(
            lambda: call(
                "CreateSchedule", FlowName=flow, ScheduleName="t", CronExpression="every minute"
            )
        ).code
        == "InvalidArgument"
    )
    call("DeleteSchedule", FlowName=flow, ScheduleName="s")
    assert (
        refused(lambda: call("DescribeSchedule", FlowName=flow, ScheduleName="s")).code
        == "ScheduleNotExists"
    )

    if kind == "tea":  # actions the legacy SDK does not have
        assert call("PublishFlowVersion", FlowName=flow, Description="v")["Version"] == "1"
        assert call("ListFlowVersions", FlowName=flow)["FlowVersions"][0]["Version"] == "1"
        routes = [{"Version": "1", "Weight": 100}]
        call("CreateFlowAlias", FlowName=flow, Name="live", RoutingConfigurations=routes)
        call("UpdateFlowAlias", FlowName=flow, Name="live", Description="now")
        assert (
            call("DescribeFlowAlias", FlowName=flow, Name="live")["Alias"]["Description"] == "now"
        )
        assert [a["Name"] for a in call("ListFlowAliases", FlowName=flow)["Aliases"]] == ["live"]
        call("DeleteFlowAlias", FlowName=flow, Name="live")
        assert call("DescribeRegions")["Regions"]["Region"][0]["RegionId"] == "cn-hangzhou"
        assert (
            refused(
                lambda: call("DescribeMapRun", FlowName=flow, ExecutionName="ok", MapRunName="m")
            ).code
            == "ActionNotSupported"
        )

    call("DeleteFlow", Name=flow)
    gone = refused(lambda: call("DescribeFlow", Name=flow))
    assert (gone.code, gone.status) == ("FlowNotExists", 404)


def new_pass_flow(call: Sdk, kind: str) -> str:
    flow = f"{kind}_pass_{uuid.uuid4().hex[:6]}"
    call(
        "CreateFlow",
        Name=flow,
        Type="FDL",
        Description="",
        Definition="version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n",
        ExecutionMode="Express",
    )
    return flow


def token_of(call: Sdk, flow: str, execution: str) -> str:
    body = wait_for(
        lambda: call("GetExecutionHistory", FlowName=flow, ExecutionName=execution),
        lambda body: any(e["Type"] == "TaskSubmitted" for e in body["Events"]),
    )
    submitted = next(e for e in body["Events"] if e["Type"] == "TaskSubmitted")
    return str(json.loads(submitted["EventDetail"])["output"]["taskToken"])


def wait_for(fetch: Callable[[], dict[str, Any]], ready: Callable[[dict[str, Any]], bool]) -> Any:
    body: dict[str, Any] = {}
    for _ in range(100):
        body = fetch()
        if ready(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"not ready: {body}")
