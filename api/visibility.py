"""Read-your-writes over Temporal's visibility store.

ListFlows and ListSchedules answer from visibility, which trails the write that changed it:
milliseconds on the dev server's SQLite, about a second on Elasticsearch. A flow's record also
moves to a new run on every change (continue-as-new), and for a moment visibility shows the old
run closed and the new one not yet started. FnF callers expect a list made after CreateFlow or
UpdateFlow returned to show the flow, so those writes return only once visibility agrees, or
after `VISIBILITY_WAIT` seconds (the write itself is durable either way; only the list lags).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from worker.visibility_query import all_of, equals

logger = logging.getLogger(__name__)

VISIBILITY_WAIT = 10.0
FIRST_POLL_DELAY = 0.005
LONGEST_POLL_DELAY = 0.2


async def until_visible(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = VISIBILITY_WAIT
) -> bool:
    """Poll `check` with a growing delay until it holds (True) or `timeout` passes (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = FIRST_POLL_DELAY
    while not await check():
        if loop.time() >= deadline:
            logger.warning("visibility still does not show %s after %.0f s", what, timeout)
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, LONGEST_POLL_DELAY)
    return True


async def running_runs(client: Client, workflow_id: str) -> list[str]:
    """The run ids visibility lists as Running for `workflow_id` (normally zero or one)."""
    query = all_of(equals("WorkflowId", workflow_id), equals("ExecutionStatus", "Running"))
    return [execution.run_id async for execution in client.list_workflows(query)]


async def schedule_listed(client: Client, schedule_id: str) -> bool:
    """Whether ListSchedules' query would include this schedule now."""
    iterator = await client.list_schedules(equals("ScheduleId", schedule_id))
    return any([entry.id == schedule_id async for entry in iterator])
