"""What a topic subscription receives: MNS's notification content formats and the HTTP push.

MNS's Subscribe doc names three NotifyContentFormat values, and the facade renders each:

* SIMPLIFIED: the published MessageBody itself;
* XML: `<Notification>` with TopicOwner, TopicName, Subscriber, SubscriptionName, MessageId,
  MessageMD5, MessageTag (when the message has one), Message and PublishTime (epoch ms);
* JSON: one object with the same keys.

A queue endpoint (`acs:mns:<region>:<account>:queues/<queue>`) gets that content as a new
message of the queue. An HTTP endpoint gets it as the body of a POST, with `x-mns-request-id`,
`x-mns-version`, `x-mns-message-id` and (when tagged) `x-mns-message-tag` headers; any 2xx
answer is a delivery. A failed push is retried with growing pauses, BACKOFF_RETRY's three times
(EXPONENTIAL_DECAY_RETRY's more often), from the API process that took the PublishMessage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Final

import httpx

from api.mns.registry_entity import SubscriptionEntry
from api.mns.wire import MNS_VERSION, xml_document
from translator.names import QUEUE

logger = logging.getLogger(__name__)

OWNER: Final = "fnf-temporal"
"""TopicOwner and Subscriber in notifications: the facade has one account."""

QUEUE_ENDPOINT: Final = re.compile(
    r"acs:mns:(?P<region>[A-Za-z0-9-]*):(?P<account>[A-Za-z0-9_-]*):queues/(?P<queue>.+)"
)
HTTP_ENDPOINT: Final = re.compile(r"https?://[^\s/?#]+[^\s]*")
CONTENT_FORMATS: Final = ("XML", "JSON", "SIMPLIFIED")
NOTIFY_STRATEGIES: Final = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
MAX_FILTER_TAG: Final = 16
PUSH_TIMEOUT: Final = 5.0
RETRY_PAUSES: Final = {
    "BACKOFF_RETRY": (1.0, 2.0, 4.0),
    "EXPONENTIAL_DECAY_RETRY": (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0),
}


@dataclass(frozen=True)
class Published:
    """One PublishMessage, as every subscription of the topic is told of it."""

    topic: str
    message_id: str
    body: str
    body_md5: str
    tag: str
    publish_time: int


def endpoint_queue(endpoint: str) -> str | None:
    """The queue a queue endpoint names, or None for another kind of endpoint."""
    found = QUEUE_ENDPOINT.fullmatch(endpoint)
    return found.group("queue") if found else None


def endpoint_problem(endpoint: str) -> str | None:
    """Why the facade cannot deliver to `endpoint`, or None when it can."""
    queue = endpoint_queue(endpoint)
    if queue is not None:
        return None if QUEUE.is_valid(queue) else QUEUE.explain(queue)
    if HTTP_ENDPOINT.fullmatch(endpoint):
        return None
    return (
        f"Endpoint {endpoint[:200]!r} is not one this facade delivers to: use "
        "acs:mns:<region>:<account>:queues/<queue> or an http(s):// URL."
    )


def matches(subscription: SubscriptionEntry, message: Published) -> bool:
    """A subscription with a FilterTag gets only the messages published with that tag."""
    return not subscription.filter_tag or subscription.filter_tag == message.tag


def render(subscription: SubscriptionEntry, message: Published) -> tuple[str, str]:
    """(content, content type) in the subscription's NotifyContentFormat."""
    content_format = subscription.notify_content_format
    if content_format == "SIMPLIFIED":
        return message.body, "text/plain;charset=utf-8"
    fields: list[tuple[str, str | int]] = [
        ("TopicOwner", OWNER),
        ("TopicName", message.topic),
        ("Subscriber", OWNER),
        ("SubscriptionName", subscription.name),
        ("MessageId", message.message_id),
        ("MessageMD5", message.body_md5),
        *([("MessageTag", message.tag)] if message.tag else []),
        ("Message", message.body),
        ("PublishTime", message.publish_time),
    ]
    if content_format == "JSON":
        return json.dumps(dict(fields), ensure_ascii=False), "application/json;charset=utf-8"
    return xml_document("Notification", fields).decode("utf-8"), "text/xml;charset=utf-8"


class HttpPusher:
    """Pushes notifications to HTTP endpoints in the background, retrying failures."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def push(self, subscription: SubscriptionEntry, message: Published, request_id: str) -> None:
        task = asyncio.create_task(self._deliver(subscription, message, request_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, subscription: SubscriptionEntry, message: Published, request_id: str
    ) -> None:
        content, content_type = render(subscription, message)
        headers = {
            "content-type": content_type,
            "x-mns-request-id": request_id,
            "x-mns-version": MNS_VERSION,
            "x-mns-message-id": message.message_id,
        }
        if message.tag:
            headers["x-mns-message-tag"] = message.tag
        pauses = RETRY_PAUSES.get(subscription.notify_strategy, RETRY_PAUSES["BACKOFF_RETRY"])
        async with httpx.AsyncClient(timeout=PUSH_TIMEOUT) as client:
            for attempt in range(len(pauses) + 1):
                if attempt:
                    await asyncio.sleep(pauses[attempt - 1])
                try:
                    answer = await client.post(
                        subscription.endpoint, content=content.encode(), headers=headers
                    )
                    if answer.is_success:
                        return
                    problem = f"HTTP {answer.status_code}"
                except httpx.HTTPError as error:
                    problem = repr(error)
                logger.warning(
                    "MNS push %s/%s to %s failed (%s), attempt %d",
                    subscription.topic,
                    subscription.name,
                    subscription.endpoint,
                    problem,
                    attempt + 1,
                )
        logger.error("MNS push %s/%s gave up", subscription.topic, subscription.name)
