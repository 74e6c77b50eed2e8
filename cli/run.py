"""`fnf run`: one execution of a flow file, its events streamed as they happen."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError

from cli.connection import temporal
from cli.errors import USAGE_EXIT, UserError, fail, say_error
from cli.event_stream import EventStream, Outcome
from cli.json_input import read_json_object
from cli.options import (
    AddressOpt,
    FullOpt,
    FunctionsOpt,
    NamespaceOpt,
    TaskQueueOpt,
    settings_with,
    with_connection_options,
)
from cli.process import CommandConsole, run_until_stopped
from cli.run_notices import function_output_to, warn_without_registry, warn_without_worker
from translator import compile_file
from translator.errors import FlowValidationError, Severity
from translator.flow_files import collect_subflows, flow_name_from_file
from translator.names import EXECUTION, FLOW, InvalidName
from worker.assembly import run_worker
from worker.execution import FlowRun
from worker.executions import failure_of, start_execution, stop_of
from worker.functions import FunctionRegistry
from worker.history import HistoryUnavailable, history_pages
from worker.settings import Settings

POLL_SECONDS = 0.25


@with_connection_options
def run(
    flow: Annotated[Path, typer.Argument(help="The FDL flow file to run.")],
    input_: Annotated[
        str,
        typer.Option("--input", help="Execution input: JSON text, @file.json, or @- (stdin)"),
    ] = "{}",
    functions: FunctionsOpt = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Flow name (default: from the file name)")
    ] = None,
    execution: Annotated[
        str | None, typer.Option("--execution", help="Execution name (default: a UUID)")
    ] = None,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    task_queue: TaskQueueOpt = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Use the workers already serving the queue")
    ] = False,
    full: FullOpt = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="One JSON object per event line, then the outcome's."),
    ] = False,
    secured: dict[str, Any] | None = None,
) -> None:
    """Run FLOW once, print its events as they happen, then its status and output.

    Without --address the embedded Temporal dev server is started for the run. Without
    --functions, a functions.yaml beside the flow file is used when there is one. Function
    output goes to stderr, each line prefixed with the function's name.
    """
    console = CommandConsole()
    notes = CommandConsole(stderr=True)
    flow_name, execution_name = _names(name or flow_name_from_file(flow), execution)
    graph = _compile(flow)
    beside = _beside(flow, "functions.yaml")
    registries = functions or ([beside] if beside is not None else None)
    settings = settings_with(
        temporal_address=address,
        namespace=namespace,
        task_queue=task_queue,
        functions=registries,
        **(secured or {}),
    )
    execution_run = FlowRun(
        graph=graph,
        input=read_json_object(input_, "--input").value,
        flow_name=flow_name,
        execution_name=execution_name,
        flows=collect_subflows(graph, [flow.parent]),  # type: ignore[arg-type]
        **settings.run_options(),
    )
    if not no_worker:
        FunctionRegistry.load_all(settings.functions)  # a bad registry: one line, before start
        warn_without_registry(graph, settings, notes)
    view = EventStream(console, graph["steps"], full=full, as_json=as_json)
    shown = notes if as_json else console
    run_until_stopped(_run(settings, execution_run, not no_worker, view, shown, notes))


async def _run(
    settings: Settings,
    run: FlowRun,
    with_worker: bool,
    view: EventStream,
    console: Console,
    notes: Console,
) -> int:
    """0 when the execution succeeds, 1 when it fails or is stopped. Stopping `fnf run` (a
    signal, a closed stdout) stops its worker and embedded server, not a server's execution."""
    async with temporal(settings, console) as connection, AsyncExitStack() as stack:
        if with_worker:
            stack.enter_context(function_output_to(notes))
            await run_worker(connection.client, settings, stack)
        handle = await start_execution(
            connection.client,
            settings.task_queue,
            run,
            search_attributes=connection.search_attributes,
        )
        console.print(f"execution [bold]{run.execution_name}[/bold] of flow {run.flow_name}")
        if not with_worker:
            watchdog = asyncio.ensure_future(warn_without_worker(connection, settings, view, notes))
            stack.callback(watchdog.cancel)
        return 0 if await follow_execution(connection.client, handle, view) else 1


async def follow_execution(
    client: Client, handle: WorkflowHandle[Any, Any], view: EventStream
) -> bool:
    """Print new events until the execution closes, then its outcome."""
    position: tuple[int, str | None] = (1, None)
    result = asyncio.ensure_future(handle.result())
    try:
        while True:
            done = result.done()
            try:
                position = await _print_events_since(client, handle.id, position, view)
            except HistoryUnavailable as error:
                if done:  # the last read: there is no later tick to catch up in
                    raise UserError(str(error)) from None
                # a busy or restarting worker: the next tick reads from the same position
            if done:
                break
            await asyncio.wait({result}, timeout=POLL_SECONDS)
    finally:
        result.cancel()  # when stopped (or the output is gone) before the execution closed
    outcome = view.outcome() or await _outcome_of(client, handle, result)
    view.show_outcome(outcome)
    return outcome.Status == "Succeeded"


async def _outcome_of(
    client: Client, handle: WorkflowHandle[Any, Any], result: asyncio.Future[Any]
) -> Outcome:
    """The outcome from Temporal, when the history has no terminal event to tell it."""
    try:
        output = result.result()
    except WorkflowFailureError as failure:
        if isinstance(failure.cause, CancelledError):  # StopExecution's Error and Cause
            error, cause = await stop_of(client, handle.id)
            return Outcome("Stopped", error, cause)
        error, cause = failure_of(failure.cause)
        return Outcome("Failed", error, cause)
    return Outcome("Succeeded", Output=output)


async def _print_events_since(
    client: Client, workflow_id: str, position: tuple[int, str | None], view: EventStream
) -> tuple[int, str | None]:
    """Print the events from `position` (EventId, run) on; returns where the next call starts."""
    start, run_id = position
    async for page in history_pages(client, workflow_id, start, run_id):
        for event in page.events:
            view.show(event)
            start = event["EventId"] + 1
        run_id = page.run_id
    return start, run_id


def _names(flow: str, execution: str | None) -> tuple[str, str]:
    """The flow's and the execution's name, checked against the one name grammar; without
    --execution, a UUID, as StartExecution names an execution (a valid execution name)."""
    try:
        return FLOW.check(flow, "--name"), EXECUTION.check(
            execution or str(uuid.uuid4()), "--execution"
        )
    except InvalidName as error:
        fail(str(error))


def _compile(flow: Path) -> dict[str, Any]:
    """The compiled flow, or each problem on its own `error:` line (exit 2), as written: no
    markup, no wrapping (scripts match these lines)."""
    try:
        return dict(compile_file(flow))
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        fail(f"cannot read {flow}: {reason}")
    except FlowValidationError as error:
        for diagnostic in error.diagnostics:  # a warning keeps its own `warning:` word
            if diagnostic.severity is Severity.ERROR:
                say_error(str(diagnostic))
            else:
                typer.echo(str(diagnostic), err=True)
    raise typer.Exit(USAGE_EXIT)


def _beside(flow: Path, name: str) -> Path | None:
    candidate = flow.parent / name
    return candidate if candidate.is_file() else None
