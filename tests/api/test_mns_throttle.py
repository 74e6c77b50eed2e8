"""A queue's workflow admits 10 Updates at once (Temporal's `history.maxInFlightUpdates`):
the MNS facade sends a refused Update again with back-off, and answers MNS's throttling error
(429 TooManyRequests) only if the refusals outlast its budget. The client here does not retry
by itself, as the API's client does not once its own retries are spent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RetryConfig, RPCError, RPCStatusCode
from temporalio.worker import Worker

from api.mns import mns_activities, mns_workflows
from api.mns.queue_entity import FnFMnsQueue, QueueAttributes, QueueState, queue_workflow_id
from api.mns.queues import QueueService
from api.mns.registry import Registry
from api.mns.sealing import SealingKey
from api.mns.signing import SigningKeys
from api.mns.wire import MnsApiError

SENDS = 14
"""More than the 10 Updates Temporal admits at once on one workflow."""


@pytest_asyncio.fixture
async def client(dev_server_address: str) -> AsyncIterator[Client]:
    yield await Client.connect(dev_server_address, retry_config=RetryConfig(max_retries=0))


async def _queue_without_worker(client: Client) -> tuple[str, str]:
    """A queue whose workflow no worker runs yet, so every Update stays in flight."""
    task_queue, queue = f"throttle-{uuid.uuid4().hex[:8]}", f"q{uuid.uuid4().hex[:8]}"
    state = QueueState(queue, attributes=QueueAttributes())
    await client.start_workflow(
        FnFMnsQueue.run, state, id=queue_workflow_id(queue), task_queue=task_queue
    )
    return task_queue, queue


def _service(client: Client, task_queue: str, budget: float) -> QueueService:
    async def provide() -> Client:
        return client

    registry = Registry(provide, task_queue)
    return QueueService(provide, task_queue, registry=registry, throttle_seconds=budget)


async def test_updates_over_the_in_flight_limit_are_sent_again(client: Client) -> None:
    task_queue, queue = await _queue_without_worker(client)
    service = _service(client, task_queue, budget=30)
    sends = [
        asyncio.create_task(service.send(queue, f"m{i}", priority=8, delay_seconds=0))
        for i in range(SENDS)
    ]
    await asyncio.sleep(2)  # the extra Updates are refused meanwhile
    assert not any(send.done() for send in sends), [s.exception() for s in sends if s.done()]
    keys = SigningKeys(_service(client, task_queue, budget=1).registry, SealingKey.ephemeral())
    worker = Worker(
        client, task_queue=task_queue, workflows=mns_workflows(), activities=mns_activities(keys)
    )
    async with worker:
        results = await asyncio.wait_for(asyncio.gather(*sends), 60)
        assert len({result.message_id for result in results}) == SENDS
        await client.get_workflow_handle(queue_workflow_id(queue)).terminate()


async def test_refusals_that_persist_answer_too_many_requests(client: Client) -> None:
    task_queue, queue = await _queue_without_worker(client)
    service = _service(client, task_queue, budget=1)
    sends = [
        asyncio.create_task(service.send(queue, f"m{i}", priority=8, delay_seconds=0))
        for i in range(SENDS)
    ]
    try:
        done, _ = await asyncio.wait(sends, timeout=20)
        errors = [send.exception() for send in done]
        # The in-flight limit never reaches the caller as Temporal's error; the server may
        # abort an admitted Update of a workflow no worker runs, which is not this rule.
        assert not any(
            isinstance(error, RPCError) and error.status == RPCStatusCode.RESOURCE_EXHAUSTED
            for error in errors
        ), errors
        throttled = [error for error in errors if isinstance(error, MnsApiError)]
        assert throttled, errors
        assert all((e.status, e.code) == (429, "TooManyRequests") for e in throttled), throttled
    finally:
        for send in sends:
            send.cancel()
        await client.get_workflow_handle(queue_workflow_id(queue)).terminate()
