"""Where the CLI's Temporal comes from: a configured address, or the embedded dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from rich.console import Console
from temporalio.client import Client

from worker.devserver import DevServer, DevServerOptions
from worker.executions import ensure_search_attributes
from worker.settings import Settings


@dataclass
class Connection:
    client: Client
    address: str
    search_attributes: bool
    """Whether FnFFlowName/FnFExecutionName are registered, so executions may carry them."""


@asynccontextmanager
async def temporal(settings: Settings, console: Console) -> AsyncIterator[Connection]:
    """Connect to FNF_TEMPORAL_ADDRESS, or start the embedded dev server for as long as the
    command runs (its database file, if configured, keeps executions across runs)."""
    if settings.temporal_address:
        client = await Client.connect(settings.temporal_address, namespace=settings.namespace)
        registered = await ensure_search_attributes(client, settings.namespace)
        yield Connection(client, settings.temporal_address, registered)
        return
    options = DevServerOptions(
        namespace=settings.namespace,
        db_file=None if settings.dev_server_db is None else str(settings.dev_server_db),
        ui_port=settings.dev_server_ui_port,
    )
    with console.status("starting the embedded Temporal dev server"):
        server = await DevServer.start(options)
    try:
        where = f" (Web UI {server.ui_url})" if server.ui_url else ""
        console.print(f"[dim]embedded Temporal dev server at {server.address}{where}[/dim]")
        client = await Client.connect(server.address, namespace=server.namespace)
        yield Connection(client, server.address, search_attributes=True)
    finally:
        await server.stop()
