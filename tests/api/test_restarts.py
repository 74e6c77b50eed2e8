"""Kill the API (with its worker) mid-execution, then the Temporal dev server itself: no flow,
execution or callback is lost (flows live in Temporal; the dev server keeps a database file)."""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path

from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import (
    CreateFlowRequest,
    DescribeExecutionRequest,
    DescribeFlowRequest,
    ReportTaskSucceededRequest,
    StartExecutionRequest,
)

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer, start_api
from tests.api.test_sdk_end_to_end import CALLBACK_FLOW, call, wait_for_token
from worker.devserver import DevServer, DevServerOptions


def client_for(server: ApiServer) -> AcsClient:
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "fnf", server.endpoint)
    return client


def kill(server: ApiServer) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)


async def test_nothing_is_lost_across_restarts(tmp_path: Path) -> None:
    options = DevServerOptions(db_file=str(tmp_path / "temporal.db"))
    temporal = await DevServer.start(options)
    tag, log = uuid.uuid4().hex[:6], tmp_path / "api.log"
    api = start_api(temporal.address, log, tag)
    try:
        legacy = client_for(api)
        call(
            legacy,
            CreateFlowRequest.CreateFlowRequest(),
            Name="approvals",
            Definition=CALLBACK_FLOW,
            Description="",
            Type="FDL",
        )
        call(
            legacy,
            StartExecutionRequest.StartExecutionRequest(),
            FlowName="approvals",
            ExecutionName="first",
        )
        token = wait_for_token(legacy, "approvals", "first")

        kill(api)  # mid-execution: the task is parked, the API and its worker die
        api = start_api(temporal.address, log, tag, port=api.port)
        legacy = client_for(api)
        described = call(legacy, DescribeFlowRequest.DescribeFlowRequest(), Name="approvals")
        assert described["Definition"] == CALLBACK_FLOW

        kill(api)
        await temporal.stop()  # and the Temporal server too, keeping its database file
        temporal = await DevServer.start(DevServerOptions(db_file=options.db_file))
        api = start_api(temporal.address, log, tag, port=api.port)
        legacy = client_for(api)
        request = ReportTaskSucceededRequest.ReportTaskSucceededRequest()
        request.set_TaskToken(token)
        request.set_Output('{"status": "approved"}')
        legacy.do_action_with_exception(request)
        done = call(
            legacy,
            DescribeExecutionRequest.DescribeExecutionRequest(),
            FlowName="approvals",
            ExecutionName="first",
            WaitTimeSeconds=20,
        )
        assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"s": "approved"})
    finally:
        if api.process.poll() is None:
            kill(api)
        await temporal.stop()
