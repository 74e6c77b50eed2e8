"""Where the CLI's Temporal comes from: a configured address, or the embedded dev server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from temporalio.client import Client

from cli.errors import UserError
from cli.process import CommandConsole
from worker.devserver import DatabaseInUse, DevServer, DevServerOptions
from worker.executions import ensure_search_attributes
from worker.settings import Settings

DATABASE_IN_USE_STATUS = 1
"""Exit status of a command whose dev server database is held by a live server."""


@dataclass
class Connection:
    client: Client
    address: str
    search_attributes: bool
    """Whether FnFFlowName/FnFExecutionName are registered, so executions may carry them."""


CONNECT_TIMEOUT_SECONDS = 10.0


async def connect(address: str, namespace: str) -> Client:
    """A client of the Temporal at `address`; UserError (one line) when it cannot be reached,
    instead of the SDK's traceback."""
    try:
        return await asyncio.wait_for(
            Client.connect(address, namespace=namespace), CONNECT_TIMEOUT_SECONDS
        )
    except (RuntimeError, OSError, TimeoutError) as failed:
        reason = str(failed).splitlines()[0] if str(failed) else type(failed).__name__
        raise UserError(
            f"cannot reach Temporal at {address} (namespace {namespace}): {reason}; check "
            "--address / FNF_TEMPORAL_ADDRESS, or leave it unset to start the embedded dev "
            "server"
        ) from None


@asynccontextmanager
async def temporal(settings: Settings, console: Console) -> AsyncIterator[Connection]:
    """Connect to FNF_TEMPORAL_ADDRESS, or start the embedded dev server for as long as the
    command runs (its database file, if configured, keeps executions across runs). A database
    file another live server holds ends the command with DATABASE_IN_USE_STATUS and a message
    naming that server."""
    if settings.temporal_address:
        client = await connect(settings.temporal_address, settings.namespace)
        registered = await ensure_search_attributes(client, settings.namespace)
        yield Connection(client, settings.temporal_address, registered)
        return
    options = DevServerOptions(
        namespace=settings.namespace,
        db_file=None if settings.dev_server_db is None else str(settings.dev_server_db),
        ui_port=settings.dev_server_ui_port,
    )
    try:
        with console.status("starting the embedded Temporal dev server"):
            server = await DevServer.start(options)
    except DatabaseInUse as held:  # never a second server on one database file
        errors = CommandConsole(stderr=True)
        errors.print(str(held), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(DATABASE_IN_USE_STATUS) from None
    except (RuntimeError, OSError) as failed:
        raise UserError(f"the embedded Temporal dev server did not start: {failed}") from None
    try:
        where = f" (Web UI {server.ui_url})" if server.ui_url else ""
        console.print(f"[dim]embedded Temporal dev server at {server.address}{where}[/dim]")
        client = await Client.connect(server.address, namespace=server.namespace)
        yield Connection(client, server.address, search_attributes=True)
    finally:
        await server.stop()
