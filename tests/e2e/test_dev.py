"""`fnf dev` as a user runs it: a real subprocess with its dev server, Web UI, worker and API.

One system is started in a fresh folder with the examples, used the way the README's tour uses
it (signed JSON calls, `fnf call`, `fnf task` and `fnf run` with no address, the Web UI's own
HTTP API), stopped with SIGTERM while more signals arrive, started again on the same data (the
flows and the closed executions are still there), and stopped with SIGINT. Every stop must be
clean: the shell's status, no traceback, no process left, the database and ports free, and the
state file gone.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from api.protocol.header_signature import signed_headers
from tests.e2e.test_shutdown import (
    STARTUP_SECONDS,
    Fnf,
    _free_port,
    _interruptible,
    assert_stopped_cleanly,
    stop_repeatedly,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)

EXAMPLES = Path(__file__).parents[2] / "examples"
READY = "fnf dev is ready"
SAGA_INPUT = (EXAMPLES / "saga" / "input.json").read_text()


@dataclass
class Ports:
    api: int
    temporal: int
    ui: int

    def argv(self) -> list[str]:
        pairs = {"--port": self.api, "--temporal-port": self.temporal, "--ui-port": self.ui}
        return [part for option, port in pairs.items() for part in (option, str(port))]


def dev_env() -> dict[str, str]:
    """The user's environment without any FNF_* setting: `fnf dev` needs none."""
    return {key: value for key, value in os.environ.items() if not key.startswith("FNF_")}


def start_dev(home: Path, ports: Ports, *extra: str) -> Fnf:
    log = home / f"dev-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "dev", *ports.argv(), *extra],
            cwd=home,
            env=dev_env(),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            preexec_fn=_interruptible,
        )
    return Fnf("dev", home, process, log, "fnf", ports.api)


def wait_ready(fnf: Fnf) -> None:
    fnf.wait_for(lambda: READY in fnf.output(), "fnf dev ready")


def fnf_cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Another `fnf` command in the same folder, with no address or key configured."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        cwd=home,
        env=dev_env(),
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
    )


class SignedApi:
    """The JSON form, signed with the AccessKey `fnf dev` created in the data folder."""

    def __init__(self, home: Path, endpoint: str) -> None:
        keys = yaml.safe_load((home / ".fnf" / "access-keys.yaml").read_text())
        [(self.key_id, self.secret)] = keys.items()
        self.endpoint = endpoint

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        path = f"/actions/{action}"
        body = json.dumps(params).encode()
        headers = signed_headers(self.key_id, self.secret, "POST", path, body)
        answer = httpx.post(self.endpoint + path, content=body, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def closed(self, flow: str, execution: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while True:
            found = self.call("DescribeExecution", FlowName=flow, ExecutionName=execution)
            if found["Status"] != "Running":
                return found
            assert time.monotonic() < deadline, found
            time.sleep(0.1)

    def token(self, flow: str, execution: str) -> str:
        deadline = time.monotonic() + 30
        while True:
            history = self.call("GetExecutionHistory", FlowName=flow, ExecutionName=execution)
            for event in history["Events"]:
                if event["Type"] == "TaskSubmitted":
                    token: str = json.loads(event["EventDetail"])["output"]["taskToken"]
                    return token
            assert time.monotonic() < deadline, history
            time.sleep(0.1)


def free_ports() -> Ports:
    return Ports(_free_port(), _free_port(), _free_port())


def test_dev_runs_the_system_stops_cleanly_and_keeps_its_data(
    tmp_path: Path, commands: list[Fnf]
) -> None:
    ports = free_ports()
    first = start_dev(tmp_path, ports, "--examples")
    commands.append(first)
    wait_ready(first)
    state = json.loads((tmp_path / ".fnf" / "dev.json").read_text())
    assert state["api"] == f"http://127.0.0.1:{ports.api}"
    assert state["temporal_address"] == f"127.0.0.1:{ports.temporal}"
    assert state["ui"] == f"http://127.0.0.1:{ports.ui}"
    for shown in (state["api"], state["temporal_address"], state["ui"]):
        assert shown in first.output()
    assert "11 created, 0 already there" in first.output()
    sealing = tmp_path / ".fnf" / "mns-sealing.key"  # seals the MNS push signing key
    assert stat.S_IMODE(sealing.stat().st_mode) == 0o600

    api = SignedApi(tmp_path, state["api"])
    listed = api.call("ListFlows", Limit=100)["Flows"]
    assert {flow["Name"] for flow in listed} >= {"saga", "callback", "polling", "timer"}

    # The saga through the API, and through `fnf run` on the same system (no address given).
    api.call("StartExecution", FlowName="saga", ExecutionName="by-api", Input=SAGA_INPUT)
    assert api.closed("saga", "by-api")["Status"] == "Succeeded"
    ran = fnf_cli(
        tmp_path,
        "run",
        str(EXAMPLES / "saga" / "flow.yaml"),
        "--input",
        SAGA_INPUT,
        "--execution",
        "by-run",
        "--no-worker",  # only the worker of `fnf dev` serves it: the run must be there
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    described = fnf_cli(tmp_path, "exec", "describe", "saga", "by-run", "--json")
    assert described.returncode == 0, described.stderr  # fnf exec finds the API and its key
    assert json.loads(described.stdout)["Status"] == "Succeeded"

    # A callback completed by `fnf task`, which finds Temporal without --address; `fnf call`
    # finds the API and its key the same way.
    called = fnf_cli(
        tmp_path, "call", "StartExecution", '{"FlowName": "callback", "ExecutionName": "cb"}'
    )
    assert called.returncode == 0, called.stdout + called.stderr
    reported = fnf_cli(
        tmp_path, "task", "succeed", api.token("callback", "cb"), "--output", '{"status": "ok"}'
    )
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert api.closed("callback", "cb")["Output"] == '{"s": "ok"}'

    # The Web UI serves, and its own HTTP API shows the run of `fnf run`.
    runs = httpx.get(
        f"{state['ui']}/api/v1/namespaces/default/workflows",
        params={"query": "WorkflowType = 'FnFFlow'"},
        timeout=10,
    ).json()["executions"]
    assert any(run["execution"]["workflowId"] == "saga/by-run" for run in runs), runs

    assert_refused_while_running(tmp_path, first, ports)

    # SIGTERM, with SIGINT and SIGTERM again while it stops: one clean stop, status 143.
    status = stop_repeatedly(first, signal.SIGTERM, [signal.SIGINT, signal.SIGTERM])
    assert_stopped_cleanly(first, 128 + signal.SIGTERM)
    assert status == 128 + signal.SIGTERM
    assert not (tmp_path / ".fnf" / "dev.json").exists()

    second = start_dev(tmp_path, ports, "--examples")
    commands.append(second)
    wait_ready(second)
    assert "0 created, 11 already there" in second.output()
    api = SignedApi(tmp_path, state["api"])  # the same key: created once, kept in .fnf/
    assert api.closed("saga", "by-api")["Status"] == "Succeeded"
    assert api.closed("callback", "cb")["Output"] == '{"s": "ok"}'
    assert api.call("DescribeFlow", Name="saga")["Name"] == "saga"
    assert stop_repeatedly(second, signal.SIGINT, []) == 128 + signal.SIGINT
    assert_stopped_cleanly(second, 128 + signal.SIGINT)


def assert_refused_while_running(home: Path, running: Fnf, ports: Ports) -> None:
    """A second `fnf dev` on the same data, or on a taken port, is one `error:` line and exit
    2 (a mistake the user can fix, as for every `fnf` command), and starts nothing."""
    again = fnf_cli(home, "dev", *free_ports().argv())
    assert again.returncode == 2, again.stderr
    assert again.stderr.strip().count("\n") == 0, again.stderr
    assert f"error: fnf dev already runs with data in .fnf (pid {running.process.pid}" in (
        again.stderr
    )

    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    for taken, option in (("api", "--port"), ("temporal", "--temporal-port"), ("ui", "--ui-port")):
        clash = free_ports()
        setattr(clash, taken, getattr(ports, taken))
        refused = fnf_cli(elsewhere, "dev", *clash.argv())
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().count("\n") == 0, refused.stderr
        assert f"error: port {getattr(ports, taken)} on 127.0.0.1 is in use" in refused.stderr
        assert refused.stderr.rstrip().endswith(option), refused.stderr
        assert not (elsewhere / ".fnf").exists()  # nothing was started
