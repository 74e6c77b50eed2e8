"""What a topic subscription receives: MNS's notification content formats and the HTTP push.

MNS's Subscribe doc names three NotifyContentFormat values, and the facade renders each:

* SIMPLIFIED: the published MessageBody itself;
* XML: `<Notification>` with TopicOwner, TopicName, Subscriber, SubscriptionName, MessageId,
  MessageMD5, MessageTag (when the message has one), Message and PublishTime (epoch ms);
* JSON: one object with the same keys.

A queue endpoint (`acs:mns:<region>:<account>:queues/<queue>`) gets that content as a new
message of the queue. An HTTP endpoint gets it as the body of a POST, with `x-mns-request-id`,
`x-mns-version`, `x-mns-message-id` and (when tagged) `x-mns-message-tag` headers, signed as
MNS signs its pushes (`api.mns.signing`); any 2xx answer is a delivery. Each push is a
FnFMnsPush workflow (`api.mns.push_entity`), so a failed push is retried by the
subscription's NotifyStrategy even across API restarts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

from api.mns.push_entity import PushRequest
from api.mns.registry_entity import SubscriptionEntry
from api.mns.wire import MNS_VERSION, xml_document
from translator.names import QUEUE

OWNER: Final = "fnf-temporal"
"""TopicOwner and Subscriber in notifications: the facade has one account."""

QUEUE_ENDPOINT: Final = re.compile(
    r"acs:mns:(?P<region>[A-Za-z0-9-]*):(?P<account>[A-Za-z0-9_-]*):queues/(?P<queue>.+)"
)
HTTP_ENDPOINT: Final = re.compile(r"https?://[^\s/?#]+[^\s]*")
CONTENT_FORMATS: Final = ("XML", "JSON", "SIMPLIFIED")
NOTIFY_STRATEGIES: Final = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
MAX_FILTER_TAG: Final = 16


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


def push_request(
    subscription: SubscriptionEntry,
    message: Published,
    request_id: str,
    api_base_url: str,
    retry_scale: float = 1.0,
) -> PushRequest:
    """The POST an HTTP endpoint gets: the rendered notification and MNS's headers; the push
    activity adds Date, Content-MD5 and the signature (`api.mns.signing`), naming the
    certificate served at `api_base_url`."""
    content, content_type = render(subscription, message)
    headers = {
        "content-type": content_type,
        "x-mns-request-id": request_id,
        "x-mns-version": MNS_VERSION,
        "x-mns-message-id": message.message_id,
    }
    if message.tag:
        headers["x-mns-message-tag"] = message.tag
    return PushRequest(
        subscription.endpoint,
        content,
        headers,
        subscription.notify_strategy,
        api_base_url,
        retry_scale,
    )
