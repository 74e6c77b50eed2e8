"""Runs of one flow with a module-level switch of the interpreter on and off
(worker/interpreter/inline.py `COMPILED`, `FOLDED`, ...), for tests that compare the two paths.

The switch is a plain module attribute, so only workflow code imported from this process's
modules sees it: the worker here runs its workflows unsandboxed (a sandboxed worker re-imports
the interpreter). Its histories are replayed with the switch off, which shows that both
settings issue the same Temporal commands."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from temporalio.client import Client
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from tests.helpers.workers import serving
from tests.worker.conftest import Outcome, execute
from translator import compile_text
from worker.execution import FlowRun
from worker.history import run_chain
from worker.workflow import FnFFlow


@dataclass(frozen=True)
class Switch:
    """`module.name`, a boolean the interpreter reads at run time."""

    module: ModuleType
    name: str

    @contextmanager
    def set(self, on: bool) -> Iterator[None]:
        """The switch at `on` for the block, back to what it was after."""
        before = getattr(self.module, self.name)
        setattr(self.module, self.name, on)
        try:
            yield
        finally:
            setattr(self.module, self.name, before)


@dataclass(frozen=True)
class SwitchedWorker:
    """An unsandboxed worker on `queue`, and the flow name its executions carry."""

    client: Client
    queue: str
    flow_name: str
    switch: Switch

    async def run(self, text: str, data: Any, fields: dict[str, Any], on: bool) -> Outcome:
        """One execution of the flow `text` (a fresh execution name) with the switch at `on`;
        `fields` are further FlowRun fields (quotas, activation sizes)."""
        run = FlowRun(
            graph=dict(compile_text(text)),
            input=data,
            flow_name=self.flow_name,
            execution_name=f"exec-{uuid.uuid4()}",
            **fields,
        )
        with self.switch.set(on):
            return await execute(self.client, self.queue, run)

    async def replays_switched_off(self, workflow_id: str) -> None:
        """Every run of the execution replays with the switch off (a nondeterminism error
        fails the test)."""
        replayer = Replayer(workflows=[FnFFlow], workflow_runner=UnsandboxedWorkflowRunner())
        for run_id in await run_chain(self.client, workflow_id):
            handle = self.client.get_workflow_handle(workflow_id, run_id=run_id)
            history = await handle.fetch_history()
            with self.switch.set(False):
                await replayer.replay_workflow(history)


@asynccontextmanager
async def switched_worker(
    client: Client, flow_name: str, switch: Switch
) -> AsyncIterator[SwitchedWorker]:
    """A worker whose workflow code is this process's modules, so the switch reaches it."""
    queue = f"{flow_name}-{uuid.uuid4().hex[:6]}"
    async with serving(client, queue, None, workflow_runner=UnsandboxedWorkflowRunner()):
        yield SwitchedWorker(client, queue, flow_name, switch)


def timeless(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FnF events without their Time (each execution has its own clock)."""
    return [{key: value for key, value in event.items() if key != "Time"} for event in events]


def assert_alike(switched_on: Outcome, switched_off: Outcome) -> None:
    """The same status, output, error, cause, number of runs and FnF events (Time aside)."""
    assert (
        switched_on.status,
        switched_on.output,
        switched_on.error,
        switched_on.cause,
        switched_on.runs,
    ) == (
        switched_off.status,
        switched_off.output,
        switched_off.error,
        switched_off.cause,
        switched_off.runs,
    )
    assert timeless(switched_on.events) == timeless(switched_off.events)
