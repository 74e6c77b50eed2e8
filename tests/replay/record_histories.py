"""Record the Temporal histories of tests/replay/cases.py into tests/replay/histories/.

Records the cases that have no history yet; `--all` replaces every history (do that only when
old executions need not replay any more). Each case runs on the time-skipping test server with
the real worker and functions; each run's history is written as Temporal JSON (continue-as-new
runs as `<name>.run<N>.json`), and tests/replay/manifest.yaml names the interpreter that
recorded each new one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import sysconfig
import uuid
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from tests.conftest import installed_binary  # noqa: E402
from tests.replay import manifest  # noqa: E402
from tests.replay.cases import CASES, STOP, Case  # noqa: E402
from translator import compile_file, compile_text  # noqa: E402
from worker.assembly import Connectors, build_queue_worker  # noqa: E402
from worker.callbacks.client import report_task_succeeded  # noqa: E402
from worker.execution import FlowRun  # noqa: E402
from worker.executions import start_execution, stop_execution  # noqa: E402
from worker.functions import FunctionRegistry, FunctionRuntime  # noqa: E402
from worker.history import read_history, run_chain  # noqa: E402
from worker.limits import RedriveLimits  # noqa: E402
from worker.naming import workflow_id  # noqa: E402
from worker.redrive import redrive  # noqa: E402
from worker.roles import WorkerRole, plan  # noqa: E402

HISTORIES = Path(__file__).parent / "histories"
FLOWS = Path(__file__).parent / "flows"
FIXTURE_FUNCTIONS = ROOT / "tests" / "worker" / "fixtures" / "functions" / "functions.yaml"


def without_local_paths(text: str) -> str:
    """Stack traces in failures name files by absolute path; a committed history should not
    carry the recording machine's folders (replay does not read them). JSON payloads (a
    local activity's result, say) are base64 inside the history, so they are decoded first."""
    site_packages = sysconfig.get_paths()["purelib"]

    def scrub(plain: str) -> str:
        return plain.replace(site_packages, "<site-packages>").replace(str(ROOT), "<project>")

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("metadata", {}).get("encoding") == _JSON_ENCODING and "data" in value:
                data = base64.b64decode(value["data"]).decode()
                return {**value, "data": base64.b64encode(scrub(data).encode()).decode()}
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return scrub(json.dumps(walk(json.loads(text)), indent=2))


_JSON_ENCODING = base64.b64encode(b"json/plain").decode()


async def record(client: Client, case: Case, stack: AsyncExitStack) -> list[str]:
    queue = f"record-{case.name}"
    folder = ROOT / case.home / case.example
    registry = folder / "functions.yaml" if case.text is None else FIXTURE_FUNCTIONS
    connectors = Connectors(FunctionRuntime(FunctionRegistry.load(registry)), None)
    stack.push_async_callback(connectors.aclose)
    for queue_plan in plan(WorkerRole(), connectors.functions.registry, queue).queues:
        await stack.enter_async_context(build_queue_worker(client, queue_plan, connectors))
    if case.text is None:
        graph = dict(compile_file(folder / case.flow))
    else:
        graph = dict(compile_text((FLOWS / case.text).read_text()))
    flows = {name: dict(compile_text((FLOWS / f"{name}.yaml").read_text())) for name in case.flows}
    name = f"{case.name}-{uuid.uuid4()}"
    run = FlowRun(
        graph=graph,
        input=case.input,
        flow_name=case.example,
        execution_name=name,
        flows=flows,
        **case.options,
    )
    handle = await start_execution(client, queue, run, search_attributes=False)
    if case.report is not None:
        await report_when_parked(client, handle.id, case.report)
    if case.stop_at is not None:
        await stop_when_reached(client, handle.id, case.stop_at)
    if case.stop_child:
        await reached(client, handle.id, "TaskStarted")
        child = workflow_id(case.flows[0], case.input["child"])
        await stop_when_reached(client, child, "StepStarted")
    with suppress(WorkflowFailureError):  # failed or stopped
        await handle.result()
    written = await write_runs(client, handle.id, case.name)
    if case.redrive:
        redriven = await redrive(client, handle.id, queue, RedriveLimits())
        with suppress(WorkflowFailureError):
            await redriven.result()
        written += await write_runs(client, handle.id, f"{case.name}.redrive")
    if case.parts:
        for event in await read_history(client, handle.id):
            if event["Type"] == "PartEntered":
                child = json.loads(event["EventDetail"])["workflowId"]
                written += await write_runs(client, child, f"{case.name}.part{event['EventId']}")
    return written


async def write_runs(client: Client, workflow: str, stem: str) -> list[str]:
    """Every run's Temporal history, as `<stem>.json` or `<stem>.run<N>.json`."""
    written = []
    run_ids = await run_chain(client, workflow)
    for number, run_id in enumerate(run_ids, 1):
        history = await client.get_workflow_handle(workflow, run_id=run_id).fetch_history()
        suffix = "" if len(run_ids) == 1 else f".run{number}"
        path = HISTORIES / f"{stem}{suffix}.json"
        path.write_text(without_local_paths(history.to_json()))
        written.append(path.name)
    return written


async def report_when_parked(client: Client, workflow_id: str, output: str) -> None:
    while True:
        for event in await read_history(client, workflow_id):
            if event["Type"] == "TaskSubmitted":
                token = json.loads(event["EventDetail"])["output"]["taskToken"]
                await report_task_succeeded(client, token, output)
                return
        await asyncio.sleep(0.05)


async def stop_when_reached(client: Client, target: str, event_type: str) -> None:
    """StopExecution (as the API sends it) once `event_type` is recorded and a moment later,
    so that the task it belongs to is running."""
    await reached(client, target, event_type)
    await asyncio.sleep(0.5)
    await stop_execution(client.get_workflow_handle(target), STOP["error"], STOP["cause"])


async def reached(client: Client, target: str, event_type: str) -> None:
    while not any(e["Type"] == event_type for e in await read_history(client, target)):
        await asyncio.sleep(0.05)


async def main() -> None:
    HISTORIES.mkdir(exist_ok=True)
    everything = "--all" in sys.argv[1:]
    recorded = {path.name.split(".")[0] for path in HISTORIES.glob("*.json")}
    legacy = {case.name for case in CASES if case.legacy}
    if everything:
        for old in HISTORIES.glob("*.json"):
            if old.name.split(".")[0] not in legacy:
                old.unlink()
    cases = [
        case
        for case in CASES
        if case.name not in recorded or (everything and case.name not in legacy)
    ]
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=installed_binary("temporal-test-server")
    )
    try:
        async with AsyncExitStack() as stack:
            for case in cases:
                print(case.name, *await record(env.client, case, stack))
    finally:
        await env.shutdown()
    for name in manifest.update():
        print("manifest:", name)


if __name__ == "__main__":
    asyncio.run(main())
