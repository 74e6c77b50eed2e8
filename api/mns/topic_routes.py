"""MNS topics and subscriptions (MNS API 2015-06-06, the topic and subscription pages).

    PUT    /topics/<t>                       CreateTopic (201 Location | 204 | 409)
    PUT    /topics/<t>?metaoverride=true     SetTopicAttributes         204
    GET    /topics/<t>                       GetTopicAttributes         200
    DELETE /topics/<t>                       DeleteTopic                204
    GET    /topics                           ListTopic                  200
    PUT    /topics/<t>/subscriptions/<s>     Subscribe (201 Location | 204 | 409)
    PUT    .../<s>?metaoverride=true         SetSubscriptionAttributes  204
    GET    /topics/<t>/subscriptions/<s>     GetSubscriptionAttributes  200
    DELETE /topics/<t>/subscriptions/<s>     Unsubscribe                204
    GET    /topics/<t>/subscriptions         ListSubscriptionByTopic    200

PublishMessage (in `api.mns.routes`) fans out through `FanOut`: to the queues that
FNF_MNS_TOPIC_SUBSCRIPTIONS names (the bootstrap: the body as published), and to every
subscription the registry holds for the topic, in its NotifyContentFormat. A topic nobody
created still takes messages (FnF flows name their topics in their definitions, as they do
queues); with no subscription they are dropped, as MNS drops them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.mns.batch import message_body
from api.mns.listing import base_url, page_request, page_response
from api.mns.notify import (
    CONTENT_FORMATS,
    MAX_FILTER_TAG,
    NOTIFY_STRATEGIES,
    Published,
    endpoint_problem,
    endpoint_queue,
    matches,
    push_request,
    render,
)
from api.mns.push_entity import FnFMnsPush, push_workflow_id
from api.mns.queue_entity import DEFAULT_PRIORITY, OK, body_md5
from api.mns.queues import ClientProvider, QueueService
from api.mns.registry import Registry
from api.mns.registry_entity import (
    CONFLICT,
    CREATED,
    DEFAULT_CONTENT_FORMAT,
    DEFAULT_NOTIFY_STRATEGY,
    DEFAULT_TOPIC_MESSAGE_SIZE,
    MISSING,
    TOPIC_MISSING,
    SubscriptionChange,
    SubscriptionEntry,
    SubscriptionResult,
    TopicChange,
    TopicEntry,
)
from api.mns.settings import MnsSettings
from api.mns.wire import (
    check_name,
    empty_response,
    invalid_argument,
    mns_int,
    parse_fields,
    subscription_already_exist,
    subscription_not_exist,
    topic_already_exist,
    topic_not_exist,
    xml_document,
    xml_response,
)
from translator.names import SUBSCRIPTION, TOPIC

logger = logging.getLogger(__name__)

Operation = Callable[[bytes, str], Awaitable[Response]]
Answer = Callable[[Request, Operation], Awaitable[Response]]

TOPIC_RETENTION_SECONDS: Final = 86_400
"""MessageRetentionPeriod as GetTopicAttributes reports it (MNS's fixed one day)."""


class FanOut:
    """PublishMessage: a copy for every subscription of the topic."""

    def __init__(
        self,
        registry: Registry,
        queues: QueueService,
        settings: MnsSettings,
        client: ClientProvider,
        task_queue: str,
    ) -> None:
        self._registry = registry
        self._queues = queues
        self._settings = settings
        self._client = client
        self._task_queue = task_queue

    async def publish(
        self, topic: str, fields: dict[str, str], request_id: str, api_base_url: str
    ) -> Published:
        """Fan the message out; HTTP pushes name the certificate served at FNF_MNS_PUBLIC_URL,
        else at `api_base_url` (where the publisher reached the API)."""
        entry = await self._registry.topic(topic)
        limit = entry.maximum_message_size if entry else DEFAULT_TOPIC_MESSAGE_SIZE
        text = message_body(fields, limit)
        tag = fields.get("MessageTag", "")
        if len(tag) > MAX_FILTER_TAG:
            raise invalid_argument(f"MessageTag is at most {MAX_FILTER_TAG} characters.")
        message = Published(
            topic, uuid.uuid4().hex.upper(), text, body_md5(text), tag, int(time.time() * 1000)
        )
        subscribers = [s for s in await self._registry.subscribers(topic) if matches(s, message)]
        sends: list[tuple[str, str]] = [
            (queue, text) for queue in self._settings.subscribers(topic)
        ]
        pushes = []
        for subscription in subscribers:
            queue = endpoint_queue(subscription.endpoint)
            if queue is None:
                base = self._settings.public_url or api_base_url
                pushes.append(self._push(subscription, message, request_id, base))
            else:
                sends.append((queue, render(subscription, message)[0]))
        await asyncio.gather(*pushes)
        results = await asyncio.gather(
            *(
                self._queues.send(queue, content, priority=DEFAULT_PRIORITY, delay_seconds=0)
                for queue, content in sends
            )
        )
        for (queue, _), result in zip(sends, results, strict=True):
            if result.outcome != OK:
                logger.warning("topic %s: queue %s refused a copy (%s)", topic, queue, result)
        return message

    async def _push(
        self, subscription: SubscriptionEntry, message: Published, request_id: str, base: str
    ) -> None:
        """Start the push's workflow: once started, it is delivered (or retried) durably."""
        client = await self._client()
        await client.start_workflow(
            FnFMnsPush.run,
            push_request(subscription, message, request_id, base, self._settings.push_retry_scale),
            id=push_workflow_id(message.message_id, message.topic, subscription.name),
            task_queue=self._task_queue,
            static_summary=f"internal: push of an MNS message of topic {message.topic}",
        )


def add_topic_routes(
    router: APIRouter, answer: Answer, registry: Registry, fan_out: FanOut
) -> None:
    @router.get("/topics", summary="ListTopic")
    async def list_topic(request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            page = await registry.topics_page(page_request(request, TOPIC))
            base = f"{base_url(request)}/topics/"
            return page_response("Topics", "Topic", "TopicURL", base, page, request_id)

        return await answer(request, operation)

    @router.put("/topics/{topic}", summary="CreateTopic and SetTopicAttributes")
    async def put_topic(topic: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(TOPIC, topic)
            change = _topic_change(topic, body)
            if request.query_params.get("metaoverride", "").lower() == "true":
                if (await registry.set_topic(change)).outcome == MISSING:
                    raise topic_not_exist(topic)
                return empty_response(204, request_id)
            created = await registry.create_topic(change)
            location = f"{base_url(request)}/topics/{topic}"  # the SDK reads it on 204 too
            if created.outcome == CREATED:
                return empty_response(201, request_id, location)
            if created.topic is not None and not _same_topic(created.topic, change):
                raise topic_already_exist(topic)
            return empty_response(204, request_id, location)

        return await answer(request, operation)

    @router.get("/topics/{topic}", summary="GetTopicAttributes")
    async def get_topic(topic: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(TOPIC, topic)
            entry = await registry.topic(topic)
            if entry is None:
                raise topic_not_exist(topic)
            return xml_response(200, _topic_document(entry), request_id)

        return await answer(request, operation)

    @router.delete("/topics/{topic}", summary="DeleteTopic")
    async def delete_topic(topic: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(TOPIC, topic)
            if await registry.delete_topic(topic) == MISSING:
                raise topic_not_exist(topic)
            return empty_response(204, request_id)

        return await answer(request, operation)

    @router.get("/topics/{topic}/subscriptions", summary="ListSubscriptionByTopic")
    async def list_subscriptions(topic: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(TOPIC, topic)
            page = await registry.subscriptions_page(page_request(request, SUBSCRIPTION, topic))
            if not page.found:
                raise topic_not_exist(topic)
            base = f"{base_url(request)}/topics/{topic}/subscriptions/"
            return page_response(
                "Subscriptions", "Subscription", "SubscriptionURL", base, page, request_id
            )

        return await answer(request, operation)

    @router.put("/topics/{topic}/subscriptions/{name}", summary="Subscribe")
    async def subscribe(topic: str, name: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            _check_names(topic, name)
            fields = parse_fields(body, "Subscription")
            now = int(time.time() * 1000)
            if request.query_params.get("metaoverride", "").lower() == "true":
                strategy = _strategy(fields.get("NotifyStrategy") or DEFAULT_NOTIFY_STRATEGY)
                change = SubscriptionChange(topic, name, now, strategy)
                _raise_for(topic, name, await registry.set_subscription(change))
                return empty_response(204, request_id)
            entry = _subscription(topic, name, fields, now)
            result = await registry.subscribe(entry)
            location = f"{base_url(request)}/topics/{topic}/subscriptions/{name}"
            if result.outcome == CREATED:
                return empty_response(201, request_id, location)
            if result.outcome == CONFLICT:
                raise subscription_already_exist(name)
            _raise_for(topic, name, result)
            return empty_response(204, request_id, location)

        return await answer(request, operation)

    @router.get("/topics/{topic}/subscriptions/{name}", summary="GetSubscriptionAttributes")
    async def get_subscription(topic: str, name: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            _check_names(topic, name)
            result = await registry.subscription(topic, name)
            _raise_for(topic, name, result)
            assert result.subscription is not None
            return xml_response(200, _subscription_document(result.subscription), request_id)

        return await answer(request, operation)

    @router.delete("/topics/{topic}/subscriptions/{name}", summary="Unsubscribe")
    async def unsubscribe(topic: str, name: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            _check_names(topic, name)
            outcome = await registry.unsubscribe(topic, name)
            _raise_for(topic, name, SubscriptionResult(outcome))
            return empty_response(204, request_id)

        return await answer(request, operation)


def _topic_change(topic: str, body: bytes) -> TopicChange:
    fields = parse_fields(body, "Topic")
    change = TopicChange(topic, int(time.time() * 1000))
    raw_size = fields.pop("MaximumMessageSize", None)
    if raw_size is not None:
        size = mns_int("MaximumMessageSize", raw_size)
        if not 1_024 <= size <= 65_536:
            raise invalid_argument("MaximumMessageSize should be between 1024 and 65536.")
        change.maximum_message_size = size
    logging_enabled = fields.pop("LoggingEnabled", None)
    if logging_enabled is not None:
        if logging_enabled.lower() not in ("true", "false"):
            raise invalid_argument(f"LoggingEnabled must be True or False: {logging_enabled!r}.")
        change.logging_enabled = logging_enabled.lower() == "true"
    if fields:
        raise invalid_argument(f"Unknown topic attribute(s): {', '.join(sorted(fields))}.")
    return change


def _same_topic(entry: TopicEntry, change: TopicChange) -> bool:
    return change.maximum_message_size in (None, entry.maximum_message_size) and (
        change.logging_enabled in (None, entry.logging_enabled)
    )


def _topic_document(entry: TopicEntry) -> bytes:
    """The seven elements the SDK's GetTopicAttrDecoder requires; times in seconds."""
    return xml_document(
        "Topic",
        [
            ("TopicName", entry.name),
            ("CreateTime", entry.create_time // 1000),
            ("LastModifyTime", entry.last_modify_time // 1000),
            ("MaximumMessageSize", entry.maximum_message_size),
            ("MessageRetentionPeriod", TOPIC_RETENTION_SECONDS),
            ("MessageCount", 0),
            ("LoggingEnabled", "True" if entry.logging_enabled else "False"),
        ],
    )


def _subscription(topic: str, name: str, fields: dict[str, str], now: int) -> SubscriptionEntry:
    endpoint = fields.pop("Endpoint", "")
    if not endpoint:
        raise invalid_argument("Subscribe needs an Endpoint.")
    problem = endpoint_problem(endpoint)
    if problem is not None:
        raise invalid_argument(problem)
    tag = fields.pop("FilterTag", "")
    if len(tag) > MAX_FILTER_TAG:
        raise invalid_argument(f"FilterTag is at most {MAX_FILTER_TAG} characters.")
    strategy = _strategy(fields.pop("NotifyStrategy", "") or DEFAULT_NOTIFY_STRATEGY)
    content_format = fields.pop("NotifyContentFormat", "") or DEFAULT_CONTENT_FORMAT
    if content_format not in CONTENT_FORMATS:
        raise invalid_argument(
            f"NotifyContentFormat must be one of {', '.join(CONTENT_FORMATS)}: "
            f"{content_format[:50]!r}."
        )
    if fields:
        raise invalid_argument(f"Unknown subscription attribute(s): {', '.join(sorted(fields))}.")
    return SubscriptionEntry(topic, name, endpoint, now, now, tag, strategy, content_format)


def _strategy(value: str) -> str:
    if value not in NOTIFY_STRATEGIES:
        raise invalid_argument(
            f"NotifyStrategy must be one of {', '.join(NOTIFY_STRATEGIES)}: {value[:50]!r}."
        )
    return value


def _subscription_document(entry: SubscriptionEntry) -> bytes:
    return xml_document(
        "Subscription",
        [
            ("TopicOwner", "fnf-temporal"),
            ("TopicName", entry.topic),
            ("SubscriptionName", entry.name),
            ("Endpoint", entry.endpoint),
            ("FilterTag", entry.filter_tag),
            ("NotifyStrategy", entry.notify_strategy),
            ("NotifyContentFormat", entry.notify_content_format),
            ("CreateTime", entry.create_time // 1000),
            ("LastModifyTime", entry.last_modify_time // 1000),
        ],
    )


def _check_names(topic: str, name: str) -> None:
    check_name(TOPIC, topic)
    check_name(SUBSCRIPTION, name)


def _raise_for(topic: str, name: str, result: SubscriptionResult) -> None:
    if result.outcome == TOPIC_MISSING:
        raise topic_not_exist(topic)
    if result.outcome == MISSING:
        raise subscription_not_exist(topic, name)
