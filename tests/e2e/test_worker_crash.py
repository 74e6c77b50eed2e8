"""A worker killed with SIGKILL mid-execution: a new worker finishes it (real processes).

The worker is `fnf worker` in a subprocess on the embedded dev server. The flow's functions
append to a marks file, so the test sees which steps ran and how often: a step that completed
before the crash must not run again; the one cut off by the crash may run again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from tests.helpers.worker_processes import WorkerProcess, WorkerProcesses, wait_until
from translator import compile_text
from worker.activities.attempts import RESTART_REASON
from worker.callbacks.client import report_task_succeeded
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"

FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: first
    resourceArn: acs:fc:::services/demo/functions/mark
    inputMappings: [{target: marks, source: $input.marks}, {target: step, source: first}]
  - type: wait
    name: pause
    duration: $.pause
  - type: task
    name: second
    resourceArn: acs:fc:::services/demo/functions/mark
    inputMappings:
      - {target: marks, source: $input.marks}
      - {target: step, source: second}
      - {target: seconds, source: $input.work}
  - type: task
    name: third
    resourceArn: acs:fc:::services/demo/functions/mark
    inputMappings: [{target: marks, source: $input.marks}, {target: step, source: third}]
"""


@pytest.fixture
def workers(
    dev_server_address: str, tmp_path: Path, worker_processes: WorkerProcesses
) -> Iterator[Any]:
    queue = f"crash-{uuid.uuid4().hex[:8]}"

    def start() -> WorkerProcess:
        return worker_processes.add(
            WorkerProcess(
                dev_server_address,
                queue,
                FUNCTIONS,
                tmp_path / "worker.log",
                env={"FNF_STICKY_QUEUE_TIMEOUT": "1"},
            )
        )

    start.queue = queue  # type: ignore[attr-defined]
    yield start


def marks(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def start_flow(
    address: str,
    queue: str,
    flow_input: dict[str, Any],
    flow: str = FLOW,
    report_after: float = 0.2,
) -> Any:
    client = await Client.connect(address)
    run = FlowRun(
        graph=dict(compile_text(flow)),
        input=flow_input,
        flow_name="crash",
        execution_name=f"exec-{uuid.uuid4()}",
        heartbeat_timeout=2.0,
        attempt_report_after=report_after,
    )
    return client, await start_execution(client, queue, run, search_attributes=False)


async def test_worker_killed_during_a_wait(
    dev_server_address: str, workers: Any, tmp_path: Path
) -> None:
    marks_file = tmp_path / "marks"
    first = workers()
    client, handle = await start_flow(
        dev_server_address, workers.queue, {"marks": str(marks_file), "pause": 3, "work": 0}
    )

    async def waiting() -> bool:
        events = await read_history(client, handle.id)
        return any(e["Type"] == "StepStarted" and e["StepName"] == "pause" for e in events)

    await wait_until(waiting)
    first.kill()
    workers()
    await asyncio.wait_for(handle.result(), 60)
    assert marks(marks_file) == [
        "first start",
        "first end",
        "second start",
        "second end",
        "third start",
        "third end",
    ]
    events = await read_history(client, handle.id)
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["Type"] == "ExecutionSucceeded"


async def test_worker_killed_during_a_task(
    dev_server_address: str, workers: Any, tmp_path: Path
) -> None:
    marks_file = tmp_path / "marks"
    first = workers()
    client, handle = await start_flow(
        dev_server_address, workers.queue, {"marks": str(marks_file), "pause": 0, "work": 2}
    )

    async def second_running() -> bool:
        return "second start" in marks(marks_file) and await task_started(client, handle, "second")

    await wait_until(second_running)
    first.kill()
    workers()
    await asyncio.wait_for(handle.result(), 60)
    seen = marks(marks_file)
    assert seen.count("first start") == 1, seen  # completed before the crash: not run again
    assert seen.count("second end") == 1, seen  # cut off by the crash, then run to the end
    assert seen.count("third start") == 1, seen
    events = await read_history(client, handle.id)
    second = [e["Type"] for e in events if e["StepName"] == "second"]
    assert second == [
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskStarted",  # the call cut off by the crash ran again: both starts are shown
        "TaskSucceeded",
        "StepExited",
    ]


async def task_started(client: Client, handle: Any, step: str) -> bool:
    events = await read_history(client, handle.id)
    return any(e["Type"] == "TaskStarted" and e["StepName"] == step for e in events)


RESTARTED = """\
version: v1
type: flow
steps:
  - type: task
    name: work
    resourceArn: acs:fc:::services/demo/functions/mark
    inputMappings:
      - {target: marks, source: $input.marks}
      - {target: keys, source: $input.keys}
      - {target: step, source: work}
      - {target: seconds, source: $input.work}
    outputMappings: [{target: result, source: $local.work}]
"""


@pytest.mark.parametrize(
    "report_after",
    [0.2, 60.0],
    ids=["first-start-reported-live", "both-starts-from-the-ledger"],
)
async def test_a_call_run_twice_across_a_crash_shows_both_starts(
    dev_server_address: str, workers: Any, tmp_path: Path, report_after: float
) -> None:
    """Temporal runs the attempt cut off by the SIGKILL again on another worker after the
    heartbeat timeout: the history shows both starts of the one FDL attempt, the second with
    its reason, and the function saw one idempotency key (its request id) both times."""
    marks_file, keys_file = tmp_path / "marks", tmp_path / "keys"
    first = workers()
    flow_input = {"marks": str(marks_file), "keys": str(keys_file), "work": 3}
    client, handle = await start_flow(
        dev_server_address, workers.queue, flow_input, RESTARTED, report_after
    )

    async def working() -> bool:
        if "work start" not in marks(marks_file):
            return False
        return report_after > 1 or await task_started(client, handle, "work")

    await wait_until(working)
    await asyncio.sleep(0.5)  # the attempt's first heartbeat, its ledger, has reached Temporal
    first.kill()
    workers()
    assert await asyncio.wait_for(handle.result(), 60) == {"result": "done"}
    assert marks(marks_file).count("work start") == 2
    assert marks(marks_file).count("work end") == 1
    keys = marks(keys_file)
    assert len(keys) == 2 and keys[0] == keys[1], keys
    assert keys[0].endswith("-1"), keys  # FDL attempt 1, started twice
    events = await read_history(client, handle.id)
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    work = [e for e in events if e["StepName"] == "work"]
    assert [e["Type"] for e in work] == [
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskStarted",
        "TaskSucceeded",
        "StepExited",
    ]
    scheduled = work[1]["EventId"]
    assert [e["ScheduleEventId"] for e in work[2:5]] == [scheduled] * 3
    assert [json.loads(e["EventDetail"]) for e in work[2:4]] == [
        {"attempt": 1},
        {"attempt": 1, "restart": 1, "reason": RESTART_REASON},
    ]
    assert work[2]["Time"] <= work[3]["Time"] <= work[4]["Time"]


CALLBACK = """\
version: v1
type: flow
steps:
  - type: task
    name: approve
    resourceArn: acs:fc:::services/demo/functions/echo
    pattern: waitForCallback
    inputMappings: [{target: token, source: $context.task.token}]
"""


async def test_a_parked_token_survives_a_worker_crash(
    dev_server_address: str, workers: Any
) -> None:
    first = workers()
    client = await Client.connect(dev_server_address)
    run = FlowRun(
        graph=dict(compile_text(CALLBACK)),
        input={},
        flow_name="crash",
        execution_name=f"exec-{uuid.uuid4()}",
    )
    handle = await start_execution(client, workers.queue, run, search_attributes=False)
    token = ""

    async def parked() -> bool:
        nonlocal token
        for event in await read_history(client, handle.id):
            if event["Type"] == "TaskSubmitted":
                token = json.loads(event["EventDetail"])["output"]["token"]
        return bool(token)

    await wait_until(parked)
    first.kill()
    workers()
    assert await report_task_succeeded(client, token, {"approved": True}) > 0
    assert await asyncio.wait_for(handle.result(), 60) == {"approved": True}


async def test_a_local_task_cut_off_by_a_crash_is_called_again_with_the_same_key(
    dev_server_address: str, workers: Any, tmp_path: Path
) -> None:
    """A local activity leaves nothing in Temporal's history until it ends: the workflow task
    of a killed worker times out, the next worker replays it and calls the function again,
    the same FDL attempt with the same request id (at least once). Only that start shows."""
    marks_file, keys_file = tmp_path / "marks", tmp_path / "keys"
    first = workers()
    flow = RESTARTED.replace("functions/mark", "functions/mark-local")
    flow_input = {"marks": str(marks_file), "keys": str(keys_file), "work": 3}
    client, handle = await start_flow(dev_server_address, workers.queue, flow_input, flow)

    async def working() -> bool:
        return "work start" in marks(marks_file)

    await wait_until(working)
    first.kill()
    workers()
    assert await asyncio.wait_for(handle.result(), 60) == {"result": "done"}
    assert marks(marks_file).count("work start") == 2
    assert marks(marks_file).count("work end") == 1
    keys = marks(keys_file)
    assert len(keys) == 2 and keys[0] == keys[1], keys
    assert keys[0].endswith("-1"), keys
    events = await read_history(client, handle.id)
    assert [e["Type"] for e in events if e["StepName"] == "work"] == [
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "StepExited",
    ]
