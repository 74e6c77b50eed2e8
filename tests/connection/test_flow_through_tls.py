"""One flow end to end with every process behind TLS: `fnf api` and a separate `fnf worker`
reach Temporal only through the mTLS endpoint, and `fnf task succeed` reports the callback
through the endpoint whose certificate needs the server name override."""

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

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, free_port
from tests.connection.tls_proxy import API_KEY, SERVER_NAME, TlsProxy

FNF = str(Path(sys.executable).with_name("fnf"))
EXAMPLES = Path(__file__).parents[2] / "examples"


def _mtls_env(proxy: TlsProxy, port: int) -> dict[str, str]:
    files = proxy.files
    return {
        **os.environ,
        "FNF_TEMPORAL_ADDRESS": proxy.mtls,
        "FNF_TEMPORAL_TLS_CA": str(files.ca),
        "FNF_TEMPORAL_TLS_CERT": str(files.client_cert),
        "FNF_TEMPORAL_TLS_KEY": str(files.client_key),
        "FNF_TASK_QUEUE": "tls-e2e",
        "FNF_API_TASK_QUEUE": "tls-e2e-api",
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_API_ENDPOINT": f"http://127.0.0.1:{port}",
        "FNF_FUNCTIONS": str(EXAMPLES / "callback" / "functions.yaml"),
    }


@pytest.fixture
def behind_tls(tls_proxy: TlsProxy, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`fnf api --no-worker` and `fnf worker`, both on the mTLS endpoint; the env to call them."""
    port = free_port()
    env = _mtls_env(tls_proxy, port)
    log = (tmp_path / "processes.log").open("ab")
    processes = [
        subprocess.Popen(
            [FNF, "api", "--no-worker", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen([FNF, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT),
    ]
    try:
        _wait_until_answers(port, processes, tmp_path / "processes.log")
        yield env
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()


def _wait_until_answers(port: int, processes: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert all(p.poll() is None for p in processes), log.read_text()[-2000:]
        assert time.monotonic() < deadline, "fnf api did not start"
        time.sleep(0.2)


def _fnf(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([FNF, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def _token(env: dict[str, str]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = _fnf(env, "exec", "history", "tls-callback", "tls-1", "--json")["Events"]
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        time.sleep(0.3)
    raise AssertionError("no TaskSubmitted event")


def test_callback_flow_through_tls(behind_tls: dict[str, str], tls_proxy: TlsProxy) -> None:
    env = behind_tls
    flow = str(EXAMPLES / "callback" / "flow.yaml")
    _fnf(env, "flow", "create", flow, "--name", "tls-callback")
    _fnf(env, "exec", "start", "tls-callback", "--name", "tls-1")
    token = _token(env)  # the worker ran the task through mTLS
    plain_env = {k: v for k, v in os.environ.items() if not k.startswith("FNF_TEMPORAL_")}
    reported = _fnf(
        plain_env,
        "task",
        "succeed",
        token,
        "--output",
        '{"status": "ok"}',
        "--address",
        tls_proxy.named,
        "--tls-ca",
        str(tls_proxy.files.ca),
        "--tls-server-name",
        SERVER_NAME,
    )
    assert '"EventId"' in reported
    deadline = time.monotonic() + 30
    while True:
        described = _fnf(env, "exec", "describe", "tls-callback", "tls-1", "--json")
        if described["Status"] != "Running" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert described["Status"] == "Succeeded"
    assert json.loads(described["Output"]) == {"s": "ok"}


def test_fnf_run_with_an_api_key(tls_proxy: TlsProxy, tmp_path: Path) -> None:
    """`fnf run` (its own worker in the process) through the endpoint that checks the key."""
    flow = tmp_path / "hello.yaml"
    flow.write_text(
        "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: Hello\n"
        "    outputMappings:\n      - target: greeting\n        source: $input.name\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FNF_TEMPORAL_")}
    env["FNF_TEMPORAL_API_KEY"] = API_KEY
    env["FNF_TASK_QUEUE"] = "tls-run"
    where = ["--address", tls_proxy.api_key, "--tls-ca", str(tls_proxy.files.ca)]
    done = subprocess.run(
        [FNF, "run", str(flow), "--input", '{"name": "tls"}', "--json", *where],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["Status"] == "Succeeded"
    assert outcome["Output"] == {"greeting": "tls"}
