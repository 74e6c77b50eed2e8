"""StopExecution racing the execution's own end, on the dev server.

The service checks that the execution runs, then signals and cancels it. An execution that
ends between the check and either call makes Temporal refuse the call ("workflow execution
already completed"); that is FnF's ExecutionAlreadyCompleted, never a 500. To land in that
window every time, the service's client carries a Temporal client interceptor (an SDK
feature, not a stand-in) that holds the chosen call until the test lets it go.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import (
    CancelWorkflowInput,
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
)

from api.services.executions import ExecutionService
from api.services.failures import ServiceError
from api.store.flows import FlowStore
from tests.helpers.api_workers import serve_api
from worker.callbacks.client import report_task_succeeded
from worker.execution import STOP_SIGNAL
from worker.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "examples"
CALLBACK_FLOW = (EXAMPLES / "callback" / "flow.yaml").read_text()


class Gate:
    """Holds the next stop signal or cancellation (`call`) until `open` is set."""

    def __init__(self) -> None:
        self.call = ""
        self.reached = asyncio.Event()
        self.open = asyncio.Event()

    async def pass_through(self, call: str) -> None:
        if self.call != call:
            return
        self.call = ""
        self.reached.set()
        await self.open.wait()


class _Outbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, gate: Gate) -> None:
        super().__init__(next)
        self.gate = gate

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        if input.signal == STOP_SIGNAL:
            await self.gate.pass_through("signal")
        await super().signal_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        await self.gate.pass_through("cancel")
        await super().cancel_workflow(input)


class Holding(Interceptor):
    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Outbound(next, self.gate)


class Setup:
    def __init__(self, client: Client, store: FlowStore, held: ExecutionService, gate: Gate):
        self.client, self.store, self.held, self.gate = client, store, held, gate
        self.plain = ExecutionService(client, store, held.task_queue)


@pytest_asyncio.fixture(scope="module")
async def setup(dev_server_address: str) -> AsyncIterator[Setup]:
    client = await Client.connect(dev_server_address)
    gate = Gate()
    holding = await Client.connect(dev_server_address, interceptors=[Holding(gate)])
    queue = f"stop-race-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=queue,
        functions=EXAMPLES / "callback" / "functions.yaml",
    )
    store = FlowStore(client, f"{queue}-store")
    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        yield Setup(client, store, ExecutionService(holding, store, queue), gate)


async def _parked(setup: Setup) -> tuple[str, str, str]:
    """A callback execution waiting for its report: (flow, execution, task token)."""
    flow = f"race_{uuid.uuid4().hex[:6]}"
    fields = {"Name": flow, "Definition": CALLBACK_FLOW, "Description": "", "Type": "FDL"}
    await setup.store.create(fields)
    await setup.plain.start(flow, "e1", {}, None)
    for _ in range(200):
        events, _ = await setup.plain.history(flow, "e1", 100, None)
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return flow, "e1", str(json.loads(event["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.05)
    raise AssertionError("the callback task was never submitted")


async def _stop_held(setup: Setup, call: str, flow: str, execution: str) -> asyncio.Task[Any]:
    setup.gate.call, setup.gate.open = call, asyncio.Event()
    setup.gate.reached = asyncio.Event()
    stopping = asyncio.create_task(setup.held.stop(flow, execution, "Race", "lost"))
    await asyncio.wait_for(setup.gate.reached.wait(), 10)
    return stopping


@pytest.mark.parametrize("call", ["signal", "cancel"])
async def test_an_execution_that_ends_first_is_already_completed(setup: Setup, call: str) -> None:
    flow, execution, token = await _parked(setup)
    stopping = await _stop_held(setup, call, flow, execution)
    await report_task_succeeded(setup.client, token, '{"status": "won"}')
    ended = await setup.plain.describe(flow, execution, wait_seconds=10)
    assert ended["Status"] == "Succeeded"
    setup.gate.open.set()
    with pytest.raises(ServiceError) as refused:
        await asyncio.wait_for(stopping, 20)
    assert refused.value.code == "ExecutionAlreadyCompleted"
    after = await setup.plain.describe(flow, execution)
    assert (after["Status"], json.loads(after["Output"])) == ("Succeeded", {"s": "won"})


async def test_a_stop_that_another_stop_beat_answers_the_stopped_record(setup: Setup) -> None:
    flow, execution, _ = await _parked(setup)
    stopping = await _stop_held(setup, "signal", flow, execution)
    first = await setup.plain.stop(flow, execution, "First", "won")
    assert first["Status"] == "Stopped"
    setup.gate.open.set()
    second = await asyncio.wait_for(stopping, 20)
    assert (second["Status"], second["StoppedTime"]) == ("Stopped", first["StoppedTime"])
