"""The durable SignatureNonce ledger: one Temporal workflow id per used nonce (DESIGN 1).

A nonce is recorded by starting a workflow whose id is derived from it, with
`WorkflowIDReusePolicy.REJECT_DUPLICATE` and `WorkflowIDConflictPolicy.FAIL`: Temporal itself
refuses a second start of that id, whichever API process asks and however often it was
restarted, so no read-then-write race exists between processes. Temporal keeps refusing the id
while the run is open and, once it is closed, for the namespace's retention period (at least
a day on Temporal's defaults), which is longer than any request stays inside its window.

The workflow is never run by anyone. Its first workflow task is delayed (`start_delay`) past
its `execution_timeout`, the rest of its request's window, so Temporal closes it as TimedOut
before scheduling any task: no worker, no task-queue backlog, two history events. Its type
`FnFSignatureNonce` keeps it out of every FnF listing (they select on workflow type).

The id is `fnf-nonce:` and a SHA-256 over the AccessKey ID and the nonce, so no client text
reaches a workflow id, and no id of an execution (which contains `/`) or of another entity
(`fnf-flow:`, `fnf-schedule:`, `fnf-mns-queue:`) can clash with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta
from typing import Final

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.protocol.nonces import NonceLedgerUnavailable, UsedNonce

NONCE_WORKFLOW: Final = "FnFSignatureNonce"
NONCE_ID_PREFIX: Final = "fnf-nonce:"
NONCE_TASK_QUEUE: Final = "fnf-signature-nonces"
"""A queue no worker polls; no task ever reaches it (see the module's docstring)."""
SHORTEST_HOLD: Final = timedelta(seconds=1)
NEVER_RUN_MARGIN: Final = timedelta(hours=1)
"""How far past its timeout the workflow's first task is delayed."""
RECORD_TIMEOUT: Final = 5.0
"""Seconds to wait for Temporal before answering ServiceUnavailable (the client's own
retries of an unreachable server would otherwise hold the request for longer)."""


def nonce_workflow_id(access_key_id: str, nonce: str) -> str:
    """`fnf-nonce:<sha256 hex>` of the pair, encoded as a JSON array so that no two
    different pairs share the bytes that are hashed."""
    pair = json.dumps([access_key_id, nonce], ensure_ascii=True).encode("ascii")
    return f"{NONCE_ID_PREFIX}{hashlib.sha256(pair).hexdigest()}"


class TemporalNonceLedger:
    """`api.protocol.nonces.NonceLedger` on Temporal workflow ids."""

    def __init__(self, client: Client, timeout: float = RECORD_TIMEOUT) -> None:
        self.client = client
        self.timeout = timeout

    async def record(self, used: UsedNonce, now: datetime) -> bool:
        hold = max(used.expires - now, SHORTEST_HOLD)
        start = self.client.start_workflow(
            NONCE_WORKFLOW,
            id=nonce_workflow_id(used.access_key_id, used.nonce),
            task_queue=NONCE_TASK_QUEUE,
            execution_timeout=hold,
            start_delay=hold + NEVER_RUN_MARGIN,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary="internal: a used SignatureNonce (refuses a replayed request)",
        )
        try:
            await asyncio.wait_for(start, self.timeout)
        except WorkflowAlreadyStartedError:
            return False
        except (RPCError, TimeoutError) as error:
            raise NonceLedgerUnavailable(f"Temporal did not record the nonce: {error}") from error
        return True
