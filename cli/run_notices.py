"""What `fnf run` tells the user besides the events, on stderr: function output (each line
prefixed, so it never mixes with the event stream on stdout), a flow that calls functions with
no registry to serve them, and an execution that no worker picks up (`--no-worker`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from rich.console import Console
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.service import RPCError

from cli.connection import Connection
from cli.event_stream import EventStream
from translator.graph import iter_steps
from worker.settings import Settings

FUNCTION_LOGGER: Final = "worker.functions"
"""The function runtime's logger (worker/functions/python_runtime.py): its warnings, such as
an instance that ended, and under `.output` each line a handler prints or logs, as
`[service/function pid] line`."""
FUNCTION_OUTPUT_LOGGER: Final = f"{FUNCTION_LOGGER}.output"
FUNCTION_PREFIX: Final = "fn "
NO_WORKER_AFTER: Final = 3.0
"""Seconds an execution may go without its first event before `fnf run --no-worker` says
why: a worker takes a new workflow task within milliseconds."""
FUNCTION_KINDS: Final = frozenset({"fc", "action"})


class _FunctionOutput(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console

    def filter(self, record: logging.LogRecord) -> bool:
        """Every line of function output; the runtime's own notes from WARNING up."""
        return record.name == FUNCTION_OUTPUT_LOGGER or record.levelno >= logging.WARNING

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
            self.console.print(
                f"{FUNCTION_PREFIX}{line}", markup=False, highlight=False, soft_wrap=True
            )
        except Exception:  # a closed stderr must not break the worker
            self.handleError(record)


@contextmanager
def function_output_to(console: Console) -> Iterator[None]:
    """Print the functions' output on `console` (stderr) while the block runs."""
    runtime, output = logging.getLogger(FUNCTION_LOGGER), logging.getLogger(FUNCTION_OUTPUT_LOGGER)
    handler = _FunctionOutput(console)
    level = output.level
    runtime.addHandler(handler)
    output.setLevel(logging.INFO)
    try:
        yield
    finally:
        runtime.removeHandler(handler)
        output.setLevel(level)


def called_functions(graph: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(step name, ARN) of every task that calls a function or an API action."""
    return [
        (step["name"], step["resource"]["arn"])
        for step in iter_steps(graph["steps"])
        if step["type"] == "task" and step["resource"]["kind"] in FUNCTION_KINDS
    ]


def warn_without_registry(graph: Mapping[str, Any], settings: Settings, console: Console) -> None:
    """A flow that calls functions, run with no registry: every call would fail with
    FC.ServiceNotFound, so say so before it starts."""
    if settings.functions:
        return
    calls = called_functions(graph)
    if not calls:
        return
    step, arn = calls[0]
    more = f" and {len(calls) - 1} more" if len(calls) > 1 else ""
    console.print(
        f"warning: no function registry: step {step} calls {arn}{more}, and without a "
        "registry such calls fail with FC.ServiceNotFound; give --functions FILE|FOLDER, set "
        "FNF_FUNCTIONS, or put a functions.yaml beside the flow",
        style="yellow",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


async def warn_without_worker(
    connection: Connection, settings: Settings, view: EventStream, console: Console
) -> None:
    """After NO_WORKER_AFTER seconds without an event, say whether any worker polls the task
    queue: with none, the execution waits until one starts."""
    await asyncio.sleep(NO_WORKER_AFTER)
    if view.layout.placed:
        return
    if await _pollers(connection, settings) > 0:
        return
    console.print(
        f"warning: no worker is polling task queue {settings.task_queue!r} (namespace "
        f"{settings.namespace}, Temporal {connection.address}); the execution waits until one "
        f"starts: `fnf worker --address {connection.address} --task-queue "
        f"{settings.task_queue}`, or run without --no-worker",
        style="yellow",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


async def _pollers(connection: Connection, settings: Settings) -> int:
    request = DescribeTaskQueueRequest(
        namespace=settings.namespace,
        task_queue=TaskQueue(name=settings.task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        answer = await connection.client.workflow_service.describe_task_queue(request)
    except RPCError:
        return 0
    return len(answer.pollers)
