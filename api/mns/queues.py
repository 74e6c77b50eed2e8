"""The queue operations as the facade performs them: Updates and Queries on FnFMnsQueue.

Queues are created on first use (auto-create): an Update that finds no running queue workflow
starts one (`USE_EXISTING`, so racing first senders share it) and is sent again. Real MNS would
answer QueueNotExist until someone called CreateQueue; FnF flows name their queues in their
definitions and the guide's workers never create them, so the facade does it for them.

ReceiveMessage long-polls without writing history: it asks the queue (a Query) when the next
message becomes visible, and sends the `receive` Update only once one is. Between asks it
sleeps ~150 ms, or less when a hidden message is due sooner, and a SendMessage that this
process handles wakes the waiting receivers of that queue at once. Sends through another API
process are seen at the next ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from temporalio.client import Client, WorkflowHandle, WorkflowQueryRejectedError
from temporalio.common import (
    QueryRejectCondition,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from api.mns.queue_entity import (
    DEFAULT_OPERATIONS_PER_RUN,
    AttributesChange,
    FnFMnsQueue,
    HandleRequest,
    QueueAttributes,
    QueueDepth,
    QueueInfo,
    QueueMessage,
    QueueState,
    ReceiveRequest,
    SendRequest,
    SendResult,
    VisibilityResult,
    queue_workflow_id,
)
from api.mns.registry import Registry
from api.mns.wire import MnsApiError
from api.protocol.temporary import answered_in_time

ClientProvider = Callable[[], Awaitable[Client]]
Disconnected = Callable[[], Awaitable[bool]]
T = TypeVar("T")

POLL_INTERVAL: Final = 0.15
"""Seconds between two looks at an empty queue during a long poll."""

QUERY_PATIENCE: Final = 0.3
"""Seconds a long poll waits for a Query before asking with the `receive` Update instead.

Queries wait where Updates need not: for the first workflow task of a run that Temporal holds
back after a quick continue-as-new, and for the run's current workflow task, after which a
Query that raced a continue-as-new is retried by the client after ~1 s. A long poll should
not sit out either."""

ANSWER_BY_UPDATE: Final = frozenset(
    {RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED, RPCStatusCode.FAILED_PRECONDITION}
)

UPDATE_ATTEMPTS: Final = 20
"""An Update may land on a run that is just continuing as new; it is sent again."""


THROTTLE_SECONDS: Final = 5.0
"""How long an Update refused for the queue workflow's in-flight limit (Temporal admits 10
Updates at once per workflow, `history.maxInFlightUpdates`) is sent again before the caller
hears MNS's throttling error: MNS itself holds a throttled request up to 5 seconds before it
answers 429 TooManyRequests (MNS throttling policy)."""


class _Backoff:
    """Waits that double from 20 ms up to 1 s, within `budget` seconds in all; past it, MNS's
    429 TooManyRequests."""

    def __init__(self, budget: float) -> None:
        self._deadline = time.monotonic() + budget
        self._delay = 0.02

    async def wait(self, queue: str) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise MnsApiError(
                429,
                "TooManyRequests",
                f"The request is denied for too many requests in flight on queue {queue}.",
            )
        await asyncio.sleep(min(self._delay, left))
        self._delay = min(self._delay * 2, 1.0)


OPEN: Final = QueryRejectCondition.NOT_OPEN
"""Queries are answered by open queues only: a deleted queue's last run still answers
Queries from its history, and must read as gone."""


async def _query_open(query: Awaitable[T]) -> T | None:
    """The answer of an open queue's workflow; None when there is none; NoAnswerInTime (503)
    when no worker answers in time."""
    try:
        return await answered_in_time(query, "the MNS queue's Query")
    except WorkflowQueryRejectedError:
        return None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def now_ms() -> int:
    return int(time.time() * 1000)


class QueueService:
    def __init__(
        self,
        client: ClientProvider,
        task_queue: str,
        *,
        operations_per_run: int = DEFAULT_OPERATIONS_PER_RUN,
        poll_interval: float = POLL_INTERVAL,
        registry: Registry | None = None,
        visibility_timeout: int = QueueAttributes.visibility_timeout,
        throttle_seconds: float = THROTTLE_SECONDS,
    ) -> None:
        self._client = client
        self._throttle_seconds = throttle_seconds
        self._task_queue = task_queue
        self._registry = registry if registry is not None else Registry(client, task_queue)
        self._visibility_timeout = visibility_timeout
        self._operations_per_run = operations_per_run
        self._poll_interval = poll_interval
        self._wakeups: dict[str, asyncio.Event] = {}

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def visibility_timeout(self) -> int:
        """The VisibilityTimeout a queue gets unless CreateQueue says otherwise."""
        return self._visibility_timeout

    async def send(self, queue: str, body: str, *, priority: int, delay_seconds: int) -> SendResult:
        request = SendRequest(body, priority, delay_seconds, now_ms())
        result = await self._update(queue, lambda h: h.execute_update(FnFMnsQueue.send, request))
        self._wake(queue)
        return result

    async def send_batch(self, queue: str, requests: list[SendRequest]) -> list[SendResult]:
        for request in requests:
            request.now_ms = now_ms()
        results = await self._update(
            queue, lambda h: h.execute_update(FnFMnsQueue.send_batch, requests)
        )
        self._wake(queue)
        return results

    async def delete_batch(self, queue: str, receipt_handles: list[str]) -> list[str]:
        now = now_ms()
        requests = [HandleRequest(handle, now) for handle in receipt_handles]
        return await self._update(
            queue, lambda h: h.execute_update(FnFMnsQueue.delete_batch, requests)
        )

    async def receive(
        self,
        queue: str,
        *,
        wait_seconds: float,
        visibility_timeout: int,
        max_messages: int = 1,
        disconnected: Disconnected | None = None,
    ) -> list[QueueMessage]:
        """Up to `max_messages` messages, as soon as one is visible; [] after `wait_seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            now = now_ms()
            earliest = await self._earliest_visible(queue, now)
            if earliest is not None and earliest <= now:
                # A fresh clock: the visibility timeout runs from the receive, not the look.
                request = ReceiveRequest(visibility_timeout, now_ms(), max_messages)
                received = await self._receive_once(queue, request)
                if received:
                    return received
                earliest = None  # another receiver was quicker: look again after a pause
            pause = min(self._poll_interval, deadline - loop.time())
            if pause <= 0:
                return []
            if earliest is not None:
                pause = min(pause, max(0.0, (earliest - now_ms()) / 1000))
            if disconnected is not None and await disconnected():
                return []
            await self._sleep(queue, pause)

    async def _receive_once(self, queue: str, request: ReceiveRequest) -> list[QueueMessage]:
        return await self._update(
            queue, lambda h: h.execute_update(FnFMnsQueue.receive_batch, request)
        )

    async def peek(self, queue: str, max_messages: int = 1) -> list[QueueMessage]:
        handle = await self._handle(queue)
        found = await _query_open(
            handle.query(FnFMnsQueue.peek, args=[now_ms(), max_messages], reject_condition=OPEN)
        )
        return found if found is not None else []

    async def depth(self, queue: str) -> QueueDepth:
        handle = await self._handle(queue)
        found = await _query_open(handle.query(FnFMnsQueue.depth, now_ms(), reject_condition=OPEN))
        return found if found is not None else QueueDepth(0, 0)

    async def delete(self, queue: str, receipt_handle: str) -> str:
        request = HandleRequest(receipt_handle, now_ms())
        return await self._update(queue, lambda h: h.execute_update(FnFMnsQueue.delete, request))

    async def change_visibility(
        self, queue: str, receipt_handle: str, visibility_timeout: int
    ) -> VisibilityResult:
        request = HandleRequest(receipt_handle, now_ms(), visibility_timeout)
        result = await self._update(
            queue, lambda h: h.execute_update(FnFMnsQueue.change_visibility, request)
        )
        if visibility_timeout == 0:
            self._wake(queue)  # visible again right away
        return result

    async def create(self, queue: str, attributes: QueueAttributes) -> bool:
        """CreateQueue: True when this call created it; False when it existed already (the
        caller compares attributes). A queue some send auto-created is registered already."""
        now = now_ms()
        created = await self._registry.register_queue(queue, now) == "created"
        if created:
            attributes.create_time = attributes.last_modify_time = now
            client = await self._client()
            await self._start(client, queue, attributes)
        return created

    async def set_attributes(self, queue: str, change: AttributesChange) -> QueueAttributes:
        change.now_ms = now_ms()
        return await self._update(
            queue, lambda h: h.execute_update(FnFMnsQueue.set_attributes, change)
        )

    async def info(self, queue: str) -> QueueInfo | None:
        """GetQueueAttributes; None when the queue does not exist (never created nor used)."""
        handle = await self._handle(queue)
        found = await _query_open(handle.query(FnFMnsQueue.info, now_ms(), reject_condition=OPEN))
        if found is not None:
            return found
        entry = await self._registry.queue(queue)
        if entry is None:
            return None
        created = QueueAttributes(self._visibility_timeout, create_time=entry.create_time)
        return QueueInfo(created, 0, 0, 0)  # registered, its workflow not (re)started yet

    async def delete_queue(self, queue: str) -> bool:
        """DeleteQueue: the queue and its messages go; False when there was no such queue."""
        registered = await self._registry.remove_queue(queue) == "done"
        handle = await self._handle(queue)
        try:
            await handle.terminate(reason="DeleteQueue")
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            return registered
        return True

    async def _handle(self, queue: str) -> WorkflowHandle[FnFMnsQueue, None]:
        client = await self._client()
        return client.get_workflow_handle_for(FnFMnsQueue.run, queue_workflow_id(queue))

    async def _earliest_visible(self, queue: str, now: int) -> int | None:
        """When the next message is visible; `now` when the queue cannot say (it is starting),
        so that the caller asks with an Update instead."""
        handle = await self._handle(queue)
        try:
            return await asyncio.wait_for(
                handle.query(FnFMnsQueue.earliest_visible_time, now, reject_condition=OPEN),
                QUERY_PATIENCE,
            )
        except TimeoutError:
            return now
        except WorkflowQueryRejectedError:
            return None  # deleted (DeleteQueue terminated it): empty
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None  # never used: empty
            if error.status in ANSWER_BY_UPDATE:
                return now
            raise

    async def _update(
        self, queue: str, send: Callable[[WorkflowHandle[FnFMnsQueue, None]], Awaitable[T]]
    ) -> T:
        """Send an Update; start the queue first if it has no running workflow (auto-create)."""
        client = await self._client()
        handle = client.get_workflow_handle_for(FnFMnsQueue.run, queue_workflow_id(queue))
        throttle = _Backoff(self._throttle_seconds)
        attempt = 0
        while attempt < UPDATE_ATTEMPTS:
            try:
                return await answered_in_time(send(handle), "the MNS queue's Update")
            except RPCError as error:
                if error.status == RPCStatusCode.RESOURCE_EXHAUSTED:
                    await throttle.wait(queue)
                    continue
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
            if attempt:
                await asyncio.sleep(0.02 * attempt)  # a run handing over to the next
            await self._start(client, queue)
            attempt += 1
        raise RuntimeError(f"queue {queue!r} did not accept the update")

    async def _start(
        self, client: Client, queue: str, attributes: QueueAttributes | None = None
    ) -> None:
        """Start the queue's workflow; a queue first used without CreateQueue is registered
        (auto-create) with the facade's default attributes."""
        if attributes is None:
            now = now_ms()
            await self._registry.register_queue(queue, now)
            attributes = QueueAttributes(self._visibility_timeout, create_time=now)
            attributes.last_modify_time = now
        state = QueueState(
            queue, operations_per_run=self._operations_per_run, attributes=attributes
        )
        await client.start_workflow(
            FnFMnsQueue.run,
            state,
            id=queue_workflow_id(queue),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"internal: MNS queue {queue} (its messages)",
        )

    def _wake(self, queue: str) -> None:
        event = self._wakeups.pop(queue, None)
        if event is not None:
            event.set()

    async def _sleep(self, queue: str, seconds: float) -> None:
        """Sleep up to `seconds`, less if a send to `queue` comes through this process."""
        event = self._wakeups.setdefault(queue, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
