"""Namespaces registered idempotently, as the search attributes are (DESIGN 3).

One `fnf api` may serve several teams, each in its own Temporal namespace (api/tenancy.py), and
`fnf worker --namespace` serves one of them. On a dev server or a self-hosted cluster the
namespace is registered when missing, then our search attributes in it. Temporal Cloud refuses
RegisterNamespace to API callers (namespaces are made in its console or with `tcld`): there a
namespace that is missing is one line naming it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Final

from google.protobuf.duration_pb2 import Duration
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeWorkflowExecutionRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

RETENTION: Final = timedelta(days=3)
"""How long a namespace we register keeps closed executions (the `temporal operator namespace
create` default)."""

READY_SECONDS: Final = 30.0
"""How long a namespace just registered may take to be served: a frontend learns of it when its
namespace cache refreshes (about every 10 s on a default server)."""

_POLL_SECONDS: Final = 0.25
PROBE_WORKFLOW_ID: Final = "fnf-namespace-probe"
"""A workflow id no execution has (flow executions' ids contain a `/`)."""


class NamespaceUnavailable(RuntimeError):
    """The namespace is missing and cannot be registered, or never became usable (one line)."""


def in_namespace(client: Client, namespace: str) -> Client:
    """A client of the same connection in another namespace (one connection serves them all;
    temporalio clients are cheap views over a service client)."""
    if client.namespace == namespace:
        return client
    config = client.config()
    config["namespace"] = namespace
    return Client(**config)


async def ensure_namespace(client: Client, namespace: str) -> bool:
    """Make `namespace` exist and be served; True when it was registered here. Idempotent: an
    existing one (or one another process registers at the same moment) is left as it is."""
    service = client.workflow_service
    registered = False
    try:
        await service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            return False  # not ours to describe (a narrow API key): its first use will tell
        registered = await _register(client, namespace)
    await _until_served(client, namespace)
    return registered


async def _register(client: Client, namespace: str) -> bool:
    retention = Duration()
    retention.FromTimedelta(RETENTION)
    request = RegisterNamespaceRequest(
        namespace=namespace, workflow_execution_retention_period=retention
    )
    try:
        await client.workflow_service.register_namespace(request)
    except RPCError as refused:
        if refused.status == RPCStatusCode.ALREADY_EXISTS:
            return False
        raise NamespaceUnavailable(
            f"namespace {namespace} does not exist and cannot be registered here "
            f"({refused.message}); create it on the cluster"
        ) from None
    return True


async def _until_served(client: Client, namespace: str) -> None:
    """Wait until every service knows the namespace. The frontend may know a namespace that
    another process has just registered while the history service's cache does not yet, so
    the probe is a call the history service answers: describing a workflow that does not
    exist, which is refused for the workflow once the namespace is known."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_SECONDS
    probe = DescribeWorkflowExecutionRequest(
        namespace=namespace, execution=WorkflowExecution(workflow_id=PROBE_WORKFLOW_ID)
    )
    while True:
        try:
            await client.workflow_service.describe_workflow_execution(probe)
            return
        except RPCError as error:
            if not _namespace_not_found(error):
                return  # the workflow is not found (or anything else): the namespace is
            if loop.time() > deadline:
                raise NamespaceUnavailable(
                    f"namespace {namespace} was registered but is not served: {error.message}"
                ) from None
        await asyncio.sleep(_POLL_SECONDS)


def _namespace_not_found(error: RPCError) -> bool:
    if error.status != RPCStatusCode.NOT_FOUND:
        return False
    details = error.grpc_status.details
    return any(detail.type_url.endswith(".NamespaceNotFoundFailure") for detail in details)
