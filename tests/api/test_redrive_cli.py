"""`fnf exec redrive` and the RedriveExecution action through a real `fnf api` (the session's
subprocess on the dev server): refusals are one `error:` line with FnF-style codes, a stopped
execution goes on from its waiting task, and `fnf exec history` reads both attempts as one."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from tests.api.conftest import ApiServer
from tests.api.test_cli_commands import fnf, fnf_process, one_error_line

FLOW = """\
version: v1
type: flow
steps:
  - type: pass
    name: Hello
    outputMappings:
      - target: hello
        source: world
  - type: task
    name: Wait
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    inputMappings:
      - target: taskToken
        source: $context.task.token
    outputMappings:
      - target: status
        source: $local.status
"""


def tokens(api: ApiServer, flow: str, execution: str, count: int) -> list[str]:
    """The task tokens of the first `count` TaskSubmitted events, once there are as many."""
    for _ in range(300):
        code, out, err = fnf(api, "exec", "history", flow, execution, "--json")
        assert code == 0, err
        found = [
            json.loads(event["EventDetail"])["output"]["taskToken"]
            for event in json.loads(out)["Events"]
            if event["Type"] == "TaskSubmitted"
        ]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError("the task was not submitted")


def test_redrive_a_stopped_execution_with_the_cli(api_server: ApiServer, tmp_path: Path) -> None:
    flow = f"redrive_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{flow}.yaml"
    path.write_text(FLOW)
    assert fnf(api_server, "flow", "create", str(path))[0] == 0
    code, _, err = fnf(api_server, "exec", "start", flow, "--name", "r1")
    assert code == 0, err
    [first_token] = tokens(api_server, flow, "r1", 1)

    code, _, err = fnf(api_server, "exec", "redrive", flow, "r1")
    one_error_line(code, err, "ExecutionNotRedrivable", "is running")
    code, _, err = fnf(api_server, "exec", "redrive", flow, "nope")
    one_error_line(code, err, "ExecutionNotExists")
    code, _, err = fnf(api_server, "exec", "redrive", "no_such_flow", "r1")
    one_error_line(code, err, "FlowNotExists")

    assert fnf(api_server, "exec", "stop", flow, "r1", "--error", "Halt")[0] == 0
    code, out, err = fnf(api_server, "exec", "redrive", flow, "r1", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["Status"], answer["RedriveCount"]) == ("Running", 1)
    assert answer["RedriveTime"] >= answer["StartedTime"]

    watch = fnf_process(api_server, "exec", "watch", flow, "r1", "--json")
    _, token = tokens(api_server, flow, "r1", 2)
    assert token != first_token
    report = json.dumps({"TaskToken": token, "Output": '{"status": "ok"}'})
    code, _, err = fnf(api_server, "call", "ReportTaskSucceeded", report)
    assert code == 0, err
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["Status"] == "Succeeded"
    assert lines[-1]["Output"] == {"hello": "world", "status": "ok"}

    code, out, _ = fnf(api_server, "exec", "history", flow, "r1", "--json")
    events = json.loads(out)["Events"]
    kinds = [event["Type"] for event in events]
    assert [event["EventId"] for event in events] == list(range(1, len(events) + 1))
    stopped = kinds.index("ExecutionStopped")
    assert kinds[stopped + 1] == "ExecutionRedriven" and kinds[-1] == "ExecutionSucceeded"
    # Hello ran once: the redrive went on at Wait.
    assert [e["StepName"] for e in events if e["Type"] == "StepEntered"] == [
        "Hello",
        "Wait",
        "Wait",
    ]
    code, out, _ = fnf(api_server, "exec", "describe", flow, "r1", "--json")
    described = json.loads(out)
    assert (described["Status"], described["RedriveCount"]) == ("Succeeded", 1)
    code, _, err = fnf(api_server, "exec", "redrive", flow, "r1")
    one_error_line(code, err, "ExecutionNotRedrivable", "succeeded")
