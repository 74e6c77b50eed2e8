"""Keeps the session's time-skipping test server skipping time from one test to the next.

The server (temporalio's Java test server) skips time only while nothing holds its lock: a
client waiting for a result releases it, while a running activity, or a workflow task waiting
for a worker, holds it. Two things leave it held for the rest of a session, so that every later
timer and retry backoff of every later test takes real time (a 60 s wait, 60 s):

- a workflow a test left open whose worker has since stopped: its next timer schedules a
  workflow task no worker will take;
- a workflow terminated while its first workflow task waited for a worker: the server never
  releases that task's hold. A parent that fails with its TERMINATE close policy does that to a
  child it has just started, so it happens or not with the machine's load.

After each test, `tidy` terminates what the test left open and then, with no workflow open (so
no hold can be legitimate), releases any hold that is left over (the test server's
UnlockTimeSkipping, one call per stale hold)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio.api.testservice.v1 import UnlockTimeSkippingRequest
from temporalio.api.workflowservice.v1 import ListOpenWorkflowExecutionsRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

OpenRun = tuple[str, str]
"""(workflow id, run id)"""

PROBE = timedelta(minutes=1)
"""How far the probe sleeps on the server's clock: a server that skips time answers at once."""
PATIENCE = 1.0
"""Real seconds the probe waits before it looks whether the server's clock has moved."""
MOST_HOLDS = 20


async def open_runs(client: Client) -> set[OpenRun]:
    """Every open workflow run on the server."""
    runs: set[OpenRun] = set()
    token = b""
    while True:
        page = await client.workflow_service.list_open_workflow_executions(
            ListOpenWorkflowExecutionsRequest(
                namespace=client.namespace, maximum_page_size=1000, next_page_token=token
            )
        )
        runs |= {(e.execution.workflow_id, e.execution.run_id) for e in page.executions}
        token = page.next_page_token
        if not token:
            return runs


async def tidy(env: WorkflowEnvironment, before: set[OpenRun]) -> None:
    """Terminate the runs opened since `before`, then release stale holds (see the module)."""
    client = env.client
    for workflow_id, run_id in await open_runs(client) - before:
        with contextlib.suppress(RPCError):  # it closed meanwhile
            await client.get_workflow_handle(workflow_id, run_id=run_id).terminate(
                reason="left open by a test"
            )
    if not await open_runs(client):
        await release_stale_holds(env)


async def release_stale_holds(env: WorkflowEnvironment) -> int:
    """Sleep PROBE on the server's clock; while that does not happen by itself (the clock does
    not move), release one hold. The sleep takes its own hold back when it ends, so the server
    is left with the hold it had at rest. Returns how many holds were released."""
    start = await env.get_current_time()
    sleep = asyncio.ensure_future(env.sleep(PROBE))
    released = 0
    while True:
        done, _ = await asyncio.wait([sleep], timeout=PATIENCE)
        if done:
            sleep.result()
            return released
        if await env.get_current_time() - start >= PROBE:
            continue  # skipped: a slow answer, not a hold
        assert released < MOST_HOLDS, "the test server keeps holding its clock"
        await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
        released += 1
