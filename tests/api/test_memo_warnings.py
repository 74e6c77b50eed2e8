"""`fnf api` keeps its log for things a user can act on. temporalio warns (TMPRL1103) of every
memo over 2 KiB, and a flow's record (its definition) and an execution's input for
ListExecutions are memos larger than that by design: each such CreateFlow and StartExecution
used to print a coloured `payload_limits` warning nobody could act on."""

from __future__ import annotations

import json
import time
import uuid

from tests.api.conftest import ApiServer
from tests.api.test_auth_live import signed_json
from tests.api.test_every_action_both_sdks import wait_for

COMMENTED = "\n".join(f"# note {n}: " + "x" * 60 for n in range(100)) + "\n"
FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def test_large_flow_records_and_inputs_log_no_memo_warning(api_server: ApiServer) -> None:
    assert api_server.log_path is not None
    logged_before = api_server.log_path.stat().st_size
    flow = f"memo_{uuid.uuid4().hex[:8]}"
    definition = COMMENTED + FLOW
    assert len(definition) > 6000
    created = signed_json(api_server, "CreateFlow", {"Name": flow, "Definition": definition})
    assert created.status_code == 200, created.text
    flow_input = json.dumps({"note": "y" * 5000})
    started = signed_json(
        api_server, "StartExecution", {"FlowName": flow, "ExecutionName": "e1", "Input": flow_input}
    )
    assert started.status_code == 200, started.text
    described = wait_for(
        lambda: signed_json(
            api_server, "DescribeExecution", {"FlowName": flow, "ExecutionName": "e1"}
        ).json(),
        lambda body: body.get("Status") == "Succeeded",
    )
    assert described["Input"] == flow_input
    time.sleep(0.5)  # the SDK's Rust core writes its log lines on its own thread
    logged = api_server.log_path.read_bytes()[logged_before:].decode("utf-8", "replace")
    assert "TMPRL1103" not in logged and "payload_limits" not in logged, logged[-2000:]
