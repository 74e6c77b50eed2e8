"""Every remaining action through the official SDKs: executions (sync, stop, list paging,
failure reports), schedules (payload, names, pause, resume, update, delete, errors), versions,
aliases, regions, map runs and request validation."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from alibabacloud_fnf20190315 import models as tea_models
from alibabacloud_fnf20190315.client import Client as TeaClient
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import (
    CreateFlowRequest,
    CreateScheduleRequest,
    DeleteScheduleRequest,
    DescribeScheduleRequest,
    GetExecutionHistoryRequest,
    ListExecutionsRequest,
    ListSchedulesRequest,
    ReportTaskFailedRequest,
    StartExecutionRequest,
    StartSyncExecutionRequest,
    StopExecutionRequest,
    UpdateScheduleRequest,
)
from temporalio.client import Client

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, EXAMPLES, ApiServer
from tests.api.test_auth_live import signed_json
from tests.api.test_sdk_end_to_end import (
    CALLBACK_FLOW,
    PASS_FLOW,
    call,
    legacy,
    tea,
    wait_for_token,
)
from worker.naming import FLOW_NAME
from worker.visibility_query import equals

__all__ = ["legacy", "tea"]  # fixtures shared with test_sdk_end_to_end
CATCHING_FLOW = (
    CALLBACK_FLOW.replace(
        "    outputMappings:\n      - target: s\n        source: $local.status\n", ""
    )
    + "    catch: [{errors: [Rejected], goto: rejected}]\n"
    + "    errorMappings: [{target: why, source: $local.cause}]\n"
    + "  - type: succeed\n    name: accepted\n  - type: pass\n    name: rejected\n"
)


def new_flow(client: AcsClient, definition: str = PASS_FLOW, mode: str = "Standard") -> str:
    flow = f"f_{uuid.uuid4().hex[:8]}"
    call(
        client,
        CreateFlowRequest.CreateFlowRequest(),
        Name=flow,
        Definition=definition,
        Description="",
        Type="FDL",
        ExecutionMode=mode,
    )
    return flow


def server_error(action: Any) -> ServerException:
    with pytest.raises(ServerException) as raised:
        action()
    return raised.value


def test_executions_through_the_legacy_sdk(legacy: AcsClient, api_server: ApiServer) -> None:
    flow = new_flow(legacy, CATCHING_FLOW)
    for name in ("a1", "a2", "b1"):
        call(
            legacy,
            StartExecutionRequest.StartExecutionRequest(),
            FlowName=flow,
            ExecutionName=name,
            Input='{"n": 1}',
        )
    token = wait_for_token(legacy, flow, "a1")
    failed = call(
        legacy,
        ReportTaskFailedRequest.ReportTaskFailedRequest(),
        TaskToken=token,
        Error="Rejected",
        Cause="not today",
    )
    assert failed["EventId"] > 0
    wait_for_token(legacy, flow, "a2")
    stopped = call(
        legacy,
        StopExecutionRequest.StopExecutionRequest(),
        FlowName=flow,
        ExecutionName="a2",
        Error="Abandoned",
        Cause="by the test",
    )
    assert stopped["Status"] == "Stopped"
    history = call(
        legacy,
        GetExecutionHistoryRequest.GetExecutionHistoryRequest(),
        FlowName=flow,
        ExecutionName="a2",
    )
    assert json.loads(history["Events"][-1]["EventDetail"]) == {
        "error": "Abandoned",
        "cause": "by the test",
    }
    again = server_error(
        lambda: call(
            legacy, StopExecutionRequest.StopExecutionRequest(), FlowName=flow, ExecutionName="a2"
        )
    )
    assert again.get_error_code() == "ExecutionAlreadyCompleted"
    names: list[str] = []
    for _ in range(50):
        page = call(
            legacy,
            ListExecutionsRequest.ListExecutionsRequest(),
            FlowName=flow,
            ExecutionNamePrefix="a",
            Limit=1,
        )
        names = [e["Name"] for e in page["Executions"]]
        if page.get("NextToken"):
            rest = call(
                legacy,
                ListExecutionsRequest.ListExecutionsRequest(),
                FlowName=flow,
                ExecutionNamePrefix="a",
                Limit=1,
                NextToken=page["NextToken"],
            )
            names += [e["Name"] for e in rest["Executions"]]
        if sorted(names) == ["a1", "a2"]:
            break
        time.sleep(0.1)
    assert sorted(names) == ["a1", "a2"]
    # StartSyncExecution's request class forces https; a scheme in the endpoint wins.
    sync_client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    sync_client.add_endpoint("cn-hangzhou", "fnf", f"http://{api_server.endpoint}")
    sync = call(
        sync_client,
        StartSyncExecutionRequest.StartSyncExecutionRequest(),
        FlowName=new_flow(legacy, mode="Express"),
        Input="{}",
    )
    sync_request = StartSyncExecutionRequest.StartSyncExecutionRequest()
    assert sync_request.get_protocol_type() == "https"  # why the SDK needs http:// endpoints
    assert sync["Status"] == "Succeeded"
    bad = server_error(
        lambda: call(
            legacy, StartExecutionRequest.StartExecutionRequest(), FlowName=flow, Input="[1, 2]"
        )
    )
    assert (bad.get_error_code(), bad.get_http_status()) == ("InvalidArgument", 400)


def test_schedules_through_the_legacy_sdk(legacy: AcsClient, dev_server_address: str) -> None:
    flow = new_flow(legacy, PASS_FLOW + "    outputMappings: [{target: got, source: $input.key}]\n")
    created = call(
        legacy,
        CreateScheduleRequest.CreateScheduleRequest(),
        FlowName=flow,
        ScheduleName="every-minute",
        CronExpression="@every 1m",
        Payload='{"key": "value"}',
        Enable=True,
        Description="demo",
    )
    assert (created["ScheduleName"], created["Enable"]) == ("every-minute", True)
    execution = trigger_and_find(dev_server_address, flow, "every-minute")
    assert re.fullmatch(r"scheduled-exec-\d{8}T\d{6}Z-[0-9a-f-]{36}", execution), execution
    paused = call(
        legacy,
        UpdateScheduleRequest.UpdateScheduleRequest(),
        FlowName=flow,
        ScheduleName="every-minute",
        Enable=False,
    )
    assert paused["Enable"] is False and paused["CronExpression"] == "@every 1m"
    resumed = call(
        legacy,
        UpdateScheduleRequest.UpdateScheduleRequest(),
        FlowName=flow,
        ScheduleName="every-minute",
        Enable=True,
        CronExpression="0 0 4 * * ?",
    )
    assert resumed["Enable"] is True and resumed["CreatedTime"] == created["CreatedTime"]
    listed = call(legacy, ListSchedulesRequest.ListSchedulesRequest(), FlowName=flow)
    assert [s["ScheduleName"] for s in listed["Schedules"]] == ["every-minute"]
    for cron in ("@every 10s", "61 * * * *", "not a cron"):
        bad = server_error(
            lambda cron=cron: call(
                legacy,
                CreateScheduleRequest.CreateScheduleRequest(),
                FlowName=flow,
                ScheduleName="bad",
                CronExpression=cron,
            )
        )
        assert bad.get_error_code() == "InvalidArgument", cron
    missing = server_error(
        lambda: call(
            legacy,
            CreateScheduleRequest.CreateScheduleRequest(),
            FlowName="no_such_flow",
            ScheduleName="s",
            CronExpression="@every 1m",
        )
    )
    assert (missing.get_error_code(), missing.get_http_status()) == ("FlowNotExists", 404)
    call(
        legacy,
        DeleteScheduleRequest.DeleteScheduleRequest(),
        FlowName=flow,
        ScheduleName="every-minute",
    )
    gone = server_error(
        lambda: call(
            legacy,
            DescribeScheduleRequest.DescribeScheduleRequest(),
            FlowName=flow,
            ScheduleName="every-minute",
        )
    )
    assert gone.get_error_code() == "ScheduleNotExists"


def trigger_and_find(address: str, flow: str, schedule: str) -> str:
    """Fire a schedule now (instead of waiting a minute) and return its execution's name."""
    import asyncio

    async def fire() -> str:
        client = await Client.connect(address)
        await client.get_schedule_handle(f"fnf-schedule:{flow}:{schedule}").trigger()
        for _ in range(100):
            async for found in client.list_workflows(equals(FLOW_NAME.name, flow)):
                result = await client.get_workflow_handle(found.id).result()
                assert result == {"got": "value"}
                return found.id.partition("/")[2]
            await asyncio.sleep(0.1)
        raise AssertionError("the schedule started nothing")

    return asyncio.run(fire())


def test_versions_aliases_regions_through_the_tea_sdk(tea: TeaClient) -> None:
    flow = f"t_{uuid.uuid4().hex[:8]}"
    tea.create_flow(
        tea_models.CreateFlowRequest(name=flow, definition=PASS_FLOW, type="FDL", description="")
    )
    version = tea.publish_flow_version(
        tea_models.PublishFlowVersionRequest(flow_name=flow, description="v1")
    )
    assert version.body.version == "1"
    versions = tea.list_flow_versions(tea_models.ListFlowVersionsRequest(flow_name=flow))
    assert [v.version for v in versions.body.flow_versions] == ["1"]
    route = tea_models.CreateFlowAliasRequestRoutingConfigurations(version="1", weight=100)
    tea.create_flow_alias(
        tea_models.CreateFlowAliasRequest(
            flow_name=flow, name="online", routing_configurations=[route], description="live"
        )
    )
    alias = tea.describe_flow_alias(
        tea_models.DescribeFlowAliasRequest(flow_name=flow, name="online")
    )
    assert alias.body.alias.name == "online"
    started = tea.start_execution(
        tea_models.StartExecutionRequest(flow_name=flow, qualifier="online")
    )
    assert started.body.status in ("Running", "Succeeded")
    regions = tea.describe_regions(tea_models.DescribeRegionsRequest())
    assert regions.body.regions.region[0].region_id == "cn-hangzhou"
    with pytest.raises(Exception) as map_run:
        tea.describe_map_run(
            tea_models.DescribeMapRunRequest(flow_name=flow, execution_name="x", map_run_name="m")
        )
    assert map_run.value.code == "ActionNotSupported"


def test_request_validation_never_gives_a_500(api_server: ApiServer) -> None:
    base = f"http://{api_server.endpoint}"
    unknown = httpx.post(f"{base}/?Action=NoSuchAction&Version=2019-03-15")
    assert unknown.status_code in (400, 403) and unknown.json()["Code"]
    plain = signed_json(api_server, "DescribeFlow", {})
    assert (plain.status_code, plain.json()["Code"]) == (400, "MissingRequiredParams")
    wrong_type = signed_json(api_server, "ListFlows", {"Limit": "many"})
    assert (wrong_type.status_code, wrong_type.json()["Code"]) == (400, "InvalidArgument")
    bad_json = signed_json(api_server, "StartExecution", {"FlowName": "x", "Input": "{not json"})
    assert bad_json.json()["Code"] in ("InvalidArgument", "FlowNotExists")
    docs = httpx.get(f"{base}/openapi.json").json()
    assert "/actions/StartExecution" in docs["paths"]
    assert EXAMPLES.exists()
