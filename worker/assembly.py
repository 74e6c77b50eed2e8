"""Build the Temporal workers of a process: FnFFlow and every task activity by default (`fnf
worker`, `fnf run`), or one role of them (worker/roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from worker.activities.functions import FunctionActivities
from worker.activities.messages import MessageActivities
from worker.activities.parent_reports import report_parent_task
from worker.activities.pauses import pause
from worker.activities.task_secrets import mint_task_secret
from worker.archive import archive_history, archive_slice
from worker.connectors.mns import MnsClient, MnsCredentials
from worker.definitions import load_definition
from worker.functions import FunctionRegistry, FunctionRuntime
from worker.redrive_points import record_redrive_point
from worker.roles import QueuePlan, WorkerRole, plan
from worker.sandbox import workflow_runner
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


INTERNAL: list[Callable[..., Any]] = [
    report_parent_task,
    mint_task_secret,
    pause,
    archive_history,
    archive_slice,
    record_redrive_point,
    load_definition,
]
"""FnFFlow's own activities, never a function's: parent reports and the local activities."""


def build_worker(client: Client, task_queue: str, connectors: Connectors, **options: Any) -> Worker:
    """A worker for FnFFlow, the task activities and the local activities MintTaskSecret,
    FnFPause, ArchiveHistory and LoadDefinition; `options` go to temporalio's Worker."""
    every = QueuePlan(task_queue, interpreter=True, task_activities=True, functions=True)
    return build_queue_worker(client, every, connectors, **options)


def build_queue_worker(
    client: Client, queue: QueuePlan, connectors: Connectors, **options: Any
) -> Worker:
    """The Temporal worker of one QueuePlan (worker/roles.py)."""
    functions = FunctionActivities(connectors.functions)
    messages = MessageActivities(connectors.mns)
    activities: list[Callable[..., Any]] = []
    if queue.interpreter:
        # FnFFlow's own: local activities (run in the workflow's worker) and parent reports.
        activities += [functions.invoke_function_local, functions.get_function, *INTERNAL]
    if queue.functions or queue.task_activities:
        activities.append(functions.invoke_function)
    if queue.task_activities:
        activities += [functions.invoke_action, messages.send_message, messages.publish_message]
        if not queue.interpreter:
            # FnFPause and ArchiveHistorySlice run as regular activities on the
            # interpreter's queue, which this worker polls too: a task it took but lacked
            # would fail and wait for a retry.
            activities += [pause, archive_slice]
    if not queue.interpreter:
        options.pop("sticky_queue_schedule_to_start_timeout", None)
        options.pop("deployment_config", None)
    else:
        options.setdefault("workflow_runner", workflow_runner())
    return Worker(
        client,
        task_queue=queue.task_queue,
        workflows=[FnFFlow] if queue.interpreter else [],
        activities=activities,
        **options,
    )


def build_worker_with(
    client: Client, task_queue: str, task_activities: list[Any], **options: Any
) -> Worker:
    """A worker of everything on one queue whose task activities (the six that call functions,
    actions and MNS: InvokeFunction, InvokeFunctionLocal, GetFunction, InvokeAction,
    SendMessage, PublishMessage) are `task_activities`; `fnf test` gives it mocked ones
    (worker/mocking/activities.py). Everything else is the production worker's."""
    options.setdefault("workflow_runner", workflow_runner())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FnFFlow],
        activities=[*task_activities, *INTERNAL],
        **options,
    )


def deployment_options(settings: Settings) -> dict[str, Any]:
    """Worker versioning for the interpreter's workers when FNF_DEPLOYMENT_NAME and
    FNF_BUILD_ID are set: they poll as that Worker Deployment Version, and FnFFlow executions
    are AutoUpgrade, so setting a new current version moves every running execution, parked
    ones too, to it at its next workflow task. Never Pinned: an execution parked on a callback
    or a long wait would hold its version's workers for days. The interpreter's patch markers
    keep the histories of older versions replaying on the new one (DESIGN 4). Activity-only
    workers stay unversioned: Temporal dispatches their tasks to any poller of their queue."""
    if settings.deployment_name is None or settings.build_id is None:
        return {}
    version = WorkerDeploymentVersion(settings.deployment_name, settings.build_id)
    config = WorkerDeploymentConfig(
        version=version,
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )
    return {"deployment_config": config}


async def run_worker(
    client: Client, settings: Settings, stack: AsyncExitStack, role: WorkerRole | None = None
) -> Worker:
    """Start the workers of `role` (default: everything) in the background of `stack`; they
    stop (and their connectors close) with it. Returns the first: the interpreter's queue when
    the role runs the interpreter. Each one takes FNF_MAX_CONCURRENT_ACTIVITIES tasks at once."""
    connectors = Connectors.from_settings(settings)
    stack.push_async_callback(connectors.aclose)
    chosen = plan(role or WorkerRole(), connectors.functions.registry, settings.task_queue)
    workers = [
        build_queue_worker(
            client,
            queue,
            connectors,
            max_concurrent_activities=settings.max_concurrent_activities,
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_queue_timeout),
            **deployment_options(settings),
        )
        for queue in chosen.queues
    ]
    for worker in workers:
        await stack.enter_async_context(worker)
    return workers[0]
