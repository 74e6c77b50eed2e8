"""The registry's operations as the facade performs them: Updates and Queries on FnFMnsRegistry.

The registry workflow is started on first use (`USE_EXISTING`, so racing first callers share
it); a Query to a registry that was never started answers as an empty one would. A Query or
Update no worker answers in time is a temporary failure (503 ServiceUnavailable), not a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.mns.registry_entity import (
    FnFMnsRegistry,
    NameRequest,
    Page,
    PageRequest,
    QueueEntry,
    RegistryState,
    SigningKeyRecord,
    SigningKeyReplacement,
    SubscriptionChange,
    SubscriptionEntry,
    SubscriptionResult,
    TopicChange,
    TopicEntry,
    TopicResult,
    registry_id,
)
from api.protocol.temporary import answered_in_time

ClientProvider = Callable[[], Awaitable[Client]]
T = TypeVar("T")
Handle = WorkflowHandle[FnFMnsRegistry, None]

UPDATE_ATTEMPTS: Final = 20


class Registry:
    def __init__(self, client: ClientProvider, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue
        self._id = registry_id(task_queue)

    @property
    def workflow_id(self) -> str:
        return self._id

    # -- queues ---------------------------------------------------------------------------

    async def register_queue(self, name: str, now_ms: int) -> str:
        request = NameRequest(name, now_ms=now_ms)
        return await self._update(
            lambda h: h.execute_update(FnFMnsRegistry.register_queue, request)
        )

    async def remove_queue(self, name: str) -> str:
        request = NameRequest(name)
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.remove_queue, request))

    async def queue(self, name: str) -> QueueEntry | None:
        return await self._query(lambda h: h.query(FnFMnsRegistry.queue, name), None)

    async def queues_page(self, request: PageRequest) -> Page:
        return await self._query(lambda h: h.query(FnFMnsRegistry.queues_page, request), Page([]))

    # -- topics ---------------------------------------------------------------------------

    async def create_topic(self, change: TopicChange) -> TopicResult:
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.create_topic, change))

    async def set_topic(self, change: TopicChange) -> TopicResult:
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.set_topic, change))

    async def delete_topic(self, name: str) -> str:
        request = NameRequest(name)
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.delete_topic, request))

    async def topic(self, name: str) -> TopicEntry | None:
        return await self._query(lambda h: h.query(FnFMnsRegistry.topic, name), None)

    async def topics_page(self, request: PageRequest) -> Page:
        return await self._query(lambda h: h.query(FnFMnsRegistry.topics_page, request), Page([]))

    # -- subscriptions --------------------------------------------------------------------

    async def subscribe(self, entry: SubscriptionEntry) -> SubscriptionResult:
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.subscribe, entry))

    async def set_subscription(self, change: SubscriptionChange) -> SubscriptionResult:
        return await self._update(
            lambda h: h.execute_update(FnFMnsRegistry.set_subscription, change)
        )

    async def unsubscribe(self, topic: str, name: str) -> str:
        request = NameRequest(name, topic=topic)
        return await self._update(lambda h: h.execute_update(FnFMnsRegistry.unsubscribe, request))

    async def subscription(self, topic: str, name: str) -> SubscriptionResult:
        missing = SubscriptionResult("topic-missing")
        return await self._query(
            lambda h: h.query(FnFMnsRegistry.subscription, args=[topic, name]), missing
        )

    async def subscriptions_page(self, request: PageRequest) -> Page:
        return await self._query(
            lambda h: h.query(FnFMnsRegistry.subscriptions_page, request), Page([], found=False)
        )

    async def subscribers(self, topic: str) -> list[SubscriptionEntry]:
        return await self._query(lambda h: h.query(FnFMnsRegistry.subscribers, topic), [])

    # -- the push signing key ---------------------------------------------------------------

    async def signing_key(self) -> SigningKeyRecord | None:
        return await self._query(lambda h: h.query(FnFMnsRegistry.signing_key), None)

    async def adopt_signing_key(self, proposal: SigningKeyRecord) -> SigningKeyRecord:
        return await self._update(
            lambda h: h.execute_update(FnFMnsRegistry.adopt_signing_key, proposal)
        )

    async def replace_signing_key(self, replacement: SigningKeyReplacement) -> SigningKeyRecord:
        return await self._update(
            lambda h: h.execute_update(FnFMnsRegistry.replace_signing_key, replacement)
        )

    # -- plumbing -------------------------------------------------------------------------

    async def _handle(self) -> Handle:
        client = await self._client()
        return client.get_workflow_handle_for(FnFMnsRegistry.run, self._id)

    async def _query(self, ask: Callable[[Handle], Awaitable[T]], empty: T) -> T:
        """The registry's answer; NoAnswerInTime (503) when no worker answers in time."""
        try:
            return await answered_in_time(ask(await self._handle()), "the MNS registry's Query")
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return empty  # never started: nothing registered yet
            raise

    async def _update(self, send: Callable[[Handle], Awaitable[T]]) -> T:
        client = await self._client()
        handle = client.get_workflow_handle_for(FnFMnsRegistry.run, self._id)
        for attempt in range(UPDATE_ATTEMPTS):
            try:
                return await answered_in_time(send(handle), "the MNS registry's Update")
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
            if attempt:
                await asyncio.sleep(0.02 * attempt)  # a run handing over to the next
            await client.start_workflow(
                FnFMnsRegistry.run,
                RegistryState(),
                id=self._id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary="internal: the MNS registry of queues and topics",
            )
        raise RuntimeError("the MNS registry did not accept the update")
