"""Client-side helpers shared by the CLI and the API: start an execution, read its failure."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from worker import definitions
from worker.definitions import PinnedDefinition, publish
from worker.execution import STOP_SIGNAL, FlowRun, StopRequest
from worker.history import last_event
from worker.interpreter.versions import INTERPRETER_VERSION
from worker.naming import (
    EXECUTION_NAME,
    FLOW_ID,
    FLOW_NAME,
    SEARCH_ATTRIBUTE_KEYS,
    workflow_id,
)
from worker.starter import ExecutionStart, start_flow_run


async def ensure_search_attributes(client: Client, namespace: str) -> bool:
    """Register FnFFlowName/FnFExecutionName if missing (idempotent). False when the cluster
    does not let us (no operator permission, or a server without custom attributes)."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {
            key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
            for key in SEARCH_ATTRIBUTE_KEYS
            if key.name not in listed.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
    except RPCError:
        return False
    return True


async def start_execution(
    client: Client,
    task_queue: str,
    run: FlowRun,
    *,
    search_attributes: bool = True,
    flow_id: str = "",
    memo: dict[str, Any] | None = None,
    reuse_closed: bool = False,
) -> WorkflowHandle[Any, Any]:
    """Start one execution; Temporal refuses a reused name (ExecutionAlreadyExists, DESIGN 3).
    `reuse_closed` lets a closed run's id be used again: only for a name whose previous
    execution belongs to a deleted incarnation of the flow (the caller checked)."""
    run = (await by_reference(client, run)).with_default_work_limits()
    if not run.interpreter_version:
        run = replace(run, interpreter_version=INTERPRETER_VERSION)
    pairs = [
        SearchAttributePair(FLOW_NAME, run.flow_name),
        SearchAttributePair(EXECUTION_NAME, run.execution_name),
    ]
    if flow_id:
        pairs.append(SearchAttributePair(FLOW_ID, flow_id))
    start = ExecutionStart(
        workflow_id=workflow_id(run.flow_name, run.execution_name),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE
        if reuse_closed
        else WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=pairs if search_attributes else [],
        memo=memo,
    )
    return await start_flow_run(client, run, start)


async def by_reference(client: Client, run: FlowRun) -> FlowRun:
    """The run with its definition stored by reference when it is large (DESIGN 2)."""
    if run.definition_ref:
        return run
    text = PinnedDefinition(run.graph, run.flows, run.definition).encode()
    if len(text) <= definitions.INLINE_DEFINITION_BYTES:
        return run
    reference = await publish(client, text)
    return replace(run, graph={}, flows={}, definition="", definition_ref=reference)


def failure_of(error: BaseException | None) -> tuple[str, str]:
    """(error, cause) of a failed execution, from the workflow's ApplicationError."""
    if isinstance(error, ApplicationError):
        if error.details and isinstance(error.details[0], dict):
            detail = error.details[0]
            return str(detail.get("error", "")), str(detail.get("cause", ""))
        return error.type or "", error.message
    return "FnF.RuntimeError", str(error) if error else ""


async def stop_execution(handle: WorkflowHandle[Any, Any], error: str, cause: str) -> None:
    """StopExecution: the error and cause first (a signal), then Temporal's cancellation, which
    ends whatever the execution is doing with ExecutionStopped."""
    await handle.signal(STOP_SIGNAL, StopRequest(error, cause))
    await handle.cancel()


async def stop_of(client: Client, workflow: str) -> tuple[str, str]:
    """(Error, Cause) of a stopped execution. Temporal's record of a cancelled workflow carries
    none; the FnF history's last event, ExecutionStopped, has them."""
    last = await last_event(client, workflow)
    if last is None or last["Type"] != "ExecutionStopped":
        return "", ""
    detail = json.loads(last["EventDetail"])
    return str(detail.get("error", "")), str(detail.get("cause", ""))
