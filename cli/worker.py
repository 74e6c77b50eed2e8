"""`fnf worker`: serve FnFFlow executions and their tasks until interrupted.

By default one process runs everything. `--workflows-only`, `--functions-only` and `--service`
split the interpreter from the functions so that each pool runs where its code lives and
scales alone (worker/roles.py).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console

from api.protocol.access_keys import AccessKeys
from api.tenancy import NamespaceMap
from cli.api import access_keys, namespace_map, namespace_mns
from cli.connection import temporal
from cli.errors import UserError
from cli.options import (
    AddressOpt,
    FunctionsOpt,
    NamespaceOpt,
    TaskQueueOpt,
    settings_with,
    with_connection_options,
)
from cli.process import CommandConsole, run_until_stopped
from worker.assembly import run_worker
from worker.functions import FunctionRegistry
from worker.roles import RoleError, WorkerPlan, WorkerRole, plan
from worker.settings import Settings


@dataclass(frozen=True)
class MnsKeys:
    """What picks each served namespace's MNS key (`cli.api.namespace_mns`)."""

    namespaces: NamespaceMap
    keys: AccessKeys


WorkflowsOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--workflows-only",
        help="Run only the interpreter (FnFFlow, and localActivity functions); function tasks "
        "need workers started with --functions-only or --service.",
    ),
]
FunctionsOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--functions-only",
        help="Run only task activities (functions on every queue the registry names, actions, "
        "MNS); executions need a worker running the interpreter.",
    ),
]
ServiceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service",
        help="Run only the functions of this FC service, on the taskQueue the registry gives "
        "it; repeat for several.",
    ),
]


@with_connection_options
def worker(
    address: AddressOpt = None,
    namespace: NamespaceOpt = None,
    task_queue: TaskQueueOpt = None,
    functions: FunctionsOpt = None,
    secured: dict[str, Any] | None = None,
    workflows_only: WorkflowsOnlyOpt = False,
    functions_only: FunctionsOnlyOpt = False,
    service: ServiceOpt = None,
) -> None:
    """Run a worker: the FnFFlow interpreter and the function, action and MNS activities, or
    one role of them.

    Without --namespace it serves FNF_NAMESPACE and every namespace FNF_NAMESPACES_FILE maps an
    AccessKey to; a namespace the server lacks is registered first."""
    settings = settings_with(
        temporal_address=address,
        namespace=namespace,
        task_queue=task_queue,
        functions=functions,
        **(secured or {}),
    )
    registry = FunctionRegistry.load_all(settings.functions)  # a bad registry: one line
    try:
        role = WorkerRole.of_options(workflows_only, functions_only, service or [])
        chosen = plan(role, registry, settings.task_queue)
    except RoleError as error:
        raise UserError(str(error)) from None
    # --namespace serves that one; else FNF_NAMESPACE and every namespace FNF_NAMESPACES_FILE
    # maps an AccessKey to (the teams one `fnf api` serves).
    served = [settings.namespace] if namespace else namespace_map(settings).namespaces
    mns = MnsKeys(namespace_map(settings), access_keys(settings))
    run_until_stopped(_serve(settings, served, role, chosen, mns, CommandConsole(stderr=True)))


async def _serve(
    settings: Settings,
    namespaces: list[str],
    role: WorkerRole,
    chosen: WorkerPlan,
    mns: MnsKeys,
    console: Console,
) -> int:
    """Serve until stopped (cli/process.py cancels this, and the workers shut down)."""
    async with temporal(settings, console) as connection, AsyncExitStack() as stack:
        for namespace in namespaces:
            client = (await connection.namespace(namespace)).client
            namespaced = settings.model_copy(update={"namespace": namespace})
            namespaced = namespace_mns(namespaced, mns.namespaces, mns.keys, namespace)
            await run_worker(client, namespaced, stack, role)
        queues = ", ".join(queue.task_queue for queue in chosen.queues)
        console.print(
            f"worker ({role.describe()}) on task queue{'s' if len(chosen.queues) > 1 else ''} "
            f"[bold]{queues}[/bold] at {connection.address}, namespace {', '.join(namespaces)}; "
            "Ctrl-C stops it"
        )
        if settings.deployment_name is not None:
            console.print(
                f"worker deployment version {settings.deployment_name}.{settings.build_id} "
                "(executions auto-upgrade to the deployment's current version)"
            )
        for notice in chosen.notices:
            console.print(f"note: {notice}")
        await asyncio.Event().wait()
    return 0
