"""Pinned definitions by reference (DESIGN 1, 2): a large compiled flow travels once.

An execution runs the definition pinned when it started. A small one travels inline in the
workflow input (FlowRun.graph, .flows, .definition), as it always has. A large one (a
3,000-step flow compiles to about 0.9 MB of JSON) would ride in every execution's input and
every continue-as-new input, over Temporal's payload warning and too big for the Temporal UI's
Input panel. Instead it is stored once, content-addressed, in Temporal itself (the only store,
DESIGN 1): the input of a workflow `fnf-definition:<sha256>` that no worker ever runs (type
FnFPinnedDefinition, task queue fnf-definitions; its first task is delayed past its end, so no
task ever waits in that queue), and the execution carries only `definition_ref`, the SHA-256 of
the definition's JSON.

It stays Running, so Temporal keeps it, for DEFINITION_LIFETIME: longer than any execution
that may load it lives (an execution's timeout bounds all its continued runs and its part
runs). Then Temporal closes it (TimedOut) and the namespace's retention removes it. A start
that pins it again when less than an execution's lifetime is left starts it afresh with the
same content (the old run is terminated in the same call): readers read the id's latest run,
whose input is the same bytes.

Each run loads it with the LoadDefinition local activity, which reads that workflow's start
event, checks the hash, and returns the compressed JSON; Temporal records the result as a
marker, so replay reads the same bytes back (DESIGN 4). A worker caches definitions by hash:
they never change.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError

LOAD_DEFINITION = "LoadDefinition"
DEFINITION_WORKFLOW = "FnFPinnedDefinition"
DEFINITION_ID_PREFIX = "fnf-definition:"
DEFINITION_TASK_QUEUE = "fnf-definitions"
"""No worker polls it: the workflow only holds its input."""
DEFINITION_LIFETIME = timedelta(days=400)
"""How long a pinned definition's workflow lives."""
REFRESH_BEFORE = timedelta(days=366)
"""A definition with less left than this (an execution's 365 days and a margin) is restarted
when an execution pins it."""
INLINE_DEFINITION_BYTES = 64 * 1024
"""Definitions (graph, sub-flow graphs and FDL text, as JSON) up to this size stay inline."""
CACHED_DEFINITIONS = 64


@dataclass
class PinnedDefinition:
    """What an execution pins (DESIGN 2): its compiled graph, the graphs of the sub-flows it
    may start, and the FDL text (DescribeExecution's FlowDefinition)."""

    graph: dict[str, Any]
    flows: dict[str, Any] = field(default_factory=dict)
    definition: str = ""

    def encode(self) -> bytes:
        document = {"graph": self.graph, "flows": self.flows, "definition": self.definition}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def reference_of(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def decode(blob: bytes, reference: str) -> PinnedDefinition:
    """The definition a compressed blob holds, checked against its reference."""
    text = zlib.decompress(blob)
    if reference_of(text) != reference:
        raise ValueError(f"the stored definition does not match its reference {reference}")
    document = json.loads(text)
    return PinnedDefinition(document["graph"], document["flows"], document["definition"])


_published: dict[str, datetime] = {}
"""References this process has stored, with when they need a fresh run (their end less
REFRESH_BEFORE): until then, starting one again would only be refused as existing."""


async def publish(
    client: Client,
    text: bytes,
    lifetime: timedelta = DEFINITION_LIFETIME,
    refresh_before: timedelta = REFRESH_BEFORE,
) -> str:
    """Store an encoded definition (once per content, and afresh when less than
    `refresh_before` of its `lifetime` is left) and return its reference."""
    reference = reference_of(text)
    now = datetime.now(UTC)
    if reference in _published and now < _published[reference]:
        return reference
    blob = zlib.compress(text, 6)
    handle = await _start(client, reference, blob, lifetime, WorkflowIDConflictPolicy.USE_EXISTING)
    ends = await _end_of(handle)
    if ends is not None and ends - now < refresh_before:
        handle = await _start(
            client, reference, blob, lifetime, WorkflowIDConflictPolicy.TERMINATE_EXISTING
        )
        ends = now + lifetime
    _published[reference] = (
        datetime.max.replace(tzinfo=UTC) if ends is None else ends - refresh_before
    )
    return reference


async def _start(
    client: Client,
    reference: str,
    blob: bytes,
    lifetime: timedelta,
    conflict: WorkflowIDConflictPolicy,
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        DEFINITION_WORKFLOW,
        blob,
        id=DEFINITION_ID_PREFIX + reference,
        task_queue=DEFINITION_TASK_QUEUE,
        execution_timeout=lifetime,
        start_delay=lifetime + timedelta(days=1),
        id_conflict_policy=conflict,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"pinned definition {reference[:12]} (internal: executions load it)",
    )


async def _end_of(handle: WorkflowHandle[Any, Any]) -> datetime | None:
    """When the definition's running workflow times out; None for one pinned before
    definitions had a lifetime (it never ends)."""
    described = await handle.describe()
    info = described.raw_description.workflow_extended_info
    if not info.HasField("execution_expiration_time"):
        return None
    ends = info.execution_expiration_time.ToDatetime(tzinfo=UTC)
    return None if ends.year < 2000 else ends


_blobs: dict[str, bytes] = {}
_loaded: dict[str, PinnedDefinition] = {}


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    if len(cache) >= CACHED_DEFINITIONS:
        cache.pop(next(iter(cache)))
    cache[key] = value


async def fetch(client: Client, reference: str) -> bytes:
    """The compressed definition, from the start event of its workflow (no worker needed);
    kept in this process once read, since it never changes."""
    blob = _blobs.get(reference)
    if blob is None:
        blob = await _read_stored(client, reference)
        _remember(_blobs, reference, blob)
    return blob


async def load(client: Client, reference: str) -> PinnedDefinition:
    """The definition `reference` names, decoded (kept in this process, like its bytes)."""
    pinned = _loaded.get(reference)
    if pinned is None:
        pinned = decode(await fetch(client, reference), reference)
        _remember(_loaded, reference, pinned)
    return pinned


async def _read_stored(client: Client, reference: str) -> bytes:
    request = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=DEFINITION_ID_PREFIX + reference),
        maximum_page_size=1,
    )
    response = await client.workflow_service.get_workflow_execution_history(request)
    for event in response.history.events[:1]:
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        [blob] = await client.data_converter.decode(payloads, [bytes])
        if isinstance(blob, bytes):
            decode(blob, reference)  # refuse anything that is not what the hash names
            return blob
    raise ApplicationError(f"no pinned definition {reference}", non_retryable=True)


@activity.defn(name=LOAD_DEFINITION)
async def load_definition(reference: str) -> bytes:
    """LoadDefinition: the pinned definition `reference` names, compressed."""
    return await fetch(activity.client(), reference)
