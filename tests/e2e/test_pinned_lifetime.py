"""A pinned definition's workflow (worker/definitions.py) ends once no execution can still
load it, and is started afresh, with the same content, when an execution pins it near its end:
the internal workflows do not stay Running for ever."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus

from worker import definitions
from worker.definitions import DEFINITION_ID_PREFIX, PinnedDefinition, fetch, publish


def _text() -> bytes:
    return PinnedDefinition({"steps": [], "unique": str(uuid.uuid4())}).encode()


async def test_a_pinned_definition_times_out_after_its_lifetime(dev_server_address: str) -> None:
    client = await Client.connect(dev_server_address)
    reference = await publish(client, _text(), lifetime=timedelta(seconds=2))
    handle = client.get_workflow_handle(DEFINITION_ID_PREFIX + reference)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    for _ in range(40):
        if (await handle.describe()).status == WorkflowExecutionStatus.TIMED_OUT:
            break
        await asyncio.sleep(0.5)
    assert (await handle.describe()).status == WorkflowExecutionStatus.TIMED_OUT
    definitions._blobs.clear()
    assert await fetch(client, reference)  # still readable within the retention period


async def test_a_definition_near_its_end_is_started_afresh(dev_server_address: str) -> None:
    client = await Client.connect(dev_server_address)
    text = _text()
    long = timedelta(days=400)
    reference = await publish(client, text, lifetime=long, refresh_before=timedelta(days=1))
    handle = client.get_workflow_handle(DEFINITION_ID_PREFIX + reference)
    first = (await handle.describe()).run_id
    assert await publish(client, text, lifetime=long, refresh_before=timedelta(days=1)) == (
        reference
    )
    assert (await handle.describe()).run_id == first  # plenty left: the same run
    definitions._published.clear()
    await publish(client, text, lifetime=long, refresh_before=timedelta(days=401))
    described = await handle.describe()
    assert described.run_id != first and described.status == WorkflowExecutionStatus.RUNNING
    definitions._blobs.clear()
    assert await fetch(client, reference)
