"""A short claim on an execution while a caller starts a new run of its closed workflow id.

A redrive (worker/redrive.py) describes the execution's last run, reads the point it recorded,
then starts a new run of the same workflow id. Temporal's start checks the id's last run
(`WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY`, `WorkflowIDConflictPolicy.FAIL`) but has
no compare-and-set on WHICH run that is: a second redrive that described the same run, and
starts after the first one's run has already failed again, would start over from the older
point (and count the same redrive twice). The claim makes describe-and-start one step.

The claim is itself a Temporal workflow, `<workflow id>/claim`, started with
`WorkflowIDConflictPolicy.FAIL`: while one runs, a second start of that id fails, so exactly
one caller at a time holds it (Temporal documents the conflict policy as "fail the request if
a workflow with the same id is running"). It is never executed (no worker polls its queue):
the holder terminates it when done, and its execution timeout ends it should the holder die,
so a crash never blocks the execution for longer than CLAIM_SECONDS. A holder that took longer
than half of that gives up rather than act on a claim that may have lapsed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

CLAIM_WORKFLOW = "FnFExecutionClaim"
"""The claim's workflow type: no worker registers it."""
CLAIM_QUEUE = "fnf-execution-claims"
"""A task queue no worker polls: the claim is never run, only held."""
CLAIM_SUFFIX = "/claim"
CLAIM_SECONDS = 30.0


class ClaimRefused(Exception):
    """Another caller holds the claim (it is redriving or starting the execution now), or
    this caller's claim may have lapsed before it acted."""


class Claim:
    """A held claim; `check()` before acting on what was read under it."""

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        self.since = time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self.since > CLAIM_SECONDS / 2:
            raise ClaimRefused(
                f"took more than {CLAIM_SECONDS / 2:g} s to prepare (its claim on the "
                "execution may have lapsed); try again"
            )


def claim_id(workflow_id: str) -> str:
    return f"{workflow_id}{CLAIM_SUFFIX}"


@asynccontextmanager
async def claimed(client: Client, workflow_id: str, what: str) -> AsyncIterator[Claim]:
    """Hold the execution's claim for the block (`what` the holder does, for the Temporal UI),
    or raise ClaimRefused at once when another caller holds it."""
    try:
        handle = await client.start_workflow(
            CLAIM_WORKFLOW,
            id=claim_id(workflow_id),
            task_queue=CLAIM_QUEUE,
            execution_timeout=timedelta(seconds=CLAIM_SECONDS),
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"internal: claim on execution {workflow_id} while {what}",
        )
    except WorkflowAlreadyStartedError:
        raise ClaimRefused(
            "is being redriven or started by another call right now; try again"
        ) from None
    try:
        yield Claim(workflow_id)
    finally:
        with contextlib.suppress(RPCError):  # already ended by its timeout
            await handle.terminate(reason=f"done: {what}")
