"""Example flows end to end on the embedded dev server: real timers, real time."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

from temporalio.client import Client

from translator import compile_file
from worker.assembly import run_worker
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history
from worker.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "examples"


async def test_polling_succeeds_after_the_second_status_check(dev_server_address: str) -> None:
    """The job finishes 20 s after its function cold-starts; the flow checks every 10 s."""
    queue = f"polling-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=queue,
        functions=EXAMPLES / "polling" / "functions.yaml",
    )
    client = await Client.connect(dev_server_address)
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        graph = dict(compile_file(EXAMPLES / "polling" / "flow.yaml"))
        run = FlowRun(
            graph=graph,
            input={"delay": 20},
            flow_name="polling",
            execution_name=f"exec-{uuid.uuid4()}",
        )
        handle = await start_execution(client, queue, run, search_attributes=False)
        output = await handle.result()
        events = await read_history(client, handle.id)
    checks = [
        json.loads(e["EventDetail"])["output"]
        for e in events
        if e["Type"] == "TaskSucceeded" and e["StepName"] == "GetJobStatus"
    ]
    assert [check["job_status"] for check in checks] == ["running", "success"]
    assert output["job_status"] == "success"
    assert events[-2]["StepName"] == "JobSucceeded"


def fnf_run_saga(dev_server_address: str, input_argument: str) -> subprocess.CompletedProcess[str]:
    """`fnf run` of the saga example in a subprocess, on its own task queue."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "run",
            str(EXAMPLES / "saga" / "flow.yaml"),
            "--input",
            input_argument,
            "--address",
            dev_server_address,
            "--task-queue",
            f"run-{uuid.uuid4().hex[:8]}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": ""},
    )


def test_fnf_run_prints_events_and_result(dev_server_address: str) -> None:
    completed = fnf_run_saga(dev_server_address, f"@{EXAMPLES / 'saga' / 'input.json'}")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "TaskSucceeded" in out and "ReserveHotel" in out
    assert "Succeeded" in out
    assert "reserve_hotel_txnID" in out


def test_fnf_run_reports_a_failed_execution(dev_server_address: str) -> None:
    flow_input = {
        "buy_train_ticket_result": False,
        "reserve_flight_result": "success",
        "reserve_hotel_result": "success",
    }
    completed = fnf_run_saga(dev_server_address, json.dumps(flow_input))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "ExecutionFailed" in completed.stdout
    assert "Failed" in completed.stdout


async def test_callback_completed_by_another_process(dev_server_address: str) -> None:
    """The seed's callback flow: TaskSubmitted shows the token; `fnf task succeed` in a
    separate process reports; the output is mapped and the execution succeeds."""
    queue = f"callback-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=queue,
        functions=EXAMPLES / "callback" / "functions.yaml",
    )
    client = await Client.connect(dev_server_address)
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        graph = dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
        run = FlowRun(
            graph=graph, input={}, flow_name="callback", execution_name=f"exec-{uuid.uuid4()}"
        )
        handle = await start_execution(client, queue, run, search_attributes=False)
        token = None
        while token is None:
            for event in await read_history(client, handle.id):
                if event["Type"] == "TaskSubmitted":
                    token = json.loads(event["EventDetail"])["output"]["taskToken"]
            await asyncio.sleep(0.1)
        reporter = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "task",
            "succeed",
            token,
            "--output",
            '{"status": "ok"}',
            "--address",
            dev_server_address,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await reporter.communicate()
        assert reporter.returncode == 0
        assert json.loads(out)["EventId"] == 6
        assert await handle.result() == {"s": "ok"}
        again = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "task",
            "succeed",
            token,
            "--address",
            dev_server_address,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await again.communicate()
        assert again.returncode == 1 and b"TaskAlreadyCompleted" in err
