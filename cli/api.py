"""`fnf api`: the FnF API facade, with the workers it needs, on one port.

It serves the RPC protocol the official SDKs speak and a JSON form of every action
(`/docs`). Its own worker keeps flow definitions and starts scheduled executions; with
`--with-worker` (the default) it also runs executions, so one command is a whole deployment.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.mns.settings import MnsSettings
from api.protocol.access_keys import AccessKeys
from api.tenancy import NamespaceMap, NamespaceMapError, regional_provider, tenant_provider
from cli.errors import UserError
from cli.options import (
    AddressOpt,
    FunctionsOpt,
    NamespaceOpt,
    TaskQueueOpt,
    settings_with,
    with_connection_options,
)
from cli.ports import ensure_free
from cli.process import CommandConsole, run_until_stopped
from worker.devserver import host_port
from worker.functions import FunctionRegistry
from worker.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from api.actions import ApiContext
    from api.mns.sealing import SealingKey
    from api.mns.signing import SigningKeys
    from cli.connection import Connection

DEFAULT_DB = Path(".fnf") / "temporal.db"
SIGNING_KEY_CHECK_SECONDS = 10
HTTP_GRACE_SECONDS = 3
"""How long requests in flight (a long-polling MNS receive, StartSyncExecution) may finish
when the API stops; then uvicorn cancels them."""


@with_connection_options
def api(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8080,
    with_worker: Annotated[
        bool, typer.Option("--with-worker/--no-worker", help="Also run executions here")
    ] = True,
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    task_queue: TaskQueueOpt = None,
    functions: FunctionsOpt = None,
    secured: dict[str, Any] | None = None,
) -> None:
    """Serve the FnF API (and, by default, a worker). Without --address the embedded dev
    server keeps its state in .fnf/temporal.db, so flows and executions survive restarts."""
    settings = settings_with(
        temporal_address=address,
        namespace=namespace,
        task_queue=task_queue,
        functions=functions,
        **(secured or {}),
    )
    ensure_free(host, port, "--port")
    namespace_map(settings)  # an unusable namespaces file: one line, before anything starts
    access_keys(settings)  # so is an unusable AccessKey file
    mns_settings()  # and an unusable FNF_MNS_* value
    if with_worker:
        FunctionRegistry.load_all(settings.functions)  # a bad registry: one line, first
    if not settings.temporal_address and settings.dev_server_ui_port:
        ensure_free("127.0.0.1", settings.dev_server_ui_port, "FNF_DEV_SERVER_UI_PORT")
    if not settings.temporal_address and settings.dev_server_db is None:
        DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
        settings = settings.model_copy(update={"dev_server_db": DEFAULT_DB})
    sealing_key(settings)  # and an unusable (or uncreatable) sealing key
    run_until_stopped(serve(settings, host, port, with_worker, CommandConsole(stderr=True)))


async def serve(
    settings: Settings, host: str, port: int, with_worker: bool, console: Console
) -> int:
    # The web app, its services and uvicorn load here, not with the module: `fnf worker`
    # (which reads this module's settings helpers) and a start refused for a bad setting
    # never load them (cli/lazy_commands.py).
    from temporalio.client import Client

    from api.app import create_app
    from api.auth_policy import startup_warning
    from api.console.routes import ConsoleSettings
    from api.mns import mns_router
    from api.mns.registry import Registry
    from api.mns.signing import SigningKeys
    from api.store.nonces import TemporalNonceLedger
    from cli.connection import temporal
    from cli.http_server import HttpServer, http_config

    namespaces = namespace_map(settings)
    async with temporal(settings, console) as connection, AsyncExitStack() as stack:
        client = connection.client
        keys = access_keys(settings)

        async def temporal_client() -> Client:
            return client

        # One push signing key per deployment, kept sealed by the API's own namespace.
        registry = Registry(temporal_client, settings.api_task_queue)
        signing_keys = SigningKeys(
            registry,
            sealing_key(settings),
            replace_unopenable=settings.mns_replace_signing_key,
        )
        contexts = {}
        for namespace in namespaces.namespaces:  # the API's own namespace first
            served = await connection.namespace(namespace)
            worker_settings = None
            if with_worker:
                own_mns = with_own_mns(settings, keys, host, port)
                worker_settings = namespace_mns(own_mns, namespaces, keys, namespace)
            contexts[namespace] = await _serve_namespace(
                served, settings, worker_settings, signing_keys, stack
            )
        await check_signing_key(signing_keys)
        app = create_app(
            tenant_provider(namespaces, contexts),
            keys,
            allow_unsigned=settings.allow_unsigned,
            nonce_ledger=TemporalNonceLedger(client),
            console=ConsoleSettings(settings.temporal_ui_url, settings.namespace),
            regional=regional_provider(namespaces, contexts),
        )
        if warning := startup_warning(keys, settings.allow_unsigned, host):
            console.print(f"[yellow]warning:[/] {warning}")

        async def tenant_client(access_key_id: str | None) -> Client:
            return contexts[namespaces.namespace_for(access_key_id)].client

        # MNS queues and topics on the same port, each in its signer's namespace.
        app.include_router(
            mns_router(
                temporal_client,
                keys,
                settings.allow_unsigned,
                settings.api_task_queue,
                settings=mns_settings(),
                tenant_client=tenant_client,
                signing_keys=signing_keys,
            )
        )
        config = http_config(
            app,
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=HTTP_GRACE_SECONDS,
        )
        server = HttpServer(config)
        teams = f", namespaces {', '.join(contexts)}" if len(contexts) > 1 else ""
        console.print(
            f"FnF API on http://{host_port(host, port)} (docs at /docs), "
            f"Temporal {connection.address}{teams}"
        )
        return await server.serve_until_cancelled()  # then the workers and Temporal stop


def access_keys(settings: Settings) -> AccessKeys:
    """FNF_ACCESS_KEYS and FNF_ACCESS_KEYS_FILE; UserError (one line) if unusable."""
    try:
        keys = AccessKeys.from_env()
        if settings.access_keys_file is not None:
            keys = keys.merged(AccessKeys.from_file(settings.access_keys_file))
    except ValueError as error:
        raise UserError(f"AccessKeys: {error}") from None
    return keys


def mns_settings() -> MnsSettings:
    """The MNS facade's FNF_MNS_* settings; UserError (one line) if one is unusable."""
    try:
        return MnsSettings.from_env()
    except ValueError as error:
        raise UserError(str(error)) from None


def sealing_key(settings: Settings) -> SealingKey:
    """FNF_MNS_SEALING_KEY, FNF_MNS_SEALING_KEY_FILE, or the key file beside the embedded dev
    server's database (made once); UserError (one line) if unusable."""
    from api.mns.sealing import DEFAULT_FILE_NAME as DEFAULT_SEALING_FILE
    from api.mns.sealing import SealingError, SealingKey

    folder = settings.dev_server_db.parent if settings.dev_server_db else DEFAULT_DB.parent
    try:
        return SealingKey.configured(
            settings.mns_sealing_key,
            settings.mns_sealing_key_file,
            folder / DEFAULT_SEALING_FILE,
        )
    except SealingError as error:
        raise UserError(str(error)) from None


async def check_signing_key(keys: SigningKeys) -> None:
    """A push signing key this process cannot open (another sealing key than the deployment's,
    a damaged record): one line before serving, not a failure at every push. Best effort: a
    registry that does not answer in time is checked at the first push instead."""
    import asyncio

    from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
    from temporalio.service import RPCError

    from api.mns.sealing import SealingError
    from api.protocol.temporary import temporary_reason

    try:
        await asyncio.wait_for(keys.check(), SIGNING_KEY_CHECK_SECONDS)
    except SealingError as error:
        raise UserError(str(error)) from None
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        pass
    except Exception as error:
        if temporary_reason(error) is None:  # no answer in time, Temporal away: not now
            raise


def namespace_map(settings: Settings) -> NamespaceMap:
    """FNF_NAMESPACES_FILE read once (api/tenancy.py); UserError (one line) if unusable."""
    try:
        return NamespaceMap.from_file(settings.namespaces_file, settings.namespace, settings.region)
    except NamespaceMapError as error:
        raise UserError(str(error)) from None


async def _serve_namespace(
    connection: Connection,
    settings: Settings,
    worker_settings: Settings | None,
    signing_keys: SigningKeys,
    stack: AsyncExitStack,
) -> ApiContext:
    """One namespace's services, its API worker (flow definitions, scheduled starts, the
    namespace's MNS queues, topics and pushes) and, with `worker_settings`, its execution
    worker."""
    from temporalio.worker import Worker

    from api.actions import ApiContext
    from api.mns import mns_activities, mns_workflows
    from api.services.executions import ExecutionService
    from api.services.scheduled_start import starter_activities, starter_workflows
    from api.services.schedules import ScheduleService
    from api.store.entity import FlowDefinitionWorkflow
    from api.store.flows import FlowStore
    from worker.assembly import run_worker

    client = connection.client
    store = FlowStore(client, settings.api_task_queue)
    executions = ExecutionService(
        client,
        store,
        settings.task_queue,
        connection.search_attributes,
        settings.run_options(),
        settings.redrive_limits(),
    )
    schedules = ScheduleService(client, store, settings.api_task_queue)
    await stack.enter_async_context(
        Worker(
            client,
            task_queue=settings.api_task_queue,
            workflows=[FlowDefinitionWorkflow, *starter_workflows(), *mns_workflows()],
            activities=[*starter_activities(executions), *mns_activities(signing_keys)],
        )
    )
    if worker_settings is not None:
        namespaced = worker_settings.model_copy(update={"namespace": client.namespace})
        await run_worker(client, namespaced, stack)
    return ApiContext(client, store, executions, schedules, settings.region)


def with_own_mns(settings: Settings, keys: AccessKeys, host: str, port: int) -> Settings:
    """Point this process's worker at this process's MNS facade, unless FNF_MNS_ENDPOINT
    names another: queue and topic tasks then work with no MNS anywhere. The worker signs
    with one of the API's own AccessKeys (with none, only an unsigned facade accepts it);
    `namespace_mns` then picks one of the namespace it serves."""
    if settings.mns_endpoint:
        return settings
    key_id, secret = keys.first_pair() or ("", "")
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return settings.model_copy(
        update={
            "mns_endpoint": f"http://{host_port(local, port)}",
            "mns_access_key_id": key_id,
            "mns_access_key_secret": secret,
        }
    )


def namespace_mns(
    settings: Settings, namespaces: NamespaceMap, keys: AccessKeys, namespace: str
) -> Settings:
    """`settings` for the worker of `namespace`, signing its MNS tasks with a key that a
    `fnf api` facade serves in that namespace, so a team's flows fill its own queues.

    Applies when the MNS pair is one of `keys` (FNF_ACCESS_KEYS: the MNS is an `fnf api`,
    whose MNS objects live per namespace, `api.mns.tenants`) and is bound to another
    namespace; then the first key of `keys` bound to `namespace` signs instead, or none (the
    facade refuses the calls, rather than take them into another team's namespace). An MNS
    pair that is not one of `keys` is another MNS (Alibaba's) and is left as it is."""
    key_id = settings.mns_access_key_id
    if key_id not in keys or namespaces.namespace_for(key_id) == namespace:
        return settings
    chosen_id, secret = namespaces.access_key_for(namespace, keys) or ("", "")
    return settings.model_copy(
        update={"mns_access_key_id": chosen_id, "mns_access_key_secret": secret}
    )
