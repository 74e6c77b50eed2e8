"""`fnf task succeed|fail`: complete a waitForCallback task from the command line."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from cli.connection import connect, security
from cli.errors import fail as fail_command
from cli.errors import say_error
from cli.json_input import read_json_object
from cli.options import (
    AddressOpt,
    NamespaceOpt,
    settings_with,
    with_connection_options,
)
from cli.process import exit_now
from worker.callbacks.client import ReportRefused, report_task_failed, report_task_succeeded

app = typer.Typer(help="Report the result of a task waiting for a callback.", no_args_is_help=True)

TokenArg = Annotated[str, typer.Argument(help="The task token (from the TaskSubmitted event).")]


@app.command()
@with_connection_options
def succeed(
    token: TokenArg,
    output: Annotated[
        str, typer.Option("--output", help="The task's output: a JSON object, @FILE or @-")
    ] = "{}",
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    secured: dict[str, Any] | None = None,
) -> None:
    """ReportTaskSucceeded: the step's $local becomes OUTPUT."""
    text = read_json_object(output, "--output").text  # checked before anything is sent
    _report(
        address,
        namespace,
        secured or {},
        lambda client: report_task_succeeded(client, token, text),
    )


@app.command()
@with_connection_options
def fail(
    token: TokenArg,
    error: Annotated[str, typer.Option("--error", help="Error name (1-128 characters)")],
    cause: Annotated[str, typer.Option("--cause", help="Cause (up to 4096 characters)")] = "",
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    secured: dict[str, Any] | None = None,
) -> None:
    """ReportTaskFailed: the step fails with ERROR and CAUSE (retry and catch apply)."""
    _report(
        address,
        namespace,
        secured or {},
        lambda client: report_task_failed(client, token, error, cause),
    )


def _report(
    address: str | None, namespace: str | None, secured: dict[str, Any], send: object
) -> None:
    settings = settings_with(temporal_address=address, namespace=namespace, **secured)
    if not settings.temporal_address:
        fail_command("set --address or FNF_TEMPORAL_ADDRESS to the Temporal of the execution")

    connection = security(settings)

    async def report() -> int:
        client = await connect(settings.temporal_address or "", settings.namespace, connection)
        return await send(client)  # type: ignore[operator,no-any-return]

    try:
        event_id = asyncio.run(report())
    except ReportRefused as refused:
        say_error(f"{refused.code}: {refused.message}")  # as `fnf call`
        exit_now(1)
    typer.echo(f'{{"EventId": {event_id}}}')
    exit_now(0)
