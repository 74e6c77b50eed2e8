"""`fnf worker`: serve FnFFlow executions and their tasks until interrupted."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from rich.console import Console

from cli.api import namespace_map
from cli.connection import temporal
from cli.options import (
    AddressOpt,
    ApiKeyOpt,
    FunctionsOpt,
    NamespaceOpt,
    TaskQueueOpt,
    TlsCaOpt,
    TlsCertOpt,
    TlsKeyOpt,
    TlsOpt,
    TlsServerNameOpt,
    connection_overrides,
    settings_with,
)
from cli.process import CommandConsole, run_until_stopped
from worker.assembly import run_worker
from worker.functions import FunctionRegistry
from worker.settings import Settings


def worker(
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    task_queue: TaskQueueOpt = None,
    functions: FunctionsOpt = None,
    tls: TlsOpt = None,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    tls_server_name: TlsServerNameOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Run a worker: the FnFFlow interpreter and the function, action and MNS activities.

    Without --namespace it serves FNF_NAMESPACE and every namespace FNF_NAMESPACES_FILE maps an
    AccessKey to; a namespace the server lacks is registered first."""
    settings = settings_with(
        temporal_address=address,
        namespace=namespace,
        task_queue=task_queue,
        functions=functions,
        **connection_overrides(tls, tls_ca, tls_cert, tls_key, tls_server_name, api_key),
    )
    FunctionRegistry.load_all(settings.functions)  # a bad registry: one line, before start
    # --namespace serves that one; else FNF_NAMESPACE and every namespace FNF_NAMESPACES_FILE
    # maps an AccessKey to (the teams one `fnf api` serves).
    served = [settings.namespace] if namespace else namespace_map(settings).namespaces
    run_until_stopped(_serve(settings, served, CommandConsole(stderr=True)))


async def _serve(settings: Settings, namespaces: list[str], console: Console) -> int:
    """Serve until stopped (cli/process.py cancels this, and the workers shut down)."""
    async with temporal(settings, console) as connection, AsyncExitStack() as stack:
        for namespace in namespaces:
            client = (await connection.namespace(namespace)).client
            namespaced = settings.model_copy(update={"namespace": namespace})
            await run_worker(client, namespaced, stack)
        console.print(
            f"worker on task queue [bold]{settings.task_queue}[/bold] at {connection.address}"
            f", namespace {', '.join(namespaces)}; Ctrl-C stops it"
        )
        await asyncio.Event().wait()
    return 0
