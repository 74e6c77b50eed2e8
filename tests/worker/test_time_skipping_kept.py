"""The session's time-skipping server keeps skipping time after a test leaves it held
(tests/helpers/time_skipping.py): each case holds a server of its own the way a test can, and
checks that an hour's wait then ends at once again, and that a server at rest keeps its hold."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.helpers.time_skipping import open_runs, release_stale_holds, tidy
from tests.helpers.workers import serving
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.mocking.runner import time_skipping_server

HOUR_WAIT = "version: v1\ntype: flow\nsteps:\n  - {type: wait, name: w, duration: 3600}\n"
SKIPPED = 10.0
"""Real seconds within which an hour's wait must end on a server that skips time."""
HELD = 2.0
"""Real seconds of an hour's wait that show a held clock."""


@pytest_asyncio.fixture
async def own_server() -> AsyncIterator[WorkflowEnvironment]:
    """A server of the test's own: the holds these cases make never reach the session's."""
    async with time_skipping_server() as env:
        yield env


async def _start(client: Client, queue: str) -> WorkflowHandle[object, object]:
    run = FlowRun(
        graph=dict(compile_text(HOUR_WAIT)),
        input={},
        flow_name="held",
        execution_name=f"exec-{uuid.uuid4()}",
    )
    return await start_execution(client, queue, run, search_attributes=False)


async def _hour_takes(client: Client, queue: str, limit: float = SKIPPED) -> float:
    """Real seconds an hour's wait takes (`limit` at the most)."""
    handle = await _start(client, queue)
    started = time.monotonic()
    try:
        await asyncio.wait_for(handle.result(), limit)
    except TimeoutError:
        await handle.terminate()  # parked on its timer: ending it holds nothing
    return time.monotonic() - started


async def test_a_run_terminated_before_its_first_task_holds_the_clock_until_released(
    own_server: WorkflowEnvironment,
) -> None:
    client = own_server.client
    waiting = await _start(client, f"nobody-{uuid.uuid4().hex[:6]}")
    await waiting.terminate()  # its first workflow task still waits for a worker
    queue = f"held-{uuid.uuid4().hex[:6]}"
    async with serving(client, queue, None):
        assert await _hour_takes(client, queue, limit=HELD) >= HELD  # the server's own fault
        assert await release_stale_holds(own_server) == 1
        assert await _hour_takes(client, queue) < SKIPPED
        assert await release_stale_holds(own_server) == 0


async def test_a_server_at_rest_keeps_its_hold(own_server: WorkflowEnvironment) -> None:
    """Nothing released on a healthy server: with no one waiting for a result, time does not
    skip (an over-released server would skip under running activities)."""
    client = own_server.client
    queue = f"rest-{uuid.uuid4().hex[:6]}"
    async with serving(client, queue, None):
        assert await release_stale_holds(own_server) == 0
        before = await own_server.get_current_time()
        handle = await _start(client, queue)
        await asyncio.sleep(1.0)
        assert await own_server.get_current_time() - before < timedelta(minutes=30)
        await asyncio.wait_for(handle.result(), SKIPPED)


async def _timer_started(handle: WorkflowHandle[object, object]) -> None:
    """Until the run is parked on its timer."""
    while not [
        e
        async for e in handle.fetch_history_events()
        if e.HasField("timer_started_event_attributes")
    ]:
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("stale_holds", [0, 2])
async def test_tidy_ends_what_a_test_left_open_and_frees_the_clock(
    own_server: WorkflowEnvironment, stale_holds: int
) -> None:
    """A run parked on its timer whose worker then stopped, and `stale_holds` runs terminated
    before their first task: after `tidy`, nothing is open and an hour's wait ends at once."""
    client = own_server.client
    before = await open_runs(client)
    parked_queue = f"parked-{uuid.uuid4().hex[:6]}"
    async with serving(client, parked_queue, None):
        parked = await _start(client, parked_queue)
        await _timer_started(parked)
    for _ in range(stale_holds):
        await (await _start(client, f"nobody-{uuid.uuid4().hex[:6]}")).terminate()
    await tidy(own_server, before)
    assert await open_runs(client) == set()
    assert (await parked.describe()).status == WorkflowExecutionStatus.TERMINATED
    queue = f"after-{uuid.uuid4().hex[:6]}"
    async with serving(client, queue, None):
        assert await _hour_takes(client, queue) < SKIPPED
