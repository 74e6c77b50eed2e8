"""Both official SDKs against `fnf api`: flows, executions, history, callbacks, errors."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from alibabacloud_fnf20190315 import models as tea_models
from alibabacloud_fnf20190315.client import Client as TeaClient
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import (
    CreateFlowRequest,
    DescribeExecutionRequest,
    DescribeFlowRequest,
    GetExecutionHistoryRequest,
    ReportTaskSucceededRequest,
    StartExecutionRequest,
)

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, EXAMPLES, ApiServer

CALLBACK_FLOW = (EXAMPLES / "callback" / "flow.yaml").read_text()
PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: hello\n"


@pytest.fixture(scope="module")
def legacy(api_server: ApiServer) -> AcsClient:
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "fnf", api_server.endpoint)
    return client


@pytest.fixture(scope="module")
def tea(api_server: ApiServer) -> TeaClient:
    config = Config(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=ACCESS_KEY_SECRET,
        region_id="cn-hangzhou",
        endpoint=api_server.endpoint,
        protocol="http",
    )
    return TeaClient(config)


def call(client: AcsClient, request: Any, **params: Any) -> dict[str, Any]:
    for key, value in params.items():
        getattr(request, f"set_{key}")(value)
    return dict(json.loads(client.do_action_with_exception(request)))


def wait_for_token(client: AcsClient, flow: str, execution: str) -> str:
    for _ in range(100):
        history = call(
            client,
            GetExecutionHistoryRequest.GetExecutionHistoryRequest(),
            FlowName=flow,
            ExecutionName=execution,
        )
        for event in history["Events"]:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        time.sleep(0.1)
    raise AssertionError("the task never parked")


def test_legacy_sdk_runs_the_callback_seed(legacy: AcsClient) -> None:
    flow = f"callback_{uuid.uuid4().hex[:6]}"
    created = call(
        legacy,
        CreateFlowRequest.CreateFlowRequest(),
        Name=flow,
        Definition=CALLBACK_FLOW,
        Description="seed callback",
        Type="FDL",
    )
    assert created["Name"] == flow and created["RequestId"]
    described = call(legacy, DescribeFlowRequest.DescribeFlowRequest(), Name=flow)
    assert described["Definition"] == CALLBACK_FLOW
    started = call(
        legacy, StartExecutionRequest.StartExecutionRequest(), FlowName=flow, ExecutionName="e1"
    )
    assert started["Status"] == "Running"
    token = wait_for_token(legacy, flow, "e1")

    # The seed's worker.py, unchanged but for the endpoint (and Python 3's print).
    fnf_client = legacy
    request = ReportTaskSucceededRequest.ReportTaskSucceededRequest()
    request.set_Output('{"status": "ok"}')
    request.set_TaskToken(token)
    resp = fnf_client.do_action_with_exception(request)
    assert json.loads(resp)["EventId"] > 0

    done = call(
        legacy,
        DescribeExecutionRequest.DescribeExecutionRequest(),
        FlowName=flow,
        ExecutionName="e1",
        WaitTimeSeconds=10,
    )
    assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"s": "ok"})
    with pytest.raises(ServerException) as again:
        fnf_client.do_action_with_exception(request)
    assert again.value.get_error_code() == "TaskAlreadyCompleted"
    assert again.value.get_http_status() == 400


def test_tea_sdk_flow_lifecycle_and_errors(tea: TeaClient) -> None:
    flow = f"tea_{uuid.uuid4().hex[:6]}"
    tea.create_flow(
        tea_models.CreateFlowRequest(name=flow, definition=PASS_FLOW, description="d", type="FDL")
    )
    start = tea.start_execution(
        tea_models.StartExecutionRequest(flow_name=flow, execution_name="x", input='{"a": 1}')
    )
    assert start.body.name == "x"
    done = tea.describe_execution(
        tea_models.DescribeExecutionRequest(flow_name=flow, execution_name="x", wait_time_seconds=5)
    )
    assert done.body.status == "Succeeded"
    history = tea.get_execution_history(
        tea_models.GetExecutionHistoryRequest(flow_name=flow, execution_name="x", limit=2)
    )
    assert [e.type for e in history.body.events] == ["ExecutionStarted", "StepEntered"]
    assert history.body.next_token.startswith("3:")
    rest = tea.get_execution_history(
        tea_models.GetExecutionHistoryRequest(
            flow_name=flow, execution_name="x", limit=100, next_token=history.body.next_token
        )
    )
    assert rest.body.events[0].event_id == 3 and not rest.body.next_token
    with pytest.raises(Exception) as exists:
        tea.start_execution(tea_models.StartExecutionRequest(flow_name=flow, execution_name="x"))
    assert (exists.value.code, exists.value.status_code) == ("ExecutionAlreadyExists", 400)
    with pytest.raises(Exception) as missing:
        tea.describe_flow(tea_models.DescribeFlowRequest(name="no_such_flow"))
    assert (missing.value.code, missing.value.status_code) == ("FlowNotExists", 404)
    with pytest.raises(Exception) as bad:
        tea.create_flow(
            tea_models.CreateFlowRequest(
                name=f"{flow}_bad", definition=PASS_FLOW + "    goto: nowhere\n", type="FDL"
            )
        )
    assert bad.value.code == "InvalidArgument"
    assert ":6:" in bad.value.message  # the line of the bad field
    tea.update_flow(tea_models.UpdateFlowRequest(name=flow, description="changed"))
    described = tea.describe_flow(tea_models.DescribeFlowRequest(name=flow))
    assert described.body.description == "changed"
    listed = tea.list_flows(tea_models.ListFlowsRequest(limit=999))
    assert flow in [f.name for f in listed.body.flows]
    tea.delete_flow(tea_models.DeleteFlowRequest(name=flow))
    with pytest.raises(Exception) as deleted:
        tea.describe_flow(tea_models.DescribeFlowRequest(name=flow))
    assert deleted.value.code == "FlowNotExists"


def test_a_wrong_secret_is_refused(api_server: ApiServer) -> None:
    client = AcsClient(ACCESS_KEY_ID, "wrong", "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "fnf", api_server.endpoint)
    with pytest.raises(ServerException) as refused:
        client.do_action_with_exception(DescribeFlowRequest.DescribeFlowRequest())
    assert (refused.value.get_error_code(), refused.value.get_http_status()) == (
        "SignatureNotMatch",
        403,
    )


def test_the_seed_callback_worker_script(legacy: AcsClient, api_server: ApiServer) -> None:
    """The guide's worker.py as a separate process, changed only in its endpoint (and prints)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    flow = f"seed_{uuid.uuid4().hex[:6]}"
    call(
        legacy,
        CreateFlowRequest.CreateFlowRequest(),
        Name=flow,
        Definition=CALLBACK_FLOW,
        Description="",
        Type="FDL",
    )
    call(legacy, StartExecutionRequest.StartExecutionRequest(), FlowName=flow, ExecutionName="e")
    token = wait_for_token(legacy, flow, "e")
    worker = Path(__file__).parent / "seed_workers" / "callback_worker.py"
    env = {
        **os.environ,
        "ACCOUNT_ID": "1",
        "AK_ID": ACCESS_KEY_ID,
        "AK_SECRET": ACCESS_KEY_SECRET,
        "FNF_ENDPOINT": api_server.endpoint,
    }
    first = subprocess.run(
        [sys.executable, str(worker), token], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Report task succeeded finished" in first.stdout, first.stdout + first.stderr
    done = call(
        legacy,
        DescribeExecutionRequest.DescribeExecutionRequest(),
        FlowName=flow,
        ExecutionName="e",
        WaitTimeSeconds=10,
    )
    assert json.loads(done["Output"]) == {"s": "ok"}
    second = subprocess.run(
        [sys.executable, str(worker), token], env=env, capture_output=True, text=True, timeout=60
    )
    assert "TaskAlreadyCompleted" in second.stdout  # its `print(e)` of the ServerException


def test_fnf_api_also_speaks_mns(api_server: ApiServer) -> None:
    """The MNS facade is mounted on `fnf api`'s port, with the same AccessKeys."""
    from mns.account import Account

    queue = Account(f"http://{api_server.endpoint}", ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_queue(
        f"q-{uuid.uuid4().hex[:6]}"
    )
    queue.set_encoding(False)
    from mns.queue import Message

    queue.send_message(Message('{"task_token": "t"}'))
    received = queue.receive_message(5)
    assert received.message_body == '{"task_token": "t"}'
    queue.delete_message(received.receipt_handle)
