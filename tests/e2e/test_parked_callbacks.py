"""Many executions parked on callbacks at once, completed by concurrent reporters: none lost,
none doubled. bench/parked_callbacks.py runs the same check at 1,000 executions."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from translator import compile_file
from worker.assembly import run_worker
from worker.callbacks.client import ReportRefused, report_task_succeeded
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history
from worker.naming import EXECUTION_NAME, FLOW_NAME
from worker.settings import Settings
from worker.visibility_query import equals

EXAMPLES = Path(__file__).parents[2] / "examples"


async def park_and_complete(address: str, executions: int, reporters: int) -> dict[str, Any]:
    """Start `executions` callback flows, wait until all are parked, report each twice from
    `reporters` concurrent reporters; count what happened."""
    queue = f"parked-{uuid.uuid4().hex[:8]}"
    flow = f"parked_{uuid.uuid4().hex[:6]}"
    settings = Settings(
        temporal_address=address,
        task_queue=queue,
        functions=EXAMPLES / "callback" / "functions.yaml",
    )
    client = await Client.connect(address)
    graph = dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        handles = await asyncio.gather(
            *(
                start_execution(
                    client,
                    queue,
                    FlowRun(graph=graph, input={}, flow_name=flow, execution_name=f"e{n}"),
                )
                for n in range(executions)
            )
        )
        limit = asyncio.Semaphore(reporters)
        tokens = await asyncio.gather(*(_token(client, h.id, limit) for h in handles))
        counts = {"accepted": 0, "TaskAlreadyCompleted": 0, "other": 0}

        async def report(token: str, n: int) -> None:
            async with limit:
                try:
                    await report_task_succeeded(client, token, {"status": f"ok-{n}"})
                    counts["accepted"] += 1
                except ReportRefused as refused:
                    key = refused.code if refused.code in counts else "other"
                    counts[key] += 1

        work = [report(token, n) for n, token in enumerate(tokens)]
        work += [report(token, n) for n, token in enumerate(tokens)]
        await asyncio.gather(*work)
        results = await asyncio.gather(*(handle.result() for handle in handles))
    counts["succeeded"] = sum(result == {"s": f"ok-{n}"} for n, result in enumerate(results))
    counts["listed_by_flow_name"] = await _listed(client, flow, executions)
    return counts


async def _listed(client: Client, flow: str, expected: int) -> int:
    """Executions found through the FnFFlowName search attribute (visibility lags a little)."""
    found = 0
    for _ in range(50):
        found = 0
        async for execution in client.list_workflows(equals(FLOW_NAME.name, flow)):
            if execution.typed_search_attributes.get(EXECUTION_NAME) is not None:
                found += 1
        if found >= expected:
            break
        await asyncio.sleep(0.2)
    return found


async def _token(client: Client, workflow_id: str, limit: asyncio.Semaphore) -> str:
    """The token of the execution's TaskSubmitted event, once it is parked."""
    while True:
        try:
            async with limit:
                events = await read_history(client, workflow_id)
        except RPCError as error:  # a query waits on a busy worker; ask again later
            if error.status != RPCStatusCode.CANCELLED and "Timeout" not in error.message:
                raise
            events = []
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.2)


async def test_parked_executions_complete_exactly_once(dev_server_address: str) -> None:
    executions = 100
    counts = await park_and_complete(dev_server_address, executions, reporters=25)
    assert counts["accepted"] == executions
    assert counts["TaskAlreadyCompleted"] == executions
    assert counts["other"] == 0
    assert counts["succeeded"] == executions
    assert counts["listed_by_flow_name"] == executions
