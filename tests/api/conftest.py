"""`fnf api` as a real subprocess on an ephemeral port, against the session's dev server, and
the two official SDKs pointed at it with only the endpoint changed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
ACCESS_KEY_ID, ACCESS_KEY_SECRET = "testAK", "testSecret"


@dataclass
class ApiServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path | None = None
    """Where the process writes its stdout and stderr."""

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_api(address: str, log_path: Path, tag: str, port: int | None = None) -> ApiServer:
    """`fnf api` in a subprocess, once it answers; its task queues are named after `tag`."""
    port = port or free_port()
    env = {
        **os.environ,
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_TASK_QUEUE": f"sdk-{tag}",
        "FNF_API_TASK_QUEUE": f"sdk-api-{tag}",
        "FNF_FUNCTIONS": str(EXAMPLES / "callback" / "functions.yaml"),
        "FNF_MNS_PUSH_RETRY_SCALE": "0.05",  # MNS's 10-20 s between push retries: 0.5-1 s
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "api", "--address", address, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return ApiServer(port, process, log_path)
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"fnf api exited: {log_path.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "fnf api did not start"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def api_server(
    dev_server_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    server = start_api(
        dev_server_address, tmp_path_factory.mktemp("api") / "api.log", uuid.uuid4().hex[:6]
    )
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)
