"""Build a Temporal worker that runs FnFFlow and every task activity (`fnf worker`, `fnf run`)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from worker.activities.functions import FunctionActivities
from worker.activities.messages import MessageActivities
from worker.activities.parent_reports import report_parent_task
from worker.activities.pauses import pause
from worker.activities.task_secrets import mint_task_secret
from worker.archive import archive_history
from worker.connectors.mns import MnsClient, MnsCredentials
from worker.definitions import load_definition
from worker.functions import FunctionRegistry, FunctionRuntime
from worker.settings import Settings
from worker.workflow import FnFFlow


@dataclass
class Connectors:
    """The long-lived clients the activities call through; closed with the worker."""

    functions: FunctionRuntime
    mns: MnsClient | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Connectors:
        registry = FunctionRegistry.load_all(settings.functions)
        mns = None
        if settings.mns_endpoint:
            credentials = MnsCredentials(settings.mns_access_key_id, settings.mns_access_key_secret)
            mns = MnsClient(settings.mns_endpoint, credentials)
        return cls(FunctionRuntime(registry), mns)

    async def aclose(self) -> None:
        try:
            await self.functions.aclose()
        finally:
            if self.mns is not None:
                await self.mns.aclose()


def build_worker(client: Client, task_queue: str, connectors: Connectors, **options: Any) -> Worker:
    """A worker for FnFFlow, the task activities and the local activities MintTaskSecret,
    FnFPause, ArchiveHistory and LoadDefinition; `options` go to temporalio's Worker."""
    functions = FunctionActivities(connectors.functions)
    messages = MessageActivities(connectors.mns)
    task_activities = [
        functions.invoke_function,
        functions.invoke_function_local,
        functions.get_function,
        functions.invoke_action,
        messages.send_message,
        messages.publish_message,
    ]
    return build_worker_with(client, task_queue, task_activities, **options)


def build_worker_with(
    client: Client, task_queue: str, task_activities: list[Any], **options: Any
) -> Worker:
    """A worker whose task activities (the six that call functions, actions and MNS: see
    build_worker) are `task_activities`; `fnf test` gives it mocked ones
    (worker/mocking/activities.py). Everything else is the production worker's."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FnFFlow],
        activities=[
            *task_activities,
            report_parent_task,
            mint_task_secret,
            pause,
            archive_history,
            load_definition,
        ],
        **options,
    )


async def run_worker(client: Client, settings: Settings, stack: AsyncExitStack) -> Worker:
    """Start a worker in the background of `stack`; it stops (and its connectors close) with it."""
    connectors = Connectors.from_settings(settings)
    stack.push_async_callback(connectors.aclose)
    worker = build_worker(
        client,
        settings.task_queue,
        connectors,
        max_concurrent_activities=settings.max_concurrent_activities,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_queue_timeout),
    )
    await stack.enter_async_context(worker)
    return worker
