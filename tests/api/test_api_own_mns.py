"""`fnf api` with no FNF_MNS_ENDPOINT: its worker's queue tasks go to its own MNS facade, so
the guide's MNS flows run with nothing but this one process."""

from __future__ import annotations

import json
import uuid

from mns.account import Account

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer
from tests.api.test_every_action_both_sdks import legacy_sdk


def test_queue_tasks_reach_the_apis_own_queues(api_server: ApiServer) -> None:
    call = legacy_sdk(api_server)
    queue_name = f"own-{uuid.uuid4().hex[:8]}"
    flow = f"own_mns_{uuid.uuid4().hex[:6]}"
    definition = f"""\
version: v1
type: flow
steps:
  - type: task
    name: send
    resourceArn: acs:mns:::/queues/{queue_name}/messages
    serviceParams:
      MessageBody: $
"""
    call("CreateFlow", Name=flow, Definition=definition, Description="", Type="FDL")
    call("StartExecution", FlowName=flow, ExecutionName="e", Input='{"order": 7}')
    done = call("DescribeExecution", FlowName=flow, ExecutionName="e", WaitTimeSeconds=10)
    assert done["Status"] == "Succeeded", done
    sent = json.loads(done["Output"])
    assert set(sent) == {"MessageId", "MessageBodyMD5", "RequestId"}
    account = Account(f"http://127.0.0.1:{api_server.port}", ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    queue = account.get_queue(queue_name)
    queue.set_encoding(False)
    message = queue.receive_message(1)
    assert (message.message_id, json.loads(message.message_body)) == (
        sent["MessageId"],
        {"order": 7},
    )
