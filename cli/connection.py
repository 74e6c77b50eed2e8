"""Where the CLI's Temporal comes from: a configured address, or the embedded dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from rich.console import Console
from temporalio.client import Client

from cli.errors import UserError, fail
from worker.connection import (
    PLAINTEXT,
    ConnectionSettingsError,
    TemporalSecurity,
    TemporalUnreachable,
    connect_temporal,
)
from worker.devserver import DatabaseInUse, DevServer, DevServerOptions
from worker.executions import ensure_search_attributes
from worker.namespaces import NamespaceUnavailable, ensure_namespace, in_namespace
from worker.settings import Settings

DATABASE_IN_USE_STATUS = 1
"""Exit status of a command whose dev server database is held by a live server."""


@dataclass
class Connection:
    client: Client
    address: str
    search_attributes: bool
    """Whether FnFFlowName/FnFExecutionName are registered, so executions may carry them."""

    async def namespace(self, namespace: str) -> Connection:
        """The same connection in `namespace`, registered there if missing, with our search
        attributes (worker/namespaces.py); UserError (one line) when it cannot be used."""
        if namespace == self.client.namespace:
            return self
        client = in_namespace(self.client, namespace)
        return Connection(client, self.address, await prepared(client, namespace))


async def prepared(client: Client, namespace: str) -> bool:
    """Register the namespace if missing, then the search attributes in it; whether they
    are registered."""
    try:
        await ensure_namespace(client, namespace)
    except NamespaceUnavailable as error:
        raise UserError(str(error)) from None
    return await ensure_search_attributes(client, namespace)


def security(settings: Settings) -> TemporalSecurity:
    """The connection's TLS and credentials (worker/connection.py), files read here once;
    UserError (one line) for a setting that cannot be used. TLS settings without an address
    are a mistake: the embedded dev server speaks plaintext only."""
    try:
        resolved = TemporalSecurity.from_settings(settings)
    except ConnectionSettingsError as error:
        raise UserError(str(error)) from None
    if not settings.temporal_address and (resolved.tls or resolved.api_key):
        raise UserError(
            "TLS or an API key is set but no Temporal address: set --address / "
            "FNF_TEMPORAL_ADDRESS (the embedded dev server speaks plaintext only)"
        )
    return resolved


async def connect(address: str, namespace: str, secured: TemporalSecurity = PLAINTEXT) -> Client:
    """A client of the Temporal at `address`; UserError (one line) when it cannot be reached,
    instead of the SDK's traceback."""
    try:
        return await connect_temporal(address, namespace, secured)
    except TemporalUnreachable as failed:
        if failed.specific:
            raise UserError(str(failed)) from None
        raise UserError(
            f"{failed}; check --address / FNF_TEMPORAL_ADDRESS and the FNF_TEMPORAL_TLS* "
            "settings, or leave the address unset to start the embedded dev server"
        ) from None


@asynccontextmanager
async def temporal(settings: Settings, console: Console) -> AsyncIterator[Connection]:
    """Connect to FNF_TEMPORAL_ADDRESS, or start the embedded dev server for as long as the
    command runs (its database file, if configured, keeps executions across runs). A database
    file another live server holds ends the command with DATABASE_IN_USE_STATUS and a message
    naming that server."""
    secured = security(settings)
    if settings.temporal_address:
        client = await connect(settings.temporal_address, settings.namespace, secured)
        registered = await prepared(client, settings.namespace)
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
        fail(str(held), DATABASE_IN_USE_STATUS)
    except (RuntimeError, OSError) as failed:
        raise UserError(f"the embedded Temporal dev server did not start: {failed}") from None
    try:
        where = f" (Web UI {server.ui_url})" if server.ui_url else ""
        console.print(f"[dim]embedded Temporal dev server at {server.address}{where}[/dim]")
        client = await connect(server.address, server.namespace)
        yield Connection(client, server.address, search_attributes=True)
    finally:
        await server.stop()
