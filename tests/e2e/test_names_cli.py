"""`fnf run` and `fnf task succeed` with the execution names the product itself generates.

The reproduction: an execution named by a UUID that starts with a digit (what StartExecution
and `fnf run` generate for about 10 in 16 executions) parks on a waitForCallback task, and the
token it hands out must be accepted by `fnf task succeed`, so that the execution completes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from typer.testing import CliRunner

from cli.main import app
from worker.history import read_history
from worker.naming import workflow_id

EXAMPLES = Path(__file__).parents[2] / "examples"
REPRO_NAME = "0f9e8d7c-6b5a-4c3d-9e8f-7a6b5c4d3e2f"


async def _token(client: Client, flow: str, execution: str, run: subprocess.Popen[str]) -> str:
    for _ in range(600):
        assert run.poll() is None, run.communicate()
        try:
            events = await read_history(client, workflow_id(flow, execution))
        except RPCError:
            events = []  # not started yet
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.1)
    raise AssertionError("the callback task never parked")


@pytest.mark.parametrize(
    "execution",
    [
        REPRO_NAME,
        f"_{uuid.uuid4()}",
        f"sync-like:{uuid.uuid4()}",
        "7" * 128,
    ],
    ids=["uuid-leading-digit", "underscore", "sync-suffix", "max-length-digits"],
)
async def test_fnf_run_callback_completes_for_generated_names(
    dev_server_address: str, execution: str
) -> None:
    flow = f"names_{uuid.uuid4().hex[:8]}"
    command = [
        sys.executable, "-m", "cli", "run", str(EXAMPLES / "callback" / "flow.yaml"),
        "--name", flow, "--execution", execution, "--address", dev_server_address,
        "--task-queue", f"names-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    env = {"COLUMNS": "200", "PATH": ""}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as run:
        try:
            client = await Client.connect(dev_server_address)
            token = await _token(client, flow, execution, run)
            reporter = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cli", "task", "succeed", token,
                "--output", '{"status": "ok"}', "--address", dev_server_address,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await reporter.communicate()
            assert reporter.returncode == 0, err.decode()
            assert json.loads(out)["EventId"] > 0
            stdout, stderr = await asyncio.to_thread(run.communicate, timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode == 0, stdout + stderr
    assert f"execution {execution} of flow {flow}" in stdout
    assert "Succeeded" in stdout and '"s": "ok"' in stdout


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--execution", "城市"),
        ("--execution", "-x"),
        ("--execution", "a" * 129),
        ("--execution", "a:b"),
        ("--name", REPRO_NAME),
    ],
)
def test_fnf_run_refuses_names_outside_the_grammar(option: str, value: str) -> None:
    """Refused before any server is contacted, with the rule in the message."""
    flow = str(EXAMPLES / "callback" / "flow.yaml")
    result = CliRunner().invoke(app, ["run", flow, f"{option}={value}", "--address", "127.0.0.1:1"])
    assert result.exit_code == 2, result.output
    assert f"{option} '" in result.output and "is invalid: use 1-128" in result.output
