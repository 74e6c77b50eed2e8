"""Paged history reading on the dev server, which finds the next run of a continued execution
from the server's own history (the time-skipping server lacks that call)."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from pathlib import Path

from temporalio.client import Client

from tests.worker.history_checks import check_paging
from tests.worker.test_task_features import COUNTDOWN
from translator import compile_text
from worker.assembly import run_worker
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history, run_chain
from worker.settings import Settings

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"


async def test_pages_cross_continue_as_new(dev_server_address: str) -> None:
    queue = f"pages-{uuid.uuid4().hex[:8]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    client = await Client.connect(dev_server_address)
    async with AsyncExitStack() as stack:
        await run_worker(client, settings, stack)
        run = FlowRun(
            graph=dict(compile_text(COUNTDOWN)),
            input={"left": 20},
            flow_name="pages",
            execution_name=f"exec-{uuid.uuid4()}",
            continue_as_new_at=30,
        )
        handle = await start_execution(client, queue, run, search_attributes=False)
        assert await handle.result() == {"left": 0}
        assert len(await run_chain(client, handle.id)) >= 3
        events = await read_history(client, handle.id)
        assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
        await check_paging(client, handle.id, events)
