"""The workers behind the FnF API in the tests, as `fnf api` runs them (cli/api.py): the
execution worker of `settings`, and the API's own worker on the flow store's queue (flow
definitions; with `executions`, the scheduled starts; with `mns`, the MNS queues and topics,
whose activities the caller builds with its signing keys)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from api.mns import mns_workflows
from api.services.executions import ExecutionService
from api.services.scheduled_start import starter_activities, starter_workflows
from api.store.entity import FlowDefinitionWorkflow
from api.store.flows import FlowStore
from worker.assembly import run_worker
from worker.settings import Settings


@dataclass
class Api:
    """What a test of the API's services holds: the Temporal client, the flow store and the
    execution service."""

    client: Client
    store: FlowStore
    executions: ExecutionService


async def serve_api(
    client: Client,
    settings: Settings,
    store: FlowStore,
    stack: AsyncExitStack,
    executions: ExecutionService | None = None,
    mns: list[Any] | None = None,
) -> None:
    """Start both workers in the background of `stack` (they stop with it)."""
    workflows: list[type] = [FlowDefinitionWorkflow]
    activities: list[Any] = []
    if executions is not None:
        workflows += starter_workflows()
        activities += starter_activities(executions)
    if mns is not None:
        workflows += mns_workflows()
        activities += mns
    api_worker = Worker(
        client, task_queue=store.task_queue, workflows=workflows, activities=activities
    )
    await stack.enter_async_context(api_worker)
    await run_worker(client, settings, stack)
