"""The flow store on the dev server: definitions live in Temporal, reads need no worker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from api.store.entity import MEMO_DEFINITION_LIMIT, FlowDefinitionWorkflow
from api.store.flows import FlowExists, FlowNotFound, FlowStore

DEFINITION = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"


def fields(name: str, definition: str = DEFINITION) -> dict[str, str]:
    return {"Name": name, "Definition": definition, "Description": "d", "Type": "FDL"}


async def test_create_describe_update_delete(dev_server_address: str) -> None:
    client = await Client.connect(dev_server_address)
    queue = f"store-{uuid.uuid4().hex[:6]}"
    store = FlowStore(client, queue)
    name = f"flow_{uuid.uuid4().hex[:8]}"
    created = await store.create(fields(name))
    # No worker yet: reads still answer from Temporal alone.
    described = await store.describe(name)
    assert described == created
    with pytest.raises(FlowExists):
        await store.create(fields(name))
    async with Worker(client, task_queue=queue, workflows=[FlowDefinitionWorkflow]):
        updated = await store.update(name, {"Description": "changed"})
        assert updated["Description"] == "changed"
        assert updated["Id"] == created["Id"]
        # Concurrent writers are serialised; every one lands.
        await asyncio.gather(*(store.update(name, {f"K{n}": str(n)}) for n in range(5)))
        record = await store.describe(name)
        assert {f"K{n}" for n in range(5)} <= set(record)
        assert record["Description"] == "changed"
        version = await store.publish_version(name, "first")
        assert version["Version"] == "1"
        assert (await store.state(name)).versions[0]["Definition"] == DEFINITION
        await store.delete(name)
    with pytest.raises(FlowNotFound):
        await store.describe(name)
    recreated = await store.create(fields(name))
    assert recreated["Id"] != created["Id"]


async def test_long_definitions_and_listing(dev_server_address: str) -> None:
    client = await Client.connect(dev_server_address)
    store = FlowStore(client, f"store-{uuid.uuid4().hex[:6]}")
    prefix = f"list_{uuid.uuid4().hex[:6]}"
    long_definition = DEFINITION + "#" * (MEMO_DEFINITION_LIMIT + 10) + "\n"
    await store.create(fields(f"{prefix}_long", long_definition))
    assert (await store.describe(f"{prefix}_long"))["Definition"] == long_definition
    for n in range(3):
        await store.create(fields(f"{prefix}_{n}"))
    seen: list[str] = []
    token = None
    for _ in range(100):
        page = await store.list(2, token)
        seen += [flow["Name"] for flow in page.flows]
        token = page.next_token
        if token is None:
            break
    assert {f"{prefix}_{n}" for n in range(3)} | {f"{prefix}_long"} <= set(seen)


async def listed_records(store: FlowStore) -> dict[str, dict[str, str]]:
    records: dict[str, dict[str, str]] = {}
    token = None
    while True:
        page = await store.list(100, token)
        records.update({flow["Name"]: flow for flow in page.flows})
        token = page.next_token
        if token is None:
            return records


async def test_the_list_shows_a_write_as_soon_as_it_returns(dev_server_address: str) -> None:
    """Visibility trails writes, and every change moves the flow to a new run; the store waits
    for visibility, so a list made right after a write never misses or shows a stale flow."""
    client = await Client.connect(dev_server_address)
    queue = f"store-{uuid.uuid4().hex[:6]}"
    store = FlowStore(client, queue)
    async with Worker(client, task_queue=queue, workflows=[FlowDefinitionWorkflow]):
        for n in range(8):
            name = f"listed_{uuid.uuid4().hex[:8]}"
            await store.create(fields(name))
            assert name in await listed_records(store)
            await store.update(name, {"Description": f"v{n}"})
            assert (await listed_records(store))[name]["Description"] == f"v{n}"
            await store.delete(name)
            assert name not in await listed_records(store)
