"""`fnf api` killed with SIGKILL in the middle of requests loses nothing it accepted: every
StartExecution, CreateFlow and UpdateFlow it answered 200 is there after a restart, and a request
that was not answered can be sent again with the same names and gets one of FnF's answers (the
execution or flow, or ExecutionAlreadyExists / FlowAlreadyExists), never a server error.

The kill lands at a random point of a burst of concurrent requests (a short random delay after
they are sent), several times over, against a real `fnf api` subprocess with its worker."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from api.protocol.access_keys import AccessKeys
from api.protocol.header_signature import signed_headers
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, free_port

ROUNDS = 3
BURST = 8
REPORTS = 2
EXAMPLES = Path(__file__).parents[2] / "examples"
PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"
CALLBACK = (EXAMPLES / "callback" / "flow.yaml").read_text()

Answer = tuple[int, dict[str, Any]] | None
"""(HTTP status, JSON body), or None: no answer (the process died first)."""


class Api:
    """`fnf api` on the session's dev server (`address`), or `fnf dev` with its own database
    in `data` (address None): the process the test kills and starts again."""

    def __init__(self, address: str | None, log: Path, tag: str) -> None:
        self.address, self.log, self.tag = address, log, tag
        self.port = free_port()
        self.temporal_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.key = (ACCESS_KEY_ID, ACCESS_KEY_SECRET)

    def start(self) -> None:
        env = {
            **os.environ,
            "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
            "FNF_TASK_QUEUE": f"kill-{self.tag}",
            "FNF_API_TASK_QUEUE": f"kill-api-{self.tag}",
            "FNF_FUNCTIONS": str(EXAMPLES / "callback" / "functions.yaml"),
        }
        if self.address is not None:
            args = ["api", "--address", self.address, "--port", str(self.port)]
        else:
            data = self.log.parent / "data"
            args = ["dev", "--data", str(data), "--port", str(self.port), "--no-ui"]
            args += ["--temporal-port", str(self.temporal_port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while self.call("ListFlows", {"Limit": 1}) is None:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            assert time.monotonic() < deadline, "fnf api did not start"
            time.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def call(self, action: str, params: dict[str, Any]) -> Answer:
        body = json.dumps(params).encode()
        path = f"/actions/{action}"
        headers = {
            "Content-Type": "application/json",
            **signed_headers(*self.key, "POST", path, body),
        }
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{self.port}{path}", content=body, headers=headers, timeout=60
            )
        except httpx.HTTPError:
            return None
        return answer.status_code, answer.json()


def flow_params(name: str, description: str) -> dict[str, Any]:
    return {"Name": name, "Definition": PASS, "Description": description, "Type": "FDL"}


def parked_tokens(api: Api, round_: int) -> list[tuple[dict[str, Any], str]]:
    """Callback executions waiting for their report, with their task tokens."""
    parked = []
    for i in range(REPORTS):
        names = {"FlowName": "callback", "ExecutionName": f"cb-r{round_}-{i}"}
        started = api.call("StartExecution", {**names, "Input": json.dumps({"i": i})})
        assert started is not None and started[0] == 200, started
        parked.append((names, token_of(api, names)))
    return parked


def token_of(api: Api, names: dict[str, Any]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = api.call("GetExecutionHistory", names)
        assert answer is not None and answer[0] == 200, answer
        for event in answer[1]["Events"]:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        time.sleep(0.2)
    raise AssertionError(f"{names} never waited for its callback")


def burst(
    api: Api, round_: int, parked: list[tuple[dict[str, Any], str]]
) -> list[tuple[str, dict[str, Any], Answer]]:
    """StartExecutions, CreateFlows, one UpdateFlow and ReportTaskSucceeded at once; SIGKILL
    after a random delay."""
    calls: list[tuple[str, dict[str, Any]]] = [("UpdateFlow", flow_params("base", f"r{round_}"))]
    for names, token in parked:
        report = {"TaskToken": token, "Output": json.dumps({"status": names["ExecutionName"]})}
        calls.append(("ReportTaskSucceeded", report | {"_names": names}))
    for i in range(BURST):
        name = f"r{round_}-{i}"
        calls.append(("StartExecution", {"FlowName": "base", "ExecutionName": name}))
        if i % 2 == 0:
            calls.append(("CreateFlow", flow_params(f"made-r{round_}-{i}", "")))
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(api.call, action, _wire(params)) for action, params in calls]
        time.sleep(random.uniform(0.0, 1.2))
        api.kill()
        answers = [future.result() for future in futures]
    return [(a, p, answer) for (a, p), answer in zip(calls, answers, strict=True)]


def _wire(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if not k.startswith("_")}


def check_after_restart(api: Api, action: str, params: dict[str, Any], answer: Answer) -> None:
    accepted = answer is not None and answer[0] == 200
    if action == "StartExecution":
        if accepted:
            found = api.call("DescribeExecution", params)
            assert found is not None and found[0] == 200, (params, found)
        again = api.call("StartExecution", params)
        assert again is not None, params
        allowed = again[0] == 200 or again[1].get("Code") == "ExecutionAlreadyExists"
        assert allowed, (params, answer, again)
    elif action == "CreateFlow":
        if accepted:
            found = api.call("DescribeFlow", {"Name": params["Name"]})
            assert found is not None and found[0] == 200, (params, found)
        again = api.call("CreateFlow", params)
        assert again is not None, params
        allowed = again[0] == 200 or again[1].get("Code") == "FlowAlreadyExists"
        assert allowed, (params, answer, again)
    elif action == "ReportTaskSucceeded":  # an accepted report ends its execution
        names = params["_names"]
        if accepted:
            assert ended_with(api, names) == ("Succeeded", {"s": names["ExecutionName"]}), params
        again = api.call(action, _wire(params))
        assert again is not None, params
        allowed = again[0] == 200 or again[1].get("Code") == "TaskAlreadyCompleted"
        assert allowed, (params, answer, again)
        assert ended_with(api, names) == ("Succeeded", {"s": names["ExecutionName"]}), params
    else:  # UpdateFlow: an accepted description is the flow's after the restart
        if accepted:
            found = api.call("DescribeFlow", {"Name": params["Name"]})
            assert found is not None and found[0] == 200, found
            assert found[1]["Description"] == params["Description"], (params, found)
        again = api.call("UpdateFlow", params)
        assert again is not None and again[0] == 200, (params, again)


def ended_with(api: Api, names: dict[str, Any]) -> tuple[str, Any]:
    """The execution's status and output once it ended (its output mapping keeps `s`)."""
    deadline = time.monotonic() + 60
    while True:
        found = api.call("DescribeExecution", names)
        assert found is not None and found[0] == 200, found
        if found[1]["Status"] != "Running" or time.monotonic() > deadline:
            return found[1]["Status"], json.loads(found[1].get("Output") or "null")
        time.sleep(0.2)


def test_sigkill_of_fnf_api_mid_requests_loses_nothing_answered(
    dev_server_address: str, tmp_path: Path
) -> None:
    kill_and_restart(Api(dev_server_address, tmp_path / "api.log", uuid.uuid4().hex[:6]))


def test_sigkill_of_fnf_dev_mid_requests_loses_nothing_answered(tmp_path: Path) -> None:
    """`fnf dev` takes its embedded Temporal server (and database) down with it."""
    kill_and_restart(Api(None, tmp_path / "dev.log", uuid.uuid4().hex[:6]))


def dev_key(api: Api) -> tuple[str, str]:
    keys = AccessKeys.from_file(api.log.parent / "data" / "access-keys.yaml")
    pair = keys.first_pair()
    assert pair is not None
    return pair


def kill_and_restart(api: Api) -> None:
    api.start()
    if api.address is None:
        api.key = dev_key(api)  # written by the first start
    try:
        created = api.call("CreateFlow", flow_params("base", "r-"))
        assert created is not None and created[0] == 200, created
        callback = api.call("CreateFlow", {**flow_params("callback", ""), "Definition": CALLBACK})
        assert callback is not None and callback[0] == 200, callback
        answered = 0
        for round_ in range(ROUNDS):
            calls = burst(api, round_, parked_tokens(api, round_))
            answered += sum(1 for *_, answer in calls if answer is not None)
            api.start()
            # Each call's names are its own: the checks run side by side.
            with ThreadPoolExecutor(len(calls)) as pool:
                list(pool.map(lambda call: check_after_restart(api, *call), calls))
        total = ROUNDS * (1 + REPORTS + BURST + BURST // 2)
        print(f"\n{answered} of {total} requests answered before kills")
    finally:
        api.stop()
